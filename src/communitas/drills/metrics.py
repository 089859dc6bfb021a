"""Drill metrics over plain records (records.py). Pure: no database, no clock, no I/O.

Definitions (docs/drills.md has the reasoning):

* time to first response / to fulfil: minutes from a request line's creation to its first
  response / to the arrival of its last needed unit;
* unmet demand U_k(t): units of type k asked by t and not delivered by t;
* functionality Q(t) = 100 × (1 − late(t) / D(t)), where D(t) is the units asked by t and
  late(t) the units among them still undelivered more than ``grace`` minutes after they
  were asked (Q = 100 before any demand);
* resilience loss = ∫ (100 − Q(t)) dt over the drill, in %·hours (Bruneau et al. 2003);
* recovery time: the first sampled time after Q's lowest point from which Q stays at or
  above ``threshold`` to the end of the drill.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from communitas.drills.deprivation import deprivation_cost
from communitas.drills.records import (
    AlertRecord,
    DrillRecord,
    ModeSwitch,
    RequestRecord,
    ServiceVisit,
    TaskRecord,
)

__all__ = [
    "Summary", "alert_latency", "compute", "first_response", "functionality_curve",
    "queue_metrics", "recovery_time",
    "resilience_loss", "sample_times", "summarise", "switch_latency", "task_metrics",
    "task_shares", "time_to_complete", "time_to_fulfil", "unmet_demand", "work_shares",
]


@dataclass(frozen=True)
class Summary:
    """Count, mean, median, 90th percentile and maximum (minutes); ``missing`` never came."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None
    missing: int = 0


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(values: Iterable[float], missing: int = 0) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None, None, None, missing)
    return Summary(len(ordered), round(sum(ordered) / len(ordered), 4),
                   round(_percentile(ordered, 0.5), 4), round(_percentile(ordered, 0.9), 4),
                   ordered[-1], missing)


def sample_times(horizon: float, step: float) -> list[float]:
    """0, step, 2·step … up to and including the horizon."""
    count = math.floor(horizon / step + 1e-9)
    times = [i * step for i in range(count + 1)]
    if times[-1] < horizon:
        times.append(horizon)
    return times


def first_response(requests: Iterable[RequestRecord]) -> Summary:
    items = list(requests)
    waits = [r.first_response - r.created for r in items if r.first_response is not None]
    return summarise(waits, missing=len(items) - len(waits))


def time_to_fulfil(requests: Iterable[RequestRecord]) -> Summary:
    items = list(requests)
    done = [r.fulfilled_at - r.created for r in items if r.fulfilled_at is not None]
    return summarise(done, missing=len(items) - len(done))


def _cumulative(events: list[tuple[float, int]], times: Sequence[float], *, strict: bool
                ) -> list[int]:
    """Sum of the changes at or before each time (strictly before when ``strict``)."""
    events.sort()
    keys, totals, running = [e[0] for e in events], [0], 0
    for _at, change in events:
        running += change
        totals.append(running)
    find = bisect_left if strict else bisect_right
    return [totals[find(keys, t)] for t in times]


def _capped(request: RequestRecord) -> list[tuple[float, int]]:
    """The request's deliveries in time order, never more than it asked in total."""
    left, result = request.quantity, []
    for delivery in sorted(request.deliveries, key=lambda d: d.at):
        units = min(left, delivery.units)
        left -= units
        if units:
            result.append((delivery.at, units))
    return result


def unmet_demand(requests: Iterable[RequestRecord], times: Sequence[float]
                 ) -> dict[str, list[int]]:
    """Per resource type, units asked and not yet delivered at each sampled time."""
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for request in requests:
        events[request.resource_type].append((request.created, request.quantity))
        events[request.resource_type] += [(at, -units) for at, units in _capped(request)]
    return {code: _cumulative(items, times, strict=False)
            for code, items in sorted(events.items())}


