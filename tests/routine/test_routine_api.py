"""The drill calendar, running the routine and its status over HTTP: scope refusals, bad
input changing nothing, and the scheduler running the jobs daily without repeating them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from communitas.actors.kinds import PersonKind
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.config import Settings
from communitas.scheduler import Scheduler, default_jobs
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, STREET_A, login, make_user
from tests.resources.helpers import BUILDING_A1, COMMITTEE_A1, build_world, stock
from tests.routine.helpers import counts, routine_tasks


@pytest.fixture
def world(db: Session) -> Session:
    build_world(db)
    make_user(db, "admin", Role.PLATFORM_ADMIN)
    make_user(db, "juwei", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    make_user(db, "jiedao", Role.STREET_COMMANDER, area_code=STREET_A)
    make_user(db, "wangge", Role.GRID_WORKER, area_code=COMMUNITY_A1)
    db.commit()
    return db


def _headers(client: TestClient, username: str) -> dict[str, str]:
    return {**login(client, username), "Accept-Language": "en"}


def _drill(area: str = COMMUNITY_A1, days: float = 3, **extra: object) -> dict[str, object]:
    at = datetime.now(UTC) + timedelta(days=days)
    return {"area_code": area, "hazard": "flood", "title": "Basement flood drill",
            "scheduled_at": at.isoformat(), **extra}


def test_committee_keeps_its_drill_calendar(client: TestClient, world: Session) -> None:
    juwei = _headers(client, "juwei")
    created = client.post("/api/routine/drills", json=_drill(), headers=juwei)
    assert created.status_code == 201, created.text
    drill = created.json()
    assert (drill["status"], drill["area_code"]) == ("scheduled", COMMUNITY_A1)
    listed = client.get("/api/routine/drills", headers=_headers(client, "wangge")).json()
    assert [d["id"] for d in listed["items"]] == [drill["id"]]
    naive = client.get("/api/routine/drills?since=2026-01-01T00:00:00", headers=juwei)
    assert (naive.status_code, naive.json()["error"]["code"]) == (422, "validation_error")
    later = client.get("/api/routine/drills",
                       params={"since": (datetime.now(UTC) + timedelta(days=5)).isoformat()},
                       headers=juwei).json()
    assert later["items"] == []
    cancel = client.post(f"/api/routine/drills/{drill['id']}/cancel",
                         json={"reason": "typhoon season"}, headers=juwei)
    assert cancel.json()["status"] == "cancelled"
    again = client.post(f"/api/routine/drills/{drill['id']}/cancel",
                        json={"reason": "twice"}, headers=juwei)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "drill_not_scheduled")


@pytest.mark.parametrize(("who", "body", "status", "code"), [
    ("juwei", _drill(COMMUNITY_B1), 403, "out_of_scope"),
    ("wangge", _drill(), 403, "forbidden"),
    ("juwei", _drill(days=-1), 422, "drill_in_past"),
    ("juwei", _drill(f"{COMMUNITY_A1}-G01"), 422, "wrong_area_kind"),
    ("juwei", _drill(hazard="meteor"), 422, "validation_error"),
    ("juwei", _drill(surprise=1), 422, "validation_error"),
    ("juwei", _drill("999999999999"), 404, "unknown_area"),
])
def test_refused_drills_change_nothing(client: TestClient, world: Session, who: str,
                                       body: dict[str, object], status: int, code: str) -> None:
    headers = _headers(client, who)  # a sign-in is an event
    before = counts(world)
    response = client.post("/api/routine/drills", json=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert counts(world) == before


def test_only_the_platform_runs_the_routine_by_hand(client: TestClient, world: Session
                                                   ) -> None:
    make_person(world, "V-1", BUILDING_A1, PersonKind.VOLUNTEER, qualifications=[
        {"name": "first aid certificate",
         "expires_on": (datetime.now(UTC) + timedelta(days=5)).date().isoformat()}])
    stock(world, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10,
          expires_on=(datetime.now(UTC) + timedelta(days=5)).date())
    world.commit()
    street = _headers(client, "jiedao")
    refused = client.post("/api/routine/run", headers=street)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    admin = _headers(client, "admin")
    first = client.post("/api/routine/run", headers=admin).json()["issued"]
    assert first == {"topup": 3, "rotation": 1, "qualification": 1, "drill_reminder": 0}
    second = client.post("/api/routine/run", headers=admin).json()["issued"]
    assert set(second.values()) == {0}
    status = client.get(f"/api/routine/status?within={STREET_A}", headers=street).json()
    jobs = {j["job"]: j["issued_total"] for j in status["jobs"]}
    assert jobs == {"topup": 2, "rotation": 1, "qualification": 1, "drill_reminder": 0}
    assert status["communities_without_sent_down_cadres"] == [COMMUNITY_A1, "310115001002"]
    items = client.get("/api/routine/items?job=rotation",
                       headers=_headers(client, "juwei")).json()["items"]
    assert len(items) == 1 and items[0]["task_id"] is not None
    outside = client.get(f"/api/routine/status?within={COMMUNITY_B1}", headers=street)
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "out_of_scope")


def test_the_scheduler_runs_the_routine_daily_without_repeating_it(
    world: Session, session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    clock = FixedClock(datetime.now(UTC))
    timers = Scheduler(session_factory, default_jobs(settings), clock=clock)
    done = timers.run_due()
    assert done["routine.topup"] == 3 and done["routine.rotation"] == 0
    assert "routine.topup" not in timers.run_due()  # not due again within the day
    clock.advance(timedelta(days=1, minutes=1))
    assert timers.run_due()["routine.topup"] == 0  # the same month: nothing new
    assert len(routine_tasks(world, "routine_topup")) == 3
