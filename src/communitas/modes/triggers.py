"""What warnings and indicator readings ask of the mode machine. Pure rules, no I/O.

A warning's colour maps to a level (blue IV … red I); a rule per hazard × colour says
whether that proposes a switch for a commander to confirm, performs it, or is ignored, and
after how many minutes an unanswered warning escalates. An indicator rule fires when a
reading crosses its threshold upwards. Configured rules replace these defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from communitas.areas.codes import AreaKind
from communitas.auth.roles import Role
from communitas.modes.levels import (
    COLOUR_LEVEL,
    SEVERITY_COLOUR,
    CapSeverity,
    Colour,
    Mode,
    severity,
)

__all__ = [
    "ANY_HAZARD", "COMMANDER_ROLE", "DEFAULT_INDICATOR_RULES", "DEFAULT_WARNING_RULES",
    "HAZARD_ALIASES", "INDICATOR_HAZARD", "Indicator", "IndicatorRule", "TriggerAction",
    "WarningRule", "covers", "crossed_rule", "escalation_index", "indicator_rules_for",
    "normalise_hazard", "warning_colour", "warning_rule_for",
]

ANY_HAZARD = "*"


class TriggerAction(StrEnum):
    PROPOSE = "propose"  # a pending proposal a commander confirms or dismisses
    PERFORM = "perform"  # the platform switches at once, as the trigger
    IGNORE = "ignore"


class Indicator(StrEnum):
    WATER_LEVEL_M = "water_level_m"
    RAINFALL_MM_H = "rainfall_mm_h"
    OPEN_URGENT_REQUESTS = "open_urgent_requests"
    UNMET_DEMAND = "unmet_demand"  # share of requested units not yet delivered, 0–1
    CASE_COUNT = "case_count"


INDICATOR_HAZARD: dict[Indicator, str | None] = {
    Indicator.WATER_LEVEL_M: "flood", Indicator.RAINFALL_MM_H: "flood",
    Indicator.CASE_COUNT: "epidemic", Indicator.OPEN_URGENT_REQUESTS: None,
    Indicator.UNMET_DEMAND: None,
}

# Weather bureaux name warnings by phenomenon; plans are kept by hazard.
HAZARD_ALIASES = {"rainstorm": "flood", "storm_surge": "typhoon", "high_temperature": "heat_wave"}

# Who answers for an area of each kind: proposals and escalations are addressed to them.
COMMANDER_ROLE: dict[AreaKind, Role] = {
    AreaKind.COMMUNITY: Role.COMMUNITY_COMMITTEE, AreaKind.STREET: Role.STREET_COMMANDER,
    AreaKind.DISTRICT: Role.DISTRICT_COMMANDER, AreaKind.CITY: Role.PLATFORM_ADMIN,
}


@dataclass(frozen=True)
class WarningRule:
    hazard: str  # a hazard, or ANY_HAZARD
    colour: Colour
    action: TriggerAction
    target: Mode
    escalate_after_minutes: int | None = None  # the no-response timer; None: no timer


@dataclass(frozen=True)
class IndicatorRule:
    indicator: Indicator
    threshold: float
    action: TriggerAction
    target: Mode
    hazard: str | None = None
    area_code: str | None = None  # None: everywhere without a rule of its own


# Every colour proposes its own level; orange and red start the no-response timer
# (Zhengzhou 2021: red warnings went hours without a matching response).
_TIMER = {Colour.ORANGE: 30, Colour.RED: 15}
DEFAULT_WARNING_RULES: tuple[WarningRule, ...] = tuple(
    WarningRule(ANY_HAZARD, colour, TriggerAction.PROPOSE, level, _TIMER.get(colour))
    for colour, level in COLOUR_LEVEL.items()
)


def _rule(indicator: Indicator, threshold: float, action: TriggerAction,
          target: Mode) -> IndicatorRule:
    return IndicatorRule(indicator, threshold, action, target, INDICATOR_HAZARD[indicator])


P, A = TriggerAction.PROPOSE, TriggerAction.PERFORM
# Generic starting points (docs/modes-and-plans.md); gauges and districts set their own.
DEFAULT_INDICATOR_RULES: tuple[IndicatorRule, ...] = (
    _rule(Indicator.WATER_LEVEL_M, 4.0, P, Mode.WATCH),
    _rule(Indicator.WATER_LEVEL_M, 4.5, P, Mode.LEVEL_IV),
    _rule(Indicator.WATER_LEVEL_M, 5.0, P, Mode.LEVEL_III),
    _rule(Indicator.RAINFALL_MM_H, 20, A, Mode.WATCH),
    _rule(Indicator.RAINFALL_MM_H, 50, P, Mode.LEVEL_IV),
    _rule(Indicator.RAINFALL_MM_H, 80, P, Mode.LEVEL_III),
    _rule(Indicator.RAINFALL_MM_H, 100, P, Mode.LEVEL_II),
    _rule(Indicator.OPEN_URGENT_REQUESTS, 20, P, Mode.LEVEL_IV),
    _rule(Indicator.OPEN_URGENT_REQUESTS, 50, P, Mode.LEVEL_III),
    _rule(Indicator.UNMET_DEMAND, 0.2, P, Mode.LEVEL_IV),
    _rule(Indicator.UNMET_DEMAND, 0.4, P, Mode.LEVEL_III),
    _rule(Indicator.CASE_COUNT, 1, P, Mode.WATCH),
    _rule(Indicator.CASE_COUNT, 10, P, Mode.LEVEL_IV),
    _rule(Indicator.CASE_COUNT, 50, P, Mode.LEVEL_III),
)


def normalise_hazard(hazard: str) -> str:
    text = hazard.strip().lower()
    return HAZARD_ALIASES.get(text, text)


def warning_colour(colour: Colour | None, cap_severity: CapSeverity | None) -> Colour | None:
    """The warning's colour, or the one its CAP severity stands for."""
    if colour is not None:
        return colour
    return SEVERITY_COLOUR.get(cap_severity) if cap_severity is not None else None


