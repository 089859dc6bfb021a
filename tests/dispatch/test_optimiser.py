"""The allocation engine's invariants, on small random problems and on hand-made cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from communitas.dispatch import coupled
from communitas.dispatch.coupled import joint_lp
from communitas.dispatch.flows import TypeSolution, solve_group
from communitas.dispatch.greedy import solve_greedy
from communitas.dispatch.networks import solve_networks, type_networks
from communitas.dispatch.objective import BAND_SLOPES, BANDS, RANK, band_capacities
from communitas.dispatch.optimiser import Plan, Shipment, replan, solve
from communitas.dispatch.problem import (
    PRIORITY_WEIGHTS,
    Problem,
    parse_problem,
    problem_to_dict,
)
from communitas.dispatch.reach import EARTH_RADIUS_KM
from communitas.errors import ValidationFailed

TYPES = ["water_l", "rice_kg", "masks"]
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw: st.DrawFn, *, capped: bool | None = None) -> dict[str, Any]:
    """A small problem document: up to 3 types, 5 supply points, 6 demand points."""
    types = TYPES[: draw(st.integers(1, 3))]
    coordinate = st.tuples(st.floats(31.20, 31.26), st.floats(121.44, 121.50))
    quantities = st.dictionaries(st.sampled_from(types), st.integers(0, 30), max_size=3)
    supplies = []
    for i in range(draw(st.integers(1, 5))):
        lat, lon = draw(coordinate)
        entry = {"id": f"s{i}", "lat": lat, "lon": lon, "stock": draw(quantities),
                 "lead_minutes": draw(st.sampled_from([0, 0, 15, 60]))}
        if capped or (capped is None and draw(st.booleans())):
            entry["capacity"] = draw(st.integers(0, 40))
        supplies.append(entry)
    demands = []
    for i in range(draw(st.integers(1, 6))):
        lat, lon = draw(coordinate)
        demands.append({"id": f"d{i}", "lat": lat, "lon": lon, "community": f"31011500{i}",
                        "priority": draw(st.integers(1, 4)), "needs": draw(quantities)})
    return {"resource_types": types, "supplies": supplies, "demands": demands,
            "reach": {"nearest": draw(st.integers(1, 4)), "speed_kmh": 20}}


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)))


def _reachable(doc: dict[str, Any], demand: dict[str, Any]) -> set[str]:
    """The demand's nearest supply points, computed independently of the engine."""
    distance = sorted((_great_circle_km(demand["lat"], demand["lon"], s["lat"], s["lon"]),
                       s["id"]) for s in doc["supplies"])
    nearest = doc["reach"]["nearest"]
    cut = distance[min(nearest, len(distance)) - 1][0]
    return {ident for km, ident in distance if km <= cut + 1e-9}


def assert_feasible(doc: dict[str, Any], plan: Plan) -> None:
    """Stock, caps and needs are respected, and every shipment runs along a link in reach."""
    supplies = {s["id"]: s for s in doc["supplies"]}
    demands = {d["id"]: d for d in doc["demands"]}
    shipped: dict[tuple[str, str], int] = {}
    total: dict[str, int] = {}
    received: dict[tuple[str, str], int] = {}
    for row in plan.to_dict()["shipments"]:
        assert row["quantity"] > 0
        assert row["supply"] in _reachable(doc, demands[row["demand"]])
        key = (row["supply"], row["type"])
        shipped[key] = shipped.get(key, 0) + row["quantity"]
        total[row["supply"]] = total.get(row["supply"], 0) + row["quantity"]
        line = (row["demand"], row["type"])
        received[line] = received.get(line, 0) + row["quantity"]
    for (supply, rtype), quantity in shipped.items():
        assert quantity <= supplies[supply]["stock"].get(rtype, 0)
    for supply, quantity in total.items():
        if "capacity" in supplies[supply]:
            assert quantity <= supplies[supply]["capacity"]
    for (demand, rtype), quantity in received.items():
        assert quantity <= demands[demand]["needs"].get(rtype, 0)


