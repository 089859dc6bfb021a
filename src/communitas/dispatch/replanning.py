"""What a re-plan keeps: committed shipments, previous shipments of untouched types, and which
types and links a change of requests, stock or reach touches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch.plan import Plan, Shipment
from communitas.dispatch.problem import Problem
from communitas.errors import ValidationFailed
from communitas.i18n import _

__all__ = ["Commitments", "affected_types", "carry_over", "commitments"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Commitments:
    """Fixed shipments (link, type, quantity) with their use of stock and delivered units."""

    link: IntArray
    rtype: IntArray
    quantity: IntArray
    used: IntArray  # (S, T)
    served: IntArray  # (D, T)

    @classmethod
    def of(cls, problem: Problem, link: IntArray, rtype: IntArray, quantity: IntArray
           ) -> Commitments:
        used = np.zeros_like(problem.stock)
        served = np.zeros_like(problem.needs)
        np.add.at(used, (problem.links.supply[link], rtype), quantity)
        np.add.at(served, (problem.links.demand[link], rtype), quantity)
        return cls(link, rtype, quantity, used, served)


def _link_index(problem: Problem, supply: IntArray, demand: IntArray) -> IntArray:
    """Index of link (supply, demand) for each pair, -1 where there is none."""
    result = np.full(len(supply), -1, dtype=np.int64)
    if not len(problem.links) or not len(supply):
        return result
    n_d = len(problem.demand_ids)
    keys = problem.links.supply * n_d + problem.links.demand
    order = np.argsort(keys, kind="stable")
    wanted = supply * n_d + demand
    pos = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    hit = (supply >= 0) & (demand >= 0) & (keys[order][pos] == wanted)
    result[hit] = order[pos[hit]]
    return result


def _index(ids: Iterable[str], names: tuple[str, ...]) -> IntArray:
    lookup = {name: i for i, name in enumerate(names)}
    return np.array([lookup.get(i, -1) for i in ids], dtype=np.int64)


def commitments(problem: Problem, committed: Iterable[Shipment]) -> Commitments:
    """Committed shipments as arrays; reject any that the problem cannot carry."""
    rows = list(committed)
    supply = _index((r.supply for r in rows), problem.supply_ids)
    demand = _index((r.demand for r in rows), problem.demand_ids)
    rtype = _index((r.type for r in rows), problem.resource_types)
    quantity = np.array([r.quantity for r in rows], dtype=np.int64)
    link = _link_index(problem, supply, demand)
    problems = [{"path": f"committed[{i}]", "message": _("Not a link of this problem")}
                for i in np.flatnonzero((link < 0) | (rtype < 0))]
    problems += [{"path": f"committed[{i}].quantity", "message": _("Must be positive")}
                 for i in np.flatnonzero(quantity <= 0)]
    if problems:
        raise _rejected(problems)
    fixed = Commitments.of(problem, link, rtype, quantity)
    types = problem.resource_types
    problems += [{"path": f"supplies[{s}].stock.{types[t]}",
                  "message": _("Committed shipments exceed this stock")}
                 for s, t in zip(*np.nonzero(fixed.used > problem.stock), strict=True)]
    over = (problem.capacity >= 0) & (fixed.used.sum(axis=1) > problem.capacity)
    problems += [{"path": f"supplies[{s}].capacity",
                  "message": _("Committed shipments exceed this capacity")}
                 for s in np.flatnonzero(over)]
    problems += [{"path": f"demands[{d}].needs.{types[t]}",
                  "message": _("Committed shipments exceed this need")}
                 for d, t in zip(*np.nonzero(fixed.served > problem.needs), strict=True)]
    if problems:
        raise _rejected(problems)
    return fixed


def _rejected(problems: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed(_("The commitments do not fit the problem; nothing was re-planned"),
                            code="invalid_commitment", details=problems[:50])


def carry_over(previous: Plan, problem: Problem, fixed: Commitments
               ) -> tuple[Commitments, set[int]]:
    """The previous plan's shipments beyond the commitments, on the new problem's links.

    Also returns the types whose previous shipments no longer fit (a link or an id is gone, or
    a commitment ships more than the previous plan did on that link).
    """
    old = previous.problem
    n_types = len(problem.resource_types)
    s_map = _index(old.supply_ids, problem.supply_ids)
    d_map = _index(old.demand_ids, problem.demand_ids)
    link = _link_index(problem, s_map[old.links.supply[previous.link]],
                       d_map[old.links.demand[previous.link]])
    lost = {int(t) for t in previous.type[link < 0]}
    ok = link >= 0
    prev_key = link[ok] * n_types + previous.type[ok]
    com_key = fixed.link * n_types + fixed.rtype
    keys = np.union1d(prev_key, com_key)
    amount = np.zeros(len(keys), dtype=np.int64)
    np.add.at(amount, np.searchsorted(keys, prev_key), previous.quantity[ok])
    np.subtract.at(amount, np.searchsorted(keys, com_key), fixed.quantity)
    lost |= {int(t) for t in keys[amount < 0] % n_types}
    keys, amount = keys[amount > 0], amount[amount > 0]
    return Commitments.of(problem, keys // n_types, keys % n_types, amount), lost


def _changed_lines(old: Problem, new: Problem) -> BoolArray:
    """(D, T): demand lines that are new or whose need or priority changed."""
    o = _index(new.demand_ids, old.demand_ids)
    known = o >= 0
    changed = new.needs > 0
    prev_needs = old.needs[np.maximum(o, 0)] if len(old.demand_ids) else np.zeros_like(new.needs)
    prev_priority = old.priority[np.maximum(o, 0)] if len(old.demand_ids) else new.priority
    same = (prev_needs == new.needs) & (prev_priority == new.priority)[:, None]
    changed[known] = (~same[known]) & ((new.needs[known] > 0) | (prev_needs[known] > 0))
    return np.asarray(changed, dtype=bool)


def _changed_supplies(old: Problem, new: Problem) -> BoolArray:
    """(S, T): supply points that are new or whose stock, cap or lead time changed."""
    o = _index(new.supply_ids, old.supply_ids)
    known = o >= 0
    changed = new.stock > 0
    if len(old.supply_ids):
        k = np.maximum(o, 0)
        held = (old.stock[k] > 0) | (new.stock > 0)
        other = (old.capacity[k] != new.capacity) | (old.lead_minutes[k] != new.lead_minutes)
        delta = (old.stock[k] != new.stock) | (other[:, None] & held)
        changed[known] = delta[known]
    return np.asarray(changed, dtype=bool)


def affected_types(old: Problem, new: Problem, lost: set[int]) -> tuple[IntArray, BoolArray]:
    """Types to solve again and, per type, the links that touch a change: shape (L, T)."""
    lines = _changed_lines(old, new)
    supplies = _changed_supplies(old, new)
    gone = np.zeros(len(new.resource_types), dtype=bool)
    gone_d = _index(old.demand_ids, new.demand_ids) < 0
    gone_s = _index(old.supply_ids, new.supply_ids) < 0
    gone |= (old.needs[gone_d] > 0).any(axis=0) | (old.stock[gone_s] > 0).any(axis=0)
    gone[list(lost)] = True
    links = new.links
    touched = lines[links.demand] | supplies[links.supply]
    types = np.flatnonzero(lines.any(axis=0) | supplies.any(axis=0) | gone)
    return types.astype(np.int64), touched
