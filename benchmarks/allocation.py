"""How fast and how good is the allocation engine, beside the greedy baseline?

Instances are generated from a seed (every community in reach of its 50 nearest supply points):

- district: 300 communities, 100 supply points, 10 resource types, a quarter of the supply
  points capped (their cap is 40% of what they hold, so caps bind and couple the types);
- city: 6,000 communities, 2,000 supply points, 30 resource types, no caps; then 100 new
  requests arrive and the plan is re-planned with half of its shipments committed;
- not a target: the city with a quarter of its supply points capped (cap decomposition).

Times are wall-clock seconds of model build + solve (median of --repeats), measured on
this machine. Prints a table and writes benchmarks/results/allocation.json.

    .venv/bin/python benchmarks/allocation.py [--seed 7] [--repeats 3]
        [--scale all|district|city|city-capped]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from communitas.dispatch import coupled
from communitas.dispatch.coupled import joint_lp
from communitas.dispatch.flows import solve_group
from communitas.dispatch.greedy import solve_greedy
from communitas.dispatch.networks import type_networks
from communitas.dispatch.optimiser import Plan, replan, solve
from communitas.dispatch.problem import Problem, Reach, make_problem

RESULTS = Path(__file__).parent / "results" / "allocation.json"
CENTRE = (31.23, 121.47)
PRIORITY_SHARES = [0.1, 0.2, 0.3, 0.4]
LINE_PROBABILITY = 0.5  # a community asks for about half of the catalogue at once
HOLD_PROBABILITY = 0.6  # a supply point holds about 60% of the types
SCARCITY = 0.8  # stock of each type is 80% of what is asked for it
TARGETS = {"district": 0.2, "city": 10.0, "city re-plan": 2.0}


def _points(rng: np.random.Generator, n: int, spread_km: float
            ) -> tuple[np.ndarray, np.ndarray]:
    lat = CENTRE[0] + rng.normal(0, spread_km / 111.0, n)
    lon = CENTRE[1] + rng.normal(0, spread_km / 95.0, n)
    return lat, lon


def _demands(rng: np.random.Generator, n: int, n_types: int, spread_km: float, first: int
             ) -> dict[str, Any]:
    lat, lon = _points(rng, n, spread_km)
    population = rng.lognormal(np.log(3000), 0.5, n)
    per_capita = rng.uniform(5, 60, n_types)  # units per 1,000 residents, by type
    asked = rng.random((n, n_types)) < LINE_PROBABILITY
    needs = np.where(asked, np.maximum(1, np.rint(population[:, None] / 1000 * per_capita
                                                    * rng.uniform(0.5, 1.5, (n, n_types)))),
                     0).astype(np.int64)
    priority = rng.choice([1, 2, 3, 4], size=n, p=PRIORITY_SHARES)
    ids = tuple(f"c{first + i:05d}" for i in range(n))
    codes = tuple(f"310115{(first + i) // 50:03d}{(first + i) % 50:03d}" for i in range(n))
    return {"demand_ids": ids, "community": codes, "demand_lat": lat, "demand_lon": lon,
            "needs": needs, "priority": priority}


def instance(seed: int, *, communities: int, supplies: int, types: int, capped: float,
             spread_km: float) -> Problem:
    """A deterministic instance: the same seed gives the same problem."""
    rng = np.random.default_rng(seed)
    demand = _demands(rng, communities, types, spread_km, 0)
    lat, lon = _points(rng, supplies, spread_km * 1.1)
    market = rng.random(supplies) < 0.1
    holds = rng.random((supplies, types)) < HOLD_PROBABILITY
    weight = holds * rng.uniform(0.5, 1.5, (supplies, types)) * np.where(market, 4, 1)[:, None]
    share = weight / np.maximum(weight.sum(axis=0), 1e-9)
    stock = np.floor(share * SCARCITY * demand["needs"].sum(axis=0)).astype(np.int64)
    capacity = np.full(supplies, -1, dtype=np.int64)
    chosen = rng.permutation(supplies)[: round(capped * supplies)]
    capacity[chosen] = stock[chosen].sum(axis=1) * 2 // 5
    return make_problem(
        resource_types=tuple(f"type_{t:02d}" for t in range(types)),
        supply_ids=tuple(f"s{i:04d}" for i in range(supplies)), supply_lat=lat,
        supply_lon=lon, stock=stock, capacity=capacity,
        lead_minutes=np.where(market, rng.uniform(60, 240, supplies), 0.0),
        reach=Reach(nearest=50, speed_kmh=20.0), **demand)


def with_new_requests(problem: Problem, seed: int, count: int, spread_km: float) -> Problem:
    """The same problem with ``count`` new demand points appended."""
    rng = np.random.default_rng(seed + 1)
    new = _demands(rng, count, len(problem.resource_types), spread_km,
                   len(problem.demand_ids))
    return make_problem(
        resource_types=problem.resource_types, supply_ids=problem.supply_ids,
        supply_lat=problem.supply_lat, supply_lon=problem.supply_lon, stock=problem.stock,
        capacity=problem.capacity, lead_minutes=problem.lead_minutes,
        reach=problem.reach, demand_ids=problem.demand_ids + new["demand_ids"],
        community=problem.community + new["community"],
        demand_lat=np.concatenate([problem.demand_lat, new["demand_lat"]]),
        demand_lon=np.concatenate([problem.demand_lon, new["demand_lon"]]),
        needs=np.vstack([problem.needs, new["needs"]]),
        priority=np.concatenate([problem.priority, new["priority"]]))


def _timed(run: Callable[[], Plan], repeats: int) -> tuple[Plan, float, float]:
    """(last plan, median wall seconds, median CPU seconds of this process and children)."""
    walls, cpus, plan = [], [], None
    for _ in range(repeats):
        cpu0, wall0 = os.times(), time.perf_counter()
        plan = run()
        wall, cpu1 = time.perf_counter() - wall0, os.times()
        walls.append(wall)
        cpus.append(sum(cpu1[:4]) - sum(cpu0[:4]))
    assert plan is not None
    return plan, statistics.median(walls), statistics.median(cpus)


def _row(name: str, plan: Plan, wall: float, cpu: float, target: float | None
         ) -> dict[str, Any]:
    m = plan.metrics
    return {"case": name, "method": plan.method, "status": plan.status,
            "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3), "target_seconds": target,
            "objective": m["objective"], "weighted_unmet": m["objective"]["weighted_unmet"],
            "worst_fill_ratio": m["worst_fill_ratio"],
            "mean_travel_minutes": m["mean_travel_minutes"], "shipped_units": m["shipped_units"],
            "unmet_units": m["unmet_units"], "solver": m.get("solver", {})}


def _size(problem: Problem) -> dict[str, int]:
    return {"communities": len(problem.demand_ids), "supply_points": len(problem.supply_ids),
            "resource_types": len(problem.resource_types),
            "capped_supply_points": int((problem.capacity >= 0).sum()),
            "demand_lines": int((problem.needs > 0).sum()), "links": len(problem.links)}


def _joint_lp_check(problem: Problem) -> dict[str, Any]:
    """The same coupled model as one HiGHS LP, to compare its time and optimum with the flow."""
    networks = type_networks(problem, stock=problem.stock, capacity=problem.capacity,
                             served=np.zeros_like(problem.needs),
                             types=range(len(problem.resource_types)))
    started = time.perf_counter()
    solutions = solve_group(networks, problem.capacity)
    flow_seconds = time.perf_counter() - started
    lp = joint_lp(networks, capacity=problem.capacity, n_types=len(problem.resource_types),
                  multiplier=solutions[0].multiplier)
    return {"joint_flow_seconds": round(flow_seconds, 3), "lp_seconds": lp["seconds"],
            "lp_status": lp["status"], "lp_objective": lp["objective"],
            "lp_columns": lp["columns"]}


def district(seed: int, repeats: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    problem = instance(seed, communities=300, supplies=100, types=10, capped=0.25,
                       spread_km=4.0)
    plan, wall, cpu = _timed(lambda: solve(problem), repeats)
    greedy, g_wall, g_cpu = _timed(lambda: solve_greedy(problem), repeats)
    return ([_row("district", plan, wall, cpu, TARGETS["district"]),
             _row("district", greedy, g_wall, g_cpu, None)],
            _size(problem) | {"highs_cross_check": _joint_lp_check(problem)})


def city_capped(seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Not a target: the city with a quarter of supply points capped (decomposition)."""
    problem = instance(seed, communities=6000, supplies=2000, types=30, capped=0.25,
                       spread_km=12.0)
    plan, wall, cpu = _timed(lambda: solve(problem), 1)
    greedy, g_wall, g_cpu = _timed(lambda: solve_greedy(problem), 1)
    limit = coupled.JOINT_MAX_LINKS
    coupled.JOINT_MAX_LINKS = 10**9  # the exact joint flow, one process: the reference
    try:
        exact, e_wall, e_cpu = _timed(lambda: solve(problem), 1)
    finally:
        coupled.JOINT_MAX_LINKS = limit
    gaps = {level: round(plan.metrics["objective"][level] / max(value, 1) - 1, 6)
            for level, value in exact.metrics["objective"].items()}
    return ([_row("city, capped (decomposition)", plan, wall, cpu, None),
             _row("city, capped (exact joint flow)", exact, e_wall, e_cpu, None),
             _row("city, capped", greedy, g_wall, g_cpu, None)],
            _size(problem) | {"decomposition_relative_gap": gaps})


