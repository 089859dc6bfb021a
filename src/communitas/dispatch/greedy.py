"""The baseline a dispatcher would do by hand: first come, first served, nearest supply first.

Demands are served in the order of the problem file (arrival order), each of a demand's lines
in the order of ``resource_types``, each from its reachable supply points nearest (in minutes,
lead time included) first, as far as stock and capacity allow.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch.plan import Plan, build_plan
from communitas.dispatch.problem import Problem

__all__ = ["solve_greedy"]

IntArray = NDArray[np.int64]


def _take(available: IntArray, need: IntArray) -> IntArray:
    """Per column, take from the rows in order until the column's need is met."""
    cumulative = np.minimum(np.cumsum(available, axis=0), need[None, :])
    return np.diff(cumulative, axis=0, prepend=0)


def solve_greedy(problem: Problem) -> Plan:
    """The greedy plan in the same format as the optimiser's."""
    started = time.perf_counter()
    stock = problem.stock.copy()
    capacity = problem.capacity.copy()
    starts = problem.links.starts(len(problem.demand_ids))
    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    for d in range(len(problem.demand_ids)):
        run = np.arange(starts[d], starts[d + 1])
        need = problem.needs[d]
        if not len(run) or not need.any():
            continue
        supplies = problem.links.supply[run]
        capped = capacity[supplies] >= 0
        if not capped.any():
            taken = _take(stock[supplies], need)
        else:  # types compete for the caps, so go type by type
            taken = np.zeros((len(run), len(need)), dtype=np.int64)
            for t in np.flatnonzero(need):
                room = np.where(capped, capacity[supplies], stock[supplies, t])
                taken[:, t] = _take(np.minimum(stock[supplies, t], room)[:, None],
                                    need[t:t + 1])[:, 0]
                capacity[supplies] -= np.where(capped, taken[:, t], 0)
        stock[supplies] -= taken
        rows, cols = np.nonzero(taken)
        parts.append((run[rows], cols.astype(np.int64), taken[rows, cols]))
    empty = np.zeros(0, dtype=np.int64)
    link, rtype, quantity = (np.concatenate([empty, *(p[i] for p in parts)]) for i in range(3))
    return build_plan(problem, link, rtype, quantity, status="feasible", method="greedy",
                      metrics={"solver": {"seconds": round(time.perf_counter() - started, 4)}})
