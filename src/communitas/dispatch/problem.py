"""Allocation problems: the JSON file format (docs/allocation.md), its validation, plain arrays.

A problem lists resource types, supply points (stock per type, lead time, an optional cap on
units shipped across all types), demand lines grouped by demand point (priority 1–4, needs per
type) and which supply may serve which demand: ``reach`` (the nearest N supply points by
great-circle distance at a speed) or explicit ``links`` with travel minutes. Validation collects
every problem with the path of the bad field and raises one ``ValidationFailed``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch import problem_checks as checks
from communitas.dispatch.problem_checks import MAX_QUANTITY
from communitas.dispatch.reach import Links, explicit_links, nearest_links
from communitas.errors import ValidationFailed
from communitas.i18n import _

__all__ = [
    "MAX_QUANTITY",
    "PRIORITY_WEIGHTS",
    "Problem",
    "Reach",
    "load_problem",
    "make_problem",
    "parse_problem",
    "problem_to_dict",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Weight of one unmet unit by priority (index 1–4): the first objective level.
PRIORITY_WEIGHTS = np.array([0, 1000, 100, 10, 1], dtype=np.int64)
MAX_REPORTED = 50
INVALID = "invalid_problem"


@dataclass(frozen=True)
class Reach:
    """Each demand may be served by its ``nearest`` supply points, travelling at a speed."""

    nearest: int
    speed_kmh: float


@dataclass(frozen=True, eq=False)
class Problem:
    """A validated problem as arrays: S supply points, D demand points, T resource types."""

    resource_types: tuple[str, ...]
    supply_ids: tuple[str, ...]
    stock: IntArray  # (S, T)
    capacity: IntArray  # (S,), -1 where the supply point has no cap
    lead_minutes: FloatArray  # (S,)
    supply_lat: FloatArray  # (S,), NaN when not given
    supply_lon: FloatArray
    demand_ids: tuple[str, ...]
    community: tuple[str, ...]
    priority: IntArray  # (D,), 1..4
    needs: IntArray  # (D, T)
    demand_lat: FloatArray
    demand_lon: FloatArray
    reach: Reach | None
    links: Links

    @property
    def capped(self) -> bool:
        """Whether some supply point caps its total shipments (which couples the types)."""
        return bool((self.capacity >= 0).any())


def make_problem(
    *,
    resource_types: tuple[str, ...],
    supply_ids: tuple[str, ...],
    stock: IntArray,
    demand_ids: tuple[str, ...],
    priority: IntArray,
    needs: IntArray,
    supply_lat: FloatArray | None = None,
    supply_lon: FloatArray | None = None,
    demand_lat: FloatArray | None = None,
    demand_lon: FloatArray | None = None,
    capacity: IntArray | None = None,
    lead_minutes: FloatArray | None = None,
    community: tuple[str, ...] | None = None,
    reach: Reach | None = None,
    link_arrays: tuple[IntArray, IntArray, FloatArray] | None = None,
) -> Problem:
    """Assemble a problem from trusted arrays (generators, tests) and derive its links."""
    n_s, n_d = len(supply_ids), len(demand_ids)
    nan_s, nan_d = np.full(n_s, np.nan), np.full(n_d, np.nan)
    lead = np.zeros(n_s) if lead_minutes is None else np.asarray(lead_minutes, dtype=np.float64)
    s_lat = nan_s if supply_lat is None else np.asarray(supply_lat, dtype=np.float64)
    s_lon = nan_s if supply_lon is None else np.asarray(supply_lon, dtype=np.float64)
    d_lat = nan_d if demand_lat is None else np.asarray(demand_lat, dtype=np.float64)
    d_lon = nan_d if demand_lon is None else np.asarray(demand_lon, dtype=np.float64)
    if link_arrays is not None:
        links = explicit_links(*link_arrays, lead_minutes=lead)
    elif reach is not None:
        links = nearest_links(s_lat, s_lon, d_lat, d_lon, lead_minutes=lead,
                              nearest=reach.nearest, speed_kmh=reach.speed_kmh)
    else:
        raise ValueError("a problem needs reach or explicit links")
    return Problem(
        resource_types=tuple(resource_types), supply_ids=tuple(supply_ids),
        stock=np.asarray(stock, dtype=np.int64).reshape(n_s, len(resource_types)),
        capacity=(np.full(n_s, -1, dtype=np.int64) if capacity is None
                  else np.asarray(capacity, dtype=np.int64)),
        lead_minutes=lead, supply_lat=s_lat, supply_lon=s_lon, demand_ids=tuple(demand_ids),
        community=community if community is not None else ("",) * n_d,
        priority=np.asarray(priority, dtype=np.int64),
        needs=np.asarray(needs, dtype=np.int64).reshape(n_d, len(resource_types)),
        demand_lat=d_lat, demand_lon=d_lon, reach=reach, links=links)


def parse_problem(data: Any) -> Problem:
    """Validate a decoded problem document; raise ``ValidationFailed`` naming every bad field."""
    check = checks.Checker()
    root = check.obj(data, "(root)")
    if root is None:
        raise _rejected(check)
    types = checks.resource_types(check, root)
    has_links = "links" in root
    if "reach" not in root and not has_links:
        check.fail("reach", _("Required field is missing"))
    supplies = checks.supplies(check, root, types, located=not has_links)
    demands = checks.demands(check, root, types, located=not has_links)
    nearest = checks.reach(check, root) if "reach" in root and not has_links else None
    link_arrays = checks.links(check, root, supplies, demands) if has_links else None
    if check.problems:
        raise _rejected(check)
    return make_problem(resource_types=tuple(types), link_arrays=link_arrays,
                        reach=Reach(*nearest) if nearest else None, **supplies, **demands)


def _rejected(check: checks.Checker) -> ValidationFailed:
    return ValidationFailed(
        _("The problem has {count} errors; nothing was solved"), code=INVALID,
        count=len(check.problems), details=check.problems[:MAX_REPORTED])


def load_problem(path: Path) -> Problem:
    """Read and validate a problem file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            _("{file} is not valid JSON: line {line}, column {column}"), code=INVALID,
            file=path.name, line=exc.lineno, column=exc.colno,
            details=[{"path": "(root)", "message": exc.msg}]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(_("{file} cannot be read as UTF-8 text"), code=INVALID,
                               file=path.name, details=[{"path": "(root)",
                                                         "message": str(exc)}]) from exc
    return parse_problem(data)


