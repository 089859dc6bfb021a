"""The task state machine: property tests over random walks, no database."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communitas.tasks.lifecycle import (
    ACTIVE,
    ASSIGNEE_ACTIONS,
    STAMPS,
    TERMINAL,
    Action,
    IllegalTransition,
    TaskStatus,
    allowed,
    next_status,
)

S = TaskStatus
walks = st.lists(st.sampled_from(list(Action)), max_size=60)


def run(actions: list[Action]) -> list[TaskStatus]:
    """The statuses a task passes through when every allowed action is applied."""
    status, seen = S.OPEN, [S.OPEN]
    for action in actions:
        if allowed(status, action):
            status = next_status(status, action)
            seen.append(status)
        else:
            with pytest.raises(IllegalTransition):
                next_status(status, action)
    return seen


@given(walks)
def test_a_verified_task_never_moves_again(actions: list[Action]) -> None:
    seen = run(actions)
    if S.VERIFIED in seen:
        assert seen[seen.index(S.VERIFIED):] == [S.VERIFIED]


@given(walks)
def test_verified_is_only_reached_from_done(actions: list[Action]) -> None:
    seen = run(actions)
    for before, after in pairwise(seen):
        if after is S.VERIFIED:
            assert before is S.DONE
        if after is S.DONE:
            assert before in (S.ACCEPTED, S.IN_PROGRESS)


@given(walks)
def test_cannot_complete_leads_only_back_to_open(actions: list[Action]) -> None:
    seen = run(actions)
    for before, after in pairwise(seen):
        if before is S.CANNOT_COMPLETE:
            assert after is S.OPEN


def test_every_status_is_reachable_and_only_verified_is_terminal() -> None:
    reachable, frontier = {S.OPEN}, [S.OPEN]
    while frontier:
        status = frontier.pop()
        for action in Action:
            if allowed(status, action) and next_status(status, action) not in reachable:
                reachable.add(next_status(status, action))
                frontier.append(next_status(status, action))
    assert reachable == set(S)
    dead_ends = {s for s in S if not any(allowed(s, a) for a in Action)}
    assert dead_ends == set(TERMINAL) == {S.VERIFIED}


def test_any_active_task_can_be_given_up_with_a_reason_and_reopened() -> None:
    for status in ACTIVE:
        assert next_status(status, Action.CANNOT_COMPLETE) is S.CANNOT_COMPLETE
    assert next_status(S.CANNOT_COMPLETE, Action.REOPEN) is S.OPEN
    assert not allowed(S.DONE, Action.CANNOT_COMPLETE)


def test_assignees_cannot_verify_or_assign_their_own_work() -> None:
    assert Action.VERIFY not in ASSIGNEE_ACTIONS
    assert Action.ASSIGN not in ASSIGNEE_ACTIONS
    assert Action.REOPEN not in ASSIGNEE_ACTIONS


def test_supervision_times_are_stamped() -> None:
    assert STAMPS[Action.ACCEPT] == "accepted_at"
    assert STAMPS[Action.COMPLETE] == "done_at"
    assert STAMPS[Action.ASSIGN] == "assigned_at"
    assert STAMPS[Action.VERIFY] == "verified_at"
