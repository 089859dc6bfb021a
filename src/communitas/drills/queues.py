"""Service points as first-come-first-served queues with several servers. Pure, seeded.

Clients arrive as a Poisson process at the point's rate while it is open; each takes a
service time drawn from the point's distribution (exponential, fixed or lognormal).
"""

from __future__ import annotations

import heapq
import math
import random

from communitas.drills.records import ServiceVisit
from communitas.drills.scenario import ServicePoint, ServiceTime, duration_minutes

__all__ = ["draw_service_time", "simulate_point"]


def draw_service_time(spec: ServiceTime, rng: random.Random) -> float:
    """Minutes of service for one client."""
    if spec.distribution == "fixed":
        return float(spec.mean or 0)
    if spec.distribution == "exponential":
        return rng.expovariate(1 / float(spec.mean or 1))
    return rng.lognormvariate(math.log(float(spec.median or 1)), float(spec.sigma or 0))


def simulate_point(point: ServicePoint, *, horizon: float, rng: random.Random,
                   rate_factor: float = 1.0) -> list[ServiceVisit]:
    """Every visit to ``point`` until ``horizon`` minutes (clients still waiting included)."""
    opens = duration_minutes(point.opens)
    closes = min(horizon, duration_minutes(point.closes) if point.closes else horizon)
    rate = point.arrivals_per_hour * rate_factor / 60  # per minute
    free_at = [float(opens)] * point.servers  # a heap of times each server becomes free
    heapq.heapify(free_at)
    visits: list[ServiceVisit] = []
    t = float(opens)
    while rate > 0:
        t += rng.expovariate(rate)
        if t >= closes:
            break
        server_free = heapq.heappop(free_at)
        started = max(t, server_free)
        ended = started + draw_service_time(point.service_time, rng)
        heapq.heappush(free_at, ended)
        visits.append(ServiceVisit(point.name, t, started if started <= horizon else None,
                                   ended if ended <= horizon else None))
    return visits
