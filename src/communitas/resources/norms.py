"""Reserve norms: how much a community should hold, and its gap. Pure; no I/O.

The formula (docs/reserve-norms.md explains each term and where the figures come from)::

    daily    = per_1000_residents × population / 1000
             + Σ per_100_<group> × <group> / 100     (aged 65+, 80+, living alone, disabled,
                                                      infants, chronically ill)
    factor   = max(hazard_multipliers[h] for h in the community's hazards that the rule lists)
               or 1 when it lists none of them (0 when the rule is hazard-specific)
    required = ⌈days_of_cover × daily × factor⌉
    gap      = max(0, required − held within reach);  shortfall = gap / required

Held within reach counts a population-proportional (fractional) share of the street reserve.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

__all__ = [
    "GROUPS",
    "CommunityStats",
    "Gap",
    "NormRule",
    "daily_need",
    "hazard_factor",
    "required_quantity",
    "reserve_gap",
    "street_share",
]

# Vulnerable groups counted per community, in the order of areas.models.VULNERABILITY_FIELDS.
GROUPS = ("aged_65", "aged_80", "living_alone", "disabled", "infants", "chronically_ill")

# Float products such as 3 × 0.1 × 1000 must not round 300.0000001 up to 301.
_DECIMALS = 6


@dataclass(frozen=True)
class NormRule:
    """The coefficients of one resource type's reserve norm."""

    per_1000_residents: float = 0.0
    per_100_aged_65: float = 0.0
    per_100_aged_80: float = 0.0
    per_100_living_alone: float = 0.0
    per_100_disabled: float = 0.0
    per_100_infants: float = 0.0
    per_100_chronically_ill: float = 0.0
    hazard_multipliers: Mapping[str, float] = field(default_factory=dict)
    hazard_specific: bool = False
    days_of_cover: int = 1

    @cached_property
    def group_weights(self) -> tuple[float, ...]:
        """``per_100_<group>`` in the order of GROUPS (a district asks for 7,200 needs)."""
        return tuple(getattr(self, f"per_100_{group}") for group in GROUPS)


@dataclass(frozen=True)
class CommunityStats:
    """Residents of one community and its vulnerable groups (people may be in several)."""

    population: int = 0
    aged_65: int = 0
    aged_80: int = 0
    living_alone: int = 0
    disabled: int = 0
    infants: int = 0
    chronically_ill: int = 0

    @cached_property
    def group_counts(self) -> tuple[int, ...]:
        """The vulnerable groups' counts in the order of GROUPS."""
        return tuple(getattr(self, group) for group in GROUPS)


@dataclass(frozen=True)
class Gap:
    required: int
    held: float
    gap: float
    shortfall: float  # gap / required, 0 when nothing is required


def daily_need(rule: NormRule, stats: CommunityStats) -> float:
    """Units needed per day of cover, before hazards."""
    need = rule.per_1000_residents * stats.population / 1000
    for weight, count in zip(rule.group_weights, stats.group_counts, strict=True):
        need += weight * count / 100
    return need


def hazard_factor(rule: NormRule, hazards: Iterable[str]) -> float:
    """The largest multiplier among the hazards the community faces and the rule lists."""
    factors = [rule.hazard_multipliers[h] for h in set(hazards) if h in rule.hazard_multipliers]
    if factors:
        return max(factors)
    return 0.0 if rule.hazard_specific else 1.0


def required_quantity(rule: NormRule, stats: CommunityStats, hazards: Iterable[str]) -> int:
    """Whole units a community should hold of the rule's resource type."""
    exact = rule.days_of_cover * daily_need(rule, stats) * hazard_factor(rule, hazards)
    return max(0, math.ceil(round(exact, _DECIMALS)))


def street_share(street_quantity: int, population: int, street_population: int) -> float:
    """A community's population-proportional share of its street's reserve.

    Fractional on purpose: two generators at a street of ten equal communities count as 0.2
    for each, so the street's stock is counted exactly once and still shows everywhere.
    """
    if street_population <= 0 or street_quantity <= 0:
        return 0.0
    return street_quantity * min(population, street_population) / street_population


def reserve_gap(*, required: int, held: float) -> Gap:
    """How far ``held`` falls short of ``required`` (never below zero), to 2 decimals."""
    gap = max(0.0, required - held)
    shortfall = round(gap / required, 4) if required > 0 else 0.0
    return Gap(required=required, held=round(held, 2), gap=round(gap, 2), shortfall=shortfall)