def assert_priority_one_first(doc: dict[str, Any], plan: Plan) -> None:
    """No priority-1 unit is unmet while a reachable unit is idle or serves a lower priority."""
    shipments = plan.to_dict()["shipments"]
    priority = {d["id"]: d["priority"] for d in doc["demands"]}
    for unmet in plan.to_dict()["unmet"]:
        if priority[unmet["demand"]] != 1:
            continue
        demand = next(d for d in doc["demands"] if d["id"] == unmet["demand"])
        for supply in doc["supplies"]:
            if supply["id"] not in _reachable(doc, demand):
                continue
            rows = [r for r in shipments if r["supply"] == supply["id"]]
            sent = sum(r["quantity"] for r in rows if r["type"] == unmet["type"])
            idle = supply["stock"].get(unmet["type"], 0) - sent
            lower = [r for r in rows if priority[r["demand"]] > 1]
            assert not [r for r in lower if r["type"] == unmet["type"]]
            if "capacity" in supply:
                room = supply["capacity"] - sum(r["quantity"] for r in rows)
                assert idle == 0 or (room == 0 and not lower)
            else:
                assert idle == 0


def _without_timings(plan: Plan) -> dict[str, Any]:
    doc = plan.to_dict()
    doc["metrics"]["solver"].pop("seconds")
    return doc


