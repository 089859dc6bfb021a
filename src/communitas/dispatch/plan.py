"""Allocation plans: shipments along links, what stays unmet, metrics; the plan file format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from communitas.dispatch.objective import evaluate, served_matrix
from communitas.dispatch.problem import Problem

__all__ = ["Plan", "Shipment", "build_plan", "write_plan"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Shipment:
    """Units of one type from a supply point to a demand point."""

    supply: str
    demand: str
    type: str
    quantity: int
    minutes: float


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan for ``problem``: shipment k sends ``quantity[k]`` of ``type[k]`` on ``link[k]``."""

    problem: Problem
    status: str  # "optimal" (certified) or "feasible"
    method: str
    link: IntArray
    type: IntArray
    quantity: IntArray
    committed: NDArray[np.bool_]
    metrics: dict[str, Any] = field(default_factory=dict)

    def served(self) -> IntArray:
        """Units delivered to each (demand, type)."""
        return served_matrix(self.problem, self.link, self.type, self.quantity)

    def shipments(self) -> list[Shipment]:
        """The shipments as records with ids."""
        p = self.problem
        return [Shipment(supply=p.supply_ids[p.links.supply[k]],
                         demand=p.demand_ids[p.links.demand[k]], type=p.resource_types[t],
                         quantity=int(q), minutes=round(float(p.links.minutes[k]), 1))
                for k, t, q in zip(self.link, self.type, self.quantity, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        """The plan file: status, shipments, unmet lines and metrics."""
        p = self.problem
        shipments = [vars(s) | ({"committed": True} if c else {})
                     for s, c in zip(self.shipments(), self.committed, strict=True)]
        unmet = p.needs - self.served()
        rows, cols = np.nonzero(unmet)
        return {
            "status": self.status,
            "method": self.method,
            "shipments": shipments,
            "unmet": [{"demand": p.demand_ids[d], "type": p.resource_types[t],
                       "quantity": int(unmet[d, t])} for d, t in zip(rows, cols, strict=True)],
            "metrics": self.metrics,
        }


def build_plan(problem: Problem, link: IntArray, rtype: IntArray, quantity: IntArray, *,
               status: str, method: str, committed: NDArray[np.bool_] | None = None,
               metrics: dict[str, Any] | None = None) -> Plan:
    """Merge duplicate (link, type) rows, order shipments deterministically, add metrics."""
    link, rtype = np.asarray(link, dtype=np.int64), np.asarray(rtype, dtype=np.int64)
    quantity = np.asarray(quantity, dtype=np.int64)
    flags = np.zeros(len(link), dtype=bool) if committed is None else np.asarray(committed)
    # One row per (link, type, committed); rows with nothing to ship are dropped.
    key = (link * len(problem.resource_types) + rtype) * 2 + flags
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.zeros(len(unique), dtype=np.int64)
    np.add.at(total, inverse, quantity)
    keep = total > 0
    unique, total = unique[keep], total[keep]
    link, rest = np.divmod(unique // 2, len(problem.resource_types))
    flags = (unique % 2).astype(bool)
    links = problem.links
    order = np.lexsort((link, rest, links.demand[link]))  # links run nearest first
    link, rest, total, flags = link[order], rest[order], total[order], flags[order]
    return Plan(problem=problem, status=status, method=method, link=link, type=rest,
                quantity=total, committed=flags,
                metrics=evaluate(problem, link, rest, total) | (metrics or {}))


def write_plan(plan: Plan, path: Path) -> None:
    """Write the plan file (UTF-8 JSON)."""
    path.write_text(json.dumps(plan.to_dict(), ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
