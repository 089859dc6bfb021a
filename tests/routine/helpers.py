"""Builders for routine tests: the resource world at a fixed date, people and a clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.clock import FixedClock
from communitas.events import Event
from communitas.routine.models import DrillSchedule, RoutineItem
from communitas.tasks.models import ChecklistItem, Task

# 10:00 in Beijing on 1 June 2026.
START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def clock() -> FixedClock:
    return FixedClock(START)


def routine_tasks(db: Session, source_kind: str) -> list[Task]:
    db.flush()  # the event chain head is updated after its flush; keep it
    db.expire_all()
    return list(db.execute(select(Task).where(Task.source_kind == source_kind)
                           .order_by(Task.id)).scalars())


def counts(db: Session) -> dict[str, int]:
    """Rows of the tables the routine writes (its own and the tasks it issues), and events."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (RoutineItem, DrillSchedule, Task, ChecklistItem, Event)}
