"""The drill's workforce works plan activation's tasks through the tasks services: assignees
accept, start and complete; open tasks go to volunteers by call-out; someone else verifies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from communitas.actors.kinds import Availability, PersonKind
from communitas.db import unit_of_work
from communitas.drills.metrics import compute
from communitas.drills.records import DrillRecord
from communitas.drills.sandbox import prepared
from communitas.drills.scenario import parse_scenario_text
from communitas.drills.simulator import Drill, DrillClock
from communitas.drills.variants import VARIANTS
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task
from tests.actors.helpers import make_person
from tests.drills.test_simulator import SCENARIO, _world
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1

WORKFORCE = SCENARIO + (
    "volunteers: {turnout: 0.8, response_probability: 0.9, response_delay_minutes: 20,"
    " task_minutes: 40, invite: 3, max_km: 20}\n"
    "workforce: {response_delay_minutes: 10, task_minutes: 30, organisation_crews: 2}\n")


def _staffed(session: Session) -> None:
    """The simulator's test city with a grid worker and volunteers free at any time."""
    _world(session)
    make_person(session, "GW-1", COMMUNITY_A1, PersonKind.GRID_WORKER)
    for n, area in enumerate((COMMUNITY_A1, COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_A2,
                              COMMUNITY_B1, COMMUNITY_B1) * 2):
        make_person(session, f"V-{n}", area, PersonKind.VOLUNTEER,
                    availability=Availability.ANYTIME)


def play(seed: int, variant: str = "baseline") -> tuple[DrillRecord, sessionmaker[Session]]:
    scenario = parse_scenario_text(WORKFORCE, file="test.yaml")
    factory = prepared(_staffed)
    with unit_of_work(factory) as session:
        VARIANTS[variant](session, DrillClock(scenario.start))
    return Drill(scenario, factory, seed=seed).run(), factory


@pytest.fixture(scope="module")
def baseline() -> tuple[DrillRecord, sessionmaker[Session]]:
    return play(3)


def test_activation_tasks_are_worked_and_verified_by_someone_else(
        baseline: tuple[DrillRecord, Any]) -> None:
    record, factory = baseline
    metrics = compute(record)
    tasks = metrics["tasks"]
    assert tasks["created"] > 0 and tasks["done"] > 0 and tasks["verified"] > 0
    assert tasks["via_callout"] > 0 and metrics["callouts"]["placed"] > 0
    assert "volunteer" in metrics["task_shares"]
    assert abs(sum(metrics["task_shares"].values()) - 1) < 1e-5
    assert tasks["time_to_complete"]["count"] == tasks["done"]
    assert metrics["refusals"] == {}
    assert metrics["alerts_sent"] > 0 and metrics["alert_latency"]["count"] > 0
    assert all(row["unaccounted"] == 0 for row in metrics["stock"].values())
    with factory() as session:
        verified = list(session.execute(select(Task).where(
            Task.status == TaskStatus.VERIFIED)).scalars())
    assert len(verified) == tasks["verified"]
    assert all(t.done_by and t.verified_by and t.done_by != t.verified_by for t in verified)
    assert all(t.done_by.startswith("drill:") for t in verified)  # the assignee did the work


def test_same_seed_same_task_numbers(baseline: tuple[DrillRecord, Any]) -> None:
    again = compute(play(3)[0])
    first = compute(baseline[0])
    assert again == first
    assert (again["tasks"], again["task_shares"], again["callouts"]) == \
        (first["tasks"], first["task_shares"], first["callouts"])


def test_without_volunteers_no_call_out_is_answered(baseline: tuple[DrillRecord, Any]) -> None:
    alone = compute(play(3, "no_volunteers")[0])
    first = compute(baseline[0])
    assert first["tasks"]["by_actor_kind"]["volunteer"]["done"] > 0
    assert "volunteer" not in alone["task_shares"]
    assert alone["callouts"]["accepted"] == alone["callouts"]["placed"] == 0
    assert alone["tasks"]["never_taken"] > first["tasks"]["never_taken"]
    assert all(row["unaccounted"] == 0 for row in alone["stock"].values())