def _per_type(types: tuple[str, ...], row: IntArray) -> dict[str, int]:
    return {types[t]: int(row[t]) for t in np.flatnonzero(row)}


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem as a JSON-ready document (the inverse of :func:`parse_problem`)."""
    types = problem.resource_types
    supplies = []
    for s, ident in enumerate(problem.supply_ids):
        entry: dict[str, Any] = {"id": ident, "stock": _per_type(types, problem.stock[s])}
        if not math.isnan(problem.supply_lat[s]):
            entry.update(lat=float(problem.supply_lat[s]), lon=float(problem.supply_lon[s]))
        if problem.lead_minutes[s]:
            entry["lead_minutes"] = float(problem.lead_minutes[s])
        if problem.capacity[s] >= 0:
            entry["capacity"] = int(problem.capacity[s])
        supplies.append(entry)
    demands = []
    for d, ident in enumerate(problem.demand_ids):
        entry = {"id": ident, "priority": int(problem.priority[d]),
                 "needs": _per_type(types, problem.needs[d])}
        if not math.isnan(problem.demand_lat[d]):
            entry.update(lat=float(problem.demand_lat[d]), lon=float(problem.demand_lon[d]))
        if problem.community[d]:
            entry["community"] = problem.community[d]
        demands.append(entry)
    doc: dict[str, Any] = {"resource_types": list(types), "supplies": supplies,
                           "demands": demands}
    if problem.reach is not None:
        doc["reach"] = {"nearest": problem.reach.nearest, "speed_kmh": problem.reach.speed_kmh}
    else:
        links = problem.links
        doc["links"] = [{"supply": problem.supply_ids[s], "demand": problem.demand_ids[d],
                         "minutes": float(m - problem.lead_minutes[s])}
                        for s, d, m in zip(links.supply, links.demand, links.minutes,
                                           strict=True)]
    return doc
