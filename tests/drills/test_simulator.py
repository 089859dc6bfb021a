"""The simulator plays a scenario through the real services on the test city."""

from __future__ import annotations

import gc
import textwrap
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.dispatch.triage import RoutingMemo
from communitas.drills.assessment import assess_communities
from communitas.drills.metrics import compute
from communitas.drills.sandbox import prepared
from communitas.drills.scenario import parse_scenario_text
from communitas.drills.simulator import Drill
from communitas.events import Event
from communitas.modes.plan_service import install_plan_library
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, STREET_A
from tests.resources.helpers import build_world, stock

SCENARIO = textwrap.dedent(f"""
    name: {{zh: 测试, en: Test}}
    hazard: flood
    start: "2026-07-20T06:00:00+08:00"
    duration: 6h
    step: 30m
    affected:
      - {{code: "{STREET_A}", severity: 1.0}}
    injects:
      - {{at: 0h, kind: warning, colour: red, areas: ["{STREET_A}"]}}
      - {{at: 1h, kind: stock_lost, areas: ["{COMMUNITY_B1}"], share: 0.5}}
      - {{at: 2h, kind: road_cut, between: ["{STREET_A}", "{COMMUNITY_B1}"], until: 4h}}
    demand:
      per_1000_per_day: 15
      vulnerability_weights: {{aged_80: 3}}
      items:
        - {{resource_type: water.bottled, share: 0.7, quantity: 6}}
        - {{resource_type: food.instant_noodles, share: 0.3, quantity: 1}}
    service_points:
      - name: point
        kind: distribution_point
        area: "{COMMUNITY_A1}"
        servers: 2
        service_time: {{distribution: exponential, mean: 5}}
        arrivals_per_hour: 20
    dispatch: {{plan_every: 30m}}
""")


def _world(session: Session) -> None:
    build_world(session)
    install_plan_library(session, principal=SYSTEM)
    stock(session, "water.bottled", "NC-A1", COMMUNITY_A1, 200)
    stock(session, "water.bottled", "NC-B1", COMMUNITY_B1, 400)
    stock(session, "food.instant_noodles", "MK-1", DISTRICT, 60)  # only the market has noodles


def run(seed: int) -> dict[str, object]:
    scenario = parse_scenario_text(SCENARIO, file="test.yaml")
    record = Drill(scenario, prepared(_world), seed=seed).run()
    return compute(record)


def test_a_drill_serves_requests_through_dispatch_and_balances_stock() -> None:
    metrics = run(3)
    assert metrics["first_response"]["count"] > 10
    assert metrics["time_to_fulfil"]["count"] > 0
    assert metrics["work_shares"]  # someone delivered
    for code, row in metrics["stock"].items():
        assert row["unaccounted"] == 0, (code, row)
    assert metrics["stock"]["water.bottled"]["lost"] == 200
    assert metrics["service_points"]["point"]["served"] > 0
    assert metrics["refusals"] == {}  # the simulated people never asked for the impossible


def test_same_seed_same_numbers() -> None:
    first, again = run(5), run(5)
    assert first == again
    assert run(6) != first


def test_assessment_after_a_drill_sees_who_did_the_work() -> None:
    factory = prepared(_world)
    Drill(parse_scenario_text(SCENARIO, file="test.yaml"), factory, seed=3).run()
    with factory() as session:
        ranked = assess_communities(session, principal=SYSTEM, within=STREET_A,
                                    on=date(2026, 7, 20))
    shares = {a.code: a.committee_share for a in ranked}
    assert shares[COMMUNITY_A1] is not None and 0 < shares[COMMUNITY_A1] <= 1


class _FreshMemo:
    """A new routing memo for every intake batch, as triage made before StandingMemo."""

    def current(self, session: Session) -> RoutingMemo:
        return RoutingMemo()


def _routed(fresh: bool) -> tuple[dict[str, object], list[str]]:
    factory = prepared(_world)
    drill = Drill(parse_scenario_text(SCENARIO, file="test.yaml"), factory, seed=4)
    if fresh:
        drill.routing = _FreshMemo()  # type: ignore[assignment]
    metrics = compute(drill.run())
    with factory() as session:
        queued = list(session.execute(select(Event.payload).where(
            Event.action == "request.queued").order_by(Event.seq)).scalars())
    return metrics, queued


def test_a_standing_routing_memo_routes_as_a_fresh_one_per_batch() -> None:
    standing, fresh = _routed(False), _routed(True)
    assert len(standing[1]) > 10
    assert standing == fresh


def test_deliveries_and_confirmations_of_a_minute_are_one_batch() -> None:
    """Recorded at the end of their minute, in one batch; the record keeps when each
    delivery arrived."""
    factory = prepared(_world)
    drill = Drill(parse_scenario_text(SCENARIO, file="test.yaml"), factory, seed=3)
    batches: dict[str, list[tuple[float, list[float]]]] = {"deliver": [], "confirm": []}
    for kind, seen in batches.items():
        drill.hooks[kind] = [lambda _session, event, seen=seen: seen.append(
            (event.minute, [minute for minute, _item in event.data]))]
    record = drill.run()
    with factory() as session:
        logged = {action: sorted(session.execute(select(Event.at).where(
            Event.action == action)).scalars()) for action in (
            "request.delivered", "request.confirmed")}
    for kind, action in (("deliver", "request.delivered"), ("confirm", "request.confirmed")):
        seen = batches[kind]
        assert seen, kind
        minutes = [minute for minute, _items in seen]
        assert len(set(minutes)) == len(minutes)  # one batch per minute
        assert all(minute == int(minute) for minute in minutes)
        assert all(minute - 1 < at <= minute for minute, items in seen for at in items)
        assert sum(len(items) for _m, items in seen) == len(logged[action])
        start = drill.scenario.start
        assert {(at - start).total_seconds() / 60 for at in logged[action]} == set(minutes)
    assert max(len(items) for _m, items in batches["deliver"]) > 1
    arrived = sorted(d.at for r in record.requests for d in r.deliveries)
    assert arrived == sorted(at for _m, items in batches["deliver"] for at in items)


def test_the_drill_says_where_its_time_went() -> None:
    """Wall seconds per event kind, timer job and hook, for benchmarks/drills.py."""
    scenario = parse_scenario_text(SCENARIO, file="test.yaml")
    drill = Drill(scenario, prepared(_world), seed=3)
    thresholds = gc.get_threshold()
    drill.run()
    assert gc.get_threshold() == thresholds  # the drill's own collector settings put back
    for part in ("arrivals", "plan", "deliver", "timers", "timers:requests.escalate_overdue",
                 "timers:Workforce.on_round", "plan:suggest", "plan:accept and ship",
                 "plan:mode switch and activation"):
        assert drill.timings[part] > 0, part
    assert "timers:requests.triage_stragglers" not in drill.timings  # nothing to do in drills
