"""Warning use cases: receive (idempotent by identifier), acknowledge, the no-response timer.

A warning names areas by code and/or covers them with a polygon; it is mapped onto those
areas (a grid or building counts as its community) and the rule for its hazard × colour
proposes or performs a switch on each. An orange or red warning that gets no switch, no
decided proposal and no acknowledgement in time escalates one administrative level up:
a proposal there and a notification to that level's commanders. Callers commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound, PermissionDenied
from communitas.events import record_event
from communitas.i18n import _
from communitas.modes import activation_service
from communitas.modes import service as modes
from communitas.modes import trigger_service as triggers
from communitas.modes.levels import COLOUR_LEVEL, Colour, severity
from communitas.modes.models import ModeNotification, ModeWarning, WarningArea
from communitas.modes.schemas import (
    NotificationRead,
    TriggerOutcome,
    WarningCreate,
    WarningRead,
    WarningReceipt,
)
from communitas.modes.triggers import (
    COMMANDER_ROLE,
    TriggerAction,
    WarningRule,
    covers,
    escalation_index,
    warning_colour,
    warning_rule_for,
)
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = [
    "acknowledge_warning", "escalate_unanswered_warnings", "get_warning", "list_notifications",
    "list_warnings", "receive_warning", "warning_reads",
]

TIMED_COLOURS = (Colour.ORANGE, Colour.RED)


def get_warning(session: Session, *, warning_id: int) -> ModeWarning:
    warning = session.get(ModeWarning, warning_id)
    if warning is None:
        raise NotFound(_("Unknown warning {value}"), code="unknown_warning", value=str(warning_id))
    return warning


def _by_identifier(session: Session, identifier: str) -> ModeWarning | None:
    return session.execute(select(ModeWarning).where(
        ModeWarning.identifier == identifier)).scalar_one_or_none()


def _covered_areas(session: Session, principal: Principal, data: WarningCreate) -> list[Area]:
    """The areas the warning names (in the poster's scope) and the communities it covers."""
    found: dict[int, Area] = {}
    for code in dict.fromkeys(data.area_codes):
        try:
            area = modes.mode_area(session, areas.get_area(session, code=code))
        except NotFound as exc:
            exc.details = {"field": "area_codes", "code": code}
            raise
        require(principal, Permission.WARNING_POST, area_path=area.path)
        found[area.id] = area
    if data.polygon is not None:
        polygon = shape(data.polygon)
        query = select(Area).where(Area.kind == AreaKind.COMMUNITY)
        scope = area_range(principal)
        if scope is not None:
            query = query.where(Area.path >= scope[0], Area.path < scope[1])
        for community in session.execute(query).scalars():
            point = (community.lon, community.lat) if community.lon is not None \
                and community.lat is not None else None
            if covers(polygon, community.geometry, point):
                found[community.id] = community
    return sorted(found.values(), key=lambda a: a.path)


def receive_warning(session: Session, *, principal: Principal, data: WarningCreate,
                    clock: Clock | None = None) -> WarningReceipt:
    """Store a warning and act on it; the same identifier again changes nothing."""
    require(principal, Permission.WARNING_POST)
    now = (clock or SystemClock()).now()
    existing = _by_identifier(session, data.identifier)
    if existing is not None:
        return WarningReceipt(warning=warning_reads(session, [existing])[0], created=False)
    covered = _covered_areas(session, principal, data)
    colour = warning_colour(data.colour, data.severity)
    assert colour is not None  # WarningCreate refuses a warning without one
    rule = warning_rule_for(triggers.configured_warning_rules(session), data.hazard, colour)
    minutes = rule.escalate_after_minutes if colour in TIMED_COLOURS else None
    warning = ModeWarning(
        identifier=data.identifier, sender=data.sender, hazard=data.hazard, colour=colour,
        cap_severity=data.severity.value if data.severity else None, urgency=data.urgency.value,
        headline=data.headline, description=data.description, area_codes=data.area_codes,
        polygon=data.polygon, sent_at=data.sent_at, expires_at=data.expires_at,
        received_at=now, received_by=principal.actor, escalate_after_minutes=minutes,
        respond_by=now + timedelta(minutes=minutes) if minutes else None)
    stored = _insert_once(session, warning)
    if stored is not warning:
        return WarningReceipt(warning=warning_reads(session, [stored])[0], created=False)
    session.add_all([WarningArea(warning_id=warning.id, area_id=a.id) for a in covered])
    session.flush()
    record_event(session, actor=principal.actor, action="warning.received",
                 subject_type="warning", subject_id=warning.id, clock=clock, payload={
                     "identifier": data.identifier, "hazard": data.hazard,
                     "colour": colour.value, "areas": [a.code for a in covered[:50]],
                     "area_count": len(covered), "expires_at": data.expires_at.isoformat()})
    _answered_already(session, warning, covered, now)
    outcome = TriggerOutcome()
    if data.expires_at > now:
        with activation_service.together(session, clock=clock):
            _act_on(session, warning, covered, rule, data, colour, now, clock, outcome)
    return WarningReceipt(warning=warning_reads(session, [warning])[0], created=True,
                          switches=outcome.switches, proposals=outcome.proposals)


def _act_on(session: Session, warning: ModeWarning, covered: list[Area], rule: WarningRule,
            data: WarningCreate, colour: Colour, now: datetime, clock: Clock | None,
            outcome: TriggerOutcome) -> None:
    """Propose or perform the rule's switch on every covered area."""
    for area in covered:
        step = triggers.apply_trigger(
            session, area=area, target=rule.target, action=rule.action,
            hazard=data.hazard, source="warning", warning_id=warning.id, now=now,
            clock=clock, reason=f"{colour.value} {data.hazard} warning {data.identifier}")
        outcome.switches += step.switches
        outcome.proposals += step.proposals


def _insert_once(session: Session, warning: ModeWarning) -> ModeWarning:
    """Insert ``warning``, or return the one that won a race for the same identifier."""
    try:
        with session.begin_nested():
            session.add(warning)
            session.flush()
    except IntegrityError:
        again = _by_identifier(session, warning.identifier)
        if again is None:
            raise
        return again
    return warning


def _answered_already(session: Session, warning: ModeWarning, covered: list[Area],
                      now: datetime) -> None:
    """Stop the timer when every covered area already responds at the warning's level."""
    level = COLOUR_LEVEL[warning.colour]
    if covered and all(severity(modes.get_effective_mode(session, code=a.code).mode)
                       >= severity(level) for a in covered):
        warning.responded_at = now


def warning_reads(session: Session, rows: list[ModeWarning]) -> list[WarningRead]:
    covered: dict[int, list[str]] = {w.id: [] for w in rows}
    if rows:
        for warning_id, code in session.execute(
                select(WarningArea.warning_id, Area.code)
                .join(Area, Area.id == WarningArea.area_id)
                .where(WarningArea.warning_id.in_(covered)).order_by(Area.code)):
            covered[warning_id].append(code)
    return [WarningRead.model_validate({
        **{c.key: getattr(w, c.key) for c in ModeWarning.__table__.columns},
        "level": COLOUR_LEVEL[w.colour], "covered_area_codes": covered[w.id]}) for w in rows]


def list_warnings(
    session: Session, *, active_at: datetime | None = None, within: str | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[WarningRead]:
    """Warnings, newest first; live at ``active_at`` and touching the ``within`` subtree."""
    query = select(ModeWarning).order_by(ModeWarning.id.desc())
    if active_at is not None:
        query = query.where(ModeWarning.expires_at > active_at)
    if within is not None:
        root = areas.get_area(session, code=within)
        query = query.where(ModeWarning.id.in_(modes.warnings_touching(
            root, modes.path_ids(root))))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=warning_reads(session, rows), total=total, page=page, page_size=page_size)


def _covered(session: Session, warning: ModeWarning) -> list[Area]:
    return list(session.execute(select(Area).join(WarningArea, WarningArea.area_id == Area.id)
                                .where(WarningArea.warning_id == warning.id)
                                .order_by(Area.path)).scalars())


def acknowledge_warning(session: Session, *, principal: Principal, warning_id: int,
                        clock: Clock | None = None) -> WarningRead:
    """A commander of a covered area has seen the warning; this stops its timer."""
    require(principal, Permission.MODE_SET)
    warning = get_warning(session, warning_id=warning_id)
    covered = _covered(session, warning)
    paths = [a.path for a in covered] or ["/"]
    if not any(can(principal, Permission.MODE_SET, area_path=p) for p in paths):
        raise PermissionDenied(_("This is outside your area or organisation"),
                               code="out_of_scope", details={"permission": "mode.set"})
    if warning.acknowledged_at is None:
        now = (clock or SystemClock()).now()
        warning.acknowledged_by, warning.acknowledged_at = principal.actor, now
        warning.responded_at = warning.responded_at or now
        record_event(session, actor=principal.actor, action="warning.acknowledged",
                     subject_type="warning", subject_id=warning.id, clock=clock,
                     payload={"identifier": warning.identifier})
    session.flush()
    return warning_reads(session, [warning])[0]


def escalate_unanswered_warnings(session: Session, *, clock: Clock | None = None
                                 ) -> list[WarningRead]:
    """Escalate every live orange or red warning whose response time ran out unanswered.

    Each escalation goes one administrative level further up: a proposal at that level and
    a notification to its commanders; the timer then restarts for them.
    """
    now = (clock or SystemClock()).now()
    due = session.execute(select(ModeWarning).where(
        ModeWarning.respond_by <= now, ModeWarning.responded_at.is_(None),
        ModeWarning.expires_at > now, ModeWarning.colour.in_(TIMED_COLOURS))
        .order_by(ModeWarning.id)).scalars().all()
    for warning in due:
        warning.escalations += 1
        targets = _escalation_targets(session, warning)
        for area in targets:
            _escalate_to(session, warning, area, now, clock)
        minutes = warning.escalate_after_minutes
        warning.respond_by = now + timedelta(minutes=minutes) if targets and minutes else None
        record_event(session, actor=modes.TRIGGERS.actor, action="warning.escalated",
                     subject_type="warning", subject_id=warning.id, clock=clock, payload={
                         "identifier": warning.identifier, "escalations": warning.escalations,
                         "to": [a.code for a in targets]})
    session.flush()
    return warning_reads(session, list(due))


def _escalation_targets(session: Session, warning: ModeWarning) -> list[Area]:
    ids = set()
    for area in _covered(session, warning):
        path = modes.path_ids(area)
        index = escalation_index(len(path), warning.escalations)
        if index is not None:
            ids.add(path[index])
    if not ids:
        return []
    return list(session.execute(select(Area).where(Area.id.in_(ids))
                                .order_by(Area.path)).scalars())


def _escalate_to(session: Session, warning: ModeWarning, area: Area, now: datetime,
                 clock: Clock | None) -> None:
    level = COLOUR_LEVEL[warning.colour]
    outcome = triggers.apply_trigger(
        session, area=area, target=level, action=TriggerAction.PROPOSE, hazard=warning.hazard,
        source="escalation", warning_id=warning.id, now=now, clock=clock,
        reason=f"unanswered {warning.colour.value} warning {warning.identifier}")
    session.add(ModeNotification(
        area_id=area.id, audience_role=COMMANDER_ROLE[area.kind].value,
        kind="unanswered_warning", warning_id=warning.id,
        proposal_id=outcome.proposals[0].id if outcome.proposals else None, created_at=now,
        payload={"identifier": warning.identifier, "hazard": warning.hazard,
                 "colour": warning.colour.value, "level": level.value,
                 "escalations": warning.escalations,
                 "minutes": warning.escalate_after_minutes}))


def list_notifications(session: Session, *, principal: Principal, page: int = 1,
                       page_size: int = 50) -> Page[NotificationRead]:
    """Notifications for commanders of areas in the principal's scope, newest first."""
    require(principal, Permission.MODE_SET)
    query = (select(ModeNotification, Area.code).join(Area, Area.id == ModeNotification.area_id)
             .order_by(ModeNotification.id.desc()))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    total = session.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    identifiers = dict(session.execute(select(ModeWarning.id, ModeWarning.identifier).where(
        ModeWarning.id.in_({n.warning_id for n, _code in rows if n.warning_id}))).all())
    return Page(items=[NotificationRead(
        id=n.id, area_code=code, audience_role=n.audience_role, kind=n.kind,
        warning_identifier=identifiers.get(n.warning_id or 0), proposal_id=n.proposal_id,
        payload=n.payload, created_at=n.created_at) for n, code in rows],
        total=total, page=page, page_size=page_size)
