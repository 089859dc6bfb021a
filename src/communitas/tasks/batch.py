"""Many tasks through one lifecycle action at once: the batch path a drill's workforce uses.

The rules are the single path's (:func:`service.transition`): the same pure transition
table (``checked_next``), the same permission rule (the assignee's own actions, otherwise
``task.write`` in the task's area), the same effects and time stamps, the same events.
Only the I/O differs: one locked SELECT of all the tasks, one area look-up, one flush (the
ORM sends one UPDATE statement per set of changed columns, executed for every row) and one
``record_events`` call, each event carrying its own actor. All or nothing: the first refusal
raises, and the caller's unit of work rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import rows_by_id
from communitas.errors import NotFound, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.tasks import lookups
from communitas.tasks.lifecycle import ASSIGNEE_ACTIONS, Action
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskTransition
from communitas.tasks.service import apply_effects, checked_next, is_assignee, stamp

__all__ = ["BATCH_ACTIONS", "transition_many"]

# Actions that need nothing but the task and who acts (assign names an assignee).
BATCH_ACTIONS = frozenset(Action) - {Action.ASSIGN, Action.CLAIM, Action.RELEASE}
_SWEEP_GENERIC = frozenset({Action.CANNOT_COMPLETE, Action.REOPEN})


def transition_many(session: Session, *, action: Action, moves: Sequence[tuple[int, Principal]],
                    reason: str | None = None, clock: Clock | None = None) -> list[Task]:
    """Apply ``action`` to each (task id, who acts) in order; the tasks, in that order."""
    if action not in BATCH_ACTIONS:
        raise ValidationFailed(_("This action cannot be applied to many tasks at once"),
                               code="not_batchable", details={"action": action.value})
    data = TaskTransition(action=action, reason=reason)
    tasks = rows_by_id(session, Task, [task_id for task_id, _who in moves], lock=True)
    refs = lookups.area_refs(session, [t.area_id for t in tasks.values()])
    now = (clock or SystemClock()).now()
    drafts: list[EventDraft] = []
    moved: list[Task] = []
    for task_id, principal in moves:
        task = tasks.get(task_id)
        if task is None:
            raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
        code, path = refs[task.area_id][0], refs[task.area_id][1]
        if task.sweep_id is not None and action not in _SWEEP_GENERIC:
            raise ValidationFailed(_("Sweep buildings are claimed, submitted and verified "
                                     "through the sweep"), code="use_sweep")
        if not (action in ASSIGNEE_ACTIONS and is_assignee(principal, task)):
            require(principal, Permission.TASK_WRITE, area_path=path)
        before = task.status
        after = checked_next(before, action)
        payload = apply_effects(session, task, action, data, principal)
        stamp(task, action, now)
        task.status = after
        drafts.append(EventDraft(f"task.{action.value}", "task", task.id, code,
                                 {"from": before.value, "to": after.value, **payload},
                                 actor=principal.actor))
        moved.append(task)
    record_events(session, actor="system", clock=clock, drafts=drafts)
    session.flush()
    return moved
