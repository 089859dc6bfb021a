"""create_tasks writes its rows set-based: the ids, rows and events are those the ORM's
one-row-at-a-time flush gave, and the answer is the session's own Task objects;
create_task_rows leaves the same and answers only the ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.events import Event
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import ChecklistItem, Task
from communitas.tasks.schemas import Point, TaskCreate
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, build_city
from tests.resources.helpers import make_org
from tests.sequences import each_way

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def _items(n: int, **extra: object) -> list[TaskCreate]:
    return [TaskCreate.model_validate({
        "title": f"Task {i}", "area_code": (COMMUNITY_A1, COMMUNITY_A2)[i % 2],
        "checklist": [f"step {k}" for k in range(i % 3)], **extra}) for i in range(n)]


def test_ids_follow_the_items_and_the_databases_own_numbering(db: Session) -> None:
    build_city(db)
    first = tasks.create_tasks(db, principal=SYSTEM, items=_items(5), clock=FixedClock(START))
    ids = [t.id for t in first]
    assert ids == list(range(ids[0], ids[0] + 5))
    db.execute(delete(Task).where(Task.id.in_(ids[3:])))  # the newest rows go
    again = [t.id for t in tasks.create_tasks(db, principal=SYSTEM, items=_items(4),
                                              clock=FixedClock(START))]
    # SQLite (no AUTOINCREMENT) takes max(rowid) + 1 again, as the ORM's INSERTs did;
    # PostgreSQL's sequence never goes back.
    start = ids[3] if db.get_bind().dialect.name == "sqlite" else ids[4] + 1
    assert again == list(range(start, start + 4))


def test_the_answer_is_the_sessions_task_objects_with_the_rows_values(db: Session) -> None:
    build_city(db)
    make_person(db, "GW-7", COMMUNITY_A1, PersonKind.GRID_WORKER)
    due = START + timedelta(hours=2)
    created = tasks.create_tasks(db, principal=SYSTEM, clock=FixedClock(START), sweep_id=None,
                                 items=[TaskCreate(title="Pump", area_code=COMMUNITY_A1,
                                                   priority=2, due_at=due,
                                                   point=Point(lon=121.5, lat=31.2),
                                                   assignee_person_code="GW-7",
                                                   checklist=["one", "two"],
                                                   source_kind="request", source_id="7"),
                                        TaskCreate(title="Stock", area_code=COMMUNITY_A2)])
    pump, stock = created
    assert db.get(Task, pump.id) is pump and db.get(Task, stock.id) is stock
    assert (pump.title, pump.priority, pump.due_at, pump.lon, pump.lat) == (
        "Pump", 2, due, 121.5, 31.2)
    assert pump.status is TaskStatus.ASSIGNED and pump.assigned_at == START
    assert pump.assignee_person_id is not None and pump.created_at == START
    assert (pump.source_kind, pump.source_id, pump.created_by) == ("request", "7",
                                                                   SYSTEM.actor)
    assert stock.status is TaskStatus.OPEN and stock.assigned_at is None
    assert (stock.description, stock.priority, stock.reason) == ("", 3, None)
    checklist = db.execute(select(ChecklistItem.task_id, ChecklistItem.position,
                                  ChecklistItem.text).order_by(ChecklistItem.id)).all()
    assert [tuple(row) for row in checklist] == [(pump.id, 1, "one"), (pump.id, 2, "two")]


def test_one_created_event_per_task_in_order(db: Session) -> None:
    build_city(db)
    created = tasks.create_tasks(db, principal=SYSTEM, items=_items(3, due_at=START),
                                 clock=FixedClock(START))
    rows = db.execute(select(Event.subject_id, Event.action, Event.payload)
                      .where(Event.subject_type == "task").order_by(Event.seq)).all()
    assert [(r.subject_id, r.action) for r in rows] == [(str(t.id), "task.created")
                                                        for t in created]
    assert '"checklist_items":2' in rows[2].payload and '"status":"open"' in rows[0].payload


def test_an_empty_batch_writes_nothing(db: Session) -> None:
    build_city(db)
    assert tasks.create_tasks(db, principal=SYSTEM, items=[]) == []
    assert db.execute(select(func.count()).select_from(Task)).scalar_one() == 0


def test_the_rows_variant_leaves_what_create_tasks_leaves(db: Session) -> None:
    """create_task_rows (plan activation's) writes the same rows and events as create_tasks,
    answers the same ids, and loads no Task objects."""
    build_city(db)
    make_person(db, "GW-7", COMMUNITY_A1, PersonKind.GRID_WORKER)
    make_org(db, "VT-1", OrganisationKind.VOLUNTEER_TEAM, COMMUNITY_A2)
    items = [TaskCreate(title=f"Plan task {i}", description="Long " * 400, priority=2 + i % 2,
                        area_code=(COMMUNITY_A1, COMMUNITY_A2)[i % 2],
                        due_at=START + timedelta(hours=i) if i % 3 else None,
                        point=Point(lon=121.5, lat=31.2) if i % 4 == 0 else None,
                        checklist=[f"step {k}" for k in range(i % 3)],
                        assignee_person_code="GW-7" if i % 3 == 1 else None,
                        assignee_org_code="VT-1" if i % 3 == 2 else None,
                        source_kind="activation", source_id=str(i % 2)) for i in range(12)]
    clock = FixedClock(START)

    def state(db: Session, since: int) -> list[list[tuple[Any, ...]]]:
        tables = [Task.__table__, ChecklistItem.__table__]
        return [*([tuple(r) for r in db.execute(select(t).order_by(t.c.id))] for t in tables),
                [tuple(r) for r in db.execute(select(Event.__table__).where(Event.seq > since)
                                              .order_by(Event.seq))]]

    held: list[object] = []

    def rows_only() -> list[int]:
        ids = tasks.create_task_rows(db, principal=SYSTEM, items=items, clock=clock)
        held.extend(o for o in db.identity_map.values() if isinstance(o, Task))
        return ids

    [(ids, rows), (made, objects)] = each_way(db, (rows_only, lambda: [
        t.id for t in tasks.create_tasks(db, principal=SYSTEM, items=items, clock=clock)]),
        state)
    assert (ids, rows) == (made, objects)
    assert held == []
    assert len(rows[0]) == 12 and len(rows[2]) == 12
