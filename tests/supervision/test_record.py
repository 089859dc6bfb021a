"""A cadre's record over time, on a simulated clock: tasks done on time and late, time to
respond, and the inaction flag that appears in an emergency and clears when they act."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.modes import service as modes
from communitas.modes.levels import Mode
from communitas.modes.schemas import ModeSet
from communitas.supervision import record, service, watch
from communitas.supervision.models import AssignmentRole
from communitas.supervision.schemas import AssignmentCreate
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import Action
from communitas.tasks.schemas import TaskCreate, TaskTransition
from tests.factories import COMMUNITY_A1, STREET_A
from tests.supervision.helpers import CADRE, START, build_supervision_world, principal

H = timedelta(hours=1)


def _setup(db: Session) -> tuple[FixedClock, int]:
    build_supervision_world(db)
    clock = FixedClock(START)
    row = service.assign(db, principal=principal(db, "jiedao"), clock=clock,
                         data=AssignmentCreate(person_code=CADRE, community_code=COMMUNITY_A1,
                                               role=AssignmentRole.COMMUNITY_LIAISON,
                                               starts_on=date(2026, 7, 1)))
    return clock, row.id


def _task(db: Session, clock: FixedClock, title: str, due: timedelta) -> int:
    [task] = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[TaskCreate(
        title=title, area_code=COMMUNITY_A1, due_at=clock.now() + due,
        assignee_person_code=CADRE)])
    return task.id


def _act(db: Session, clock: FixedClock, task_id: int, *actions: Action) -> None:
    cadre = principal(db, "ganbu")
    for action in actions:
        tasks.transition(db, principal=cadre, task_id=task_id, clock=clock,
                         data=TaskTransition(action=action))


def _record(db: Session, clock: FixedClock, assignment: int) -> record.RecordRead:
    return record.assignment_record(db, principal=principal(db, "jiedao"), clock=clock,
                                    assignment_id=assignment, inaction_hours=4)


def test_tasks_on_time_late_and_the_time_to_respond(db: Session) -> None:
    clock, assignment = _setup(db)
    quick = _task(db, clock, "Check the pumps", 2 * H)
    slow = _task(db, clock, "Visit the elderly", 1 * H)
    _task(db, clock, "Count the sandbags", 3 * H)  # never taken up
    clock.advance(timedelta(minutes=15))
    _act(db, clock, quick, Action.ACCEPT)
    clock.advance(timedelta(minutes=45))
    _act(db, clock, slow, Action.ACCEPT, Action.START)
    clock.advance(H)
    _act(db, clock, quick, Action.START, Action.COMPLETE)  # at +2 h: on time
    clock.advance(H)
    _act(db, clock, slow, Action.COMPLETE)  # at +3 h, due at +1 h: late
    clock.advance(H)
    found = _record(db, clock, assignment)
    assert (found.tasks_assigned, found.tasks_done, found.tasks_done_on_time,
            found.tasks_done_late, found.tasks_overdue_open) == (3, 2, 1, 1, 1)
    assert found.tasks_responded == 2
    assert (found.response_minutes_median, found.response_minutes_mean) == (37.5, 37.5)
    assert found.last_action_at == START + 3 * H
    assert found.inaction is None  # normal times: no flag whatever the idle time


def test_inaction_in_an_emergency_appears_and_clears(db: Session) -> None:
    clock, assignment = _setup(db)
    task = _task(db, clock, "Close the basements", 1 * H)
    clock.advance(H)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=clock,
                   data=ModeSet(level=Mode.LEVEL_III, reason="red rainstorm warning"))
    street = principal(db, "jiedao")
    clock.advance(3 * H)
    quiet = _record(db, clock, assignment)
    assert quiet.inaction is not None and not quiet.inaction.flagged
    assert quiet.inaction.emergency_mode == "level_iii"
    clock.advance(H + timedelta(minutes=1))
    idle = _record(db, clock, assignment)
    assert idle.inaction is not None and idle.inaction.flagged
    view = record.street_supervision(db, principal=street, code=STREET_A, clock=clock,
                                     inaction_hours=4)
    assert view.flagged == 1
    [event] = watch.flag_inaction(db, clock=clock, hours=4)  # kept in the log once
    assert (event.action, event.area_code) == ("supervision.inaction_flagged", COMMUNITY_A1)
    assert watch.flag_inaction(db, clock=clock, hours=4) == []
    a1 = next(c for c in view.communities if c.community_code == COMMUNITY_A1)
    assert a1.mode == "level_iii" and a1.records[0].inaction.flagged  # type: ignore[union-attr]
    assert view.communities_without_anyone == ["310115001002"]
    _act(db, clock, task, Action.ACCEPT)  # any action by them clears it
    clock.advance(H)
    cleared = record.street_supervision(db, principal=street, code=STREET_A, clock=clock,
                                        inaction_hours=4)
    assert cleared.flagged == 0
    clock.advance(4 * H)  # idle again for the threshold after their last action
    assert record.street_supervision(db, principal=street, code=STREET_A, clock=clock,
                                     inaction_hours=4).flagged == 1
    assert len(watch.flag_inaction(db, clock=clock, hours=4)) == 1  # a new idle spell
