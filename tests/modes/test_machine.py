"""The mode machine's rules, as properties (hypothesis) over any tree and any switch."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from communitas.areas.codes import AreaKind
from communitas.auth.roles import Role
from communitas.modes.levels import EMERGENCY_LEVELS, SEVERITY, Mode, highest, severity
from communitas.modes.machine import (
    MODE_KINDS,
    ROLE_CEILING,
    TRANSITIONS,
    ExitCriteria,
    ExitObservation,
    Refusal,
    check_switch,
    effective_mode,
    transition_allowed,
)

modes = st.sampled_from(list(Mode))
settings_on_path = st.lists(st.none() | modes, min_size=1, max_size=6)
roles = st.sampled_from(list(Role))
observations = st.builds(ExitObservation, open_urgent_requests=st.integers(0, 5),
                         unmet_demand=st.sampled_from([0.0, 0.1]),
                         active_warnings=st.integers(0, 2),
                         hours_in_recovery=st.sampled_from([0.0, 30.0]))


def test_severity_order_is_the_documented_one() -> None:
    assert sorted(Mode, key=severity) == [
        Mode.NORMAL, Mode.RECOVERY, Mode.WATCH, Mode.LEVEL_IV, Mode.LEVEL_III, Mode.LEVEL_II,
        Mode.LEVEL_I]
    assert highest() is Mode.NORMAL
    assert highest(Mode.WATCH, Mode.RECOVERY) is Mode.WATCH


@given(settings_on_path)
def test_effective_mode_is_the_most_severe_setting_and_never_below_an_ancestor(
    path: list[Mode | None],
) -> None:
    effective = effective_mode(path)
    assert severity(effective.mode) == max((SEVERITY[m] for m in path if m), default=0)
    for depth in range(1, len(path)):
        assert severity(effective_mode(path[:depth]).mode) <= severity(
            effective_mode(path[:depth + 1]).mode)
    if effective.source is None:
        assert effective.mode is Mode.NORMAL and all(m is None for m in path)
    else:
        assert path[effective.source] is effective.mode
        assert all(m is None or severity(m) < severity(effective.mode)
                   for m in path[effective.source + 1:])


@given(settings_on_path, modes, roles, st.sampled_from(list(AreaKind)), observations)
def test_an_allowed_switch_obeys_every_rule(
    path: list[Mode | None], target: Mode, role: Role, kind: AreaKind,
    seen: ExitObservation,
) -> None:
    refusal = check_switch(role=role, area_kind=kind, path=path, target=target, seen=seen)
    if refusal is not None:
        return
    own = path[-1] or Mode.NORMAL
    assert kind in MODE_KINDS
    assert target != own and transition_allowed(own, target)
    assert severity(highest(own, target)) <= severity(ROLE_CEILING[role])
    assert severity(target) >= severity(effective_mode(path[:-1]).mode)
    after = effective_mode([*path[:-1], target])
    assert severity(after.mode) >= severity(effective_mode(path[:-1]).mode)
    if own is Mode.RECOVERY and target is Mode.NORMAL:
        assert ExitCriteria().unmet(seen) == []


def test_transition_table() -> None:
    for level in EMERGENCY_LEVELS:
        assert not transition_allowed(level, Mode.NORMAL)  # an emergency ends in recovery
        assert not transition_allowed(level, Mode.WATCH)
        assert transition_allowed(level, Mode.RECOVERY)
        assert all(transition_allowed(level, other) for other in EMERGENCY_LEVELS
                   if other is not level)
        assert transition_allowed(Mode.NORMAL, level) and transition_allowed(Mode.WATCH, level)
        assert transition_allowed(Mode.RECOVERY, level)  # the emergency comes back
    assert not transition_allowed(Mode.NORMAL, Mode.RECOVERY)
    assert not transition_allowed(Mode.WATCH, Mode.RECOVERY)
    assert all(m not in targets for m, targets in TRANSITIONS.items())


@given(st.integers(0, 3), st.floats(0, 0.5), st.integers(0, 2), st.floats(0, 48))
def test_recovery_ends_only_when_every_exit_criterion_holds(
    requests: int, unmet: float, warnings: int, hours: float,
) -> None:
    criteria = ExitCriteria(max_open_urgent_requests=1, max_unmet_demand=0.1,
                            max_active_warnings=0, min_hours_in_recovery=24)
    seen = ExitObservation(requests, unmet, warnings, hours)
    refusal = check_switch(role=Role.PLATFORM_ADMIN, area_kind=AreaKind.COMMUNITY,
                           path=[None, Mode.RECOVERY], target=Mode.NORMAL,
                           criteria=criteria, seen=seen)
    holds = requests <= 1 and unmet <= 0.1 and warnings == 0 and hours >= 24
    assert (refusal is None) == holds
    if not holds:
        assert refusal is Refusal.EXIT_CRITERIA_UNMET


def test_role_ceilings_and_refusal_codes() -> None:
    def attempt(role: Role, target: Mode, path: list[Mode | None] | None = None,
                kind: AreaKind = AreaKind.COMMUNITY) -> Refusal | None:
        return check_switch(role=role, area_kind=kind, path=path or [None], target=target)

    assert attempt(Role.COMMUNITY_COMMITTEE, Mode.LEVEL_IV) is None
    assert attempt(Role.COMMUNITY_COMMITTEE, Mode.LEVEL_III) is Refusal.LEVEL_NOT_ALLOWED
    assert attempt(Role.STREET_COMMANDER, Mode.LEVEL_III) is None
    assert attempt(Role.STREET_COMMANDER, Mode.LEVEL_II) is Refusal.LEVEL_NOT_ALLOWED
    assert attempt(Role.DISTRICT_COMMANDER, Mode.LEVEL_I) is None
    assert attempt(Role.RESIDENT, Mode.WATCH) is Refusal.LEVEL_NOT_ALLOWED
    # A committee may not lift a level III its street set on the community either.
    assert attempt(Role.COMMUNITY_COMMITTEE, Mode.RECOVERY,
                   [None, Mode.LEVEL_III]) is Refusal.LEVEL_NOT_ALLOWED
    assert attempt(Role.PLATFORM_ADMIN, Mode.WATCH, [Mode.LEVEL_IV, None]) \
        is Refusal.BELOW_PARENT
    assert attempt(Role.PLATFORM_ADMIN, Mode.NORMAL, [Mode.LEVEL_II]) \
        is Refusal.ILLEGAL_TRANSITION
    assert attempt(Role.PLATFORM_ADMIN, Mode.WATCH, [Mode.WATCH]) is Refusal.UNCHANGED
    assert attempt(Role.PLATFORM_ADMIN, Mode.WATCH, kind=AreaKind.GRID) is Refusal.NOT_SETTABLE


# A tree: city 0 → districts 1, 2 → streets 3..6 → communities 7..14.
PARENT = {1: 0, 2: 0, **{s: 1 + (s - 3) // 2 for s in range(3, 7)},
          **{c: 3 + (c - 7) // 2 for c in range(7, 15)}}
KIND = {0: AreaKind.CITY, 1: AreaKind.DISTRICT, 2: AreaKind.DISTRICT,
        **{s: AreaKind.STREET for s in range(3, 7)},
        **{c: AreaKind.COMMUNITY for c in range(7, 15)}}


def _path(area: int) -> list[int]:
    path = [area]
    while path[0] in PARENT:
        path.insert(0, PARENT[path[0]])
    return path


class ModeBoard(RuleBasedStateMachine):
    """Random switches by random roles on a tree: the invariants hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.own: dict[int, Mode] = {}
        self.history: dict[int, list[Mode]] = {a: [Mode.NORMAL] for a in KIND}

    def effective(self, area: int) -> Mode:
        return effective_mode([self.own.get(a) for a in _path(area)]).mode

    # (rule() reserves the keyword "target", hence "level")
    @rule(area=st.sampled_from(sorted(KIND)), level=modes, role=roles, seen=observations)
    def switch(self, area: int, level: Mode, role: Role, seen: ExitObservation) -> None:
        before = dict(self.own)
        path = [self.own.get(a) for a in _path(area)]
        refusal = check_switch(role=role, area_kind=KIND[area], path=path, target=level,
                               seen=seen)
        if refusal is None:
            if level is Mode.NORMAL:
                self.own.pop(area, None)
            else:
                self.own[area] = level
            self.history[area].append(level)
        else:
            assert self.own == before  # a refused switch changes nothing

    @invariant()
    def child_never_below_parent(self) -> None:
        for child, parent in PARENT.items():
            assert severity(self.effective(child)) >= severity(self.effective(parent))

    @invariant()
    def one_mode_per_area(self) -> None:
        assert all(isinstance(self.effective(a), Mode) for a in KIND)

    @invariant()
    def emergencies_end_through_recovery(self) -> None:
        for steps in self.history.values():
            for previous, current in pairwise(steps):
                if previous in EMERGENCY_LEVELS:
                    assert current is not Mode.NORMAL and current is not Mode.WATCH


ModeBoard.TestCase.settings = settings(max_examples=60, stateful_step_count=40,
                                       deadline=None)
TestModeBoard = ModeBoard.TestCase