def city(seed: int, repeats: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    problem = instance(seed, communities=6000, supplies=2000, types=30, capped=0.0,
                       spread_km=12.0)
    plan, wall, cpu = _timed(lambda: solve(problem), repeats)
    greedy, g_wall, g_cpu = _timed(lambda: solve_greedy(problem), 1)
    rows = [_row("city", plan, wall, cpu, TARGETS["city"]),
            _row("city", greedy, g_wall, g_cpu, None)]
    grown = with_new_requests(problem, seed, 100, spread_km=12.0)
    committed = plan.shipments()[::2]
    local, l_wall, l_cpu = _timed(lambda: replan(plan, grown, committed=committed), repeats)
    full, f_wall, f_cpu = _timed(
        lambda: replan(plan, grown, committed=committed, scope="full"), 1)
    rows += [_row("city re-plan (local)", local, l_wall, l_cpu, TARGETS["city re-plan"]),
             _row("city re-plan (full, reference)", full, f_wall, f_cpu, None)]
    return rows, _size(problem) | {"new_requests": 100, "committed_shipments": len(committed)}


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Allocation engine (seconds: wall and CPU, build + solve)")
    for column in ("case", "method", "status", "s", "cpu s", "target", "weighted unmet",
                   "deprivation", "worst fill P1/P2/P3/P4", "mean travel min"):
        table.add_column(column, justify="left" if column in ("case", "method") else "right")
    for r in rows:
        fill = "/".join("-" if v is None else f"{v:.2f}" for v in r["worst_fill_ratio"].values())
        table.add_row(r["case"], r["method"], r["status"], f"{r['seconds']:.3f}",
                      f"{r['cpu_seconds']:.2f}",
                      "" if r["target_seconds"] is None else f"≤ {r['target_seconds']}",
                      f"{r['weighted_unmet']:,}", f"{r['objective']['deprivation']:,}", fill,
                      f"{r['mean_travel_minutes']:.2f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", choices=["all", "district", "city", "city-capped"],
                        default="all")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    sizes: dict[str, Any] = {}
    if args.scale in ("all", "district"):
        found, sizes["district"] = district(args.seed, args.repeats)
        rows += found
    if args.scale in ("all", "city"):
        found, sizes["city"] = city(args.seed, args.repeats)
        rows += found
    if args.scale in ("all", "city-capped"):
        found, sizes["city, capped"] = city_capped(args.seed)
        rows += found
    console = Console(width=200)
    console.print(_table(rows))
    for name, size in sizes.items():
        console.print(f"{name}: {size}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "seed": args.seed, "repeats": args.repeats, "cpus": len(os.sched_getaffinity(0)),
        "instances": sizes, "rows": rows}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
