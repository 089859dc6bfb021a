"""The mode machine: effective modes, allowed transitions, role ceilings, exit criteria.

Pure functions over plain data; the service loads the facts and writes the outcome.
An area stores only the mode *set on it*; its effective mode is the most severe mode set on
it or any ancestor, so a child is never below its parent by construction. A switch changes
the area's own setting and is checked here, in this order:

1. the area kind carries a mode (city, district, street, community);
2. the target differs from the area's own setting;
3. the role may act at both the current and the target level (``ROLE_CEILING``);
4. ``TRANSITIONS`` allows own → target;
5. the target is not below the parent's effective mode;
6. recovery → normal only when the exit criteria hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from communitas.areas.codes import AreaKind
from communitas.auth.roles import Role
from communitas.modes.levels import EMERGENCY_LEVELS, Mode, highest, severity

__all__ = [
    "MODE_KINDS", "ROLE_CEILING", "TRANSITIONS", "EffectiveMode", "ExitCriteria",
    "ExitObservation", "Refusal", "check_switch", "effective_mode", "transition_allowed",
]

MODE_KINDS = frozenset({AreaKind.CITY, AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY})

_LEVELS = frozenset(EMERGENCY_LEVELS)

# own mode → the modes it may switch to. An emergency ends only through recovery, and
# recovery ends in normal only when its exit criteria hold (checked in check_switch).
TRANSITIONS: dict[Mode, frozenset[Mode]] = {
    Mode.NORMAL: frozenset({Mode.WATCH, *_LEVELS}),
    Mode.WATCH: frozenset({Mode.NORMAL, *_LEVELS}),
    **{level: frozenset({Mode.RECOVERY, *(_LEVELS - {level})}) for level in _LEVELS},
    Mode.RECOVERY: frozenset({Mode.NORMAL, Mode.WATCH, *_LEVELS}),
}

# The most severe mode each role may set or lift, always within its own area scope.
ROLE_CEILING: dict[Role, Mode] = {
    Role.PLATFORM_ADMIN: Mode.LEVEL_I,
    Role.DISTRICT_COMMANDER: Mode.LEVEL_I,
    Role.STREET_COMMANDER: Mode.LEVEL_III,
    Role.COMMUNITY_COMMITTEE: Mode.LEVEL_IV,
}


class Refusal(StrEnum):
    """Why a switch is refused; the values are the API's error codes."""

    NOT_SETTABLE = "mode_not_settable"
    UNCHANGED = "mode_unchanged"
    LEVEL_NOT_ALLOWED = "level_not_allowed"
    ILLEGAL_TRANSITION = "illegal_transition"
    BELOW_PARENT = "below_parent_mode"
    EXIT_CRITERIA_UNMET = "exit_criteria_unmet"


@dataclass(frozen=True)
class ExitCriteria:
    """When an area in recovery may return to normal: every observed value within bounds."""

    max_open_urgent_requests: float = 0
    max_unmet_demand: float = 0
    max_active_warnings: int = 0
    min_hours_in_recovery: float = 0

    def unmet(self, seen: ExitObservation) -> list[str]:
        """The names of the criteria that do not hold, in a stable order."""
        failed = []
        if seen.open_urgent_requests > self.max_open_urgent_requests:
            failed.append("open_urgent_requests")
        if seen.unmet_demand > self.max_unmet_demand:
            failed.append("unmet_demand")
        if seen.active_warnings > self.max_active_warnings:
            failed.append("active_warnings")
        if seen.hours_in_recovery < self.min_hours_in_recovery:
            failed.append("hours_in_recovery")
        return failed

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class ExitObservation:
    """What is true of an area now, for its exit criteria."""

    open_urgent_requests: float = 0
    unmet_demand: float = 0
    active_warnings: int = 0
    hours_in_recovery: float = 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class EffectiveMode:
    """An area's effective mode and the index in its path of the area that set it."""

    mode: Mode
    source: int | None  # None: nothing is set on the path, the area is normal


def effective_mode(path: Sequence[Mode | None]) -> EffectiveMode:
    """The most severe mode set along ``path`` (root first, the area last).

    On a tie the deepest setting is the source: it is the one that stays if the others go.
    """
    best, source = Mode.NORMAL, None
    for index, own in enumerate(path):
        if own is not None and severity(own) >= severity(best):
            best, source = own, index
    return EffectiveMode(best, source)


def transition_allowed(current: Mode, target: Mode) -> bool:
    return target in TRANSITIONS[current]


def check_switch(
    *,
    role: Role,
    area_kind: AreaKind,
    path: Sequence[Mode | None],
    target: Mode,
    criteria: ExitCriteria | None = None,
    seen: ExitObservation | None = None,
) -> Refusal | None:
    """Why switching the last area of ``path`` to ``target`` is refused, or None if allowed."""
    own = path[-1] or Mode.NORMAL
    if area_kind not in MODE_KINDS:
        return Refusal.NOT_SETTABLE
    if target == own:
        return Refusal.UNCHANGED
    ceiling = ROLE_CEILING.get(role)
    if ceiling is None or severity(highest(own, target)) > severity(ceiling):
        return Refusal.LEVEL_NOT_ALLOWED
    if not transition_allowed(own, target):
        return Refusal.ILLEGAL_TRANSITION
    if severity(target) < severity(effective_mode(path[:-1]).mode):
        return Refusal.BELOW_PARENT
    if own == Mode.RECOVERY and target == Mode.NORMAL and (
        criteria or ExitCriteria()).unmet(seen or ExitObservation()):
        return Refusal.EXIT_CRITERIA_UNMET
    return None
