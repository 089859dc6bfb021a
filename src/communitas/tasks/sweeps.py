"""Door-to-door sweeps: one task per building, one holder per building at a time.

A sweeper claims a building and holds it for the sweep's ``hold_minutes``; an expired hold
may be taken by someone else. The claim is one conditional UPDATE (``WHERE`` the building
is open, the hold has expired, or the claimer already holds it) whose row count says who
won, so two people never hold a building at once, on SQLite and PostgreSQL alike. The
result is verified by a second, different person (the Wuhan 2020 pattern; the HOT Tasking
Manager's map → validate model).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.schemas import Page
from communitas.tasks import lookups
from communitas.tasks.lifecycle import Action, TaskStatus
from communitas.tasks.models import Sweep, Task
from communitas.tasks.schemas import (
    SweepBuildingRead,
    SweepCreate,
    SweepRead,
    SweepSummary,
    TaskCreate,
)
from communitas.tasks.service import checked_next, create_tasks, get_task, task_area

__all__ = ["claim_building", "create_sweep", "list_sweeps", "read_sweep", "release_building",
           "submit_building", "verify_building"]

_SWEEPABLE = frozenset({AreaKind.COMMUNITY, AreaKind.GRID})
S = TaskStatus


def create_sweep(session: Session, *, principal: Principal, data: SweepCreate,
                 default_hold_minutes: int, clock: Clock | None = None) -> Sweep:
    """Split a community or grid into one open task per building under it."""
    area = lookups.areas_by_code(session, [data.area_code], "area_code")[data.area_code]
    if area.kind not in _SWEEPABLE:
        raise ValidationFailed(_("A sweep covers a community or a grid, not a {kind}"),
                               code="sweep_area_kind", kind=area.kind.value,
                               details={"field": "area_code"})
    require(principal, Permission.TASK_WRITE, area_path=area.path)
    low, high = area.subtree_bounds()
    buildings = session.execute(select(Area.code).where(
        Area.kind == AreaKind.BUILDING, Area.path >= low, Area.path < high)
        .order_by(Area.code)).scalars().all()
    if not buildings:
        raise ValidationFailed(_("There are no buildings under {value}"), code="no_buildings",
                               value=area.code, details={"field": "area_code"})
    now = (clock or SystemClock()).now()
    sweep = Sweep(title=data.title, area_id=area.id, created_by=principal.actor, created_at=now,
                  hold_minutes=data.hold_minutes or default_hold_minutes)
    session.add(sweep)
    session.flush()
    create_tasks(session, principal=principal, clock=clock, sweep_id=sweep.id, items=[
        TaskCreate(title=f"{data.title} · {code}", area_code=code, priority=data.priority,
                   due_at=data.due_at, checklist=data.checklist, source_kind=data.source_kind,
                   source_id=data.source_id) for code in buildings])
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "sweep.created", "sweep", sweep.id, area.code,
        {"title": data.title, "buildings": len(buildings), "hold_minutes": sweep.hold_minutes})])
    return sweep


def _get_sweep(session: Session, sweep_id: int) -> Sweep:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise NotFound(_("Unknown sweep {value}"), code="unknown_sweep", value=sweep_id)
    return sweep


def _sweeper(principal: Principal) -> int:
    if principal.person_id is None:
        raise PermissionDenied(_("Only an account linked to a person can sweep or verify"),
                               code="not_a_person")
    return principal.person_id


def _building(session: Session, principal: Principal, sweep_id: int, task_id: int,
              *, lock: bool) -> tuple[Sweep, Task, str]:
    """The sweep, its building task and the building code, after the sweep.work check."""
    sweep = _get_sweep(session, sweep_id)
    task = get_task(session, task_id=task_id, lock=lock)
    if task.sweep_id != sweep.id:
        raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
    code, path = task_area(session, task)
    require(principal, Permission.SWEEP_WORK, area_path=path)
    return sweep, task, code


def _event(task: Task, code: str, action: str, payload: dict[str, object]) -> EventDraft:
    return EventDraft(f"sweep.{action}", "task", task.id, code,
                      {"sweep_id": task.sweep_id, **payload})


def claim_building(session: Session, *, principal: Principal, sweep_id: int, task_id: int,
                   clock: Clock | None = None) -> Task:
    """Hold a building for the sweep's hold time (again, to extend one's own hold)."""
    person = _sweeper(principal)
    sweep, task, code = _building(session, principal, sweep_id, task_id, lock=False)
    now = (clock or SystemClock()).now()
    previous = task.holder_person_id
    claimable = or_(Task.status == S.OPEN, and_(Task.status == S.IN_PROGRESS, or_(
        Task.hold_expires_at <= now, Task.holder_person_id == person)))
    result = session.execute(
        update(Task).where(Task.id == task.id, claimable).values(
            status=S.IN_PROGRESS, holder_person_id=person, assignee_person_id=person,
            assignee_org_id=None, hold_expires_at=now + timedelta(minutes=sweep.hold_minutes),
            assigned_at=now, accepted_at=now, started_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(task)
        _refuse_claim(task)
    session.refresh(task)
    taken_from = previous if previous not in (None, person) else None
    record_events(session, actor=principal.actor, clock=clock, drafts=[_event(
        task, code, "claimed", {"holder": _code(session, person),
                                "hold_expires_at": task.hold_expires_at,
                                "taken_over_from": _code(session, taken_from)})])
    return task


def _refuse_claim(task: Task) -> None:
    if task.status is S.IN_PROGRESS:
        raise Conflict(_("Someone else holds this building until {until}"),
                       code="building_held", until=_hhmm(task.hold_expires_at),
                       details={"hold_expires_at": str(task.hold_expires_at)})
    checked_next(task.status, Action.CLAIM)


def _hhmm(at: datetime | None) -> str:
    return at.isoformat(timespec="minutes") if at else ""


def _code(session: Session, person_id: int | None) -> str | None:
    return lookups.person_codes(session, [person_id])[person_id] if person_id else None


def _require_holder(task: Task, person: int) -> None:
    if task.status is not S.IN_PROGRESS or task.holder_person_id != person:
        raise Conflict(_("You do not hold this building"), code="not_holder",
                       details={"status": task.status.value})


def release_building(session: Session, *, principal: Principal, sweep_id: int, task_id: int,
                     clock: Clock | None = None) -> Task:
    """Give a held building back, unswept, for someone else to claim."""
    person = _sweeper(principal)
    _sweep, task, code = _building(session, principal, sweep_id, task_id, lock=True)
    _require_holder(task, person)
    task.status = checked_next(task.status, Action.RELEASE)
    task.holder_person_id = task.hold_expires_at = task.assignee_person_id = None
    record_events(session, actor=principal.actor, clock=clock,
                  drafts=[_event(task, code, "released", {"holder": _code(session, person)})])
    session.flush()
    return task


def submit_building(session: Session, *, principal: Principal, sweep_id: int, task_id: int,
                    clock: Clock | None = None) -> Task:
    """Report a held building swept (an expired hold still counts if nobody took it)."""
    person = _sweeper(principal)
    _sweep, task, code = _building(session, principal, sweep_id, task_id, lock=True)
    _require_holder(task, person)
    task.status = checked_next(task.status, Action.COMPLETE)
    task.done_at, task.done_by = (clock or SystemClock()).now(), principal.actor
    task.swept_by_person_id = person
    task.holder_person_id = task.hold_expires_at = None
    record_events(session, actor=principal.actor, clock=clock,
                  drafts=[_event(task, code, "submitted", {"swept_by": _code(session, person)})])
    session.flush()
    return task


def verify_building(session: Session, *, principal: Principal, sweep_id: int, task_id: int,
                    accept: bool, clock: Clock | None = None) -> Task:
    """A second person accepts the sweep of a building, or sends it back to its sweeper."""
    person = _sweeper(principal)
    sweep, task, code = _building(session, principal, sweep_id, task_id, lock=True)
    if task.status is S.DONE and task.swept_by_person_id == person:
        raise PermissionDenied(_("Someone other than the person who did the work must "
                                 "verify it"), code="second_person_required")
    now = (clock or SystemClock()).now()
    if accept:
        task.status = checked_next(task.status, Action.VERIFY)
        task.verified_at, task.verified_by = now, principal.actor
    else:  # back to the sweeper, held for them again
        task.status = checked_next(task.status, Action.REJECT)
        task.done_at = task.done_by = None
        task.holder_person_id = task.swept_by_person_id
        task.hold_expires_at = now + timedelta(minutes=sweep.hold_minutes)
    record_events(session, actor=principal.actor, clock=clock, drafts=[_event(
        task, code, "verified" if accept else "sent_back",
        {"verifier": _code(session, person), "swept_by": _code(session,
                                                               task.swept_by_person_id)})])
    session.flush()
    return task


def read_sweep(session: Session, *, principal: Principal, sweep_id: int) -> SweepRead:
    """A sweep's progress, building by building, for staff and sweepers of its area."""
    sweep = _get_sweep(session, sweep_id)
    code, path, _lon, _lat = lookups.area_refs(session, [sweep.area_id])[sweep.area_id]
    if not can(principal, Permission.SWEEP_WORK, area_path=path):
        require(principal, Permission.TASK_READ, area_path=path)
    tasks = session.execute(select(Task).where(Task.sweep_id == sweep.id)
                            .order_by(Task.id)).scalars().all()
    refs = lookups.area_refs(session, [t.area_id for t in tasks])
    people = lookups.person_codes(session, [p for t in tasks for p in (
        t.holder_person_id, t.swept_by_person_id) if p])
    buildings = [SweepBuildingRead(
        task_id=t.id, building_code=refs[t.area_id][0], status=t.status,
        holder_code=people.get(t.holder_person_id or 0),
        hold_expires_at=t.hold_expires_at,
        swept_by_code=people.get(t.swept_by_person_id or 0),
        verified_by=t.verified_by) for t in tasks]
    return SweepRead(id=sweep.id, title=sweep.title, area_code=code,
                     hold_minutes=sweep.hold_minutes, created_by=sweep.created_by,
                     created_at=sweep.created_at,
                     counts=dict(Counter(t.status.value for t in tasks)), buildings=buildings)


