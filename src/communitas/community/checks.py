"""Check-on-your-neighbour tasks for every active pair of an area, once per origin.

Plan activation calls :func:`start_checks` with its own origin (``activation``/``12``); a
committee member can start them by hand (``manual`` origin). Each (pair, origin) gets one
task, remembered in ``aid_neighbour_checks`` (unique), so a repeat creates nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors.models import Person  # read-only, public columns (see lookups.py)
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM, Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.community import lookups
from communitas.community.models import AidEnrolment, AidPair, NeighbourCheck, PairStatus
from communitas.community.schemas import ChecksStarted
from communitas.db import IN_CHUNK
from communitas.errors import Conflict
from communitas.events import EventDraft, record_event, record_events
from communitas.i18n import _
from communitas.tasks import service as tasks
from communitas.tasks.schemas import TaskCreate

__all__ = ["CHECK_DUE", "CHECK_PRIORITY", "CheckRun", "manual_source_id", "start_checks",
           "start_checks_many"]

CHECK_PRIORITY = 2  # urgent: the first hours of an emergency
CHECK_DUE = timedelta(hours=2)
_RANGES = 200  # area ranges per pairs query
CHECKLIST = ["联系上邻居 / Reached the neighbour",
             "需要帮助时已报告 / Reported any need for help"]


def manual_source_id(area_code: str, clock: Clock | None = None) -> str:
    """The default origin of a hand-started run: the area and the day, so a second click on
    the same day adds nothing."""
    return f"{area_code}@{(clock or SystemClock()).now():%Y-%m-%d}"


def _active_pairs(session: Session, area: Area) -> list[tuple[AidPair, int, int, str]]:
    """Active pairs whose vulnerable resident lives in the area: (pair, vulnerable person id,
    helper person id, vulnerable home area code)."""
    low, high = area.subtree_bounds()
    vul = select(AidEnrolment.id, AidEnrolment.person_id).subquery()
    helper = select(AidEnrolment.id, AidEnrolment.person_id).subquery()
    query = (select(AidPair, vul.c.person_id, helper.c.person_id, Area.code)
             .join(vul, vul.c.id == AidPair.vulnerable_id)
             .join(helper, helper.c.id == AidPair.helper_id)
             .join(Person, Person.id == vul.c.person_id).join(Area, Area.id == Person.area_id)
             .where(AidPair.status == PairStatus.ACTIVE, Area.path >= low, Area.path < high)
             .order_by(AidPair.id))
    return [(p, v, h, code) for p, v, h, code in session.execute(query).all()]


def start_checks(session: Session, *, area_code: str, source_kind: str, source_id: str,
                 principal: Principal = SYSTEM, clock: Clock | None = None) -> ChecksStarted:
    """Issue a check task to the helper of every active pair in the area's subtree that has
    none for this origin yet. All or nothing; never commits."""
    area = lookups.area_by_code(session, area_code)
    _require(principal, area)
    now = (clock or SystemClock()).now()
    pairs = _active_pairs(session, area)
    done = set(session.execute(select(NeighbourCheck.pair_id).where(
        NeighbourCheck.source_kind == source_kind, NeighbourCheck.source_id == source_id,
        NeighbourCheck.pair_id.in_([p.id for p, *_r in pairs]))).scalars())
    todo = [row for row in pairs if row[0].id not in done]
    people = lookups.people_by_id(session, [pid for _p, v, h, _c in todo for pid in (v, h)])
    items = [_check_task(people, v, h, home, source_kind, source_id, now)
             for _p, v, h, home in todo]
    created = tasks.create_tasks(session, principal=principal, items=items, clock=clock)
    session.add_all([NeighbourCheck(pair_id=p.id, source_kind=source_kind, source_id=source_id,
                                    task_id=task.id, created_at=now)
                     for (p, *_r), task in zip(todo, created, strict=True)])
    _flush(session)
    record_event(session, actor=principal.actor, action="aid.checks_started",
                 subject_type="area", subject_id=area.code, area_code=area.code, clock=clock,
                 payload=_started_payload(source_kind, source_id, len(created), len(done)))
    return ChecksStarted(source_kind=source_kind, source_id=source_id, created=len(created),
                         already=len(done), task_ids=[t.id for t in created])


def _require(principal: Principal, area: Area) -> None:
    require(principal, Permission.TASK_WRITE, area_path=area.path)
    require(principal, Permission.AID_MANAGE, area_path=area.path)


def _check_task(people: dict[int, lookups.PersonRef], vulnerable: int, helper: int,
                home: str, source_kind: str, source_id: str, now: datetime) -> TaskCreate:
    v, h = people[vulnerable], people[helper]
    return TaskCreate(
        title=f"探访邻居 / Check on your neighbour: {v.name_zh}",
        description=_description(v.name_zh, v.name_en, v.code),
        priority=CHECK_PRIORITY, due_at=now + CHECK_DUE, area_code=home,
        checklist=CHECKLIST, assignee_person_code=h.code,
        source_kind=source_kind, source_id=source_id)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent run for this origin got there first
        raise Conflict(_("Neighbour checks for this origin are being started by someone "
                         "else; try again"), code="checks_in_progress") from exc


def _started_payload(source_kind: str, source_id: str, created: int,
                     already: int) -> dict[str, object]:
    return {"source_kind": source_kind, "source_id": source_id, "created": created,
            "already": already}


@dataclass(frozen=True)
class CheckRun:
    """One area's run of :func:`start_checks_many`: the area and the origin's id."""

    area_code: str
    source_id: str


def _pairs_within(session: Session, found: list[Area]) -> list[tuple[AidPair, int, int, str,
                                                                     str]]:
    """Active pairs whose vulnerable resident lives in any of the areas: (pair, vulnerable,
    helper, home area code, home area path), in pair id order."""
    roots = _outermost(found)
    out: list[tuple[AidPair, int, int, str, str]] = []
    vul = select(AidEnrolment.id, AidEnrolment.person_id).subquery()
    helper = select(AidEnrolment.id, AidEnrolment.person_id).subquery()
    for start in range(0, len(roots), _RANGES):
        inside = or_(*[(Area.path >= low) & (Area.path < high)
                       for low, high in (a.subtree_bounds() for a in roots[start:start
                                                                          + _RANGES])])
        query = (select(AidPair, vul.c.person_id, helper.c.person_id, Area.code, Area.path)
                 .join(vul, vul.c.id == AidPair.vulnerable_id)
                 .join(helper, helper.c.id == AidPair.helper_id)
                 .join(Person, Person.id == vul.c.person_id)
                 .join(Area, Area.id == Person.area_id)
                 .where(AidPair.status == PairStatus.ACTIVE, inside))
        out += [(p, v, h, code, path) for p, v, h, code, path in session.execute(query).all()]
    return sorted(out, key=lambda row: row[0].id)


def _outermost(found: list[Area]) -> list[Area]:
    """The areas not inside another of them, so their subtrees never overlap."""
    roots: list[Area] = []
    for area in sorted({a.path: a for a in found}.values(), key=lambda a: a.path):
        if not roots or not area.path.startswith(roots[-1].path):
            roots.append(area)
    return roots


def start_checks_many(session: Session, *, runs: Sequence[CheckRun], source_kind: str,
                      principal: Principal = SYSTEM,
                      clock: Clock | None = None) -> list[ChecksStarted]:
    """:func:`start_checks` for many areas (plan activation starts one run per community):
    the same checks, tasks and rows, read in a few queries and written in one flush. The
    tasks' events come first, then one ``aid.checks_started`` per run."""
    codes = {a.code: a for a in session.execute(select(Area).where(
        Area.code.in_(sorted({r.area_code for r in runs})))).scalars()} if runs else {}
    found = [codes.get(r.area_code) or lookups.area_by_code(session, r.area_code)
             for r in runs]
    for area in found:
        _require(principal, area)
    now = (clock or SystemClock()).now()
    pairs = _pairs_within(session, found)
    pair_ids = [p.id for p, *_r in pairs]
    taken: set[tuple[str, int]] = set()
    for start in range(0, len(pair_ids), IN_CHUNK):
        taken |= {(source_id, pair_id) for source_id, pair_id in session.execute(
            select(NeighbourCheck.source_id, NeighbourCheck.pair_id).where(
                NeighbourCheck.source_kind == source_kind,
                NeighbourCheck.source_id.in_(sorted({r.source_id for r in runs})),
                NeighbourCheck.pair_id.in_(pair_ids[start:start + IN_CHUNK])))}
    plans: list[tuple[CheckRun, Area, list[tuple[AidPair, int, int, str, str]], int]] = []
    for run, area in zip(runs, found, strict=True):
        mine = [row for row in pairs if row[4].startswith(area.path)]
        todo = [row for row in mine if (run.source_id, row[0].id) not in taken]
        taken |= {(run.source_id, row[0].id) for row in todo}
        plans.append((run, area, todo, len(mine) - len(todo)))
    people = lookups.people_by_id(session, [pid for _r, _a, todo, _n in plans
                                            for _p, v, h, _c, _path in todo for pid in (v, h)])
    items = [_check_task(people, v, h, home, source_kind, run.source_id, now)
             for run, _a, todo, _n in plans for _p, v, h, home, _path in todo]
    created = iter(tasks.create_tasks(session, principal=principal, items=items, clock=clock))
    out: list[ChecksStarted] = []
    drafts: list[EventDraft] = []
    for run, area, todo, already in plans:
        made = [next(created) for _row in todo]
        session.add_all([NeighbourCheck(pair_id=p.id, source_kind=source_kind,
                                        source_id=run.source_id, task_id=task.id,
                                        created_at=now)
                         for (p, *_r), task in zip(todo, made, strict=True)])
        drafts.append(EventDraft("aid.checks_started", "area", area.code, area.code,
                                 _started_payload(source_kind, run.source_id, len(made),
                                                  already)))
        out.append(ChecksStarted(source_kind=source_kind, source_id=run.source_id,
                                 created=len(made), already=already,
                                 task_ids=[t.id for t in made]))
    _flush(session)
    record_events(session, actor=principal.actor, drafts=drafts, clock=clock)
    return out


def _description(name_zh: str, name_en: str, code: str) -> str:
    return (f"请联系并探访您结对的邻居 {name_zh}（{code}），确认其安全，如需帮助请报告。\n"
            f"Reach your paired neighbour {name_en or name_zh} ({code}), make sure they are "
            "safe, and report any need for help.")
