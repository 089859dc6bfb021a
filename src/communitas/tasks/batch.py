"""Many tasks through one lifecycle action at once: the batch path a drill's workforce uses.

The rules are the single path's (:func:`service.transition`): the same pure transition
table (``checked_next``), the same permission rule (the assignee's own actions, otherwise
``task.write`` in the task's area), the same effects and time stamps, the same events.
Only the I/O differs: one locked SELECT of the tasks' columns joined with their areas (no
ORM objects), the effects applied to plain copies of those columns, one executemany
UPDATE per set of changed columns, and one ``record_events`` call, each event carrying its
own actor. All or nothing: the first refusal raises, and the caller's unit of work rolls
the whole batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK
from communitas.errors import NotFound, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.tasks.lifecycle import ASSIGNEE_ACTIONS, Action, TaskStatus
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskTransition
from communitas.tasks.service import apply_effects, checked_next, is_assignee, stamp

__all__ = ["BATCH_ACTIONS", "TaskRow", "locked_tasks", "transition_locked", "transition_many"]

# Actions that need nothing but the task and who acts (assign names an assignee).
BATCH_ACTIONS = frozenset(Action) - {Action.ASSIGN, Action.CLAIM, Action.RELEASE}
_SWEEP_GENERIC = frozenset({Action.CANNOT_COMPLETE, Action.REOPEN})
_COLUMNS = tuple(attr.key for attr in Task.__mapper__.column_attrs)


class TaskRow:
    """A task's columns as plain attributes, as read under lock, and its area's code and
    path. The lifecycle's effects apply to it as to a ``Task``; ``changes`` says what they
    altered."""

    id: int
    status: TaskStatus

    def __init__(self, values: dict[str, Any], area_code: str, area_path: str) -> None:
        self.__dict__.update(values)
        self.read_values, self.area_code, self.area_path = values, area_code, area_path

    def changes(self) -> dict[str, Any]:
        now = self.__dict__
        return {key: now[key] for key in _COLUMNS if now[key] != self.read_values[key]}

    def written(self) -> None:
        self.read_values = {key: self.__dict__[key] for key in _COLUMNS}


def locked_tasks(session: Session, ids: Sequence[int]) -> dict[int, TaskRow]:
    """The tasks by id, read in id order a chunk at a time and locked (as ``rows_by_id``),
    with their areas' codes and paths. Plain columns, no ORM loading: pending changes are
    flushed first, as an ORM query would."""
    table, areas = cast(Table, Task.__table__), cast(Table, Area.__table__)
    columns = [table.c[Task.__mapper__.column_attrs[key].columns[0].key] for key in _COLUMNS]
    if session.autoflush:
        session.flush()
    found: dict[int, TaskRow] = {}
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CHUNK):
        query = (select(*columns, areas.c.code, areas.c.path)
                 .join(areas, areas.c.id == table.c.area_id)
                 .where(table.c.id.in_(ordered[start:start + IN_CHUNK])).order_by(table.c.id)
                 .with_for_update(of=table))
        for row in session.execute(query):
            values = dict(zip(_COLUMNS, row, strict=False))
            found[values["id"]] = TaskRow(values, row[-2], row[-1])
    return found


def transition_many(session: Session, *, action: Action, moves: Sequence[tuple[int, Principal]],
                    reason: str | None = None, clock: Clock | None = None) -> list[int]:
    """Apply ``action`` to each (task id, who acts) in order; the task ids, in that order."""
    _check_batchable(action)
    tasks = locked_tasks(session, [task_id for task_id, _who in moves])
    return transition_locked(session, action=action, moves=moves, tasks=tasks, reason=reason,
                             clock=clock)


def transition_locked(session: Session, *, action: Action,
                      moves: Sequence[tuple[int, Principal]], tasks: dict[int, TaskRow],
                      reason: str | None = None, clock: Clock | None = None) -> list[int]:
    """``transition_many`` on tasks the caller has read with ``locked_tasks`` in this unit
    of work (and not changed since)."""
    _check_batchable(action)
    data = TaskTransition(action=action, reason=reason)
    now = (clock or SystemClock()).now()
    drafts: list[EventDraft] = []
    moved: list[TaskRow] = []
    for task_id, principal in moves:
        row = tasks.get(task_id)
        if row is None:
            raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
        task = cast(Task, row)  # the effects read and set columns only
        if task.sweep_id is not None and action not in _SWEEP_GENERIC:
            raise ValidationFailed(_("Sweep buildings are claimed, submitted and verified "
                                     "through the sweep"), code="use_sweep")
        if not (action in ASSIGNEE_ACTIONS and is_assignee(principal, task)):
            require(principal, Permission.TASK_WRITE, area_path=row.area_path)
        before = task.status
        after = checked_next(before, action)
        payload = apply_effects(session, task, action, data, principal)
        stamp(task, action, now)
        task.status = after
        drafts.append(EventDraft(f"task.{action.value}", "task", task_id, row.area_code,
                                 {"from": before.value, "to": after.value, **payload},
                                 actor=principal.actor))
        moved.append(row)
    _write(session, moved)
    record_events(session, actor="system", clock=clock, drafts=drafts)
    return [row.id for row in moved]


def _check_batchable(action: Action) -> None:
    if action not in BATCH_ACTIONS:
        raise ValidationFailed(_("This action cannot be applied to many tasks at once"),
                               code="not_batchable", details={"action": action.value})


def _write(session: Session, rows: list[TaskRow]) -> None:
    """One executemany UPDATE per set of changed columns; Task objects the session holds
    for these rows are expired, so they read the new values."""
    table = cast(Table, Task.__table__)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:  # a task moved twice in one batch is written once, as it ends
        latest.setdefault(row.id, {}).update(row.changes())
    for task_id, changes in latest.items():
        if changes:
            groups.setdefault(tuple(sorted(changes)), []).append(
                {"task_id": task_id, **{f"new_{k}": v for k, v in changes.items()}})
    for keys, params in groups.items():
        session.connection().execute(update(table).where(table.c.id == bindparam("task_id")).values(
            {table.c[k]: bindparam(f"new_{k}", type_=table.c[k].type) for k in keys}), params)
    for row in rows:
        row.written()
    for task_id in latest:
        held = session.identity_map.get((Task, (task_id,), None))  # Task's identity key
        if held is not None:
            session.expire(held)
