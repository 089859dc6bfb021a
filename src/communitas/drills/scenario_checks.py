"""Rules of a scenario that span fields. Pure; each problem comes with its field path."""

from __future__ import annotations

from collections.abc import Iterator

from communitas.drills.scenario import (
    DemandSpec,
    ItemShare,
    PowerLossInject,
    Scenario,
    ServicePoint,
    ServiceTime,
    duration_minutes,
)

__all__ = ["Problem", "semantic_issues"]

Problem = tuple[tuple[str | int, ...], str]

_MIX_TOLERANCE = 1e-6
# Which parameters each service-time distribution needs; the others must be left out.
_NEEDS = {"exponential": {"mean"}, "fixed": {"mean"}, "lognormal": {"median", "sigma"}}


def semantic_issues(scenario: Scenario) -> list[Problem]:
    """Every cross-field problem, in file order."""
    return [*_timing(scenario), *_affected(scenario), *_demand(scenario.demand),
            *_outages(scenario), *_points(scenario.service_points, scenario.minutes)]


def _within(value: str, end: int, loc: tuple[str | int, ...]) -> Iterator[Problem]:
    if duration_minutes(value) > end:
        yield loc, f"{value} is after the end of the drill ({end // 60} h)"


def _timing(scenario: Scenario) -> Iterator[Problem]:
    end = scenario.minutes
    if end == 0:
        yield ("duration",), "the drill must last longer than zero"
    step = duration_minutes(scenario.step)
    if step == 0 or (end and step > end):
        yield ("step",), "the step must be positive and no longer than the drill"
    for i, inject in enumerate(scenario.injects):
        yield from _within(inject.at, end, ("injects", i, "at"))
        if inject.until is not None and duration_minutes(inject.until) <= \
                duration_minutes(inject.at):
            yield ("injects", i, "until"), "until must come after at"
    if duration_minutes(scenario.dispatch.plan_every) == 0:
        yield ("dispatch", "plan_every"), "dispatchers must plan at a positive interval"


def _affected(scenario: Scenario) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, area in enumerate(scenario.affected):
        if area.code in seen:
            yield ("affected", i, "code"), f"area {area.code} is listed twice"
        seen.add(area.code)


def _mix(items: list[ItemShare], loc: tuple[str | int, ...]) -> Iterator[Problem]:
    total = sum(item.share for item in items if not item.vulnerable_only)
    if total > 1 + _MIX_TOLERANCE:
        yield loc, f"the shares of the item mix add up to {total:g}, more than 1"
    types = [item.resource_type for item in items]
    for i, code in enumerate(types):
        if types.index(code) != i:
            yield (*loc, i, "resource_type"), f"{code} is listed twice"


def _outages(scenario: Scenario) -> Iterator[Problem]:
    for i, inject in enumerate(scenario.injects):
        if isinstance(inject, PowerLossInject) and inject.demand is not None:
            yield from _mix(inject.demand.items, ("injects", i, "demand", "items"))


def _demand(demand: DemandSpec) -> Iterator[Problem]:
    yield from _mix(demand.items, ("demand", "items"))
    previous = -1
    for i, phase in enumerate(demand.profile):
        at = duration_minutes(phase.at)
        if at <= previous:
            yield ("demand", "profile", i, "at"), "profile phases must be in time order"
        previous = at


def _service_time(time: ServiceTime, loc: tuple[str | int, ...]) -> Iterator[Problem]:
    given = {name for name in ("mean", "median", "sigma") if getattr(time, name) is not None}
    needed = _NEEDS[time.distribution]
    for name in sorted(needed - given):
        yield (*loc, name), f"a {time.distribution} service time needs {name}"
    for name in sorted(given - needed):
        yield (*loc, name), f"a {time.distribution} service time takes no {name}"


def _points(points: list[ServicePoint], end: int) -> Iterator[Problem]:
    names = [p.name for p in points]
    for i, point in enumerate(points):
        loc: tuple[str | int, ...] = ("service_points", i)
        if names.index(point.name) != i:
            yield (*loc, "name"), f"service point {point.name!r} is listed twice"
        yield from _service_time(point.service_time, (*loc, "service_time"))
        yield from _within(point.opens, end, (*loc, "opens"))
        if point.closes is not None and duration_minutes(point.closes) <= \
                duration_minutes(point.opens):
            yield (*loc, "closes"), "closes must come after opens"
