"""Metric functions on small cases worked out by hand."""

from __future__ import annotations

import math
import random

import pytest

from communitas.drills.deprivation import DeprivationFunction, deprivation_cost
from communitas.drills.metrics import (
    compute,
    first_response,
    functionality_curve,
    queue_metrics,
    recovery_time,
    resilience_loss,
    sample_times,
    switch_latency,
    time_to_fulfil,
    unmet_demand,
    work_shares,
)
from communitas.drills.queues import simulate_point
from communitas.drills.records import (
    Delivery,
    DrillRecord,
    ModeSwitch,
    RequestRecord,
    ServiceVisit,
)
from communitas.drills.scenario import ServicePoint, ServiceTime

# Water: 10 bottles asked at 0, 4 arrive at 30 (by the committee), 6 at 90 (by a market).
WATER = RequestRecord("A", "water.bottled", 10, 0, first_response=10,
                      deliveries=(Delivery(30, 4, "neighbourhood_committee"),
                                  Delivery(90, 6, "market_organisation")))
# Medicine for a vulnerable resident: 2 packs asked at 60, never answered nor delivered.
MEDICINE = RequestRecord("B", "medical.chronic_medication", 2, 60, priority=1, vulnerable=True)
TIMES = [0, 30, 60, 90, 120]


def test_response_and_fulfilment_times() -> None:
    response = first_response([WATER, MEDICINE])
    assert (response.count, response.mean, response.missing) == (1, 10, 1)
    fulfil = time_to_fulfil([WATER, MEDICINE])
    assert (fulfil.count, fulfil.max, fulfil.missing) == (1, 90, 1)


def test_unmet_demand_per_type_over_time() -> None:
    assert unmet_demand([WATER, MEDICINE], TIMES) == {
        "medical.chronic_medication": [0, 0, 2, 2, 2],
        "water.bottled": [10, 6, 6, 0, 0],
    }


def test_functionality_without_grace() -> None:
    # t=0: 10 asked, none overdue yet (overdue means strictly after the grace) → 100;
    # t=30: 6 of 10 late → 40; t=60: medicine asked at 60 not yet overdue, 6 of 12 → 50;
    # t=90: only the medicine, 2 of 12 → 83.33; t=120: 2 of 12 → 83.33
    assert functionality_curve([WATER, MEDICINE], TIMES) == [100, 40, 50, pytest.approx(
        83.333333, abs=1e-6), pytest.approx(83.333333, abs=1e-6)]


def test_grace_forgives_recent_demand() -> None:
    curve = functionality_curve([WATER], TIMES, grace=60)
    assert curve == [100, 100, 100, 100, 100]  # 6 units were late only between 60 and 90
    assert functionality_curve([WATER], [75], grace=60) == [40]


def test_resilience_loss_is_the_area_above_the_curve() -> None:
    # Q falls from 100 to 40 over an hour and comes back over the next hour: a triangle of
    # base 2 h and height 60 % → 60 %·h.
    assert resilience_loss([0, 60, 120], [100, 40, 100]) == 60


def test_recovery_time() -> None:
    times = [0, 60, 120, 180, 240]
    assert recovery_time(times, [100, 50, 96, 90, 97]) == 240
    assert recovery_time(times, [100, 50, 96, 99, 97]) == 120
    assert recovery_time(times, [100, 100, 100, 100, 100]) == 0
    assert recovery_time(times, [100, 50, 60, 70, 80]) is None


def test_deprivation_cost_grows_exponentially_with_waiting() -> None:
    fn = DeprivationFunction()
    assert fn.cost(0) == 0
    assert fn.cost(24) == pytest.approx(math.exp(1.5031 + 0.1172 * 24) - math.exp(1.5031))
    assert fn.cost(48) > 2 * fn.cost(24)
    # The medicine, asked at 60 min and never delivered by 180 min: 2 hours deprived.
    cost = deprivation_cost([WATER, MEDICINE], horizon=180)
    assert cost["requests"] == 1 and cost["total"] == pytest.approx(fn.cost(2), abs=1e-4)


def test_deprivation_of_a_half_delivered_request() -> None:
    fn = DeprivationFunction(a=0.0, b=1.0)
    half = RequestRecord("A", "x", 2, 0, vulnerable=True, deliveries=(Delivery(60, 1),))
    expected = 0.5 * (math.e - 1) + 0.5 * (math.exp(3) - 1)
    assert deprivation_cost([half], horizon=180, fn=fn)["total"] == pytest.approx(expected,
                                                                                    abs=1e-4)


def test_queue_waits_and_lengths() -> None:
    visits = [ServiceVisit("p", 0, 0, 10), ServiceVisit("p", 1, 10, 20),
              ServiceVisit("p", 2, 20, 30), ServiceVisit("p", 25, None, None)]
    result = queue_metrics(visits, [0, 5, 15, 25, 30])["p"]
    assert result["queue_length"] == [0, 2, 1, 1, 1]
    assert result["wait"]["mean"] == 9  # waits 0, 9 and 18 minutes
    assert result["wait"]["missing"] == 1 and result["served"] == 3
    assert result["max_queue_length"] == 2


def test_work_shares_and_switch_latency() -> None:
    assert work_shares([WATER, MEDICINE]) == {"market_organisation": 0.6,
                                              "neighbourhood_committee": 0.4}
    latency = switch_latency([ModeSwitch("A", 0, 45), ModeSwitch("B", 10, 20),
                              ModeSwitch("C", 5, None)])
    assert (latency.mean, latency.max, latency.missing) == (27.5, 45, 1)


def test_sample_times_end_on_the_horizon() -> None:
    assert sample_times(25, 10) == [0, 10, 20, 25]
    assert sample_times(30, 10) == [0, 10, 20, 30]


def test_a_busy_point_queues_and_the_same_seed_repeats() -> None:
    point = ServicePoint(name="p", kind="clinic", area="310115001001", servers=1,
                         service_time=ServiceTime(distribution="fixed", mean=10),
                         arrivals_per_hour=12)
    first = simulate_point(point, horizon=600, rng=random.Random(7))
    assert first == simulate_point(point, horizon=600, rng=random.Random(7))
    # One server, a client every 5 min needing 10: waits keep growing.
    waits = [v.started - v.arrived for v in first if v.started is not None]
    assert waits[-1] > waits[0] + 60


def test_compute_gathers_everything_as_json_data() -> None:
    record = DrillRecord(horizon=120, step=30, requests=[WATER, MEDICINE])
    result = compute(record, grace=0)
    assert result["times"] == TIMES
    assert result["by_priority"]["1"]["asked"] == 2
    assert result["by_area"]["A"]["delivered"] == 10
    assert result["recovery_minutes"] is None
    assert result["deprivation"]["requests"] == 1