def functionality_curve(requests: Iterable[RequestRecord], times: Sequence[float],
                        grace: float = 0.0) -> list[float]:
    """Q(t) in percent at each sampled time (see the module docstring)."""
    asked: list[tuple[float, int]] = []
    overdue: list[tuple[float, int]] = []  # counted strictly after the due time
    arrived: list[tuple[float, int]] = []  # deliveries after the due time, counted from then
    for request in requests:
        asked.append((request.created, request.quantity))
        due = request.created + grace
        overdue.append((due, request.quantity))
        for at, units in _capped(request):
            (arrived if at > due else overdue).append((max(at, due), -units))
    asked_by = _cumulative(asked, times, strict=False)
    late_by = [a + b for a, b in zip(_cumulative(overdue, times, strict=True),
                                     _cumulative(arrived, times, strict=False), strict=True)]
    return [100.0 if a == 0 else round(100.0 * (1 - lt / a), 6)
            for a, lt in zip(asked_by, late_by, strict=True)]


def resilience_loss(times: Sequence[float], curve: Sequence[float]) -> float:
    """∫ (100 − Q(t)) dt by the trapezoid rule, times in minutes, result in %·hours."""
    area = 0.0
    for i in range(1, len(times)):
        width = times[i] - times[i - 1]
        area += width * ((100 - curve[i - 1]) + (100 - curve[i])) / 2
    return round(area / 60, 6)


def recovery_time(times: Sequence[float], curve: Sequence[float],
                  threshold: float = 95.0) -> float | None:
    """Minutes from the start until Q recovers for good; 0 if it never fell, None if never."""
    if not curve or min(curve) >= threshold:
        return 0.0
    lowest = curve.index(min(curve))
    for i in range(lowest, len(curve)):
        if all(q >= threshold for q in curve[i:]):
            return times[i]
    return None


def work_shares(requests: Iterable[RequestRecord]) -> dict[str, float]:
    """Share of delivered units by the kind of actor that delivered them."""
    units: dict[str, int] = defaultdict(int)
    for request in requests:
        for delivery in request.deliveries:
            units[delivery.actor_kind] += delivery.units
    total = sum(units.values())
    return {kind: round(n / total, 6) for kind, n in sorted(units.items())} if total else {}


def task_shares(tasks: Iterable[TaskRecord]) -> dict[str, float]:
    """Share of completed tasks by the kind of actor that completed them."""
    done: dict[str, int] = defaultdict(int)
    for task in tasks:
        if task.done is not None:
            done[task.actor_kind or "unknown"] += 1
    total = sum(done.values())
    return {kind: round(n / total, 6) for kind, n in sorted(done.items())} if total else {}


def time_to_complete(tasks: Iterable[TaskRecord]) -> Summary:
    """Minutes from a task's creation to its completion; ``missing``: never completed."""
    items = list(tasks)
    done = [t.done - t.created for t in items if t.done is not None]
    return summarise(done, missing=len(items) - len(done))


