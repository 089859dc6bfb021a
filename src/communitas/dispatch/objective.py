"""The three objective levels and the comparison metrics of a plan. Pure numpy.

1. weighted unmet: Σ weight(priority) × unmet units, weights 1000/100/10/1;
2. deprivation: each need is cut into ``BANDS`` fill-ratio bands; an unmet unit in band k
   (k = 1 holds the first 10% of the need) costs ``BANDS - k + 1``, so shortfalls that leave a
   demand line nearly empty cost most (docs/allocation.md explains the choice);
3. travel: Σ quantity × travel minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch.problem import PRIORITY_WEIGHTS, Problem

__all__ = ["BANDS", "RANK", "band_capacities", "deprivation", "evaluate", "served_matrix"]

IntArray = NDArray[np.int64]

BANDS = 10
#: Priority → a weight in the same order as PRIORITY_WEIGHTS; the optimal plans are the same
#: for any weights that decrease with priority (docs/allocation.md), and small ones keep the
#: flow costs small, which makes the min-cost flow several times faster.
RANK = np.array([0, 4, 3, 2, 1], dtype=np.int64)
#: Deprivation cost of one unmet unit in bands 1..BANDS.
BAND_SLOPES = np.arange(BANDS, 0, -1, dtype=np.int64)


def band_capacities(full: IntArray, served: IntArray) -> IntArray:
    """Units of each fill-ratio band still unserved: shape (len(full), BANDS).

    Unit j of a need q (1 ≤ j ≤ q) lies in band ⌈j·BANDS/q⌉; units up to ``served`` are filled.
    """
    k = np.arange(1, BANDS + 1, dtype=np.int64)
    q = full[:, None]
    upper = q * k // BANDS
    lower = np.maximum(q * (k - 1) // BANDS, served[:, None])
    return np.maximum(upper - lower, 0)


def deprivation(full: IntArray, served: IntArray) -> int:
    """Level 2: Σ slope × unserved units per band, over demand lines."""
    return int((band_capacities(full, served) * BAND_SLOPES).sum())


def served_matrix(problem: Problem, link: IntArray, rtype: IntArray, quantity: IntArray
                  ) -> IntArray:
    """Units delivered to each (demand, type)."""
    served = np.zeros_like(problem.needs)
    np.add.at(served, (problem.links.demand[link], rtype), quantity)
    return served


def _worst_fill(problem: Problem, served: IntArray) -> dict[str, float | None]:
    worst: dict[str, float | None] = {}
    lines = problem.needs > 0
    ratio = np.where(lines, served / np.maximum(problem.needs, 1), np.inf)
    for p in (1, 2, 3, 4):
        rows = ratio[problem.priority == p]
        value = float(rows.min()) if rows.size and np.isfinite(rows.min()) else None
        worst[str(p)] = None if value is None else round(value, 4)
    return worst


def evaluate(problem: Problem, link: IntArray, rtype: IntArray, quantity: IntArray
             ) -> dict[str, Any]:
    """Objective levels and the metrics that compare plans (JSON-ready)."""
    served = served_matrix(problem, link, rtype, quantity)
    unmet = problem.needs - served
    weights = PRIORITY_WEIGHTS[problem.priority]
    minutes = problem.links.minutes[link]
    shipped = int(quantity.sum())
    travel = float((quantity * minutes).sum())
    by_priority = {str(p): int(unmet[problem.priority == p].sum()) for p in (1, 2, 3, 4)}
    return {
        "objective": {
            "weighted_unmet": int((weights[:, None] * unmet).sum()),
            "deprivation": deprivation(problem.needs.ravel(), served.ravel()),
            "travel_unit_minutes": round(travel, 1),
        },
        "shipped_units": shipped,
        "unmet_units": int(unmet.sum()),
        "unmet_by_priority": by_priority,
        "worst_fill_ratio": _worst_fill(problem, served),
        "mean_travel_minutes": round(travel / shipped, 2) if shipped else 0.0,
        "shipments": len(quantity),
    }
