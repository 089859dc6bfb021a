"""The allocation engine: plan shipments for open demand lines, re-plan when requests arrive.

Pure code over :class:`~communitas.dispatch.problem.Problem` (no database). The default
objective is lexicographic: (1) priority-weighted unmet units, (2) deprivation (fairness
between demand lines, by fill-ratio bands), (3) quantity × travel minutes. Without capacity
caps the problem splits exactly into one min-cost flow per type (``flows``); caps are handled
in ``coupled``. docs/allocation.md describes the method, its exactness and measured speed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch import coupled
from communitas.dispatch.flows import TypeNetwork, TypeSolution, solve_group
from communitas.dispatch.networks import (
    solve_networks,
    travel_costs,
    travel_unit,
    type_networks,
)
from communitas.dispatch.plan import Plan, Shipment, build_plan
from communitas.dispatch.problem import PRIORITY_WEIGHTS, Problem
from communitas.dispatch.replanning import Commitments, affected_types, carry_over, commitments

__all__ = ["Plan", "Shipment", "replan", "solve"]

IntArray = NDArray[np.int64]
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class _Outcome:
    link: list[IntArray] = field(default_factory=list)
    rtype: list[IntArray] = field(default_factory=list)
    quantity: list[IntArray] = field(default_factory=list)
    certified: bool = True
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, solutions: Sequence[TypeSolution]) -> None:
        for sol in solutions:
            self.link.append(sol.link_ids)
            self.rtype.append(np.full(len(sol.link_ids), sol.type_index, dtype=np.int64))
            self.quantity.append(sol.quantity)


def solve(problem: Problem, *, workers: int | None = None) -> Plan:
    """The lexicographically optimal plan (status "optimal" when certified, else "feasible")."""
    started = time.perf_counter()
    outcome = _optimise(problem, stock=problem.stock, capacity=problem.capacity,
                        served=np.zeros_like(problem.needs),
                        types=range(len(problem.resource_types)), allowed=None,
                        workers=workers)
    return _plan(problem, outcome, started, method="optimal")


def replan(previous: Plan, problem: Problem, *, committed: Iterable[Shipment] = (),
           scope: str = "local", workers: int | None = None) -> Plan:
    """Re-plan after new or changed requests; committed shipments stand as they are.

    ``problem`` is the whole current state (stock before the committed shipments leave).
    Types untouched by the change keep their previous shipments; the others are solved again,
    with ``scope="local"`` only along the links of changed lines and the links the previous
    plan used (fast, near-optimal), with ``scope="full"`` along every link (optimal).
    """
    if scope not in ("local", "full"):
        raise ValueError(f"scope must be 'local' or 'full', not {scope!r}")
    started = time.perf_counter()
    fixed = commitments(problem, committed)
    if previous.problem.resource_types != problem.resource_types:
        # Other resource types: nothing carries over, every type is solved anew.
        free = Commitments.of(problem, _EMPTY, _EMPTY, _EMPTY)
        affected = np.arange(len(problem.resource_types))
        changed_links = np.ones((len(problem.links), len(affected)), dtype=bool)
    else:
        free, lost = carry_over(previous, problem, fixed)
        affected, changed_links = affected_types(previous.problem, problem, lost)
    keep = ~np.isin(free.rtype, affected)
    kept = Commitments.of(problem, free.link[keep], free.rtype[keep], free.quantity[keep])
    stock = problem.stock - fixed.used - kept.used
    capacity = np.where(problem.capacity >= 0,
                        problem.capacity - fixed.used.sum(axis=1) - kept.used.sum(axis=1), -1)
    allowed = None
    if scope == "local":
        allowed = {int(t): changed_links[:, t] | _used_links(problem, free, int(t))
                   for t in affected}
    outcome = _optimise(problem, stock=stock, capacity=capacity,
                        served=fixed.served + kept.served, types=affected, allowed=allowed,
                        workers=workers)
    # Kept types are as good as the previous plan was; local solves are not proven.
    outcome.certified &= (previous.status == "optimal" or not keep.any()) and (
        scope == "full" or not len(affected))
    outcome.link[:0] = [fixed.link, kept.link]
    outcome.rtype[:0] = [fixed.rtype, kept.rtype]
    outcome.quantity[:0] = [fixed.quantity, kept.quantity]
    outcome.info.update(scope=scope, replanned_types=len(affected),
                        kept_types=len(problem.resource_types) - len(affected),
                        committed_shipments=len(fixed.link))
    return _plan(problem, outcome, started, method="optimal", committed=len(fixed.link))


def _used_links(problem: Problem, free: Commitments, rtype: int) -> NDArray[np.bool_]:
    mask = np.zeros(len(problem.links), dtype=bool)
    mask[free.link[free.rtype == rtype]] = True
    return mask


def _optimise(problem: Problem, *, stock: IntArray, capacity: IntArray, served: IntArray,
              types: Iterable[int], allowed: dict[int, NDArray[np.bool_]] | None,
              workers: int | None) -> _Outcome:
    costs = travel_costs(problem)
    networks = type_networks(problem, stock=stock, capacity=capacity, served=served,
                             types=types, allowed=allowed, costs=costs)
    outcome = _Outcome(info={"types_solved": len(networks)})
    joint = sum(len(n.link_ids) for n in networks) <= coupled.JOINT_MAX_LINKS
    if networks and (capacity >= 0).any() and joint:
        # One flow over all types is exact whether or not a cap binds, and cheaper than
        # solving the types apart first to find out.
        solutions = solve_group(networks, capacity)
        outcome.info["coupling"] = {"method": "joint flow"}
    else:
        solutions = solve_networks(networks, workers)
    if networks and (capacity >= 0).any() and not joint:
        solutions = _enforce_capacity(problem, networks, solutions, stock=stock,
                                      capacity=capacity, served=served, allowed=allowed,
                                      costs=costs, workers=workers, outcome=outcome)
    outcome.add(solutions)
    outcome.certified &= all(sol.certified for sol in solutions)
    outcome.info["certified_types"] = sum(sol.certified for sol in solutions)
    outcome.info["escalated_types"] = sum(sol.attempts > 1 for sol in solutions)
    return outcome


def _enforce_capacity(problem: Problem, networks: Sequence[TypeNetwork],
                      solutions: list[TypeSolution], *, stock: IntArray, capacity: IntArray,
                      served: IntArray, allowed: dict[int, NDArray[np.bool_]] | None,
                      costs: IntArray, workers: int | None, outcome: _Outcome
                      ) -> list[TypeSolution]:
    """City scale: if a cap binds, split it between types and solve the losers again."""
    n_types = len(problem.resource_types)
    used = coupled.usage(len(problem.supply_ids), n_types, problem.links.supply, solutions)
    capped = capacity >= 0
    over = capped & (used.sum(axis=1) > capacity)
    info: dict[str, Any] = {"binding_supplies": int(over.sum())}
    outcome.info["coupling"] = info
    if not over.any():
        return solutions
    relaxed = served + _served(problem, solutions)
    info["method"] = "proportional split"
    info["weighted_unmet_bound"] = int(
        (PRIORITY_WEIGHTS[problem.priority][:, None] * (problem.needs - relaxed)).sum())
    outcome.certified = False
    effective = np.where(capped[:, None], np.minimum(stock, np.maximum(capacity, 0)[:, None]),
                         stock)
    shares = coupled.proportional_shares(used, capacity, effective)
    redo = [net.type_index for net in networks
            if (shares[:, net.type_index] < used[:, net.type_index]).any()]
    limited = np.where(capped[:, None], np.minimum(stock, shares), stock)
    again = solve_networks(type_networks(
        problem, stock=limited, capacity=np.full(len(capacity), -1), served=served,
        types=redo, allowed=allowed, costs=costs), workers)
    replaced = {sol.type_index: sol for sol in again}
    info["resolved_types"] = len(redo)
    return [replaced.get(sol.type_index, sol) for sol in solutions]


def _served(problem: Problem, solutions: Sequence[TypeSolution]) -> IntArray:
    served = np.zeros_like(problem.needs)
    for sol in solutions:
        np.add.at(served[:, sol.type_index], problem.links.demand[sol.link_ids], sol.quantity)
    return served


def _plan(problem: Problem, outcome: _Outcome, started: float, *, method: str,
          committed: int = 0) -> Plan:
    flags = np.zeros(sum(len(x) for x in outcome.link), dtype=bool)
    flags[:committed] = True
    empty = np.zeros(0, dtype=np.int64)
    solver = outcome.info | {"travel_resolution_minutes": round(travel_unit(problem), 4),
                             "seconds": round(time.perf_counter() - started, 4)}
    return build_plan(problem, np.concatenate([empty, *outcome.link]),
                      np.concatenate([empty, *outcome.rtype]),
                      np.concatenate([empty, *outcome.quantity]),
                      status="optimal" if outcome.certified else "feasible", method=method,
                      committed=flags, metrics={"solver": solver})