def task_metrics(tasks: Sequence[TaskRecord]) -> dict[str, Any]:
    """Counts by outcome, time to completion overall and per actor kind and per route."""
    kinds: dict[str, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        kinds[task.actor_kind or "nobody"].append(task)
    return {
        "created": len(tasks),
        "done": sum(1 for t in tasks if t.done is not None),
        "verified": sum(1 for t in tasks if t.verified is not None),
        "closed_undone": sum(1 for t in tasks if t.closed is not None and t.done is None),
        "never_taken": sum(1 for t in tasks if t.actor_kind is None),
        "via_callout": sum(1 for t in tasks if t.via == "callout"),
        "time_to_complete": asdict(time_to_complete(tasks)),
        "time_to_accept": asdict(summarise(
            [t.accepted - t.created for t in tasks if t.accepted is not None],
            missing=sum(1 for t in tasks if t.accepted is None))),
        "by_actor_kind": {kind: {"tasks": len(items),
                                 "done": sum(1 for t in items if t.done is not None),
                                 "time_to_complete": asdict(time_to_complete(items))}
                          for kind, items in sorted(kinds.items())},
    }


def _queue_lengths(visits: Sequence[ServiceVisit], times: Sequence[float]) -> list[int]:
    """Clients waiting (arrived, not yet served) at each sampled time."""
    changes = [(v.arrived, 1) for v in visits]
    changes += [(v.started, -1) for v in visits if v.started is not None]
    return _cumulative(changes, times, strict=False)


def queue_metrics(visits: Iterable[ServiceVisit], times: Sequence[float]
                  ) -> dict[str, dict[str, Any]]:
    """Per service point: waits (minutes), queue length over time, its mean and maximum."""
    points: dict[str, list[ServiceVisit]] = defaultdict(list)
    for visit in visits:
        points[visit.point].append(visit)
    result = {}
    for name, items in sorted(points.items()):
        lengths = _queue_lengths(items, times)
        waits = [v.started - v.arrived for v in items if v.started is not None]
        result[name] = {
            "wait": asdict(summarise(waits, missing=len(items) - len(waits))),
            "served": sum(1 for v in items if v.ended is not None),
            "queue_length": lengths,
            "mean_queue_length": round(sum(lengths) / len(lengths), 4) if lengths else 0.0,
            "max_queue_length": max(lengths, default=0),
        }
    return result


def switch_latency(switches: Iterable[ModeSwitch]) -> Summary:
    items = list(switches)
    done = [s.switched - s.triggered for s in items if s.switched is not None]
    return summarise(done, missing=len(items) - len(done))


def alert_latency(alerts: Iterable[AlertRecord]) -> Summary:
    """Minutes from an activation's request (warning or switch) to its first alert sent."""
    items = list(alerts)
    sent = [a.first_sent - a.requested for a in items if a.first_sent is not None]
    return summarise(sent, missing=len(items) - len(sent))


def _grouped(requests: Sequence[RequestRecord], key: Callable[[RequestRecord], str]
             ) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[RequestRecord]] = defaultdict(list)
    for request in requests:
        groups[key(request)].append(request)
    return {name: {"first_response": asdict(first_response(items)),
                   "time_to_fulfil": asdict(time_to_fulfil(items)),
                   "asked": sum(r.quantity for r in items),
                   "delivered": sum(r.delivered for r in items)}
            for name, items in sorted(groups.items())}


def compute(record: DrillRecord, *, grace: float = 60.0, threshold: float = 95.0
            ) -> dict[str, Any]:
    """Every metric of one drill as JSON-ready data."""
    times = sample_times(record.horizon, record.step)
    curve = functionality_curve(record.requests, times, grace)
    return {
        "horizon_minutes": record.horizon,
        "times": times,
        "first_response": asdict(first_response(record.requests)),
        "time_to_fulfil": asdict(time_to_fulfil(record.requests)),
        "by_area": _grouped(record.requests, lambda r: r.area),
        "by_priority": _grouped(record.requests, lambda r: str(r.priority)),
        "unmet_demand": unmet_demand(record.requests, times),
        "functionality": curve,
        "functionality_grace_minutes": grace,
        "resilience_loss_pct_hours": resilience_loss(times, curve),
        "recovery_threshold": threshold,
        "recovery_minutes": recovery_time(times, curve, threshold),
        "service_points": queue_metrics(record.visits, times),
        "work_shares": work_shares(record.requests),
        "task_shares": task_shares(record.tasks),
        "tasks": task_metrics(record.tasks),
        "callouts": record.callouts,
        "alert_latency": asdict(alert_latency(record.alerts)),
        "alerts_sent": sum(a.sent for a in record.alerts),
        "mode_switch_latency": asdict(switch_latency(record.switches)),
        "deprivation": deprivation_cost(record.requests, horizon=record.horizon),
        "stock": record.stock,
        "refusals": record.refusals,
    }
