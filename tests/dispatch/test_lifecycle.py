"""The request state machine: property tests over random walks, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communitas.dispatch.lifecycle import (
    FULFILMENT,
    TERMINAL,
    Action,
    IllegalTransition,
    LineProgress,
    RequestStatus,
    allowed,
    check_quantities,
    fulfilment_status,
    initial_status,
    move,
    next_status,
)

S = RequestStatus
PROGRESS = (Action.COMMIT, Action.SHIP, Action.DELIVER, Action.RETURN)


@dataclass
class Walk:
    """A request under a random sequence of actions, as the services drive it."""

    status: RequestStatus
    lines: list[LineProgress]
    verified: bool = False
    seen: list[RequestStatus] = field(default_factory=list)

    def step(self, action: Action, line: int, quantity: int) -> None:
        lines = list(self.lines)
        if action in PROGRESS:
            index = line % len(lines)
            try:
                lines[index] = move(lines[index], action, quantity)
            except ValueError:
                return  # the conditional UPDATE refuses it; nothing moves
        try:
            status = next_status(self.status, action, lines=lines)
        except IllegalTransition:
            return
        self.verified |= action is Action.VERIFY
        self.status, self.lines = status, lines
        self.seen.append(status)


steps = st.lists(st.tuples(st.sampled_from(list(Action)), st.integers(0, 5),
                           st.integers(-3, 12)), max_size=80)
requested = st.lists(st.integers(1, 10), min_size=1, max_size=4)


@given(requested, steps)
@settings(max_examples=400, deadline=None)
def test_no_public_request_reaches_approval_without_verification(
    quantities: list[int], actions: list[tuple[Action, int, int]]
) -> None:
    walk = Walk(initial_status(submitted_by_staff=False), [LineProgress(q) for q in quantities])
    for action, line, quantity in actions:
        walk.step(action, line, quantity)
        if walk.status in FULFILMENT or walk.status is S.CONFIRMED:
            assert walk.verified


def test_only_staff_submissions_start_verified() -> None:
    assert initial_status(submitted_by_staff=True) is S.VERIFIED
    assert initial_status(submitted_by_staff=False) is S.SUBMITTED


@given(requested, steps, st.booleans())
@settings(max_examples=400, deadline=None)
def test_quantities_never_exceed_what_was_requested(
    quantities: list[int], actions: list[tuple[Action, int, int]], staff: bool
) -> None:
    walk = Walk(initial_status(submitted_by_staff=staff), [LineProgress(q) for q in quantities])
    for action, line, quantity in actions:
        walk.step(action, line, quantity)
        assert check_quantities(walk.lines)
        assert [ln.requested for ln in walk.lines] == quantities


@given(requested, steps, st.booleans())
@settings(max_examples=400, deadline=None)
def test_after_approval_the_status_follows_the_quantities(
    quantities: list[int], actions: list[tuple[Action, int, int]], staff: bool
) -> None:
    walk = Walk(initial_status(submitted_by_staff=staff), [LineProgress(q) for q in quantities])
    for action, line, quantity in actions:
        walk.step(action, line, quantity)
        if walk.status in FULFILMENT:
            assert walk.status is fulfilment_status(walk.lines)
        if walk.status is S.CONFIRMED:
            assert all(ln.delivered == ln.committed for ln in walk.lines)


@given(requested, steps, st.booleans())
@settings(max_examples=400, deadline=None)
def test_terminal_states_have_no_exits(
    quantities: list[int], actions: list[tuple[Action, int, int]], staff: bool
) -> None:
    walk = Walk(initial_status(submitted_by_staff=staff), [LineProgress(q) for q in quantities])
    terminal: RequestStatus | None = None
    for action, line, quantity in actions:
        walk.step(action, line, quantity)
        if terminal is not None:
            assert walk.status is terminal
        elif walk.status in TERMINAL:
            terminal = walk.status


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_every_action_from_a_terminal_status_is_refused_or_keeps_it(
    status: RequestStatus
) -> None:
    done = [LineProgress(5, 5, 5, 5)]
    for action in Action:
        try:
            assert next_status(status, action, lines=done) is status
        except IllegalTransition:
            assert not allowed(status, action)
        else:
            assert action is Action.RATE and status is S.CONFIRMED


def test_the_stage_is_the_least_advanced_of_any_committed_unit() -> None:
    assert fulfilment_status([LineProgress(5)]) is S.APPROVED
    assert fulfilment_status([LineProgress(5, 5, 5, 5), LineProgress(3, 1)]) is S.COMMITTED
    assert fulfilment_status([LineProgress(5, 5, 5, 2), LineProgress(3)]) is S.IN_TRANSIT
    assert fulfilment_status([LineProgress(5, 2, 2, 2), LineProgress(3)]) is S.DELIVERED


def test_a_return_takes_units_still_at_the_holder_first() -> None:
    line = LineProgress(10, committed=8, shipped=5, delivered=2)
    assert move(line, Action.RETURN, 3) == LineProgress(10, 5, 5, 2)
    assert move(line, Action.RETURN, 5) == LineProgress(10, 3, 3, 2)
    with pytest.raises(ValueError):
        move(line, Action.RETURN, 7)  # two units are delivered and cannot come back
    with pytest.raises(ValueError):
        move(line, Action.COMMIT, 3)  # only two units of the line are open


def test_an_illegal_transition_names_the_status_and_action() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(S.SUBMITTED, Action.APPROVE)
    assert (caught.value.status, caught.value.action) == (S.SUBMITTED, Action.APPROVE)
