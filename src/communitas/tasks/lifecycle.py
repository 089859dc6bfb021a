"""The task lifecycle as a pure state machine.

::

    open ─assign─► assigned ─accept─► accepted ─start─► in_progress ─complete─► done
     ▲  ◄─decline/unassign─┘             │                   │  ▲                │
     │                                   └──────complete─────┼──┼──────────────►│
     │                                                       │  └───reject──────┤
     │   claim (sweeps: open, or a hold that has expired) ──►│               verify
     │◄──────────────────────release─────────────────────────┘                  ▼
     │                                                                      verified
     └──reopen── cannot_complete ◄── cannot_complete (from any active status, with a reason)

``verified`` is the only terminal status; ``cannot_complete`` may be reopened by staff.
Each action stamps a time (:data:`STAMPS`) so supervision can measure time to respond
(assigned → accepted) and done on time (``done_at`` against ``due_at``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACTIVE", "ASSIGNEE_ACTIONS", "STAMPS", "TERMINAL", "Action", "IllegalTransition",
    "TaskStatus", "allowed", "next_status",
]


class TaskStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"
    CANNOT_COMPLETE = "cannot_complete"


class Action(StrEnum):
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    VERIFY = "verify"
    REJECT = "reject"
    CANNOT_COMPLETE = "cannot_complete"
    REOPEN = "reopen"
    CLAIM = "claim"
    RELEASE = "release"


S = TaskStatus
ACTIVE = frozenset({S.OPEN, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS})
TERMINAL = frozenset({S.VERIFIED})

# action → (statuses it may start from, status it leads to)
_TABLE: dict[Action, tuple[frozenset[TaskStatus], TaskStatus]] = {
    Action.ASSIGN: (frozenset({S.OPEN, S.ASSIGNED}), S.ASSIGNED),
    Action.UNASSIGN: (frozenset({S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS}), S.OPEN),
    Action.ACCEPT: (frozenset({S.ASSIGNED}), S.ACCEPTED),
    Action.DECLINE: (frozenset({S.ASSIGNED}), S.OPEN),
    Action.START: (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    Action.COMPLETE: (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.DONE),
    Action.VERIFY: (frozenset({S.DONE}), S.VERIFIED),
    Action.REJECT: (frozenset({S.DONE}), S.IN_PROGRESS),
    Action.CANNOT_COMPLETE: (ACTIVE, S.CANNOT_COMPLETE),
    Action.REOPEN: (frozenset({S.CANNOT_COMPLETE}), S.OPEN),
    # Sweeps: taking an expired hold over is in_progress → in_progress (checked by the service).
    Action.CLAIM: (frozenset({S.OPEN, S.IN_PROGRESS}), S.IN_PROGRESS),
    Action.RELEASE: (frozenset({S.IN_PROGRESS}), S.OPEN),
}

# What the assignee may do to their own task; everything else is staff work.
ASSIGNEE_ACTIONS = frozenset({Action.ACCEPT, Action.DECLINE, Action.START, Action.COMPLETE,
                              Action.CANNOT_COMPLETE})

# The time column each action stamps when it succeeds.
STAMPS: dict[Action, str] = {
    Action.ASSIGN: "assigned_at",
    Action.ACCEPT: "accepted_at",
    Action.START: "started_at",
    Action.COMPLETE: "done_at",
    Action.VERIFY: "verified_at",
    Action.CANNOT_COMPLETE: "closed_at",
    Action.CLAIM: "started_at",
}


class IllegalTransition(ValueError):
    """The action is not allowed from the current status."""

    def __init__(self, status: TaskStatus, action: Action) -> None:
        super().__init__(f"{action.value} is not allowed from {status.value}")
        self.status, self.action = status, action


def allowed(status: TaskStatus, action: Action) -> bool:
    """Whether ``action`` may apply to a task in ``status``."""
    return status in _TABLE[action][0]


def next_status(status: TaskStatus, action: Action) -> TaskStatus:
    """The status after ``action``; IllegalTransition when it is not allowed."""
    sources, target = _TABLE[action]
    if status not in sources:
        raise IllegalTransition(status, action)
    return target
