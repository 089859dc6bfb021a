"""The record of each assignment, measured by results, and the street supervisor's view.

What counts: tasks assigned to the person while assigned (done, on time, response time),
request actions they took themselves, requests closed in their community, residents'
ratings there. What never counts: being seen in the app — there is no check-in.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.models import User
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import ValidationFailed
from communitas.events import Event
from communitas.i18n import _
from communitas.modes import service as modes
from communitas.modes.levels import EMERGENCY_LEVELS
from communitas.modes.schemas import EffectiveModeRead
from communitas.resources.lookups import today
from communitas.routine.jobs import start_of
from communitas.supervision import measures
from communitas.supervision.models import CadreAssignment
from communitas.supervision.schemas import (
    AssignmentRead,
    CommunitySupervision,
    InactionRead,
    RecordRead,
    StreetSupervision,
)
from communitas.supervision.service import active_on, assignment_reads, get_assignment
from communitas.tasks.records import TaskTimes, task_times_of_people

__all__ = ["assignment_record", "records_for", "street_supervision", "window"]


def window(row: CadreAssignment, now: datetime) -> tuple[datetime, datetime]:
    """[since, until): from the first day's start to the day after the last, or now."""
    since = start_of(row.starts_on)
    if row.ends_on is None:
        return since, max(since, now)
    return since, max(since, min(now, start_of(row.ends_on + timedelta(days=1))))


@dataclass(frozen=True)
class _Community:
    closed: int
    ratings: list[int]


def _actors(session: Session, person_ids: set[int]) -> dict[int, list[str]]:
    """Event actors of the accounts linked to these people (a person may have several)."""
    found: dict[int, list[str]] = defaultdict(list)
    for username, person_id in session.execute(select(User.username, User.person_id).where(
            User.person_id.in_(person_ids))):
        found[int(person_id)].append(f"user:{username}")  # type: ignore[arg-type]
    return found


def _own_events(session: Session, actors: list[str], since: datetime, until: datetime
                ) -> tuple[int, datetime | None]:
    """Requests they acted on, and their last event of any kind, in the window."""
    if not actors:
        return 0, None
    in_window = (Event.actor.in_(actors), Event.at >= since, Event.at < until)
    handled = session.execute(select(func.count(func.distinct(Event.subject_id))).where(
        *in_window, Event.subject_type == "request")).scalar_one()
    last = session.execute(select(func.max(Event.at)).where(*in_window)).scalar_one()
    return int(handled), last


def _community_results(session: Session, community: Area, since: datetime, until: datetime
                       ) -> _Community:
    """Requests confirmed (closed as delivered) and the residents' latest ratings there."""
    low, high = community.subtree_bounds()
    base = (select(Event.action, Event.subject_id, Event.payload)
            .join(Area, Area.code == Event.area_code)
            .where(Area.path >= low, Area.path < high, Event.at >= since, Event.at < until,
                   Event.action.in_(("request.confirmed", "request.rated")))
            .order_by(Event.seq))
    closed: set[str] = set()
    scores: dict[str, int] = {}
    for action, subject, payload in session.execute(base):
        if action == "request.confirmed":
            closed.add(subject)
        else:  # a new rating replaces the old one
            scores[subject] = int(json.loads(payload)["score"])
    return _Community(closed=len(closed), ratings=list(scores.values()))


def _inaction(row: CadreAssignment, mode: EffectiveModeRead | None, since: datetime,
              last: datetime | None, now: datetime, hours: float, on: date
              ) -> InactionRead | None:
    if mode is None or mode.mode not in EMERGENCY_LEVELS or not (
            row.starts_on <= on and (row.ends_on is None or row.ends_on >= on)):
        return None
    started = mode.set_at or now
    found = measures.inaction(emergency_since=started, assigned_since=since, last_action=last,
                              now=now, hours=hours)
    return InactionRead(flagged=found.flagged, emergency_mode=mode.mode.value,
                        emergency_since=started, idle_since=found.idle_since,
                        idle_hours=found.idle_hours, threshold_hours=hours)


