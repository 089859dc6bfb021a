"""The batch paths (many tasks, many call-outs, many answers at once) leave exactly what the
one-by-one services leave: the same rows, the same events, the same hash chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.areas import service as areas
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.errors import Conflict, PermissionDenied, ValidationFailed
from communitas.events import Event
from communitas.tasks import batch, callouts, callouts_batch, sweeps
from communitas.tasks import service as tasks
from communitas.tasks.callouts_batch import Answer
from communitas.tasks.lifecycle import ASSIGNEE_ACTIONS, Action, TaskStatus
from communitas.tasks.models import CallOut, CallOutInvitation, Task
from communitas.tasks.schemas import CallOutCreate, SweepCreate, TaskCreate, TaskTransition
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, build_city
from tests.sequences import each_way
from tests.tasks.helpers import BUILDING_A1, SATURDAY_10, build_task_world

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _rows(db: Session, model: Any) -> list[dict[str, Any]]:
    columns = model.__table__.columns.keys()
    return [{c: getattr(r, c) for c in columns}
            for r in db.execute(select(model).order_by(model.id)).scalars()]


def _events(db: Session, after: int) -> list[tuple[Any, ...]]:
    return [(e.seq, e.at, e.actor, e.action, e.subject_type, e.subject_id, e.area_code,
             e.payload, e.hash) for e in db.execute(
        select(Event).where(Event.seq > after).order_by(Event.seq)).scalars()]


def _both_ways(db: Session, one_by_one: Callable[[], None], batched: Callable[[], None],
               models: tuple[Any, ...]) -> None:
    """Run each path in a savepoint of the same world; both must leave the same database."""
    [(_, one), (_, batch)] = each_way(db, (one_by_one, batched), lambda db, after: (
        [_rows(db, m) for m in models], _events(db, after)))
    assert one == batch
    assert one[1]  # something happened


def _worker(db: Session, code: str) -> Principal:
    person = make_person(db, code, COMMUNITY_A1, PersonKind.GRID_WORKER)
    return Principal(username=code.lower(), role=Role.GRID_WORKER, person_id=person.id)


def test_many_transitions_equal_one_by_one(db: Session) -> None:
    build_city(db)
    workers = [_worker(db, "GW-1"), _worker(db, "GW-2")]
    made = tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), items=[TaskCreate(
        title=f"Plan task {i}", area_code=(COMMUNITY_A1, COMMUNITY_A2)[i % 2],
        assignee_person_code=("GW-1", "GW-2")[i % 2], source_kind="activation",
        source_id="1") for i in range(6)])
    moves = [(t.id, workers[i % 2]) for i, t in enumerate(made)]
    clock = FixedClock(START + timedelta(minutes=20))
    steps = [(Action.ACCEPT, moves), (Action.START, moves), (Action.COMPLETE, moves[:4]),
             (Action.VERIFY, [(task_id, SYSTEM) for task_id, _who in moves[:4]])]

    def one_by_one() -> None:
        for action, items in steps:
            for task_id, who in items:
                tasks.transition(db, principal=who, task_id=task_id, clock=clock,
                                 data=TaskTransition(action=action))

    def batched() -> None:
        for action, items in steps:
            batch.transition_many(db, action=action, moves=items, clock=clock)

    _both_ways(db, one_by_one, batched, (Task,))
    batched()
    statuses = [t.status for t in db.execute(select(Task).order_by(Task.id)).scalars()]
    assert statuses == [TaskStatus.VERIFIED] * 4 + [TaskStatus.IN_PROGRESS] * 2


def test_a_batch_keeps_the_single_paths_refusals(db: Session) -> None:
    build_city(db)
    worker, other = _worker(db, "GW-1"), _worker(db, "GW-2")
    [task] = tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), items=[
        TaskCreate(title="Pump check", area_code=COMMUNITY_A1, assignee_person_code="GW-1")])
    with pytest.raises(PermissionDenied):  # not their task, and no task.write
        batch.transition_many(db, action=Action.ACCEPT, moves=[(task.id, other)])
    with pytest.raises(Conflict) as illegal:  # the transition table: not done yet
        batch.transition_many(db, action=Action.VERIFY, moves=[(task.id, SYSTEM)])
    assert illegal.value.code == "illegal_transition"
    batch.transition_many(db, action=Action.ACCEPT, moves=[(task.id, worker)])
    batch.transition_many(db, action=Action.COMPLETE, moves=[(task.id, SYSTEM)])
    with pytest.raises(PermissionDenied) as refused:  # whoever did it cannot verify it
        batch.transition_many(db, action=Action.VERIFY, moves=[(task.id, SYSTEM)])
    assert refused.value.code == "second_person_required"


# Per batchable action: the steps (by the single path) that bring a task to where it may
# take the action. A new batchable action fails here until it is given its steps.
_BEFORE = {Action.UNASSIGN: [Action.ACCEPT], Action.ACCEPT: [], Action.DECLINE: [],
           Action.START: [Action.ACCEPT], Action.COMPLETE: [Action.ACCEPT, Action.START],
           Action.VERIFY: [Action.ACCEPT, Action.START, Action.COMPLETE],
           Action.REJECT: [Action.ACCEPT, Action.START, Action.COMPLETE],
           Action.CANNOT_COMPLETE: [Action.ACCEPT], Action.REOPEN: [Action.CANNOT_COMPLETE]}


@pytest.mark.parametrize("action", sorted(batch.BATCH_ACTIONS))
def test_every_batch_action_equals_one_by_one(db: Session, action: Action) -> None:
    """Each action's rules (effects, stamps, the sweep and second-person rules, events) find
    every column they read or set in the batch's copies: a missing one raises."""
    build_city(db)
    workers = {"GW-1": _worker(db, "GW-1"), "GW-2": _worker(db, "GW-2")}
    clock = FixedClock(START)
    made = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[TaskCreate(
        title=f"Plan task {i}", description="Long " * 300,
        area_code=(COMMUNITY_A1, COMMUNITY_A2)[i % 2], due_at=START + timedelta(hours=i),
        assignee_person_code=("GW-1", "GW-2")[i % 2], source_kind="activation",
        source_id="1") for i in range(4)])
    sweeper = Principal(username="sweeper", role=Role.GRID_WORKER, user_id=99,
                        scope_path=areas.get_area(db, code=COMMUNITY_A1).path,
                        person_id=make_person(db, "SW-1", COMMUNITY_A1,
                                              PersonKind.GRID_WORKER).id)
    sweep = sweeps.create_sweep(db, principal=SYSTEM, default_hold_minutes=30, clock=clock,
                                data=SweepCreate(area_code=COMMUNITY_A1, title="Door to door"))
    buildings = list(db.execute(select(Task.id).where(Task.sweep_id == sweep.id)
                                .order_by(Task.id)).scalars())[:2]

    def who(task: Task, step: Action) -> Principal:
        code = {workers[c].person_id: c for c in workers}.get(task.assignee_person_id)
        return workers[code] if code and step in ASSIGNEE_ACTIONS else SYSTEM

    def move(task_id: int, step: Action, principal: Principal, at: FixedClock) -> None:
        reason = "Flooded" if step is Action.CANNOT_COMPLETE else None
        tasks.transition(db, principal=principal, task_id=task_id, clock=at,
                         data=TaskTransition(action=step, reason=reason))

    for step in _BEFORE[action]:
        for task in made:
            move(task.id, step, who(task, step), clock)
    moves = [(t.id, who(t, action)) for t in made]
    if action in (Action.CANNOT_COMPLETE, Action.REOPEN):  # sweep buildings, held
        for task_id in buildings:
            sweeps.claim_building(db, principal=sweeper, sweep_id=sweep.id, task_id=task_id,
                                  clock=clock)
            if action is Action.REOPEN:
                move(task_id, Action.CANNOT_COMPLETE, SYSTEM, clock)
        moves += [(task_id, SYSTEM) for task_id in buildings]
    else:  # the sweep's own actions are refused on its buildings, one way as the other
        with pytest.raises(ValidationFailed) as refused:
            batch.transition_many(db, action=action, moves=[(buildings[0], SYSTEM)])
        assert refused.value.code == "use_sweep"
    later = FixedClock(START + timedelta(minutes=20))
    reason = "Flooded" if action is Action.CANNOT_COMPLETE else None

    def one_by_one() -> None:
        for task_id, principal in moves:
            tasks.transition(db, principal=principal, task_id=task_id, clock=later,
                             data=TaskTransition(action=action, reason=reason))

    def batched() -> None:
        batch.transition_many(db, action=action, moves=moves, clock=later, reason=reason)

    _both_ways(db, one_by_one, batched, (Task,))


