"""The request lifecycle (after EDXL-RM and the ICS-213RR form) as a pure state machine.

::

    submitted ─verify─► verified ─approve─► approved ─commit─► committed ─ship─► in_transit
        │                  │                   │  ▲               │                │
     reject/expire/     decline/cancel/     decline/cancel      cancel          deliver
     merge/cancel       merge                  └── return ◄─────────────────────────┤
                                                                               delivered
                                                                                   │ confirm
                                                                               confirmed

Before approval each action names its target. After approval the status follows the
quantities (:func:`fulfilment_status`): a commit, a shipment, a delivery or a return moves
it to the least advanced stage any committed unit is in. Terminal statuses have no exits.
Only a request submitted by staff starts verified (:func:`initial_status`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "FULFILMENT", "OPEN", "TERMINAL", "Action", "IllegalTransition", "LineProgress",
    "RequestStatus", "allowed", "check_quantities", "fulfilment_status", "initial_status",
    "move", "next_status",
]


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"  # unverified
    VERIFIED = "verified"
    APPROVED = "approved"
    COMMITTED = "committed"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"  # found false
    DECLINED = "declined"  # real, but will not be met
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # left unverified too long
    MERGED = "merged"  # a duplicate, now an alias of the surviving request


class Action(StrEnum):
    VERIFY = "verify"
    REJECT = "reject"
    APPROVE = "approve"
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    MERGE = "merge"
    CONFIRM = "confirm"
    COMMIT = "commit"
    SHIP = "ship"
    DELIVER = "deliver"
    RETURN = "return"
    ADJUST = "adjust"
    ESCALATE = "escalate"
    RATE = "rate"


S = RequestStatus
TERMINAL = frozenset({S.CONFIRMED, S.REJECTED, S.DECLINED, S.CANCELLED, S.EXPIRED, S.MERGED})
OPEN = frozenset(set(S) - TERMINAL)
FULFILMENT = frozenset({S.APPROVED, S.COMMITTED, S.IN_TRANSIT, S.DELIVERED})

# Actions whose target status is fixed.
_FIXED: dict[Action, tuple[frozenset[RequestStatus], RequestStatus]] = {
    Action.VERIFY: (frozenset({S.SUBMITTED}), S.VERIFIED),
    Action.REJECT: (frozenset({S.SUBMITTED}), S.REJECTED),
    Action.APPROVE: (frozenset({S.VERIFIED}), S.APPROVED),
    Action.DECLINE: (frozenset({S.VERIFIED, S.APPROVED}), S.DECLINED),
    Action.CANCEL: (frozenset({S.SUBMITTED, S.VERIFIED, S.APPROVED, S.COMMITTED,
                               S.IN_TRANSIT}), S.CANCELLED),
    Action.EXPIRE: (frozenset({S.SUBMITTED}), S.EXPIRED),
    Action.MERGE: (frozenset({S.SUBMITTED, S.VERIFIED}), S.MERGED),
    Action.CONFIRM: (frozenset({S.DELIVERED}), S.CONFIRMED),
}
# Actions whose target follows the quantities.
_PROGRESS: dict[Action, frozenset[RequestStatus]] = {
    Action.COMMIT: FULFILMENT,
    Action.SHIP: frozenset({S.COMMITTED}),
    Action.DELIVER: frozenset({S.COMMITTED, S.IN_TRANSIT}),
    Action.RETURN: frozenset({S.COMMITTED, S.IN_TRANSIT}),
}
# Actions that leave the status as it is.
_KEEP: dict[Action, frozenset[RequestStatus]] = {
    Action.ADJUST: OPEN,
    Action.ESCALATE: OPEN,
    Action.RATE: frozenset({S.DELIVERED, S.CONFIRMED}),
}


class IllegalTransition(ValueError):
    """The action is not allowed from the current status."""

    def __init__(self, status: RequestStatus, action: Action) -> None:
        super().__init__(f"{action.value} is not allowed from {status.value}")
        self.status, self.action = status, action


@dataclass(frozen=True)
class LineProgress:
    """Quantities of one request line at every step (shipment sums for the last three)."""

    requested: int
    committed: int = 0
    shipped: int = 0
    delivered: int = 0


def initial_status(*, submitted_by_staff: bool) -> RequestStatus:
    """Staff in scope vouch for what they submit; everything else starts unverified."""
    return S.VERIFIED if submitted_by_staff else S.SUBMITTED


def check_quantities(lines: Iterable[LineProgress]) -> bool:
    """True when 0 <= delivered <= shipped <= committed <= requested on every line."""
    return all(0 <= ln.delivered <= ln.shipped <= ln.committed <= ln.requested
               and ln.requested > 0 for ln in lines)


def move(line: LineProgress, action: Action, quantity: int) -> LineProgress:
    """``line`` after ``quantity`` units take a progress action; ValueError if the counters
    would leave their order. The services' conditional UPDATEs enforce the same rule."""
    if quantity <= 0:
        raise ValueError("a quantity must be positive")
    if action is Action.COMMIT:
        after = replace(line, committed=line.committed + quantity)
    elif action is Action.SHIP:
        after = replace(line, shipped=line.shipped + quantity)
    elif action is Action.DELIVER:
        after = replace(line, delivered=line.delivered + quantity)
    elif action is Action.RETURN:  # undelivered units: those still at the holder first
        committed = line.committed - quantity
        after = replace(line, committed=committed, shipped=min(line.shipped, committed))
    else:
        raise ValueError(f"{action.value} moves no quantities")
    if not check_quantities([after]):
        raise ValueError(f"{action.value} of {quantity} would break the line's counters")
    return after


def fulfilment_status(lines: Iterable[LineProgress]) -> RequestStatus:
    """The stage of an approved request: the least advanced stage of any committed unit."""
    lines = list(lines)
    if sum(ln.committed for ln in lines) == 0:
        return S.APPROVED
    if any(ln.committed > ln.shipped for ln in lines):
        return S.COMMITTED
    if any(ln.shipped > ln.delivered for ln in lines):
        return S.IN_TRANSIT
    return S.DELIVERED


def allowed(status: RequestStatus, action: Action) -> bool:
    """Whether ``action`` may apply to a request in ``status`` at all."""
    sources = _FIXED[action][0] if action in _FIXED else _PROGRESS.get(action) or _KEEP[action]
    return status in sources


def next_status(
    status: RequestStatus, action: Action, *, lines: Iterable[LineProgress] = ()
) -> RequestStatus:
    """The status after ``action``; ``lines`` are the quantities *after* a progress action.

    Raises IllegalTransition when the action is not allowed from ``status``.
    """
    if action in _FIXED:
        sources, target = _FIXED[action]
        if status not in sources:
            raise IllegalTransition(status, action)
        return target
    if action in _PROGRESS:
        if status not in _PROGRESS[action]:
            raise IllegalTransition(status, action)
        return fulfilment_status(lines)
    if status not in _KEEP[action]:
        raise IllegalTransition(status, action)
    return status