def warning_rule_for(configured: Iterable[WarningRule], hazard: str,
                     colour: Colour) -> WarningRule:
    """The configured rule for hazard × colour, else for any hazard, else the default."""
    for rules in (list(configured), DEFAULT_WARNING_RULES):
        for wanted in (hazard, ANY_HAZARD):
            for rule in rules:
                if rule.hazard == wanted and rule.colour == colour:
                    return rule
    raise AssertionError(f"no default rule for {colour}")  # every colour has a default


def indicator_rules_for(configured: Iterable[IndicatorRule], indicator: Indicator,
                        path_codes: Sequence[str]) -> list[IndicatorRule]:
    """Rules in force for ``indicator`` on the last area of ``path_codes`` (root first).

    The nearest area with rules of its own wins; then configured rules for everywhere;
    then the defaults.
    """
    mine = [r for r in configured if r.indicator == indicator]
    for code in reversed(path_codes):
        local = [r for r in mine if r.area_code == code]
        if local:
            return local
    everywhere = [r for r in mine if r.area_code is None]
    return everywhere or [r for r in DEFAULT_INDICATOR_RULES if r.indicator == indicator]


def crossed_rule(rules: Iterable[IndicatorRule], previous: float | None,
                 value: float) -> IndicatorRule | None:
    """The most severe rule whose threshold the reading crossed upwards, if any.

    A first reading (no previous one) crosses every threshold it is at or above.
    """
    fired = [r for r in rules if value >= r.threshold
             and (previous is None or previous < r.threshold)
             and r.action is not TriggerAction.IGNORE]
    return max(fired, key=lambda r: (severity(r.target), r.threshold), default=None)


def covers(polygon: BaseGeometry, geometry: dict[str, Any] | None,
           point: tuple[float, float] | None) -> bool:
    """Whether a warning polygon covers an area: their interiors meet (a shared edge is not
    enough), or, for an area without geometry, its representative point lies inside."""
    if geometry is not None:
        area = shape(geometry)
        return bool(polygon.intersects(area) and not polygon.touches(area))
    if point is not None:
        return bool(polygon.contains(Point(point)))
    return False


def escalation_index(path_length: int, escalations: int) -> int | None:
    """Index in an area's path (root first) of the area an unanswered warning goes to after
    ``escalations`` escalations: one level up each time, never past the root."""
    index = path_length - 1 - escalations
    return index if index >= 0 else None
