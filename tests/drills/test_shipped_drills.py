"""Every shipped scenario plays on the demo district for a short horizon, with a fixed seed.

The demo district (seed 42) is built once and copied for each scenario; the city-wide
lockdown's codes all exist in it (see test_scenarios.py).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from communitas.drills.metrics import compute
from communitas.drills.sandbox import copy_of_engine, demo_city
from communitas.drills.scenario import load_scenario, shipped_scenarios
from communitas.drills.simulator import Drill

SHORT = 15.0  # minutes: the services play every request for real, so keep it short


@pytest.fixture(scope="module")
def demo() -> Engine:
    factory = demo_city(42, "district")
    engine = factory.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_shipped_scenario_plays_and_balances(path: object, demo: Engine) -> None:
    scenario = load_scenario(path)  # type: ignore[arg-type]
    record = Drill(scenario, copy_of_engine(demo), seed=1, until_minutes=SHORT).run()
    metrics = compute(record)
    assert metrics["horizon_minutes"] == SHORT
    assert record.requests, "the scenario produced no demand"
    assert all(row["unaccounted"] == 0 for row in metrics["stock"].values())
    asked = sum(r.quantity for r in record.requests)
    unmet_at_end = sum(series[-1] for series in metrics["unmet_demand"].values())
    assert unmet_at_end == asked - sum(r.delivered for r in record.requests)
