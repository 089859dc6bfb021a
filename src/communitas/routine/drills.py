"""The drill calendar: schedule, list, cancel; the drills package marks a drill held."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, ValidationFailed
from communitas.events import record_event
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.routine.models import DrillSchedule, DrillStatus
from communitas.routine.schemas import DrillCancel, DrillCreate, DrillRead
from communitas.schemas import Page

__all__ = ["cancel_drill", "drill_reads", "list_drills", "mark_drill_held", "schedule_drill"]

DRILL_AREA_KINDS = (AreaKind.STREET, AreaKind.COMMUNITY)


def schedule_drill(session: Session, *, principal: Principal, data: DrillCreate,
                   clock: Clock | None = None) -> DrillSchedule:
    """Put a drill on the calendar of a street or community, in the future."""
    now = (clock or SystemClock()).now()
    area = areas.get_area(session, code=data.area_code)
    require(principal, Permission.DRILL_SCHEDULE, area_path=area.path)
    if area.kind not in DRILL_AREA_KINDS:
        raise ValidationFailed(_("Drills are scheduled for a street or a community"),
                               code="wrong_area_kind", details={"field": "area_code"})
    if data.scheduled_at <= now:
        raise ValidationFailed(_("A drill is scheduled in the future"), code="drill_in_past",
                               details={"field": "scheduled_at"})
    drill = DrillSchedule(
        area_id=area.id, hazard=data.hazard, title=data.title, scenario=data.scenario,
        scheduled_at=data.scheduled_at, duration_minutes=data.duration_minutes,
        status=DrillStatus.SCHEDULED, created_by=principal.actor, created_at=now)
    session.add(drill)
    session.flush()
    _log(session, drill, area.code, principal.actor, "drill.scheduled", clock, {
        "hazard": drill.hazard, "scenario": drill.scenario,
        "scheduled_at": drill.scheduled_at.isoformat(),
        "duration_minutes": drill.duration_minutes})
    return drill


def _log(session: Session, drill: DrillSchedule, area_code: str, actor: str, action: str,
         clock: Clock | None, payload: dict[str, object]) -> None:
    record_event(session, actor=actor, action=action, subject_type="drill",
                 subject_id=drill.id, area_code=area_code, clock=clock, payload=payload)


def _get(session: Session, drill_id: int) -> tuple[DrillSchedule, Area]:
    drill = session.get(DrillSchedule, drill_id)
    if drill is None:
        raise NotFound(_("Unknown drill {value}"), code="unknown_drill", value=drill_id)
    return drill, areas.get_area_by_id(session, area_id=drill.area_id)


def cancel_drill(session: Session, *, principal: Principal, drill_id: int, data: DrillCancel,
                 clock: Clock | None = None) -> DrillSchedule:
    drill, area = _get(session, drill_id)
    require(principal, Permission.DRILL_SCHEDULE, area_path=area.path)
    if drill.status is not DrillStatus.SCHEDULED:
        raise Conflict(_("Only a scheduled drill can be cancelled"),
                       code="drill_not_scheduled", details={"status": drill.status.value})
    drill.status, drill.cancel_reason = DrillStatus.CANCELLED, data.reason
    session.flush()
    _log(session, drill, area.code, principal.actor, "drill.cancelled", clock, {})
    return drill


def mark_drill_held(session: Session, *, principal: Principal, drill_id: int,
                    clock: Clock | None = None) -> DrillSchedule:
    """For the drills package: the drill was run (its report lives there)."""
    drill, area = _get(session, drill_id)
    require(principal, Permission.DRILL_SCHEDULE, area_path=area.path)
    if drill.status is not DrillStatus.SCHEDULED:
        raise Conflict(_("Only a scheduled drill can be held"), code="drill_not_scheduled",
                       details={"status": drill.status.value})
    drill.status = DrillStatus.HELD
    session.flush()
    _log(session, drill, area.code, principal.actor, "drill.held", clock, {})
    return drill


def list_drills(session: Session, *, principal: Principal, within: str | None = None,
                status: DrillStatus | None = None, since: datetime | None = None,
                until: datetime | None = None, page: int = 1, page_size: int = 50,
                ) -> Page[DrillRead]:
    """Drills of the principal's area, soonest first."""
    require(principal, Permission.ROUTINE_READ)
    query = (select(DrillSchedule).join(Area, Area.id == DrillSchedule.area_id)
             .order_by(DrillSchedule.scheduled_at, DrillSchedule.id))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if status is not None:
        query = query.where(DrillSchedule.status == status)
    if since is not None:
        query = query.where(DrillSchedule.scheduled_at >= since)
    if until is not None:
        query = query.where(DrillSchedule.scheduled_at < until)
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=drill_reads(session, rows), total=total, page=page, page_size=page_size)


def drill_reads(session: Session, rows: list[DrillSchedule]) -> list[DrillRead]:
    codes = dict(session.execute(select(Area.id, Area.code).where(
        Area.id.in_({r.area_id for r in rows}))).all()) if rows else {}
    return [DrillRead(id=r.id, area_code=codes[r.area_id], hazard=r.hazard, title=r.title,
                      scenario=r.scenario, scheduled_at=r.scheduled_at,
                      duration_minutes=r.duration_minutes, status=r.status,
                      created_by=r.created_by, cancel_reason=r.cancel_reason) for r in rows]
