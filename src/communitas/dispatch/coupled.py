"""Capacity caps couple the types: a capped supply point ships at most ``capacity`` units of
all types together.

That cap is one arc above the point's per-type supply nodes, so the coupled problem stays a
single min-cost flow over all types (``flows.solve_group``): exact, and measured faster than
the joint LP in HiGHS, which :func:`joint_lp` still builds to cross-check it. Past
``JOINT_MAX_LINKS`` one flow over every type is too slow for the city target, so each cap is
split into per-type shares in proportion to the relaxed use (every cap applied to each type
alone) and the per-type flows are solved again; the relaxation's weighted unmet bounds the
optimum from below (docs/allocation.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix

from communitas.dispatch.flows import TypeNetwork, TypeSolution
from communitas.dispatch.objective import BAND_SLOPES, BANDS, RANK, band_capacities

__all__ = ["JOINT_MAX_LINKS", "joint_lp", "proportional_shares", "usage"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Above this many links in all, one flow over every type is too slow: split the caps instead.
JOINT_MAX_LINKS = 1_000_000
_TOLERANCE = 1e-7


def usage(n_supply: int, n_types: int, supply_of_link: IntArray,
          solutions: Sequence[TypeSolution]) -> IntArray:
    """Units shipped from each supply point, per type."""
    used = np.zeros((n_supply, n_types), dtype=np.int64)
    for sol in solutions:
        np.add.at(used[:, sol.type_index], supply_of_link[sol.link_ids], sol.quantity)
    return used


def _split_remainder(shares: IntArray, fraction: FloatArray, room: IntArray,
                     limit: IntArray) -> IntArray:
    """Give each capped supply's spare units to its types, largest fraction first."""
    for s in np.flatnonzero(room > 0):
        order = np.argsort(-fraction[s], kind="stable")
        for t in order[: int(room[s])]:
            if fraction[s, t] > _TOLERANCE and shares[s, t] < limit[s, t]:
                shares[s, t] += 1
    return shares


def proportional_shares(used: IntArray, capacity: IntArray, stock: IntArray) -> IntArray:
    """Per-type shares of each cap in proportion to the relaxed use (even if unused)."""
    shares = stock.copy()
    capped = np.flatnonzero(capacity >= 0)
    total = used[capped].sum(axis=1)
    held = (stock[capped] > 0).sum(axis=1)
    basis = np.where(total[:, None] > 0, used[capped], (stock[capped] > 0).astype(np.float64))
    denominator = np.where(total > 0, total, np.maximum(held, 1))[:, None]
    exact = basis * capacity[capped][:, None] / denominator
    floor = np.minimum(np.floor(exact).astype(np.int64), stock[capped])
    shares[capped] = floor
    room = np.zeros(len(stock), dtype=np.int64)
    room[capped] = capacity[capped] - floor.sum(axis=1)
    fraction = np.zeros(stock.shape)
    fraction[capped] = exact - floor
    return _split_remainder(shares, fraction, room, stock)


@dataclass(frozen=True, eq=False)
class _Columns:
    """Link and band columns of the joint LP, all types together."""

    supply: IntArray
    demand: IntArray
    rtype: IntArray
    cost: FloatArray
    upper: FloatArray
    band_row: IntArray
    band_cost: FloatArray
    band_upper: FloatArray


def _columns(networks: Sequence[TypeNetwork], n_types: int, multiplier: int) -> _Columns:
    parts: dict[str, list[Any]] = {k: [] for k in _Columns.__dataclass_fields__}
    n_supply = networks[0].n_supply
    for net in networks:
        t = net.type_index
        remaining = net.full_need - net.served
        parts["supply"].append(net.link_supply)
        parts["demand"].append(net.link_demand)
        parts["rtype"].append(np.full(len(net.link_ids), t, dtype=np.int64))
        parts["cost"].append(net.link_cost.astype(np.float64))
        parts["upper"].append(np.minimum(net.stock[net.link_supply],
                                         remaining[net.link_demand]).astype(np.float64))
        d_used = np.unique(net.link_demand)
        bands = band_capacities(net.full_need[d_used], net.served[d_used])
        reward = RANK[net.priority[d_used]][:, None] * (BANDS + 1) + BAND_SLOPES[None, :]
        rows, cols = np.nonzero(bands)
        parts["band_row"].append(n_supply * n_types + d_used[rows] * n_types + t)
        parts["band_cost"].append(-multiplier * reward[rows, cols].astype(np.float64))
        parts["band_upper"].append(bands[rows, cols].astype(np.float64))
    return _Columns(**{k: np.concatenate(v) for k, v in parts.items()})


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner from C on its first construction; keep it off our output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def joint_lp(networks: Sequence[TypeNetwork], *, capacity: IntArray, n_types: int,
             multiplier: int) -> dict[str, Any]:
    """Solve the coupled problem as one LP in HiGHS: min Σ travel·x − M·Σ a·y.

    Rows: stock per (supply, type), delivered = banded units per (demand, type), and one cap
    row per capped supply point. Returns the status, objective and seconds.
    """
    started = time.perf_counter()
    n_supply, n_demand = networks[0].n_supply, networks[0].n_demand
    cols = _columns(networks, n_types, multiplier)
    capped = np.flatnonzero(capacity >= 0)
    cap_row = np.full(n_supply, -1, dtype=np.int64)
    cap_row[capped] = n_supply * n_types + n_demand * n_types + np.arange(len(capped))
    stock = np.zeros((n_supply, n_types))
    for net in networks:
        stock[:, net.type_index] = net.stock
    n_links = len(cols.supply)
    link_rows = [cols.supply * n_types + cols.rtype,
                 n_supply * n_types + cols.demand * n_types + cols.rtype]
    on_cap = cap_row[cols.supply] >= 0
    rows = np.concatenate([*link_rows, cap_row[cols.supply[on_cap]], cols.band_row])
    columns = np.concatenate([np.arange(n_links), np.arange(n_links),
                              np.flatnonzero(on_cap), n_links + np.arange(len(cols.band_row))])
    values = np.concatenate([np.ones(2 * n_links + int(on_cap.sum())),
                             -np.ones(len(cols.band_row))])
    n_rows = n_supply * n_types + n_demand * n_types + len(capped)
    matrix = csc_matrix((values, (rows, columns)), shape=(n_rows, n_links + len(cols.band_row)))
    with _quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], n_rows
    lp.col_cost_ = np.concatenate([cols.cost, cols.band_cost])
    lp.col_lower_ = np.zeros(matrix.shape[1])
    lp.col_upper_ = np.concatenate([cols.upper, cols.band_upper])
    lp.row_lower_ = np.concatenate([np.full(n_supply * n_types, -np.inf),
                                    np.zeros(n_demand * n_types), np.full(len(capped), -np.inf)])
    lp.row_upper_ = np.concatenate([stock.ravel(), np.zeros(n_demand * n_types),
                                    capacity[capped].astype(np.float64)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = matrix.indptr, matrix.indices
    lp.a_matrix_.value_ = matrix.data
    highs.passModel(lp)
    highs.run()
    return {"status": highs.modelStatusToString(highs.getModelStatus()),
            "objective": highs.getInfo().objective_function_value,
            "seconds": round(time.perf_counter() - started, 4), "columns": matrix.shape[1]}
