"""What-if comparison: the same scenario under variants, over several seeds. Pure.

Each variant's headline metrics are summarised over its seeds as a mean with a 95 %
confidence interval from Student's t distribution (n − 1 degrees of freedom).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

from scipy.stats import t as student_t

__all__ = ["HEADLINES", "compare_runs", "confidence_interval"]


def _unmet_at_end(m: dict[str, Any]) -> float:
    return float(sum(series[-1] for series in m["unmet_demand"].values()))


# Headline figures compared across variants: name → how to read it from one run's metrics.
HEADLINES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "resilience_loss_pct_hours": lambda m: m["resilience_loss_pct_hours"],
    "first_response_median_min": lambda m: m["first_response"]["median"],
    "time_to_fulfil_median_min": lambda m: m["time_to_fulfil"]["median"],
    "unfulfilled_requests": lambda m: m["time_to_fulfil"]["missing"],
    "unmet_units_at_end": _unmet_at_end,
    "deprivation_cost": lambda m: m["deprivation"]["total"],
}


def confidence_interval(values: list[float], level: float = 0.95) -> dict[str, float | None]:
    """Mean and the two ends of its confidence interval (None ends with fewer than 2 runs)."""
    if not values:
        return {"n": 0, "mean": None, "low": None, "high": None}
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"n": 1, "mean": mean, "low": None, "high": None}
    half = float(student_t.ppf((1 + level) / 2, len(values) - 1)) * \
        statistics.stdev(values) / math.sqrt(len(values))
    return {"n": len(values), "mean": round(mean, 6), "low": round(mean - half, 6),
            "high": round(mean + half, 6)}


def compare_runs(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per variant and headline: mean and 95 % interval over that variant's runs."""
    result: dict[str, dict[str, Any]] = {}
    for variant, metrics in runs.items():
        result[variant] = {}
        for name, read in HEADLINES.items():
            values = [float(v) for m in metrics if (v := read(m)) is not None]
            result[variant][name] = confidence_interval(values)
    return result
