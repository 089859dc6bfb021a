"""Power loss acts: its residents ask for water, light and power, and deliveries to it
take longer (no lifts)."""

from __future__ import annotations

import random
import textwrap
from types import SimpleNamespace

import pytest

from communitas.drills.conditions import Conditions
from communitas.drills.demand import DemandArea, Outage, arrivals
from communitas.drills.metrics import compute
from communitas.drills.sandbox import prepared
from communitas.drills.scenario import OutageDemand, PowerLossInject, parse_scenario_text
from communitas.drills.simulator import Drill
from communitas.errors import ImportRejected
from tests.drills.test_simulator import _world
from tests.factories import COMMUNITY_A1, STREET_A

BUILDING = f"{COMMUNITY_A1}-B001"
SCENARIO = textwrap.dedent(f"""
    name: {{zh: 停电, en: Outage}}
    hazard: flood
    start: "2026-07-20T06:00:00+08:00"
    duration: 6h
    step: 30m
    affected:
      - {{code: "{STREET_A}", severity: 1.0}}
    injects:
      - {{at: 1h, kind: power_loss, areas: ["{BUILDING}"], until: 4h,
         demand: {{per_1000_per_day: 2000, items: [{{resource_type: water.bottled, share: 1}}]}}}}
    demand:
      per_1000_per_day: 15
      items:
        - {{resource_type: water.bottled, share: 1, quantity: 6}}
    dispatch: {{plan_every: 30m}}
""")

AREA = DemandArea("A", 1000, {"aged_80": 10}, 1.0)
BUILT = DemandArea("A-B001", 200, {"aged_80": 5}, 1.0)


def test_an_outage_adds_requests_of_its_own_only_while_it_lasts() -> None:
    scenario = parse_scenario_text(SCENARIO, file="outage.yaml")
    plain = arrivals(scenario, [AREA], random.Random(1))
    outage = Outage(60.0, 240.0, (BUILT,), OutageDemand(per_1000_per_day=2000))
    more = arrivals(scenario, [AREA], random.Random(1), [outage])
    extra = [a for a in more if a.area == "A-B001"]
    assert [a for a in more if a.area == "A"] == plain  # the scenario's own stay as they were
    assert len(extra) > 20  # 2,000 per 1,000 a day for 200 residents over 3 h: about 50
    assert all(60 <= a.minute < 240 for a in extra)
    assert {a.resource_type for a in extra} <= {"water.bottled", "power.flashlight",
                                               "power.generator"}
    assert all(a.vulnerable for a in extra if a.resource_type == "power.generator")


def test_deliveries_to_an_area_without_power_take_longer_while_it_lasts() -> None:
    scenario = parse_scenario_text(SCENARIO, file="outage.yaml")
    conditions = Conditions(scenario)
    inside = {BUILDING, COMMUNITY_A1, STREET_A}
    assert conditions.stairs(inside, 30) == 1.0  # before the outage
    assert conditions.stairs(inside, 90) == 1.5  # the default stairs factor
    assert conditions.stairs({COMMUNITY_A1, STREET_A}, 90) == 1.0  # the rest of the community
    assert conditions.stairs(inside, 240) == 1.0  # power is back


def test_a_bad_outage_mix_is_refused_with_its_field() -> None:
    bad = SCENARIO.replace("share: 1}]", "share: 1}, {resource_type: power.flashlight, "
                                         "share: 0.5}]")
    with pytest.raises(ImportRejected) as caught:
        parse_scenario_text(bad, file="bad.yaml")
    [error] = caught.value.details["errors"]
    assert error["field"] == "injects.0.demand.items"
    assert "1.5" in str(error["message"])


def test_an_outage_without_demand_adds_nothing() -> None:
    inject = PowerLossInject.model_validate({"at": "0h", "kind": "power_loss",
                                             "areas": [BUILDING], "demand": None})
    assert inject.demand is None and inject.stairs_factor == 1.5


def test_a_drill_serves_the_outage_requests_through_dispatch() -> None:
    scenario = parse_scenario_text(SCENARIO, file="outage.yaml")
    drill = Drill(scenario, prepared(_world), seed=2)
    record = drill.run()
    outage = [r for r in record.requests if r.area == BUILDING]
    assert len(outage) > 20
    assert all(60 <= r.created < 240 for r in outage)
    assert any(r.delivered for r in outage)  # served from the committees' water
    metrics = compute(record)
    assert metrics["refusals"] == {}
    for code, row in metrics["stock"].items():
        assert row["unaccounted"] == 0, (code, row)
    piece = SimpleNamespace(area_code=COMMUNITY_A1, organisation_code="NC-A1", minutes=20)
    assert drill.city.arrival_minute(drill.conditions, piece, BUILDING, 90) == 90 + 30
    assert drill.city.arrival_minute(drill.conditions, piece, COMMUNITY_A1, 90) == 90 + 20