def test_the_locked_copies_hold_only_what_the_rules_need(db: Session) -> None:
    build_city(db)
    [task] = tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), items=[
        TaskCreate(title="Pump check", description="Long " * 400, area_code=COMMUNITY_A1)])
    locked = batch.locked_tasks(db, [task.id])[task.id]
    assert (locked.row.status, locked.area_code) == (TaskStatus.OPEN, COMMUNITY_A1)
    with pytest.raises(AttributeError):  # not read: a rule reading it fails loudly
        _ = locked.row.description
    with pytest.raises(AttributeError):  # nor silently dropped by write_back when set
        locked.row.title = "Renamed"


@pytest.fixture
def world(db: Session) -> Session:
    build_task_world(db)
    return db


def test_call_outs_and_answers_equal_one_by_one(world: Session) -> None:
    db = world
    clock = FixedClock(datetime.fromisoformat(SATURDAY_10))
    made = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[
        TaskCreate(title=f"Sandbags {i}", area_code=BUILDING_A1) for i in range(3)])
    ids = [t.id for t in made]
    wanted = [CallOutCreate(head_count=1, invite=3, skill="first_aid"),
              CallOutCreate(head_count=2, invite=4, max_km=1.0),
              CallOutCreate(head_count=1, invite=2, skill="diving")]  # nobody can dive

    def one_by_one() -> None:
        for task_id, data in zip(ids, wanted, strict=True):
            try:
                callouts.create_callout(db, principal=SYSTEM, task_id=task_id, data=data,
                                        clock=clock)
            except Conflict as exc:
                assert exc.code == "no_volunteers"

    def batched() -> None:
        made = callouts_batch.create_callouts(db, principal=SYSTEM, clock=clock,
                                              items=list(zip(ids, wanted, strict=True)))
        assert made[2] is None and made[0] is not None

    _both_ways(db, one_by_one, batched, (CallOut, CallOutInvitation))
    batched()
    invitations = _rows(db, CallOutInvitation)
    person = {i["id"]: i["person_id"] for i in invitations}
    # Everyone accepts but the last, in id order: places, standby, declines, assignees.
    answers = [(i["id"], n < len(invitations) - 1) for n, i in enumerate(invitations)]

    def invitee(invitation_id: int) -> Principal:
        return Principal(username=f"p{person[invitation_id]}", role=Role.VOLUNTEER,
                         person_id=person[invitation_id])

    def answered_one_by_one() -> None:
        for invitation_id, accept in answers:
            callouts.respond(db, principal=invitee(invitation_id), invitation_id=invitation_id,
                             accept=accept, clock=clock)

    def answered_in_batch() -> None:
        callouts_batch.respond_many(db, clock=clock, answers=[
            Answer(invitation_id, accept, invitee(invitation_id))
            for invitation_id, accept in answers])

    _both_ways(db, answered_one_by_one, answered_in_batch, (CallOut, CallOutInvitation, Task))
    answered_in_batch()
    taken = db.execute(select(Task).where(Task.id.in_(ids[:2])).order_by(Task.id)).scalars()
    assert all(t.status is TaskStatus.ACCEPTED and t.assignee_person_id for t in taken)


