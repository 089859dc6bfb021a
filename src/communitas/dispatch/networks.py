"""Cut a problem into one flow network per resource type, and solve them, in parallel if big."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch.flows import TypeNetwork, TypeSolution, solve_type
from communitas.dispatch.problem import Problem

__all__ = ["solve_networks", "travel_costs", "travel_unit", "type_networks"]

IntArray = NDArray[np.int64]

#: Travel costs are whole multiples of this many minutes (coarser only for very long links,
#: so that costs stay below 20,000 units and the flow stays fast and inside int64).
TRAVEL_UNIT_MINUTES = 0.1
_MAX_TRAVEL_UNITS = 20_000
#: Below this many links in all, worker processes cost more than they save.
PARALLEL_MIN_LINKS = 50_000


def travel_unit(problem: Problem) -> float:
    """Minutes per travel-cost unit."""
    longest = float(problem.links.minutes.max()) if len(problem.links) else 0.0
    return max(TRAVEL_UNIT_MINUTES, longest / _MAX_TRAVEL_UNITS)


def travel_costs(problem: Problem) -> IntArray:
    """Integer travel cost of each link."""
    return np.rint(problem.links.minutes / travel_unit(problem)).astype(np.int64)


def type_networks(problem: Problem, *, stock: IntArray, capacity: IntArray, served: IntArray,
                  types: Iterable[int], allowed: dict[int, NDArray[np.bool_]] | None = None,
                  costs: IntArray | None = None) -> list[TypeNetwork]:
    """One network per type: links whose supply still holds units and whose demand lacks some.

    ``stock`` (S, T) is what may still ship, ``capacity`` (S,) the cap left (-1: none) and
    ``served`` (D, T) what is already delivered; ``allowed`` narrows a type's links.
    """
    links = problem.links
    costs = travel_costs(problem) if costs is None else costs
    networks = []
    for t in types:
        usable = stock[:, t]
        usable = np.where(capacity >= 0, np.minimum(usable, np.maximum(capacity, 0)), usable)
        remaining = problem.needs[:, t] - served[:, t]
        mask = (usable[links.supply] > 0) & (remaining[links.demand] > 0)
        if allowed is not None and t in allowed:
            mask &= allowed[t]
        ids = np.flatnonzero(mask)
        networks.append(TypeNetwork(
            type_index=t, n_supply=len(problem.supply_ids), n_demand=len(problem.demand_ids),
            link_ids=ids, link_supply=links.supply[ids], link_demand=links.demand[ids],
            link_cost=costs[ids], stock=usable.copy(), full_need=problem.needs[:, t].copy(),
            served=served[:, t].copy(), priority=problem.priority))
    return networks


def _worker_count(networks: Sequence[TypeNetwork], workers: int | None) -> int:
    if workers is not None:
        return max(1, min(workers, len(networks)))
    if sum(len(n.link_ids) for n in networks) < PARALLEL_MIN_LINKS:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), len(networks)))


def solve_networks(networks: Sequence[TypeNetwork], workers: int | None = None
                   ) -> list[TypeSolution]:
    """Solve each network; big batches go to worker processes, largest first."""
    count = _worker_count(networks, workers)
    if count <= 1:
        return [solve_type(net) for net in networks]
    order = sorted(range(len(networks)), key=lambda i: -len(networks[i].link_ids))
    # fork: workers start in milliseconds and need not import OR-Tools again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        solved = list(pool.map(solve_type, [networks[i] for i in order]))
    result: list[TypeSolution | None] = [None] * len(networks)
    for i, solution in zip(order, solved, strict=True):
        result[i] = solution
    return [s for s in result if s is not None]
