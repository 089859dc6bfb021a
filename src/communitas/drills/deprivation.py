"""Deprivation cost of vulnerable residents waiting for supplies. Pure.

Holguín-Veras et al. argue that humanitarian logistics should minimise the *social* cost of
a response, the logistics cost plus the deprivation cost: the economic value of the
suffering of people left without a good or service, which grows faster than linearly with
the time they go without it (Holguín-Veras, Pérez, Jaller, Van Wassenhove and Aros-Vera
2013, "On the appropriate objective function for post-disaster humanitarian logistics
models", Journal of Operations Management 31(5): 262-280). A contingent-valuation
experiment then estimated an exponential deprivation-cost function for drinking water
(Holguín-Veras, Amaya-Leal, Cantillo, Van Wassenhove, Aros-Vera and Jaller 2016,
"Econometric estimation of deprivation cost functions: a contingent valuation experiment",
Journal of Operations Management 45: 44-56):

    γ(δ) = exp(a + b·δ) − exp(a),   δ = hours of deprivation,   a = 1.5031,   b = 0.1172

with γ in US dollars per person, as that function is usually quoted by later work that uses
it. The coefficients here are as quoted there, not re-checked against the original table;
they are parameters, so a community can substitute its own estimates. The function is
applied to every need of a vulnerable resident (not only water) because no other good has a
published estimate; read the result as an index of relative suffering between drills.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from communitas.drills.records import RequestRecord

__all__ = ["DEFAULT_FUNCTION", "DeprivationFunction", "deprivation_cost"]


@dataclass(frozen=True)
class DeprivationFunction:
    a: float = 1.5031
    b: float = 0.1172  # per hour
    cap_hours: float = 24 * 14  # beyond two weeks the exponential means nothing; stop there

    def cost(self, hours: float) -> float:
        """Cost of ``hours`` without the good, for one person; 0 at 0."""
        hours = min(max(hours, 0.0), self.cap_hours)
        return math.exp(self.a + self.b * hours) - math.exp(self.a)


DEFAULT_FUNCTION = DeprivationFunction()


def _request_cost(request: RequestRecord, horizon: float, fn: DeprivationFunction) -> float:
    """Each unit weighs quantity⁻¹; a unit never delivered is deprived until the horizon."""
    left, cost = request.quantity, 0.0
    for delivery in sorted(request.deliveries, key=lambda d: d.at):
        units = min(left, delivery.units)
        left -= units
        cost += units / request.quantity * fn.cost((delivery.at - request.created) / 60)
    if left:
        cost += left / request.quantity * fn.cost((horizon - request.created) / 60)
    return cost


def deprivation_cost(requests: Iterable[RequestRecord], *, horizon: float,
                     fn: DeprivationFunction = DEFAULT_FUNCTION) -> dict[str, float]:
    """Total and mean deprivation cost over the requests of vulnerable residents."""
    costs = [_request_cost(r, horizon, fn) for r in requests if r.vulnerable]
    total = sum(costs)
    return {"requests": len(costs), "total": round(total, 4),
            "mean": round(total / len(costs), 4) if costs else 0.0,
            "a": fn.a, "b_per_hour": fn.b}