@PROPERTY
@given(problems())
def test_plans_respect_stock_caps_needs_and_reach(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    plan = solve(problem)
    assert plan.status == "optimal"
    assert_feasible(doc, plan)
    assert_feasible(doc, solve_greedy(problem))


@PROPERTY
@given(problems())
def test_priority_one_is_served_before_any_lower_priority(doc: dict[str, Any]) -> None:
    assert_priority_one_first(doc, solve(parse_problem(doc)))


@PROPERTY
@given(problems())
def test_optimiser_never_leaves_more_weighted_unmet_than_greedy(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    optimal = solve(problem).metrics["objective"]["weighted_unmet"]
    assert optimal <= solve_greedy(problem).metrics["objective"]["weighted_unmet"]


def _least_weighted_unmet(problem: Problem) -> float:
    """Level 1 solved alone as an LP with the published weights 1000/100/10/1."""
    links, n_t = problem.links, len(problem.resource_types)
    n = len(links) * n_t
    s, d = np.repeat(links.supply, n_t), np.repeat(links.demand, n_t)
    t = np.tile(np.arange(n_t), len(links))
    gain = -PRIORITY_WEIGHTS[problem.priority[d]].astype(float)
    rows = [(s == i) & (t == j) for i in range(len(problem.supply_ids)) for j in range(n_t)]
    rows += [(d == i) & (t == j) for i in range(len(problem.demand_ids)) for j in range(n_t)]
    capped = np.flatnonzero(problem.capacity >= 0)
    rows += [s == i for i in capped]
    bound = np.concatenate([problem.stock.ravel(), problem.needs.ravel(),
                            problem.capacity[capped]]).astype(float)
    result = linprog(gain, A_ub=np.array(rows, dtype=float).reshape(-1, n), b_ub=bound,
                     bounds=(0, None), method="highs")
    weights = PRIORITY_WEIGHTS[problem.priority][:, None] * problem.needs
    return float(weights.sum() + result.fun)


@PROPERTY
@given(problems())
def test_level_one_is_the_least_weighted_unmet(doc: dict[str, Any]) -> None:
    """Priority ranks 4/3/2/1 in the flow costs give the optimum of weights 1000/100/10/1."""
    problem = parse_problem(doc)
    weighted = solve(problem).metrics["objective"]["weighted_unmet"]
    assert weighted == pytest.approx(_least_weighted_unmet(problem), abs=1e-6)


def _folded(problem: Problem, solutions: list[TypeSolution], multiplier: int,
            costs: np.ndarray) -> float:
    total = 0.0
    for sol in solutions:
        served = np.zeros(len(problem.demand_ids), dtype=np.int64)
        np.add.at(served, problem.links.demand[sol.link_ids], sol.quantity)
        full = problem.needs[:, sol.type_index]
        filled = band_capacities(full, np.zeros_like(full)) - band_capacities(full, served)
        reward = RANK[problem.priority][:, None] * (BANDS + 1) + BAND_SLOPES[None, :]
        total += float((costs[sol.link_ids] * sol.quantity).sum())
        total -= multiplier * float((filled * reward).sum())
    return total


@PROPERTY
@given(problems(capped=True))
def test_caps_keep_the_problem_a_flow_equal_to_the_joint_lp(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    zero = np.zeros_like(problem.needs)
    networks = type_networks(problem, stock=problem.stock, capacity=problem.capacity,
                             served=zero, types=range(len(problem.resource_types)))
    solutions = solve_group(networks, problem.capacity)
    multiplier = solutions[0].multiplier  # one network, one multiplier
    lp = joint_lp(networks, capacity=problem.capacity,
                  n_types=len(problem.resource_types), multiplier=multiplier)
    costs = np.rint(problem.links.minutes / 0.1).astype(np.int64)
    assert lp["status"] in ("Optimal", "Empty")
    assert _folded(problem, solutions, multiplier, costs) == pytest.approx(
        lp["objective"], abs=1e-6)


@PROPERTY
@given(problems(capped=True))
def test_city_scale_cap_splitting_stays_feasible_above_its_bound(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coupled, "JOINT_MAX_LINKS", -1)  # force the decomposition
        plan = solve(problem)
    assert_feasible(doc, plan)
    coupling = plan.metrics["solver"].get("coupling", {})
    if coupling.get("binding_supplies"):
        assert plan.status == "feasible"
        assert plan.metrics["objective"]["weighted_unmet"] >= coupling["weighted_unmet_bound"]
    assert plan.metrics["objective"]["weighted_unmet"] >= solve(problem).metrics[
        "objective"]["weighted_unmet"]


@PROPERTY
@given(problems())
def test_same_input_same_plan(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    assert _without_timings(solve(problem)) == _without_timings(solve(parse_problem(doc)))
    assert solve_greedy(problem).to_dict()["shipments"] == solve_greedy(
        problem).to_dict()["shipments"]


def _doc(supplies: list[dict[str, Any]], demands: list[dict[str, Any]],
         nearest: int = 5) -> dict[str, Any]:
    return {"resource_types": ["water_l", "rice_kg"], "supplies": supplies,
            "demands": demands, "reach": {"nearest": nearest, "speed_kmh": 20}}


def _supply(ident: str, lon: float, stock: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"id": ident, "lat": 31.2, "lon": lon, "stock": stock} | extra


def _demand(ident: str, lon: float, priority: int, needs: dict[str, int]) -> dict[str, Any]:
    return {"id": ident, "lat": 31.2, "lon": lon, "priority": priority, "needs": needs}


def test_shortage_is_shared_between_demands_of_the_same_priority() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 100})],
               [_demand("near", 121.501, 2, {"water_l": 100}),
                _demand("far", 121.52, 2, {"water_l": 100})])
    plan = solve(parse_problem(doc))
    served = {r["demand"]: r["quantity"] for r in plan.to_dict()["shipments"]}
    assert abs(served["near"] - served["far"]) <= 10  # within one 10% band
    assert plan.metrics["worst_fill_ratio"]["2"] >= 0.45


def test_priority_first_then_the_least_travel() -> None:
    doc = _doc([_supply("west", 121.501, {"water_l": 60}),
                _supply("east", 121.55, {"water_l": 60})],
               [_demand("p1", 121.50, 1, {"water_l": 60}),
                _demand("p4", 121.56, 4, {"water_l": 100})])
    rows = solve(parse_problem(doc)).to_dict()["shipments"]
    assert {(r["supply"], r["demand"], r["quantity"]) for r in rows} == {
        ("west", "p1", 60), ("east", "p4", 60)}


