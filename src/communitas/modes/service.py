"""Mode use cases: read effective modes, switch an area, its history. Callers commit.

Only the mode set on an area is stored (``area_modes``); the effective mode is computed
along the area's path by :func:`communitas.modes.machine.effective_mode`. Each switch
appends a ``mode.switched`` event and stops the no-response timer of every warning that
covers the area, its subtree or its ancestors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.errors import CommunitasError, Conflict, PermissionDenied, ValidationFailed
from communitas.events import Event, record_event
from communitas.i18n import _
from communitas.modes.levels import MODE_COLOUR, Mode
from communitas.modes.machine import (
    MODE_KINDS,
    ExitCriteria,
    ExitObservation,
    Refusal,
    check_switch,
    effective_mode,
)
from communitas.modes.models import AreaMode, IndicatorReading, ModeWarning, WarningArea
from communitas.modes.schemas import EffectiveModeRead, ModeHistoryItem, ModeSet, ModeSwitchRead
from communitas.modes.triggers import Indicator
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = [
    "TRIGGERS", "effective_modes", "effective_modes_of", "exit_observation",
    "get_effective_mode", "mode_area", "mode_history", "path_ids", "set_mode",
    "warnings_touching",
]

# The principal a trigger acts as when its rule says "perform" (configured by the admin).
TRIGGERS = Principal(username="system:triggers", role=Role.PLATFORM_ADMIN, scope_path="/")

_REFUSALS: dict[Refusal, tuple[type[CommunitasError], str]] = {
    Refusal.NOT_SETTABLE: (ValidationFailed, _("A {kind} has no mode of its own")),
    Refusal.UNCHANGED: (Conflict, _("The area is already set to {mode}")),
    Refusal.LEVEL_NOT_ALLOWED: (PermissionDenied, _("Your role may not set {mode} here")),
    Refusal.ILLEGAL_TRANSITION: (Conflict, _("An area in {current} cannot switch to {mode}")),
    Refusal.BELOW_PARENT: (Conflict, _("{mode} is below the mode of the area above ({parent})")),
    Refusal.EXIT_CRITERIA_UNMET: (Conflict, _("Recovery cannot end yet: {unmet}")),
}


def path_ids(area: Area) -> list[int]:
    """The ids of the area's ancestors and the area, root first."""
    return [int(part) for part in area.path.strip("/").split("/") if part]


def mode_area(session: Session, area: Area) -> Area:
    """The area whose mode speaks for ``area``: itself, or the community of a grid/building."""
    if area.kind in MODE_KINDS:
        return area
    ancestors = session.execute(select(Area).where(Area.id.in_(path_ids(area)))).scalars()
    return max((a for a in ancestors if a.kind in MODE_KINDS), key=lambda a: a.depth)


def _own_modes(session: Session, ids: Iterable[int], *,
               lock: bool = False) -> dict[int, AreaMode]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(AreaMode).where(AreaMode.area_id.in_(wanted)).order_by(AreaMode.area_id)
    rows = session.execute(query.with_for_update() if lock else query).scalars()
    return {row.area_id: row for row in rows}


def _read(area: Area, ids: list[int], rows: dict[int, AreaMode],
          codes: dict[int, str]) -> EffectiveModeRead:
    effective = effective_mode([rows[i].mode if i in rows else None for i in ids])
    source = rows[ids[effective.source]] if effective.source is not None else None
    own = rows.get(area.id)
    return EffectiveModeRead(
        area_code=area.code, area_kind=area.kind, mode=effective.mode,
        colour=MODE_COLOUR[effective.mode], own_mode=own.mode if own else None,
        source_code=codes[source.area_id] if source else None,
        hazard=source.hazard if source else None, reason=source.reason if source else None,
        set_by=source.set_by if source else None, set_at=source.set_at if source else None,
        exit_criteria=source.exit_criteria if source else None)


def _codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    rows = session.execute(select(Area.id, Area.code).where(Area.id.in_(wanted))).all()
    return {area_id: code for area_id, code in rows}


def get_effective_mode(session: Session, *, code: str) -> EffectiveModeRead:
    """The area's effective mode and where it comes from (any area kind; modes are public)."""
    area = areas.get_area(session, code=code)
    ids = path_ids(area)
    rows = _own_modes(session, ids)
    return _read(area, ids, rows, _codes(session, rows))


