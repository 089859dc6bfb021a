"""Reach: which supply points a demand may draw on."""

from __future__ import annotations

import numpy as np

from communitas.dispatch.optimiser import solve
from communitas.dispatch.problem import parse_problem
from communitas.dispatch.reach import nearest_links


def _links(supply: list[tuple[float, float]], demand: list[tuple[float, float]],
           nearest: int) -> set[tuple[int, int]]:
    s_lat, s_lon = (np.array(v) for v in zip(*supply, strict=True))
    d_lat, d_lon = (np.array(v) for v in zip(*demand, strict=True))
    links = nearest_links(s_lat, s_lon, d_lat, d_lon, lead_minutes=np.zeros(len(supply)),
                          nearest=nearest, speed_kmh=20.0)
    return set(zip(links.supply.tolist(), links.demand.tolist(), strict=True))


def test_points_as_near_as_the_last_nearest_are_all_in_reach() -> None:
    here, there, far = (31.25, 121.50), (31.24, 121.49), (31.20, 121.44)
    # three depots share one area's point: "the nearest one" is all three
    assert _links([far, here, here, here], [here], 1) == {(1, 0), (2, 0), (3, 0)}
    assert _links([far, here, there], [here, far], 1) == {(1, 0), (0, 1)}
    assert _links([here, there, far], [here], 2) == {(0, 0), (1, 0)}


def test_stock_at_an_equally_near_depot_is_not_left_idle() -> None:
    """The case Hypothesis found: two depots at one point, the first empty."""
    doc = {"resource_types": ["water_l"],
           "supplies": [{"id": "s0", "lat": 31.25, "lon": 121.5, "stock": {}},
                        {"id": "s1", "lat": 31.25, "lon": 121.5, "stock": {"water_l": 1}}],
           "demands": [{"id": "d0", "lat": 31.25, "lon": 121.5, "community": "310115000",
                        "priority": 1, "needs": {"water_l": 1}}],
           "reach": {"nearest": 1, "speed_kmh": 20}}
    plan = solve(parse_problem(doc)).to_dict()
    assert plan["unmet"] == []
    assert [(r["supply"], r["quantity"]) for r in plan["shipments"]] == [("s1", 1)]
