"""Modes, emergency levels and warning colours, and the one order that says which is higher.

Pure data. Severity order (``higher`` means a heavier response posture)::

    normal < recovery < watch < level_iv < level_iii < level_ii < level_i

Recovery sits just above normal: the emergency is over but its exit criteria do not hold
yet. Any live threat, even a watch, outranks it, so a new warning may always raise an area
that is still recovering.
"""

from __future__ import annotations

from enum import StrEnum

from communitas.i18n import _

__all__ = [
    "COLOUR_HEX", "COLOUR_LEVEL", "EMERGENCY_LEVELS", "LEVEL_COLOUR", "MODE_COLOUR",
    "MODE_LABELS", "SEVERITY", "SEVERITY_COLOUR", "CapSeverity", "Colour", "Mode", "Urgency",
    "highest", "severity",
]


class Mode(StrEnum):
    NORMAL = "normal"
    RECOVERY = "recovery"
    WATCH = "watch"
    LEVEL_IV = "level_iv"
    LEVEL_III = "level_iii"
    LEVEL_II = "level_ii"
    LEVEL_I = "level_i"


SEVERITY: dict[Mode, int] = {mode: rank for rank, mode in enumerate(Mode)}
EMERGENCY_LEVELS = (Mode.LEVEL_IV, Mode.LEVEL_III, Mode.LEVEL_II, Mode.LEVEL_I)


class Colour(StrEnum):
    """Warning colours of China's early-warning system (blue least, red most severe)."""

    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class CapSeverity(StrEnum):
    """CAP 1.2 ``severity`` values, spelt as the standard spells them."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Urgency(StrEnum):
    """CAP 1.2 ``urgency`` values."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


LEVEL_COLOUR: dict[Mode, Colour] = {
    Mode.LEVEL_IV: Colour.BLUE, Mode.LEVEL_III: Colour.YELLOW,
    Mode.LEVEL_II: Colour.ORANGE, Mode.LEVEL_I: Colour.RED,
}
COLOUR_LEVEL: dict[Colour, Mode] = {colour: level for level, colour in LEVEL_COLOUR.items()}
# GB/T 35965.1 pairs CAP severities with the four colours this way.
SEVERITY_COLOUR: dict[CapSeverity, Colour] = {
    CapSeverity.EXTREME: Colour.RED, CapSeverity.SEVERE: Colour.ORANGE,
    CapSeverity.MODERATE: Colour.YELLOW, CapSeverity.MINOR: Colour.BLUE,
}

COLOUR_HEX: dict[Colour, str] = {
    Colour.BLUE: "#1f6fd1", Colour.YELLOW: "#f2c200", Colour.ORANGE: "#f07c00",
    Colour.RED: "#d62828",
}
# Map colours for every mode: the four levels keep their warning colours.
MODE_COLOUR: dict[Mode, str] = {
    Mode.NORMAL: "#2e7d32", Mode.RECOVERY: "#7b61ff", Mode.WATCH: "#5b8fa8",
    **{level: COLOUR_HEX[colour] for level, colour in LEVEL_COLOUR.items()},
}

MODE_LABELS: dict[Mode, str] = {
    Mode.NORMAL: _("Normal"),
    Mode.RECOVERY: _("Recovery"),
    Mode.WATCH: _("Watch"),
    Mode.LEVEL_IV: _("Emergency level IV (blue)"),
    Mode.LEVEL_III: _("Emergency level III (yellow)"),
    Mode.LEVEL_II: _("Emergency level II (orange)"),
    Mode.LEVEL_I: _("Emergency level I (red)"),
}


def severity(mode: Mode) -> int:
    return SEVERITY[mode]


def highest(*modes: Mode) -> Mode:
    """The most severe of ``modes`` (normal when none are given)."""
    return max(modes, key=severity, default=Mode.NORMAL)