def effective_modes(session: Session, *, within: str | None = None,
                    kind: AreaKind | None = None) -> list[EffectiveModeRead]:
    """Effective modes of every area that carries a mode in a subtree (for the map)."""
    kinds = [kind] if kind is not None else sorted(MODE_KINDS)
    query = select(Area).where(Area.kind.in_(kinds)).order_by(Area.path)
    settings = select(AreaMode).join(Area, Area.id == AreaMode.area_id)
    if within is not None:
        root = areas.get_area(session, code=within)
        query = query.where(_touching(root, []))
        settings = settings.where(_touching(root, path_ids(root)))
    listed = list(session.execute(query).scalars())
    rows = {row.area_id: row for row in session.execute(settings).scalars()}
    codes = {a.id: a.code for a in listed} | _codes(session, rows.keys() - {a.id for a in listed})
    return [_read(a, path_ids(a), rows, codes) for a in listed]


def effective_modes_of(session: Session, area_ids: Iterable[int]) -> list[EffectiveModeRead]:
    """Effective modes of the given mode-carrying areas only (a few communities out of a
    city: cheaper than the whole map), in path order."""
    wanted = sorted(set(area_ids))
    if not wanted:
        return []
    listed = list(session.execute(select(Area).where(Area.id.in_(wanted))
                                  .order_by(Area.path)).scalars())
    rows = _own_modes(session, {i for a in listed for i in path_ids(a)})
    codes = {a.id: a.code for a in listed} | _codes(session, rows.keys() - {a.id for a in listed})
    return [_read(a, path_ids(a), rows, codes) for a in listed]


def set_mode(
    session: Session, *, principal: Principal, code: str, data: ModeSet,
    trigger: str = "manual", clock: Clock | None = None,
) -> ModeSwitchRead:
    """Switch the mode set on an area, within the principal's scope and level ceiling."""
    now = (clock or SystemClock()).now()
    area = areas.get_area(session, code=code)
    require(principal, Permission.MODE_SET, area_path=area.path)
    ids = path_ids(area)
    rows = _own_modes(session, ids, lock=True)  # the path's settings stay put until commit
    path = [rows[i].mode if i in rows else None for i in ids]
    own = rows.get(area.id)
    _refuse_if_not_allowed(session, principal, area, own, path, data.level, now)
    before = own.mode if own else Mode.NORMAL
    hazard = _write(session, area, own, principal, data, trigger, now)
    switch_read = ModeSwitchRead(
        area_code=area.code, from_mode=before, to_mode=data.level,
        effective_before=effective_mode(path).mode,
        effective_after=effective_mode([*path[:-1], data.level]).mode,
        reason=data.reason, trigger=trigger, hazard=hazard, at=now)
    record_event(session, actor=principal.actor, action="mode.switched", subject_type="area",
                 subject_id=area.code, area_code=area.code, clock=clock,
                 payload=switch_read.model_dump(mode="json", exclude={"area_code", "at"}))
    _mark_warnings_responded(session, area, ids, now)
    from communitas.modes import activation_service  # it builds on this module

    activation_service.after_switch(session, area=area, principal=principal, trigger=trigger,
                                    requested_at=now, clock=clock)
    return switch_read


def _refuse_if_not_allowed(session: Session, principal: Principal, area: Area,
                           own: AreaMode | None, path: list[Mode | None], target: Mode,
                           now: datetime) -> None:
    """Ask the machine; turn its refusal into the API's error."""
    criteria = ExitCriteria(**own.exit_criteria) if own and own.exit_criteria else None
    seen = exit_observation(session, area=area, now=now) \
        if own and own.mode is Mode.RECOVERY and target is Mode.NORMAL else None
    refusal = check_switch(role=principal.role, area_kind=area.kind, path=path, target=target,
                           criteria=criteria, seen=seen)
    if refusal is None:
        return
    cls, message = _REFUSALS[refusal]
    parent = effective_mode(path[:-1]).mode
    unmet = (criteria or ExitCriteria()).unmet(seen) if seen else []
    raise cls(message, code=refusal.value, kind=area.kind.value, mode=target.value,
              current=(own.mode if own else Mode.NORMAL).value, parent=parent.value,
              unmet=", ".join(unmet), details={
                  "area": area.code, "level": target.value, "parent_mode": parent.value,
                  **({"unmet": unmet, "observed": seen.as_dict()} if seen else {})})


