"""Many tasks through one lifecycle action at once: the batch path a drill's workforce uses.

The rules are the single path's (:func:`service.transition`): the same pure transition
table (``checked_next``), the same permission rule (the assignee's own actions, otherwise
``task.write`` in the task's area), the same effects and time stamps, the same events.
Only the I/O differs: one locked SELECT of the columns those rules read or set, joined with
the tasks' areas (no ORM objects; not the title or description), the effects applied to
plain copies of those columns (setting any other fails loudly, as reading one does), one
executemany UPDATE per set of changed columns, and one ``record_events`` call, each event
carrying its own actor. All or nothing: the first refusal raises, and the caller's unit of
work rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.row_copies import RowCopy, mapped_columns, read_chosen, write_back
from communitas.tasks.lifecycle import ASSIGNEE_ACTIONS, Action
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskTransition
from communitas.tasks.service import apply_effects, checked_next, is_assignee, stamp

__all__ = ["BATCH_ACTIONS", "LockedTask", "locked_tasks", "transition_locked",
           "transition_many"]

# Actions that need nothing but the task and who acts (assign names an assignee).
BATCH_ACTIONS = frozenset(Action) - {Action.ASSIGN, Action.CLAIM, Action.RELEASE}
_SWEEP_GENERIC = frozenset({Action.CANNOT_COMPLETE, Action.REOPEN})


# The columns the rules read or set: the status, the sweep and assignee rules, what
# ``apply_effects`` changes or checks (holds, reason, done_by for the second-person verify)
# and the batchable actions' stamps (``lifecycle.STAMPS``). A copy has no others.
_KEYS = ("id", "status", "sweep_id", "assignee_person_id", "assignee_org_id", "reason",
         "closed_at", "holder_person_id", "hold_expires_at", "done_at", "done_by",
         "verified_by", "accepted_at", "started_at", "verified_at")


class TaskCopy(RowCopy):
    """A task's columns as far as the rules read or set them. Setting a column not read
    raises AttributeError, as reading one does: ``write_back`` would not write it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _SETTABLE:
            raise AttributeError(name)
        super().__setattr__(name, value)


_SETTABLE = frozenset(_KEYS) | {"keys", "read_values"}  # the copy's own bookkeeping


class LockedTask(NamedTuple):
    """A task's columns as read under lock (a plain copy), and its area's code and path."""

    row: RowCopy
    area_code: str
    area_path: str


def _locked_read() -> Any:
    tasks, areas = cast(Table, Task.__table__), cast(Table, Area.__table__)
    columns = mapped_columns(Task)[1]
    return (select(*[columns[key] for key in _KEYS], areas.c.code, areas.c.path)
            .join(areas, areas.c.id == tasks.c.area_id)
            .where(tasks.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(tasks.c.id).with_for_update(of=tasks))


_LOCKED_READ = _locked_read()  # built once: the drill's workforce reads every round


def locked_tasks(session: Session, ids: Sequence[int]) -> dict[int, LockedTask]:
    """The tasks by id, read in id order and locked (as ``rows_by_id``), with their areas'
    codes and paths, in one SELECT per chunk."""
    return {task_id: LockedTask(row, *extra) for task_id, (row, extra) in read_chosen(
        session, _LOCKED_READ, _KEYS, ids, copy=TaskCopy).items()}


def transition_many(session: Session, *, action: Action, moves: Sequence[tuple[int, Principal]],
                    reason: str | None = None, clock: Clock | None = None) -> list[int]:
    """Apply ``action`` to each (task id, who acts) in order; the task ids, in that order."""
    _check_batchable(action)
    tasks = locked_tasks(session, [task_id for task_id, _who in moves])
    return transition_locked(session, action=action, moves=moves, tasks=tasks, reason=reason,
                             clock=clock)


def transition_locked(session: Session, *, action: Action,
                      moves: Sequence[tuple[int, Principal]], tasks: dict[int, LockedTask],
                      reason: str | None = None, clock: Clock | None = None) -> list[int]:
    """``transition_many`` on tasks the caller has read with ``locked_tasks`` in this unit
    of work (and not changed since)."""
    _check_batchable(action)
    data = TaskTransition(action=action, reason=reason)
    now = (clock or SystemClock()).now()
    drafts: list[EventDraft] = []
    moved: list[RowCopy] = []
    for task_id, principal in moves:
        locked = tasks.get(task_id)
        if locked is None:
            raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
        task = cast(Task, locked.row)  # the effects read and set columns only
        if task.sweep_id is not None and action not in _SWEEP_GENERIC:
            raise ValidationFailed(_("Sweep buildings are claimed, submitted and verified "
                                     "through the sweep"), code="use_sweep")
        if not (action in ASSIGNEE_ACTIONS and is_assignee(principal, task)):
            require(principal, Permission.TASK_WRITE, area_path=locked.area_path)
        before = task.status
        after = checked_next(before, action)
        payload = apply_effects(session, task, action, data, principal)
        stamp(task, action, now)
        task.status = after
        drafts.append(EventDraft(f"task.{action.value}", "task", task_id, locked.area_code,
                                 {"from": before.value, "to": after.value, **payload},
                                 actor=principal.actor))
        moved.append(locked.row)
    write_back(session, Task, moved)
    record_events(session, actor="system", clock=clock, drafts=drafts)
    session.flush()  # the chain head, as the single path leaves it
    return [row.id for row in moved]


def _check_batchable(action: Action) -> None:
    if action not in BATCH_ACTIONS:
        raise ValidationFailed(_("This action cannot be applied to many tasks at once"),
                               code="not_batchable", details={"action": action.value})
