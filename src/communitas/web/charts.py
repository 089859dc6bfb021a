"""Small charts drawn as inline SVG by the templates (``_charts.html``): no script, no CDN,
readable on a phone. This module only computes the geometry; labels stay HTML text so
they are translated like any other string."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Bar", "Column", "bars", "per_minute"]

COLOUR = "#5b8fa8"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown beside the bar
    percent: float  # bar length, 0–100, of the chart's scale
    colour: str = COLOUR


@dataclass(frozen=True)
class Column:
    x: float
    height: float  # 0–100
    count: int


def bars(rows: Iterable[tuple[str, float, str]], *, scale: float | None = None,
         colour: str = COLOUR, highlight: dict[str, str] | None = None) -> list[Bar]:
    """One bar per (label, value, shown text); lengths relative to ``scale`` (default: the
    largest value). ``highlight`` gives some labels another colour."""
    items = list(rows)
    top = scale if scale is not None else max((v for _l, v, _t in items), default=0)
    return [Bar(label, value, text, round(100 * value / top, 1) if top > 0 else 0.0,
                (highlight or {}).get(label, colour)) for label, value, text in items]


def per_minute(times: Iterable[datetime], *, most: int = 60) -> tuple[list[Column], int]:
    """A histogram of ``times`` from the first one: at most ``most`` columns; returns the
    columns (x and height in a 0–100 box) and the minutes each column spans."""
    stamps = sorted(times)
    if not stamps:
        return [], 1
    span = (stamps[-1] - stamps[0]).total_seconds() / 60
    width = max(1, -(-int(span + 1) // most))  # minutes per column, rounded up
    counts: dict[int, int] = {}
    for at in stamps:
        slot = int((at - stamps[0]).total_seconds() // 60) // width
        counts[slot] = counts.get(slot, 0) + 1
    slots = max(counts) + 1
    top = max(counts.values())
    return [Column(x=round(100 * i / slots, 2), height=round(100 * counts.get(i, 0) / top, 1),
                   count=counts.get(i, 0)) for i in range(slots)], width
