"""Volunteer call-outs: who is picked, first accepters take the places, hours, rates."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.tasks import callouts
from tests.factories import COMMUNITY_A1
from tests.tasks.helpers import (
    BUILDING_A1,
    FIRST_AID,
    SATURDAY_10,
    build_task_world,
    counts,
    headers,
    new_task,
)

POINT = {"lon": 121.501, "lat": 31.205}  # at building A1-B001


@pytest.fixture
def world(db: Session) -> Session:
    build_task_world(db)
    return db


def call_out(client: TestClient, who: dict[str, str], task_id: int, **body: Any
             ) -> tuple[int, dict[str, Any]]:
    response = client.post(f"/api/tasks/{task_id}/callouts", headers=who,
                           json={"head_count": 1, "invite": 5, "skill": "first_aid",
                                 "at": SATURDAY_10, **body})
    result: dict[str, Any] = response.json()
    return response.status_code, result


def invited(callout: dict[str, Any]) -> list[str]:
    return [i["person_code"] for i in callout["invitations"]]


@pytest.mark.parametrize(("who", "extra", "expected"), [
    # A1's committee reaches A1's volunteers with a valid certificate, free on Saturday.
    ("juwei", {"qualification": FIRST_AID}, ["V-1", "V-2"]),
    # The district reaches B1 too; without the certificate V-4 (expired) also qualifies.
    ("district", {}, ["V-1", "V-2", "V-4", "V-6"]),
    ("district", {"max_km": 1.0}, ["V-1", "V-2", "V-4"]),
    ("district", {"invite": 2, "head_count": 2}, ["V-1", "V-2"]),
    ("district", {"skill": "driving"}, ["V-5"]),
    ("district", {"at": "2026-11-30T10:00:00+08:00"}, ["V-1", "V-3", "V-4", "V-6"]),
])
def test_volunteers_are_picked_by_skill_time_qualification_and_distance(
        client: TestClient, world: Session, who: str, extra: dict[str, Any],
        expected: list[str]) -> None:
    task = new_task(client, headers(client, "juwei"), point=POINT)
    status, callout = call_out(client, headers(client, who), task["id"], **extra)
    assert status == 201, callout
    assert invited(callout) == expected
    assert callout["invitations"][0]["distance_km"] == 0.0
    assert all(i["status"] == "invited" for i in callout["invitations"])


def test_first_accepters_take_the_places_and_log_hours(client: TestClient, world: Session
                                                      ) -> None:
    committee, v1, v2 = (headers(client, u) for u in ("juwei", "v-1", "v-2"))
    task = new_task(client, committee, point=POINT)
    _status, callout = call_out(client, committee, task["id"], qualification=FIRST_AID)
    ids = {i["person_code"]: i["id"] for i in callout["invitations"]}
    base = "/api/callouts/invitations"
    assert [i["id"] for i in client.get(f"{base}/mine", headers=v1).json()] == [ids["V-1"]]
    first = client.post(f"{base}/{ids['V-2']}/respond", json={"accept": True}, headers=v2)
    assert first.json()["status"] == "assigned"
    refused = client.post(f"{base}/{ids['V-2']}/respond", json={"accept": True}, headers=v1)
    assert refused.status_code == 403
    late = client.post(f"{base}/{ids['V-1']}/respond", json={"accept": True}, headers=v1)
    assert late.json()["status"] == "standby"
    again = client.post(f"{base}/{ids['V-1']}/respond", json={"accept": False}, headers=v1)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_answered")

    taken = client.get(f"/api/tasks/{task['id']}", headers=v2).json()
    assert taken["status"] == "accepted" and taken["assignee"]["code"] == "V-2"
    assert taken["accepted_at"] is not None
    hours = client.post(f"{base}/{ids['V-2']}/hours", json={"hours": 2.5}, headers=v2)
    assert hours.json()["hours"] == 2.5
    client.post(f"{base}/{ids['V-2']}/hours", json={"hours": 1}, headers=committee)
    standby = client.post(f"{base}/{ids['V-1']}/hours", json={"hours": 1}, headers=v1)
    assert standby.json()["error"]["code"] == "not_assigned"
    too_long = client.post(f"{base}/{ids['V-2']}/hours", json={"hours": 25}, headers=v2)
    assert too_long.status_code == 422

    read = client.get(f"/api/callouts/{callout['id']}", headers=committee).json()
    assert read["filled"] == 1
    assert read["stats"] == {"invited": 2, "accepted": 2, "declined": 0, "pending": 0,
                             "acceptance_rate": 1.0, "hours": 3.5}


def test_acceptance_rate_over_an_area(client: TestClient, world: Session) -> None:
    committee, v1, v2 = (headers(client, u) for u in ("juwei", "v-1", "v-2"))
    for accept in (True, False):
        task = new_task(client, committee, point=POINT)
        _status, callout = call_out(client, committee, task["id"], head_count=2,
                                     qualification=FIRST_AID)
        ids = {i["person_code"]: i["id"] for i in callout["invitations"]}
        client.post(f"/api/callouts/invitations/{ids['V-1']}/respond",
                    json={"accept": accept}, headers=v1)
        if accept:  # V-2 answers the first call-out only
            client.post(f"/api/callouts/invitations/{ids['V-2']}/respond",
                        json={"accept": False}, headers=v2)
    bounds = areas.get_area(world, code=COMMUNITY_A1).subtree_bounds()
    stats = callouts.acceptance_stats(world, bounds=bounds)
    assert (stats.invited, stats.accepted, stats.declined, stats.pending) == (4, 1, 2, 1)
    assert stats.acceptance_rate == pytest.approx(1 / 3, abs=1e-4)
    elsewhere = callouts.acceptance_stats(world, bounds=("/nowhere/", "/nowhere0"))
    assert elsewhere.invited == 0 and elsewhere.acceptance_rate is None


@pytest.mark.parametrize(("who", "body", "status", "code"), [
    ("juwei", {"skill": "diving"}, 409, "no_volunteers"),
    ("juwei", {"invite": 1, "head_count": 2}, 422, "too_few_invited"),
    ("juwei", {"max_km": 0}, 422, "validation_error"),
    ("juwei", {"at": "2026-11-28T10:00:00"}, 422, "validation_error"),
    ("gw1", {}, 403, "forbidden"),
    ("juwei_b", {}, 403, "out_of_scope"),
    ("v-1", {}, 403, "forbidden"),
])
def test_refused_call_outs_change_nothing(client: TestClient, world: Session, who: str,
                                          body: dict[str, Any], status: int, code: str) -> None:
    task = new_task(client, headers(client, "juwei"), area_code=BUILDING_A1)
    caller = headers(client, who)
    before = counts(world)
    got, answer = call_out(client, caller, task["id"], **body)
    assert (got, answer["error"]["code"]) == (status, code)
    assert counts(world) == before


def test_nobody_joins_a_task_that_was_closed(client: TestClient, world: Session) -> None:
    committee, v1 = headers(client, "juwei"), headers(client, "v-1")
    task = new_task(client, committee, point=POINT)
    _status, callout = call_out(client, committee, task["id"], qualification=FIRST_AID)
    client.post(f"/api/tasks/{task['id']}/transitions", headers=committee,
                json={"action": "cannot_complete", "reason": "Road flooded"})
    mine = next(i for i in callout["invitations"] if i["person_code"] == "V-1")
    before = counts(world)
    late = client.post(f"/api/callouts/invitations/{mine['id']}/respond",
                       json={"accept": True}, headers=v1)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "task_closed")
    assert counts(world) == before
