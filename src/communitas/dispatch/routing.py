"""Which level should hold a request: pure rules over plain numbers, no I/O.

Levels climb community → street → district → outside support (professional teams, market
organisations, neighbouring streets). A request goes to the lowest level whose stock meets
all of it; failing that, the lowest that meets more than half of its priority-weighted
quantity; failing that, the level that meets the most; and outside when none has any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "LEVELS", "PRIORITY_WEIGHTS", "Level", "Need", "RoutingDecision", "Supply", "coverage",
    "next_level", "route",
]


class Level(StrEnum):
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    OUTSIDE = "outside"


LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.OUTSIDE)
# A priority-1 line (life-threatening) weighs as much as eight priority-4 lines.
PRIORITY_WEIGHTS = {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0}
MOST = 0.5  # "most of the request": strictly more than half of the weighted quantity


@dataclass(frozen=True)
class Need:
    """One line still to meet: the quantity, and the types that may meet it (in order)."""

    options: tuple[str, ...]
    quantity: int
    weight: float = 1.0


@dataclass(frozen=True)
class Supply:
    """Units available to one level, by resource type code."""

    level: Level
    available: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingDecision:
    level: Level
    coverage: float
    met_in_full: bool


def next_level(level: Level) -> Level | None:
    """The level above ``level``, or None at the top."""
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def coverage(needs: Iterable[Need], available: Mapping[str, int]) -> float:
    """Weighted share (0..1) of ``needs`` that ``available`` meets, lines taken in order.

    Each line draws on its own type first, then its substitutes, from one shared pool, so
    two lines never count the same units.
    """
    pool = dict(available)
    met_weight = total_weight = 0.0
    for need in needs:
        if need.quantity <= 0:
            continue
        left = need.quantity
        for option in need.options:
            take = min(left, max(pool.get(option, 0), 0))
            pool[option] = pool.get(option, 0) - take
            left -= take
        total_weight += need.weight
        met_weight += need.weight * (need.quantity - left) / need.quantity
    return 1.0 if total_weight == 0 else met_weight / total_weight


def route(
    needs: Iterable[Need], supplies: Iterable[Supply], *, floor: Level = Level.COMMUNITY
) -> RoutingDecision:
    """The lowest level at or above ``floor`` that can meet the request (see module doc)."""
    needs = list(needs)
    by_level = {s.level: s for s in supplies}
    candidates = [lv for lv in LEVELS[LEVELS.index(floor):]]
    scored = [(lv, coverage(needs, by_level[lv].available) if lv in by_level else 0.0)
              for lv in candidates]
    for level, share in scored:
        if share >= 1.0:
            return RoutingDecision(level, 1.0, True)
    for level, share in scored:
        if share > MOST:
            return RoutingDecision(level, share, False)
    best_level, best = max(scored, key=lambda item: (item[1], -LEVELS.index(item[0])))
    if best > 0:
        return RoutingDecision(best_level, best, False)
    return RoutingDecision(Level.OUTSIDE, scored[-1][1], False)
