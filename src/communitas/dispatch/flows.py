"""One resource type as a min-cost flow (OR-Tools), solved lexicographically with a certificate.

Network: source σ → supply s (stock) → demand d along links (travel cost) → sink τ through one
arc per fill-ratio band (cost −M·a, a = rank·(BANDS+1) + band slope), plus σ → τ for stock left
unused. With integer a, the arcs of a simple cycle touch τ at most twice, so levels 1 and 2
fold exactly into a (docs/allocation.md). Travel is level 3: M·a + travel is solved with a
moderate M, then a Dijkstra pass proves that no residual cycle improves a; a plan that
minimises M·a + travel and also minimises a minimises travel among the plans that minimise a,
which is the lexicographic optimum. If the proof fails, M grows and the flow is solved again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from communitas.dispatch.objective import BAND_SLOPES, BANDS, RANK, band_capacities

__all__ = ["TypeNetwork", "TypeSolution", "score_optimal", "solve_group", "solve_type"]

IntArray = NDArray[np.int64]
_INT_BUDGET = 2**62  # OR-Tools scales costs by the node count; stay far below int64


@dataclass(frozen=True, eq=False)
class TypeNetwork:
    """Everything needed to solve one resource type (picklable for worker processes)."""

    type_index: int
    n_supply: int
    n_demand: int
    link_ids: IntArray  # global link index of each arc below
    link_supply: IntArray
    link_demand: IntArray
    link_cost: IntArray  # travel, in the problem's travel units
    stock: IntArray  # (n_supply,) units this type may ship from each supply point
    full_need: IntArray  # (n_demand,) the whole need
    served: IntArray  # (n_demand,) units already delivered (committed or kept)
    priority: IntArray  # (n_demand,) 1..4


@dataclass(frozen=True, eq=False)
class TypeSolution:
    """Flows with a positive quantity and what is known about their optimality."""

    type_index: int
    link_ids: IntArray
    quantity: IntArray
    certified: bool
    multiplier: int
    attempts: int = 1  # flows solved before the certificate held (or M reached the bound)


@dataclass(frozen=True, eq=False)
class _Arcs:
    tails: NDArray[np.int32]
    heads: NDArray[np.int32]
    capacity: IntArray
    score: IntArray  # −a on band arcs, 0 elsewhere
    travel: IntArray
    link_starts: IntArray  # the link arcs of network i are [link_starts[i], link_starts[i+1])
    n_nodes: int
    total_stock: int


def _supply_arcs(nets: Sequence[TypeNetwork], capacity: IntArray | None, sigma: int,
                 cap_base: int) -> tuple[list[IntArray], list[IntArray], list[IntArray], int]:
    """σ → supply node (its stock); a capped supply point's nodes hang below one cap node."""
    n_block = nets[0].n_supply + nets[0].n_demand
    cap_node = np.full(nets[0].n_supply, -1, dtype=np.int64)
    if capacity is not None:
        capped = np.flatnonzero(capacity >= 0)
        cap_node[capped] = cap_base + np.arange(len(capped))
    tails, heads, caps, total = [], [], [], 0
    for i, net in enumerate(nets):
        s_used = np.unique(net.link_supply)
        tails.append(np.where(cap_node[s_used] >= 0, cap_node[s_used], sigma))
        heads.append(i * n_block + s_used)
        caps.append(net.stock[s_used])
        total += int(net.stock[s_used][cap_node[s_used] < 0].sum())
    if capacity is not None:
        held = np.zeros(len(cap_node), dtype=np.int64)
        for net, cap in zip(nets, caps, strict=True):
            np.add.at(held, np.unique(net.link_supply), cap)
        used = np.flatnonzero((cap_node >= 0) & (held > 0))
        limit = np.minimum(capacity[used], held[used])
        tails.append(np.full(len(used), sigma))
        heads.append(cap_node[used])
        caps.append(limit)
        total += int(limit.sum())
    return tails, heads, caps, total


def _arcs(nets: Sequence[TypeNetwork], capacity: IntArray | None) -> _Arcs:
    n_supply, n_demand = nets[0].n_supply, nets[0].n_demand
    n_block = n_supply + n_demand
    n_capped = 0 if capacity is None else int((capacity >= 0).sum())
    cap_base = len(nets) * n_block
    sigma = cap_base + n_capped
    tau = sigma + 1
    tails: list[IntArray] = []
    heads: list[IntArray] = []
    caps: list[IntArray] = []
    for i, net in enumerate(nets):
        remaining = net.full_need - net.served
        tails.append(i * n_block + net.link_supply)
        heads.append(i * n_block + n_supply + net.link_demand)
        caps.append(np.minimum(net.stock[net.link_supply], remaining[net.link_demand]))
    link_starts = np.concatenate([[0], np.cumsum([len(n.link_ids) for n in nets])])
    s_tails, s_heads, s_caps, total = _supply_arcs(nets, capacity, sigma, cap_base)
    scores: list[IntArray] = [np.zeros(int(link_starts[-1]) + sum(map(len, s_caps)),
                                       dtype=np.int64)]
    for i, net in enumerate(nets):
        d_used = np.unique(net.link_demand)
        bands = band_capacities(net.full_need[d_used], net.served[d_used])
        reward = RANK[net.priority[d_used]][:, None] * (BANDS + 1) + BAND_SLOPES[None, :]
        rows, cols = np.nonzero(bands)
        s_tails.append(i * n_block + n_supply + d_used[rows])
        s_heads.append(np.full(len(rows), tau))
        s_caps.append(bands[rows, cols])
        scores.append(-reward[rows, cols])
    tail = np.concatenate([*tails, *s_tails, [sigma]])
    capacity_all = np.concatenate([*caps, *s_caps, [total]]).astype(np.int64)
    travel = np.zeros(len(tail), dtype=np.int64)
    travel[: link_starts[-1]] = np.concatenate([n.link_cost for n in nets])
    return _Arcs(tails=tail.astype(np.int32),
                 heads=np.concatenate([*heads, *s_heads, [tau]]).astype(np.int32),
                 capacity=capacity_all, score=np.concatenate([*scores, [0]]), travel=travel,
                 link_starts=link_starts.astype(np.int64), n_nodes=tau + 1, total_stock=total)


