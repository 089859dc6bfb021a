"""Check-on-your-neighbour tasks for every active pair of an area, once per origin.

Plan activation calls :func:`start_checks` with its own origin (``activation``/``12``); a
committee member can start them by hand (``manual`` origin). Each (pair, origin) gets one
task, remembered in ``aid_neighbour_checks`` (unique), so a repeat creates nothing new.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
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
from communitas.errors import Conflict
from communitas.events import record_event
from communitas.i18n import _
from communitas.tasks import service as tasks
from communitas.tasks.schemas import TaskCreate

__all__ = ["CHECK_DUE", "CHECK_PRIORITY", "manual_source_id", "start_checks"]

CHECK_PRIORITY = 2  # urgent: the first hours of an emergency
CHECK_DUE = timedelta(hours=2)
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
    require(principal, Permission.TASK_WRITE, area_path=area.path)
    require(principal, Permission.AID_MANAGE, area_path=area.path)
    now = (clock or SystemClock()).now()
    pairs = _active_pairs(session, area)
    done = set(session.execute(select(NeighbourCheck.pair_id).where(
        NeighbourCheck.source_kind == source_kind, NeighbourCheck.source_id == source_id,
        NeighbourCheck.pair_id.in_([p.id for p, *_r in pairs]))).scalars())
    todo = [row for row in pairs if row[0].id not in done]
    people = lookups.people_by_id(session, [pid for _p, v, h, _c in todo for pid in (v, h)])
    items = [TaskCreate(
        title=f"探访邻居 / Check on your neighbour: {people[v].name_zh}",
        description=_description(people[v].name_zh, people[v].name_en, people[v].code),
        priority=CHECK_PRIORITY, due_at=now + CHECK_DUE, area_code=home,
        checklist=CHECKLIST, assignee_person_code=people[h].code,
        source_kind=source_kind, source_id=source_id) for _p, v, h, home in todo]
    created = tasks.create_tasks(session, principal=principal, items=items, clock=clock)
    session.add_all([NeighbourCheck(pair_id=p.id, source_kind=source_kind, source_id=source_id,
                                    task_id=task.id, created_at=now)
                     for (p, *_r), task in zip(todo, created, strict=True)])
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent run for this origin got there first
        raise Conflict(_("Neighbour checks for this origin are being started by someone "
                         "else; try again"), code="checks_in_progress") from exc
    record_event(session, actor=principal.actor, action="aid.checks_started",
                 subject_type="area", subject_id=area.code, area_code=area.code, clock=clock,
                 payload={"source_kind": source_kind, "source_id": source_id,
                          "created": len(created), "already": len(done)})
    return ChecksStarted(source_kind=source_kind, source_id=source_id, created=len(created),
                         already=len(done), task_ids=[t.id for t in created])


def _description(name_zh: str, name_en: str, code: str) -> str:
    return (f"请联系并探访您结对的邻居 {name_zh}（{code}），确认其安全，如需帮助请报告。\n"
            f"Reach your paired neighbour {name_en or name_zh} ({code}), make sure they are "
            "safe, and report any need for help.")
