"""Requests a scenario's residents make: Poisson arrivals per area. Pure, seeded.

For an area of P residents with vulnerable groups g (weights w_g) struck with severity s,
requests arrive at  λ(t) = s × f(t) × r × (P + Σ w_g·g) / 1000 / 24  per hour, where r is
``per_1000_per_day`` and f(t) the step profile. The share Σ w_g·g / (P + Σ w_g·g) of them
come from vulnerable households: they may ask for the ``vulnerable_only`` items and go in
with priority 2 (others 3).

An area that loses power (a ``power_loss`` inject with ``demand``) adds arrivals of its
own for as long as the outage lasts, by the same formula with the outage's rate and item
mix (severity 1), drawn after the scenario's so those stay as they were.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from communitas.drills.scenario import (
    DemandSpec,
    ItemShare,
    OutageDemand,
    Scenario,
    duration_minutes,
)

__all__ = ["Arrival", "DemandArea", "Outage", "arrivals", "hourly_rate"]


@dataclass(frozen=True)
class DemandArea:
    """A community or building the hazard strikes, with its residents."""

    code: str
    population: int
    groups: dict[str, int]
    severity: float


@dataclass(frozen=True)
class Outage:
    """Residents of ``areas`` without power from ``start`` to ``stop`` (drill minutes)."""

    start: float
    stop: float
    areas: tuple[DemandArea, ...]
    demand: OutageDemand


@dataclass(frozen=True)
class Arrival:
    minute: float
    area: str
    resource_type: str
    quantity: int
    vulnerable: bool


def _weighted(spec: DemandSpec, area: DemandArea) -> tuple[float, float]:
    extra = sum(w * area.groups.get(g, 0) for g, w in spec.vulnerability_weights.items())
    return area.population + extra, extra


def _poisson(area: DemandArea, items: Sequence[ItemShare], weighted: float, extra: float,
             per_hour: float, span: tuple[float, float], rng: random.Random
             ) -> list[Arrival]:
    """Arrivals at ``per_hour`` within ``span``; a ``extra / weighted`` share vulnerable."""
    general = [i for i in items if not i.vulnerable_only]
    vulnerable_share = extra / weighted if weighted else 0.0
    rate, (t, stop) = per_hour / 60, span
    found: list[Arrival] = []
    while rate > 0:
        t += rng.expovariate(rate)
        if t >= stop:
            break
        vulnerable = rng.random() < vulnerable_share
        item = _pick(list(items) if vulnerable or not general else general, rng)
        found.append(Arrival(round(t, 3), area.code, item.resource_type, item.quantity,
                             vulnerable))
    return found


def hourly_rate(spec: DemandSpec, area: DemandArea, factor: float = 1.0) -> float:
    """Requests per hour at profile factor ``factor``."""
    weighted, _extra = _weighted(spec, area)
    return area.severity * factor * spec.per_1000_per_day * weighted / 1000 / 24


def _phases(scenario: Scenario) -> list[tuple[float, float, float]]:
    """(start, end, factor) minutes covering the drill; factor 1 before the first phase."""
    end = float(scenario.minutes)
    marks = [(float(duration_minutes(p.at)), p.factor) for p in scenario.demand.profile]
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0.0, 1.0))
    bounds = [m[0] for m in marks[1:]] + [end]
    return [(start, min(stop, end), f) for (start, f), stop in zip(marks, bounds, strict=True)
            if start < end]


def _pick(items: list[ItemShare], rng: random.Random) -> ItemShare:
    total = sum(i.share for i in items)
    draw, running = rng.random() * total, 0.0
    for item in items:
        running += item.share
        if draw < running:
            return item
    return items[-1]


def arrivals(scenario: Scenario, areas: list[DemandArea], rng: random.Random,
             outages: Sequence[Outage] = ()) -> list[Arrival]:
    """Every request of the drill in time order (ties by area code), one item line each."""
    spec = scenario.demand
    result: list[Arrival] = []
    for area in sorted(areas, key=lambda a: a.code):
        weighted, extra = _weighted(spec, area)
        for start, stop, factor in _phases(scenario):
            result += _poisson(area, spec.items, weighted, extra,
                               hourly_rate(spec, area, factor), (start, stop), rng)
    for outage in outages:
        for area in sorted(outage.areas, key=lambda a: a.code):
            weighted, extra = _weighted(spec, area)
            per_hour = outage.demand.per_1000_per_day * weighted / 1000 / 24
            result += _poisson(area, outage.demand.items, weighted, extra, per_hour,
                               (outage.start, min(outage.stop, float(scenario.minutes))), rng)
    return sorted(result, key=lambda a: (a.minute, a.area))
