"""Pure measures of a sent-down cadre's record: results, never check-ins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean, median

from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.records import TaskTimes

__all__ = ["Inaction", "TaskRecord", "inaction", "last_task_progress", "task_record"]

_CLOSED_UNDONE = frozenset({TaskStatus.CANNOT_COMPLETE})


@dataclass(frozen=True)
class TaskRecord:
    assigned: int
    done: int
    done_on_time: int
    done_late: int
    overdue_open: int
    responded: int
    response_minutes_median: float | None
    response_minutes_mean: float | None


def _minutes(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds() / 60, 1)


def _response(task: TaskTimes) -> datetime | None:
    """The first sign of taking the task up: accepted, else started, else done."""
    return next((t for t in (task.accepted_at, task.started_at, task.done_at) if t), None)


def task_record(tasks: Sequence[TaskTimes], *, now: datetime) -> TaskRecord:
    """Done and done on time (``done_at <= due_at``; no due time counts as on time), open
    and overdue, and time to respond (assigned → accepted or started)."""
    done = [t for t in tasks if t.done_at is not None]
    on_time = [t for t in done if t.due_at is None or t.done_at <= t.due_at]  # type: ignore[operator]
    overdue = [t for t in tasks if t.done_at is None and t.status not in _CLOSED_UNDONE
               and t.due_at is not None and t.due_at < now]
    waits = [_minutes(r, t.assigned_at) for t in tasks
             if t.assigned_at is not None and (r := _response(t)) is not None]
    return TaskRecord(
        assigned=len(tasks), done=len(done), done_on_time=len(on_time),
        done_late=len(done) - len(on_time), overdue_open=len(overdue), responded=len(waits),
        response_minutes_median=round(median(waits), 1) if waits else None,
        response_minutes_mean=round(mean(waits), 1) if waits else None)


def last_task_progress(tasks: Iterable[TaskTimes]) -> datetime | None:
    """The latest moment one of these tasks moved forward by its assignee."""
    stamps = [s for t in tasks for s in (t.accepted_at, t.started_at, t.done_at) if s]
    return max(stamps, default=None)


@dataclass(frozen=True)
class Inaction:
    flagged: bool
    idle_since: datetime
    idle_hours: float


def inaction(*, emergency_since: datetime, assigned_since: datetime,
             last_action: datetime | None, now: datetime, hours: float) -> Inaction:
    """Idle time counts from the latest of the emergency's start, the assignment's start and
    the person's last action; ``hours`` of it raise the flag."""
    idle_since = max(s for s in (emergency_since, assigned_since, last_action) if s is not None)
    idle = max(0.0, (now - idle_since).total_seconds() / 3600)
    return Inaction(flagged=idle >= hours, idle_since=idle_since, idle_hours=round(idle, 2))
