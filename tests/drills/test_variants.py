"""Governance variants change the drill's copy through the services, as an operator would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.db import unit_of_work
from communitas.drills.sandbox import prepared
from communitas.drills.scenario import parse_scenario_text
from communitas.drills.simulator import DrillClock
from communitas.drills.sweep import city_image, jobs_for, run_sweep
from communitas.drills.variants import VARIANTS
from communitas.drills.variants_rules import apportion
from communitas.modes import trigger_service
from communitas.modes.triggers import TriggerAction
from communitas.resources.models import Holding
from tests.drills.test_simulator import SCENARIO, _world

CLOCK = DrillClock(datetime(2026, 7, 20, tzinfo=UTC))


def _quantities(session: Session) -> list[int]:
    return list(session.execute(select(Holding.quantity).order_by(Holding.id)).scalars())


def test_apportion_keeps_the_total() -> None:
    assert apportion(10, [1.0, 1.0, 1.0]) == [4, 3, 3]
    assert apportion(7, [0.0, 2.0, 1.0]) == [0, 5, 2]
    assert apportion(5, [0.0, 0.0]) == []


def test_flat_reserves_share_the_committees_stock_equally() -> None:
    factory = prepared(_world)
    with unit_of_work(factory) as session:
        assert _quantities(session) == [200, 400, 60]  # A1 and B1 committees, the market
        VARIANTS["flat_reserves"](session, CLOCK)
    with unit_of_work(factory) as session:
        assert _quantities(session) == [300, 300, 60]


def test_plan_variants_rewrite_every_trigger_rule() -> None:
    factory = prepared(_world)
    with unit_of_work(factory) as session:
        VARIANTS["self_activating"](session, CLOCK)
        rules = trigger_service.get_trigger_rules(session, principal=SYSTEM)
        actions = {r.action for r in [*rules.warning_rules, *rules.indicator_rules]}
        assert actions == {TriggerAction.PERFORM} and len(rules.warning_rules) == 4
        VARIANTS["by_hand"](session, CLOCK)
        rules = trigger_service.get_trigger_rules(session, principal=SYSTEM)
        assert {r.action for r in rules.warning_rules} == {TriggerAction.PROPOSE}


def test_every_variant_plays_and_self_activating_switches_sooner() -> None:
    scenario = parse_scenario_text(SCENARIO, file="test.yaml")
    image = city_image(prepared(_world))
    jobs = jobs_for(sorted(VARIANTS), [1], 60.0)
    runs = dict(zip(sorted(VARIANTS), run_sweep(image, scenario, jobs, parallel=False),
                    strict=True))
    for name, metrics in runs.items():
        assert all(row["unaccounted"] == 0 for row in metrics["stock"].values()), name
    assert runs["self_activating"]["mode_switch_latency"]["max"] == 0
    assert runs["by_hand"]["mode_switch_latency"]["max"] == 30  # the next planning round