def _write(session: Session, area: Area, own: AreaMode | None, principal: Principal,
           data: ModeSet, trigger: str, now: datetime) -> str | None:
    """Store the new setting (normal deletes it); returns the hazard it is for."""
    hazard = data.hazard or (own.hazard if own else None)
    if data.level is Mode.NORMAL:
        if own is not None:
            session.delete(own)
            session.flush()
        return hazard
    row = own or AreaMode(area_id=area.id)
    row.mode, row.hazard, row.reason, row.trigger = data.level, hazard, data.reason, trigger
    row.set_by, row.set_at = principal.actor, now
    row.exit_criteria = (data.exit_criteria.model_dump() if data.exit_criteria
                         else ExitCriteria().as_dict()) if data.level is Mode.RECOVERY else None
    session.add(row)
    session.flush()
    return hazard


def _touching(area: Area, ids: list[int]) -> ColumnElement[bool]:
    """Areas in ``area``'s subtree or among its ancestors."""
    low, high = area.subtree_bounds()
    return or_(and_(Area.path >= low, Area.path < high), Area.id.in_(ids))


def warnings_touching(area: Area, ids: list[int]) -> Any:
    """A select of the ids of warnings covering ``area``, its subtree or its ancestors."""
    return (select(WarningArea.warning_id).join(Area, Area.id == WarningArea.area_id)
            .where(_touching(area, ids)))


def _mark_warnings_responded(session: Session, area: Area, ids: list[int],
                             now: datetime) -> None:
    open_warnings = session.execute(select(ModeWarning).where(
        ModeWarning.id.in_(warnings_touching(area, ids)),
        ModeWarning.responded_at.is_(None))).scalars()
    for warning in open_warnings:
        warning.responded_at = now


def exit_observation(session: Session, *, area: Area, now: datetime) -> ExitObservation:
    """Live warnings touching the area, the latest readings in its subtree, time in recovery.

    Open urgent requests add up over the subtree's areas; unmet demand (a share) takes the
    worst area. An indicator nobody has reported counts as zero.
    """
    ids = path_ids(area)
    active = session.execute(select(func.count()).select_from(ModeWarning).where(
        ModeWarning.id.in_(warnings_touching(area, ids)),
        ModeWarning.expires_at > now)).scalar_one()
    latest = _latest_readings(session, area, [Indicator.OPEN_URGENT_REQUESTS,
                                              Indicator.UNMET_DEMAND])
    own = _own_modes(session, [area.id]).get(area.id)
    hours = (now - own.set_at).total_seconds() / 3600 if own else 0.0
    return ExitObservation(
        open_urgent_requests=sum(v for n, v in latest if n == Indicator.OPEN_URGENT_REQUESTS),
        unmet_demand=max((v for n, v in latest if n == Indicator.UNMET_DEMAND), default=0.0),
        active_warnings=int(active), hours_in_recovery=hours)


def _latest_readings(session: Session, area: Area,
                     names: list[Indicator]) -> list[tuple[str, float]]:
    """(name, value) of the latest reading per area and name in ``area``'s subtree."""
    low, high = area.subtree_bounds()
    latest = (select(IndicatorReading.area_id, IndicatorReading.name,
                     func.max(IndicatorReading.at).label("at"))
              .join(Area, Area.id == IndicatorReading.area_id)
              .where(Area.path >= low, Area.path < high,
                     IndicatorReading.name.in_([n.value for n in names]))
              .group_by(IndicatorReading.area_id, IndicatorReading.name).subquery())
    rows = session.execute(select(IndicatorReading.area_id, IndicatorReading.name,
                                  func.max(IndicatorReading.value)).join(latest, and_(
        IndicatorReading.area_id == latest.c.area_id, IndicatorReading.name == latest.c.name,
        IndicatorReading.at == latest.c.at)).group_by(IndicatorReading.area_id,
                                                      IndicatorReading.name)).all()
    return [(name, float(value)) for _area, name, value in rows]


def mode_history(session: Session, *, code: str, page: int = 1,
                 page_size: int = 50) -> Page[ModeHistoryItem]:
    """Every mode event of an area, newest first, from the event log."""
    area = areas.get_area(session, code=code)
    query = (select(Event).where(Event.area_code == area.code, Event.action.like("mode.%"))
             .order_by(Event.seq.desc()))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=[ModeHistoryItem(seq=e.seq, at=e.at, actor=e.actor, action=e.action,
                                       payload=json.loads(e.payload)) for e in rows],
                total=total, page=page, page_size=page_size)