def records_for(session: Session, rows: Sequence[CadreAssignment], reads: list[AssignmentRead],
             modes_by_area: dict[int, EffectiveModeRead], *, now: datetime, hours: float,
             on: date) -> list[RecordRead]:
    actors = _actors(session, {r.person_id for r in rows})
    tasks: dict[int, list[TaskTimes]] = defaultdict(list)
    for task in task_times_of_people(session, person_ids={r.person_id for r in rows}):
        tasks[task.person_id].append(task)
    records = []
    for row, read in zip(rows, reads, strict=True):
        since, until = window(row, now)
        mine = [t for t in tasks[row.person_id]
                if t.assigned_at is not None and since <= t.assigned_at < until]
        handled, last_event = _own_events(session, actors[row.person_id], since, until)
        progress = measures.last_task_progress(mine)
        last = max((t for t in (last_event, progress) if t is not None), default=None)
        community = areas.get_area_by_id(session, area_id=row.community_id)
        results = _community_results(session, community, since, until)
        rec = measures.task_record(mine, now=now)
        records.append(RecordRead(
            assignment=read, since=since, until=until, tasks_assigned=rec.assigned,
            tasks_done=rec.done, tasks_done_on_time=rec.done_on_time,
            tasks_done_late=rec.done_late, tasks_overdue_open=rec.overdue_open,
            tasks_responded=rec.responded, response_minutes_median=rec.response_minutes_median,
            response_minutes_mean=rec.response_minutes_mean, requests_handled=handled,
            requests_closed_in_community=results.closed, ratings=len(results.ratings),
            rating_mean=round(mean(results.ratings), 2) if results.ratings else None,
            last_action_at=last,
            inaction=_inaction(row, modes_by_area.get(row.community_id), since, last, now,
                               hours, on)))
    return records


def assignment_record(session: Session, *, principal: Principal, assignment_id: int,
                      inaction_hours: float, clock: Clock | None = None) -> RecordRead:
    """One assignment's record (and its inaction flag when its community is in emergency)."""
    clock = clock or SystemClock()
    row = get_assignment(session, principal=principal, assignment_id=assignment_id)
    on, now = today(clock), clock.now()
    community = areas.get_area_by_id(session, area_id=row.community_id)
    mode = modes.get_effective_mode(session, code=community.code)
    [record] = records_for(session, [row], assignment_reads(session, [row], on=on),
                        {row.community_id: mode}, now=now, hours=inaction_hours, on=on)
    return record


def street_supervision(session: Session, *, principal: Principal, code: str,
                       inaction_hours: float, clock: Clock | None = None,
                       include_past: bool = False) -> StreetSupervision:
    """Every community of a street: its mode, its sent-down people and their records."""
    clock = clock or SystemClock()
    street = areas.get_area(session, code=code)
    require(principal, Permission.SUPERVISION_READ, area_path=street.path)
    if street.kind is not AreaKind.STREET:
        raise ValidationFailed(_("The supervisor view is per street"), code="wrong_area_kind",
                               details={"field": "code"})
    on, now = today(clock), clock.now()
    communities = list(session.execute(select(Area).where(
        Area.parent_id == street.id, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())
    query = select(CadreAssignment).where(
        CadreAssignment.community_id.in_([c.id for c in communities]))
    if not include_past:
        query = query.where(active_on(on))
    rows = list(session.execute(query.order_by(CadreAssignment.id)).scalars())
    by_code = {m.area_code: m for m in modes.effective_modes(
        session, within=street.code, kind=AreaKind.COMMUNITY)}
    mode_of = {c.id: by_code[c.code] for c in communities if c.code in by_code}
    records = records_for(session, rows, assignment_reads(session, rows, on=on), mode_of,
                       now=now, hours=inaction_hours, on=on)
    per: dict[str, list[RecordRead]] = defaultdict(list)
    for record in records:
        per[record.assignment.community_code].append(record)
    views = [CommunitySupervision(
        community_code=c.code, community_name_zh=c.name_zh, community_name_en=c.name_en,
        mode=mode_of[c.id].mode.value if c.id in mode_of else "normal",
        records=per.get(c.code, [])) for c in communities]
    return StreetSupervision(
        street_code=street.code, at=now, inaction_hours=inaction_hours, communities=views,
        communities_without_anyone=[v.community_code for v in views if not any(
            r.assignment.active for r in v.records)],
        flagged=sum(1 for r in records if r.inaction and r.inaction.flagged))