def test_market_lead_time_counts_as_travel() -> None:
    doc = _doc([_supply("market", 121.5005, {"water_l": 50}, lead_minutes=120),
                _supply("depot", 121.52, {"water_l": 50})],
               [_demand("d", 121.50, 3, {"water_l": 50})])
    rows = solve(parse_problem(doc)).to_dict()["shipments"]
    assert [(r["supply"], r["quantity"]) for r in rows] == [("depot", 50)]
    assert rows[0]["minutes"] < 10


def test_capacity_is_shared_across_types() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 100, "rice_kg": 100}, capacity=120)],
               [_demand("p1", 121.501, 1, {"rice_kg": 80}),
                _demand("p3", 121.502, 3, {"water_l": 100})])
    plan = solve(parse_problem(doc))
    rows = {(r["demand"], r["type"]): r["quantity"] for r in plan.to_dict()["shipments"]}
    assert rows == {("p1", "rice_kg"): 80, ("p3", "water_l"): 40}
    assert plan.status == "optimal"


def test_explicit_links_replace_reach() -> None:
    doc = {"resource_types": ["water_l"],
           "supplies": [{"id": "a", "stock": {"water_l": 10}},
                        {"id": "b", "stock": {"water_l": 10}, "lead_minutes": 5}],
           "demands": [{"id": "d", "priority": 1, "needs": {"water_l": 15}}],
           "links": [{"supply": "a", "demand": "d", "minutes": 30},
                     {"supply": "b", "demand": "d", "minutes": 10}]}
    problem = parse_problem(doc)
    rows = solve(problem).to_dict()["shipments"]
    assert [(r["supply"], r["quantity"], r["minutes"]) for r in rows] == [
        ("b", 10, 15.0), ("a", 5, 30.0)]
    assert parse_problem(problem_to_dict(problem)).links.minutes.tolist() == [15.0, 30.0]


@settings(max_examples=30, deadline=None)
@given(problems())
def test_problem_documents_round_trip(doc: dict[str, Any]) -> None:
    problem = parse_problem(doc)
    again = parse_problem(problem_to_dict(problem))
    assert np.array_equal(again.stock, problem.stock)
    assert np.array_equal(again.needs, problem.needs)
    assert np.array_equal(again.links.supply, problem.links.supply)
    assert np.array_equal(again.capacity, problem.capacity)


def test_worker_processes_give_the_same_plan() -> None:
    rng = np.random.default_rng(3)
    doc = _doc([_supply(f"s{i}", 121.45 + 0.01 * i, {"water_l": int(rng.integers(0, 90)),
                                                     "rice_kg": int(rng.integers(0, 90))})
                for i in range(8)],
               [_demand(f"d{i}", 121.45 + 0.007 * i, int(rng.integers(1, 5)),
                        {"water_l": int(rng.integers(0, 60)), "rice_kg": 30})
                for i in range(12)], nearest=4)
    problem = parse_problem(doc)
    networks = type_networks(problem, stock=problem.stock, capacity=problem.capacity,
                             served=np.zeros_like(problem.needs), types=range(2))
    alone, forked = solve_networks(networks, workers=1), solve_networks(networks, workers=2)
    for a, b in zip(alone, forked, strict=True):
        assert np.array_equal(a.link_ids, b.link_ids) and np.array_equal(a.quantity, b.quantity)


def _grown(doc: dict[str, Any], *demands: dict[str, Any]) -> dict[str, Any]:
    return doc | {"demands": [*doc["demands"], *demands]}