def _min_cost_flow(arcs: _Arcs, multiplier: int) -> IntArray:
    flow = min_cost_flow.SimpleMinCostFlow()
    handles = flow.add_arcs_with_capacity_and_unit_cost(
        arcs.tails, arcs.heads, arcs.capacity, multiplier * arcs.score + arcs.travel)
    sigma = arcs.n_nodes - 2
    flow.set_nodes_supplies(np.array([sigma, sigma + 1]),
                            np.array([arcs.total_stock, -arcs.total_stock]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(flow.flows(handles), dtype=np.int64)


def score_optimal(tails: NDArray[np.int32], heads: NDArray[np.int32], capacity: IntArray,
                  score: IntArray, flow: IntArray, n_nodes: int) -> bool:
    """Whether no residual cycle lowers Σ score·flow (score ≠ 0 only on arcs into τ).

    Every cycle that changes the score passes through τ. Without the arcs into τ the residual
    costs are ≥ 0, so Dijkstra from τ gives the cheapest way back to each node; a cycle
    improves iff some residual arc v → τ costs less than −dist(v).
    """
    tau = n_nodes - 1
    forward, backward = flow < capacity, flow > 0
    tail = np.concatenate([tails[forward], heads[backward]]).astype(np.int64)
    head = np.concatenate([heads[forward], tails[backward]]).astype(np.int64)
    cost = np.concatenate([score[forward], -score[backward]])
    into = head == tau
    entry_tail, entry_cost = tail[into], cost[into]
    tail, head, cost = tail[~into], head[~into], cost[~into]
    if not len(entry_tail):
        return True
    # Parallel arcs: keep the cheapest. Weights cost·(n+1)+1 avoid zero-weight edges, which
    # scipy's sparse graphs cannot hold, without changing which path is cheapest.
    key = tail * n_nodes + head
    order = np.lexsort((cost, key))
    unique, first = np.unique(key[order], return_index=True)
    weight = cost[order][first].astype(np.float64) * (n_nodes + 1) + 1.0
    graph = csr_matrix((weight, (unique // n_nodes, unique % n_nodes)), shape=(n_nodes, n_nodes))
    dist = np.floor(dijkstra(graph, indices=tau) / (n_nodes + 1))
    return bool(np.all(dist[entry_tail] + entry_cost >= 0))


def _multipliers(arcs: _Arcs, nets: Sequence[TypeNetwork]) -> tuple[int, int]:
    """(first M to try, the M that is exact by the cycle bound, capped to fit int64)."""
    costs = [int(n.link_cost.max()) for n in nets if len(n.link_cost)]
    c_max = max(costs, default=0)
    safe = arcs.n_nodes * c_max + 1  # a simple cycle has fewer link arcs than nodes
    a_max = int(RANK.max()) * (BANDS + 1) + BANDS
    budget = _INT_BUDGET // max(arcs.n_nodes + 1, 4 * arcs.total_stock + 1)
    ceiling = max(1, (budget - c_max) // a_max)
    return min(c_max + 1, ceiling), min(safe, ceiling)


def solve_group(nets: Sequence[TypeNetwork], capacity: IntArray | None = None
                ) -> list[TypeSolution]:
    """Lexicographically optimal flows for several types in one network.

    With ``capacity`` (S,), -1 where uncapped, a capped supply point feeds its per-type nodes
    through one arc holding the cap, which keeps the coupled problem a pure flow.
    """
    if not any(len(n.link_ids) for n in nets):
        empty = np.zeros(0, dtype=np.int64)
        return [TypeSolution(n.type_index, empty, empty.copy(), True, 1) for n in nets]
    arcs = _arcs(nets, capacity)
    multiplier, safe = _multipliers(arcs, nets)
    attempts = 0
    while True:
        attempts += 1
        flow = _min_cost_flow(arcs, multiplier)
        certified = score_optimal(arcs.tails, arcs.heads, arcs.capacity, arcs.score, flow,
                                  arcs.n_nodes)
        if certified or multiplier >= safe:
            break
        multiplier = min(multiplier * 16, safe)
    result = []
    for i, net in enumerate(nets):
        link_flow = flow[arcs.link_starts[i]:arcs.link_starts[i + 1]]
        used = np.flatnonzero(link_flow)
        result.append(TypeSolution(net.type_index, net.link_ids[used], link_flow[used],
                                   certified, multiplier, attempts))
    return result


def solve_type(net: TypeNetwork) -> TypeSolution:
    """Lexicographically optimal flows for one type, certified when the proof succeeds."""
    return solve_group([net])[0]
