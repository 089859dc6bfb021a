"""The service other domains call: many tasks in one call, in the caller's transaction,
with the times supervision measures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.events import Event
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import Action, TaskStatus
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskCreate, TaskTransition
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, build_city

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _batch(n: int) -> list[TaskCreate]:
    return [TaskCreate(title=f"Plan task {i}", area_code=(COMMUNITY_A1, COMMUNITY_A2)[i % 2],
                       due_at=START + timedelta(hours=2), source_kind="activation",
                       source_id="42", checklist=["step one", "step two"]) for i in range(n)]


def test_many_tasks_in_one_call_stay_in_the_callers_transaction(db: Session) -> None:
    build_city(db)
    db.commit()  # the city is the baseline; the batch below is the caller's unit of work
    events_before = db.execute(select(func.count()).select_from(Event)).scalar_one()
    created = tasks.create_tasks(db, principal=SYSTEM, items=_batch(40),
                                 clock=FixedClock(START))
    assert len(created) == 40
    found = tasks.list_tasks(db, principal=SYSTEM, source_kind="activation", source_id="42",
                             page_size=100)
    assert found.total == 40 and all(len(t.checklist) == 2 for t in found.items)
    db.rollback()  # the caller changes its mind: nothing was committed behind its back
    assert db.execute(select(func.count()).select_from(Task)).scalar_one() == 0
    assert db.execute(select(func.count()).select_from(Event)).scalar_one() == events_before


def test_response_and_completion_times_are_recorded(db: Session) -> None:
    build_city(db)
    make_person(db, "GW-7", COMMUNITY_A1, PersonKind.GRID_WORKER)
    clock = FixedClock(START)
    [task] = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[TaskCreate(
        title="Pump check", area_code=COMMUNITY_A1, due_at=START + timedelta(hours=1),
        assignee_person_code="GW-7")])
    for minutes, action in ((12, Action.ACCEPT), (5, Action.START), (30, Action.COMPLETE)):
        clock.advance(timedelta(minutes=minutes))
        tasks.transition(db, principal=SYSTEM, task_id=task.id, clock=clock,
                         data=TaskTransition(action=action))
    assert task.accepted_at is not None and task.assigned_at is not None
    assert task.accepted_at - task.assigned_at == timedelta(minutes=12)
    assert task.done_at is not None and task.due_at is not None
    assert task.done_at <= task.due_at


def test_standing_down_closes_the_active_tasks_of_one_origin(db: Session) -> None:
    build_city(db)
    make_person(db, "GW-7", COMMUNITY_A1, PersonKind.GRID_WORKER)
    clock = FixedClock(START)
    created = tasks.create_tasks(db, principal=SYSTEM, items=_batch(3), clock=clock)
    [other] = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[TaskCreate(
        title="Unrelated", area_code=COMMUNITY_A1, source_kind="activation", source_id="43")])
    for step in (TaskTransition(action=Action.ASSIGN, assignee_person_code="GW-7"),
                 TaskTransition(action=Action.ACCEPT), TaskTransition(action=Action.COMPLETE)):
        tasks.transition(db, principal=SYSTEM, task_id=created[0].id, data=step, clock=clock)
    closed = tasks.stand_down(db, principal=SYSTEM, source_kind="activation", source_id="42",
                              reason="Back to normal mode", clock=clock)
    assert [t.id for t in closed] == [t.id for t in created[1:]]
    assert all(t.status is TaskStatus.CANNOT_COMPLETE and t.closed_at == START for t in closed)
    assert created[0].status is TaskStatus.DONE and other.status is TaskStatus.OPEN
    assert tasks.stand_down(db, principal=SYSTEM, source_kind="activation", source_id="42",
                            reason="Twice", clock=clock) == []