@PROPERTY
@given(problems(), st.data())
def test_replan_keeps_commitments_and_stays_feasible(doc: dict[str, Any],
                                                     data: st.DataObject) -> None:
    before = solve(parse_problem(doc))
    shipments = before.shipments()
    committed = [s for s, keep in zip(shipments, data.draw(st.lists(
        st.booleans(), min_size=len(shipments), max_size=len(shipments))), strict=True) if keep]
    grown = _grown(doc, {"id": "new", "lat": 31.23, "lon": 121.47, "priority": 1,
                         "needs": {doc["resource_types"][0]: 25}})
    for scope in ("local", "full"):
        after = replan(before, parse_problem(grown), committed=committed, scope=scope)
        assert_feasible(grown, after)
        kept = [s for s, flag in zip(after.shipments(), after.committed, strict=True) if flag]
        assert sorted(kept, key=repr) == sorted(committed, key=repr)
    full = replan(before, parse_problem(grown), committed=committed, scope="full")
    local = replan(before, parse_problem(grown), committed=committed)
    assert (full.metrics["objective"]["weighted_unmet"]
            <= local.metrics["objective"]["weighted_unmet"])


def test_replan_moves_uncommitted_units_to_an_urgent_new_request() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 100, "rice_kg": 10})],
               [_demand("old", 121.501, 4, {"water_l": 100, "rice_kg": 10})])
    before = solve(parse_problem(doc))
    rice = [s for s in before.shipments() if s.type == "rice_kg"]
    grown = _grown(doc, _demand("urgent", 121.502, 1, {"water_l": 70}))
    after = replan(before, parse_problem(grown), committed=rice)
    rows = {(r["demand"], r["type"]): r["quantity"] for r in after.to_dict()["shipments"]}
    assert rows == {("old", "water_l"): 30, ("old", "rice_kg"): 10, ("urgent", "water_l"): 70}
    assert after.metrics["solver"]["replanned_types"] == 1
    assert after.metrics["solver"]["kept_types"] == 1


def test_replan_without_changes_keeps_the_plan() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 50}), _supply("t", 121.51, {"rice_kg": 9})],
               [_demand("a", 121.501, 2, {"water_l": 80, "rice_kg": 5}),
                _demand("b", 121.505, 3, {"water_l": 20, "rice_kg": 5})])
    before = solve(parse_problem(doc))
    after = replan(before, parse_problem(doc))
    assert after.to_dict()["shipments"] == before.to_dict()["shipments"]
    assert after.metrics["solver"]["replanned_types"] == 0


def test_replan_with_other_resource_types_solves_afresh() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 50, "rice_kg": 5})],
               [_demand("a", 121.501, 2, {"water_l": 80, "rice_kg": 5})])
    before = solve(parse_problem(doc))
    other = doc | {"resource_types": ["rice_kg", "water_l"]}
    kept = [s for s in before.shipments() if s.type == "rice_kg"]
    after = replan(before, parse_problem(other), committed=kept, scope="full")
    assert after.status == "optimal"
    assert {(s.type, s.quantity) for s in after.shipments()} == {("rice_kg", 5), ("water_l", 50)}


def test_commitments_beyond_stock_are_refused() -> None:
    doc = _doc([_supply("s", 121.50, {"water_l": 10})],
               [_demand("a", 121.501, 2, {"water_l": 80})])
    before = solve(parse_problem(doc))
    too_much = [Shipment(supply="s", demand="a", type="water_l", quantity=11, minutes=0.0)]
    with pytest.raises(ValidationFailed) as caught:
        replan(before, parse_problem(doc), committed=too_much)
    assert caught.value.code == "invalid_commitment"
    assert caught.value.details[0]["path"] == "supplies[0].stock.water_l"
    unknown = [Shipment(supply="x", demand="a", type="water_l", quantity=1, minutes=0.0)]
    with pytest.raises(ValidationFailed) as caught:
        replan(before, parse_problem(doc), committed=unknown)
    assert caught.value.details == [{"path": "committed[0]",
                                     "message": "Not a link of this problem"}]


def test_empty_problem_gives_an_empty_plan() -> None:
    plan = solve(parse_problem(_doc([], [])))
    assert plan.to_dict()["shipments"] == [] and plan.status == "optimal"
