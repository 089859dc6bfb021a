"""Door-to-door sweeps: one holder per building, holds that expire, a second verifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth import service as auth
from communitas.auth.models import User
from communitas.auth.permissions import SYSTEM, Principal
from communitas.clock import FixedClock
from communitas.errors import Conflict
from communitas.events import Event
from communitas.tasks import sweeps
from communitas.tasks.schemas import SweepCreate
from tests.factories import COMMUNITY_A1
from tests.tasks.helpers import (
    BUILDING_A1,
    BUILDING_A1_2,
    GRID_A1,
    build_task_world,
    counts,
    headers,
)


@pytest.fixture
def world(db: Session) -> Session:
    build_task_world(db)
    return db


def sweep_of(client: TestClient, who: dict[str, str], area: str = GRID_A1,
             **extra: object) -> dict[str, object]:
    response = client.post("/api/sweeps", json={"area_code": area, "title": "Health check",
                                                "checklist": ["Every flat"], **extra},
                           headers=who)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def building(client: TestClient, who: dict[str, str], sweep: dict[str, object], index: int,
             step: str, **body: object) -> tuple[int, dict[str, object]]:
    task_id = sweep["buildings"][index]["task_id"]  # type: ignore[index]
    response = client.post(f"/api/sweeps/{sweep['id']}/buildings/{task_id}/{step}",
                           json=body or None, headers=who)
    return response.status_code, response.json()


def test_a_sweep_splits_a_grid_into_buildings_swept_and_verified_by_two_people(
        client: TestClient, world: Session) -> None:
    committee, gw1, gw2 = (headers(client, u) for u in ("juwei", "gw1", "gw2"))
    sweep = sweep_of(client, committee)
    assert [b["building_code"] for b in sweep["buildings"]] == [BUILDING_A1, BUILDING_A1_2]
    assert sweep["counts"] == {"open": 2} and sweep["hold_minutes"] == 60

    status, claimed = building(client, gw1, sweep, 0, "claim")
    assert status == 200 and claimed["status"] == "in_progress"
    assert claimed["holder_code"] == "GW-1" and claimed["assignee"]["code"] == "GW-1"
    status, held = building(client, gw2, sweep, 0, "claim")
    assert (status, held["error"]["code"]) == (409, "building_held")
    assert building(client, gw1, sweep, 0, "claim")[0] == 200  # renewing one's own hold
    assert building(client, gw2, sweep, 0, "submit")[1]["error"]["code"] == "not_holder"
    status, done = building(client, gw1, sweep, 0, "submit")
    assert done["status"] == "done" and done["holder_code"] is None
    status, own = building(client, gw1, sweep, 0, "verify", accept=True)
    assert (status, own["error"]["code"]) == (403, "second_person_required")
    status, verified = building(client, gw2, sweep, 0, "verify", accept=True)
    assert verified["status"] == "verified" and verified["verified_by"] == "user:gw2"
    assert building(client, gw1, sweep, 0, "claim")[1]["error"]["code"] == "illegal_transition"

    building(client, gw2, sweep, 1, "claim")
    building(client, gw2, sweep, 1, "submit")
    status, sent_back = building(client, gw1, sweep, 1, "verify", accept=False)
    assert sent_back["status"] == "in_progress" and sent_back["holder_code"] == "GW-2"
    progress = client.get(f"/api/sweeps/{sweep['id']}", headers=gw1).json()
    assert progress["counts"] == {"verified": 1, "in_progress": 1}
    assert progress["buildings"][0]["swept_by_code"] == "GW-1"


def test_releasing_gives_the_building_back(client: TestClient, world: Session) -> None:
    gw1, gw2 = headers(client, "gw1"), headers(client, "gw2")
    sweep = sweep_of(client, headers(client, "juwei"))
    building(client, gw1, sweep, 0, "claim")
    assert building(client, gw2, sweep, 0, "release")[1]["error"]["code"] == "not_holder"
    _status, released = building(client, gw1, sweep, 0, "release")
    assert released["status"] == "open" and released["holder_code"] is None
    assert building(client, gw2, sweep, 0, "claim")[1]["holder_code"] == "GW-2"


def test_who_may_create_and_work_a_sweep(client: TestClient, world: Session) -> None:
    committee = headers(client, "juwei")
    sweep = sweep_of(client, committee, area=COMMUNITY_A1, hold_minutes=15)
    assert sweep["hold_minutes"] == 15 and len(sweep["buildings"]) == 2  # type: ignore[arg-type]
    before = counts(world)
    for who, body, status, code in (
        ("juwei_b", {"area_code": GRID_A1}, 403, "out_of_scope"),
        ("gw1", {"area_code": GRID_A1}, 403, "forbidden"),
        ("juwei", {"area_code": BUILDING_A1}, 422, "sweep_area_kind"),
        ("juwei", {"area_code": "310115001099"}, 404, "unknown_area"),
        ("juwei", {"area_code": GRID_A1, "hold_minutes": 0}, 422, "validation_error"),
    ):
        auth_headers = headers(client, who)
        before = counts(world)
        response = client.post("/api/sweeps", json={"title": "T", **body}, headers=auth_headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        assert counts(world) == before
    resident, staff = headers(client, "resident"), headers(client, "juwei")
    before = counts(world)
    assert building(client, resident, sweep, 0, "claim")[1]["error"]["code"] == "forbidden"
    assert building(client, staff, sweep, 0, "claim")[1]["error"]["code"] == "not_a_person"
    task_id = sweep["buildings"][0]["task_id"]  # type: ignore[index]
    response = client.post(f"/api/tasks/{task_id}/transitions", headers=staff,
                           json={"action": "assign", "assignee_person_code": "GW-1"})
    assert response.json()["error"]["code"] == "use_sweep"
    assert counts(world) == before


def _principal(db: Session, username: str) -> Principal:
    user = db.execute(select(User).where(User.username == username)).scalar_one()
    return auth.principal_for_user(db, user)


def test_an_expired_hold_can_be_taken_over(world: Session) -> None:
    clock = FixedClock(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    sweep = sweeps.create_sweep(world, principal=SYSTEM, clock=clock, default_hold_minutes=30,
                                data=SweepCreate(area_code=GRID_A1, title="Fever check"))
    task_id = sweeps.read_sweep(world, principal=SYSTEM, sweep_id=sweep.id).buildings[0].task_id
    gw1, gw2 = _principal(world, "gw1"), _principal(world, "gw2")
    sweeps.claim_building(world, principal=gw1, sweep_id=sweep.id, task_id=task_id, clock=clock)
    clock.advance(timedelta(minutes=29))
    with pytest.raises(Conflict) as refused:
        sweeps.claim_building(world, principal=gw2, sweep_id=sweep.id, task_id=task_id,
                              clock=clock)
    assert refused.value.code == "building_held"
    clock.advance(timedelta(minutes=1))
    task = sweeps.claim_building(world, principal=gw2, sweep_id=sweep.id, task_id=task_id,
                                 clock=clock)
    assert task.holder_person_id == gw2.person_id
    assert task.hold_expires_at == clock.now() + timedelta(minutes=30)
    with pytest.raises(Conflict):  # the first sweeper lost the building
        sweeps.submit_building(world, principal=gw1, sweep_id=sweep.id, task_id=task_id,
                               clock=clock)
    payload = world.execute(select(Event.payload).where(Event.action == "sweep.claimed")
                            .order_by(Event.seq.desc()).limit(1)).scalar_one()
    assert json.loads(payload)["taken_over_from"] == "GW-1"


def test_sweepers_find_the_sweeps_of_their_area(client: TestClient, world: Session) -> None:
    committee, volunteer = headers(client, "juwei"), headers(client, "v-1")
    sweep = sweep_of(client, committee)
    building(client, headers(client, "gw1"), sweep, 0, "claim")
    listed = client.get("/api/sweeps", headers=volunteer).json()
    assert [s["id"] for s in listed["items"]] == [sweep["id"]]
    assert listed["items"][0]["counts"] == {"open": 1, "in_progress": 1}
    assert client.get(f"/api/sweeps/{sweep['id']}", headers=volunteer).status_code == 200
    assert client.get("/api/sweeps", headers=headers(client, "juwei_b")).json()["total"] == 0
    refused = client.get("/api/sweeps", headers=headers(client, "resident"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    outside = client.get(f"/api/sweeps/{sweep['id']}", headers=headers(client, "juwei_b"))
    assert outside.json()["error"]["code"] == "out_of_scope"