def _in_scope(principal: Principal) -> list[ColumnElement[bool]]:
    if not (can(principal, Permission.SWEEP_WORK) or can(principal, Permission.TASK_READ)):
        require(principal, Permission.TASK_READ)  # refuses, naming the permission
    scope = area_range(principal)
    return [] if scope is None else [Area.path >= scope[0], Area.path < scope[1]]


def list_sweeps(session: Session, *, principal: Principal, within: str | None = None,
                page: int = 1, page_size: int = 50) -> Page[SweepSummary]:
    """Sweeps of areas in the principal's scope, newest first, with buildings by status."""
    query = (select(Sweep, Area.code).join(Area, Area.id == Sweep.area_id)
             .where(*_in_scope(principal)).order_by(Sweep.id.desc()))
    if within is not None:
        low, high = lookups.areas_by_code(session, [within], "within")[within].subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    counts: dict[int, dict[str, int]] = {sweep.id: {} for sweep, _code in rows}
    if rows:
        for sweep_id, status, n in session.execute(
                select(Task.sweep_id, Task.status, func.count())
                .where(Task.sweep_id.in_(list(counts))).group_by(Task.sweep_id, Task.status)):
            counts[sweep_id or 0][TaskStatus(status).value] = n
    items = [SweepSummary(id=sweep.id, title=sweep.title, area_code=code,
                          hold_minutes=sweep.hold_minutes, created_by=sweep.created_by,
                          created_at=sweep.created_at, counts=counts[sweep.id])
             for sweep, code in rows]
    return Page(items=items, total=int(total), page=page, page_size=page_size)
