"""Read-only task times for other domains (supervision measures results from them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import QueryableAttribute, Session

from communitas.tasks.lifecycle import ACTIVE, TaskStatus
from communitas.tasks.models import Task

__all__ = ["TaskTimes", "is_active_task", "task_times_of_people"]


@dataclass(frozen=True)
class TaskTimes:
    task_id: int
    person_id: int
    status: TaskStatus
    due_at: datetime | None
    assigned_at: datetime | None
    accepted_at: datetime | None
    started_at: datetime | None
    done_at: datetime | None
    closed_at: datetime | None


def task_times_of_people(session: Session, *, person_ids: Iterable[int],
                         assigned_since: datetime | None = None) -> list[TaskTimes]:
    """The time stamps of every task assigned to these people (sweep holds left out)."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    query = select(Task.id, Task.assignee_person_id, Task.status, Task.due_at, Task.assigned_at,
                   Task.accepted_at, Task.started_at, Task.done_at, Task.closed_at).where(
        Task.assignee_person_id.in_(ids), Task.assigned_at.is_not(None))
    if assigned_since is not None:
        query = query.where(Task.assigned_at >= assigned_since)
    return [TaskTimes(task_id=row[0], person_id=int(row[1] or 0), status=row[2], due_at=row[3],
                      assigned_at=row[4], accepted_at=row[5], started_at=row[6],
                      done_at=row[7], closed_at=row[8])
            for row in session.execute(query.order_by(Task.id))]


def is_active_task(task_id: QueryableAttribute[int | None]) -> ColumnElement[bool]:
    """True where ``task_id`` names a task still being worked (open, assigned, accepted or in
    progress): a filter for another domain's query, looked up by the task's primary key."""
    return exists().where(Task.id == task_id, Task.status.in_(ACTIVE))