def test_standing_down_many_origins_equals_one_by_one(db: Session) -> None:
    build_city(db)
    clock = FixedClock(START)
    made = tasks.create_tasks(db, principal=SYSTEM, clock=clock, items=[TaskCreate(
        title=f"Plan task {i}", area_code=(COMMUNITY_A1, COMMUNITY_A2)[i % 2],
        checklist=[f"step {i}"], source_kind="activation", source_id=str(7 + i % 3))
        for i in range(9)])
    tasks.transition(db, principal=SYSTEM, task_id=made[0].id, clock=clock,
                     data=TaskTransition(action=Action.CANNOT_COMPLETE, reason="Flooded"))
    origins = [("9", "Back to normal"), ("7", "Stood down"), ("8", "Merged"), ("7", "Twice"),
               ("404", "Nothing")]
    later = FixedClock(START + timedelta(hours=2))
    counts: list[list[int]] = []

    def one_by_one() -> None:
        counts.append([len(tasks.stand_down(db, principal=SYSTEM, source_kind="activation",
                                            source_id=s, reason=r, clock=later))
                       for s, r in origins])

    def batched() -> None:
        closed = tasks.stand_down_many(db, principal=SYSTEM, source_kind="activation",
                                       origins=origins, clock=later)
        counts.append([len(c) for c in closed])

    _both_ways(db, one_by_one, batched, (Task,))
    assert counts == [[3, 2, 3, 0, 0]] * 2


def test_standing_down_many_keeps_the_permission_rule(db: Session) -> None:
    build_city(db)
    tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), items=[TaskCreate(
        title="Plan task", area_code=COMMUNITY_A2, source_kind="activation", source_id="7")])
    worker = _worker(db, "GW-1")
    with pytest.raises(PermissionDenied):
        tasks.stand_down_many(db, principal=worker, source_kind="activation",
                              origins=[("7", "No")])


def test_tasks_the_session_holds_read_the_batch_s_changes(db: Session) -> None:
    build_city(db)
    worker = _worker(db, "GW-1")
    [task] = tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), items=[
        TaskCreate(title="Pump check", area_code=COMMUNITY_A1, assignee_person_code="GW-1")])
    assert task.status is TaskStatus.ASSIGNED  # loaded into the session
    assert batch.transition_many(db, action=Action.ACCEPT, moves=[(task.id, worker)]) == [task.id]
    batch.transition_many(db, action=Action.COMPLETE, moves=[(task.id, worker)])
    assert task.status is TaskStatus.DONE and task.done_by == worker.actor
    assert task.accepted_at is not None
