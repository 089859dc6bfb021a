"""Running the routine by hand, its ledger and its status page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.resources.lookups import today
from communitas.routine import jobs
from communitas.routine.drills import list_drills
from communitas.routine.models import DrillStatus, RoutineItem
from communitas.routine.schemas import (
    JOB_NAMES,
    JobStatus,
    RoutineItemRead,
    RoutineStatusRead,
)
from communitas.schemas import Page
from communitas.supervision.models import CadreAssignment
from communitas.supervision.service import active_on

__all__ = ["JOBS", "list_items", "routine_status", "run_job"]

JobFunction = Callable[..., list[RoutineItem]]
JOBS: dict[str, JobFunction] = {
    "topup": jobs.top_up_reserves,
    "rotation": jobs.rotate_expiring_stock,
    "qualification": jobs.remind_qualifications,
    "drill_reminder": jobs.remind_drills,
}


def run_job(session: Session, *, principal: Principal, job: str, clock: Clock | None = None,
            policy: jobs.RoutinePolicy | None = None) -> list[RoutineItem]:
    """Run one job now (the scheduler runs them daily); a second run issues nothing new."""
    require(principal, Permission.ROUTINE_RUN)
    return JOBS[job](session, clock=clock, policy=policy)


def _in_scope(session: Session, principal: Principal, within: str | None) -> list[object]:
    conditions: list[object] = []
    scope = area_range(principal)
    if scope is not None:
        conditions += [Area.path >= scope[0], Area.path < scope[1]]
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        conditions += [Area.path >= low, Area.path < high]
    return conditions


def list_items(session: Session, *, principal: Principal, within: str | None = None,
               job: str | None = None, page: int = 1, page_size: int = 50
               ) -> Page[RoutineItemRead]:
    """What the routine issued in the principal's area, newest first."""
    require(principal, Permission.ROUTINE_READ)
    query = (select(RoutineItem, Area.code).join(Area, Area.id == RoutineItem.area_id)
             .where(*_in_scope(session, principal, within))  # type: ignore[arg-type]
             .order_by(RoutineItem.id.desc()))
    if job is not None:
        query = query.where(RoutineItem.job == job)
    total = session.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size))
    items = [RoutineItemRead(id=item.id, job=item.job, key=item.key, period=item.period,
                             area_code=code, task_id=item.task_id, created_at=item.created_at)
             for item, code in rows]
    return Page(items=items, total=int(total), page=page, page_size=page_size)


def _job_status(session: Session, conditions: Sequence[object], month_start: date,
                ) -> list[JobStatus]:
    rows = session.execute(
        select(RoutineItem.job, func.count(), func.max(RoutineItem.created_at))
        .join(Area, Area.id == RoutineItem.area_id).where(*conditions)  # type: ignore[arg-type]
        .group_by(RoutineItem.job)).all()
    this_month = dict(session.execute(
        select(RoutineItem.job, func.count()).join(Area, Area.id == RoutineItem.area_id)
        .where(*conditions, RoutineItem.created_at >= jobs.start_of(month_start))  # type: ignore[arg-type]
        .group_by(RoutineItem.job)).all())
    found = {job: (int(n), last) for job, n, last in rows}
    return [JobStatus(job=job, issued_this_month=int(this_month.get(job, 0)),
                      issued_total=found.get(job, (0, None))[0],
                      last_issued_at=found.get(job, (0, None))[1]) for job in JOB_NAMES]


def routine_status(session: Session, *, principal: Principal, within: str,
                   clock: Clock | None = None) -> RoutineStatusRead:
    """Counts per job, the drills of the next 30 days, and the communities of the area that
    have no cadre or party member sent down today (the roster's gaps)."""
    clock = clock or SystemClock()
    root = areas.get_area(session, code=within)
    require(principal, Permission.ROUTINE_READ, area_path=root.path)
    on = today(clock)
    conditions = _in_scope(session, principal, within)
    now = clock.now()
    drills = list_drills(session, principal=principal, within=within,
                         status=DrillStatus.SCHEDULED, since=now,
                         until=now + timedelta(days=30), page_size=20).items
    low, high = root.subtree_bounds()
    communities = list(session.execute(select(Area.id, Area.code).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)))
    staffed = set(session.execute(select(CadreAssignment.community_id).where(
        active_on(on), CadreAssignment.community_id.in_([i for i, _ in communities])))
        .scalars())
    return RoutineStatusRead(
        area_code=root.code, on=on, jobs=_job_status(session, conditions, on.replace(day=1)),
        upcoming_drills=drills, communities=len(communities),
        communities_without_sent_down_cadres=[c for i, c in communities if i not in staffed])


