"""Tasks over HTTP: the assignee's flow, staff scope, refusals in the envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.auth.roles import Role
from communitas.events import Event
from tests.factories import make_user
from tests.resources.helpers import make_org
from tests.tasks.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    build_task_world,
    counts,
    headers,
    new_task,
)


@pytest.fixture
def world(db: Session) -> Session:
    build_task_world(db)
    return db


def act(client: TestClient, who: dict[str, str], task_id: int, action: str, **extra: object
        ) -> dict[str, object]:
    response = client.post(f"/api/tasks/{task_id}/transitions",
                           json={"action": action, **extra}, headers=who)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def refused(client: TestClient, who: dict[str, str], task_id: int, action: str,
            **extra: object) -> tuple[int, str]:
    response = client.post(f"/api/tasks/{task_id}/transitions",
                           json={"action": action, **extra}, headers=who)
    return response.status_code, response.json()["error"]["code"]


def test_the_assignee_takes_a_task_from_assignment_to_verification(
        client: TestClient, world: Session) -> None:
    committee, worker = headers(client, "juwei"), headers(client, "gw1")
    task = new_task(client, committee, assignee_person_code="GW-1", priority=1,
                    due_at="2026-12-01T09:00:00+08:00",
                    checklist=["Knock on every door", "Note who needs help"],
                    point={"lon": 121.5012, "lat": 31.2051})
    assert task["status"] == "assigned" and task["assigned_at"] is not None
    assert task["assignee"]["code"] == "GW-1" and task["assignee"]["kind"] == "person"
    mine = client.get("/api/tasks", params={"mine": True}, headers=worker).json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]

    assert act(client, worker, task["id"], "accept")["accepted_at"] is not None
    act(client, worker, task["id"], "start")
    ticked = client.put(f"/api/tasks/{task['id']}/checklist/1", json={"done": True},
                        headers=worker).json()
    assert ticked["checklist"][0]["done"] and ticked["checklist"][0]["ticked_by"] == "user:gw1"
    noted = client.post(f"/api/tasks/{task['id']}/notes", json={"text": "Floor 3 empty"},
                        headers=worker)
    assert noted.status_code == 201 and noted.json()["notes"][0]["author"] == "user:gw1"
    done = act(client, worker, task["id"], "complete")
    assert done["status"] == "done" and done["done_at"] is not None
    assert refused(client, worker, task["id"], "verify") == (403, "forbidden")
    verified = act(client, committee, task["id"], "verify")
    assert verified["status"] == "verified" and verified["verified_by"] == "user:juwei"

    actions = world.execute(select(Event.action).where(
        Event.subject_type == "task", Event.subject_id == str(task["id"]))
        .order_by(Event.seq)).scalars().all()
    assert actions == ["task.created", "task.accept", "task.start", "task.checklist_ticked",
                       "task.note_added", "task.complete", "task.verify"]


def test_whoever_did_the_work_cannot_verify_it(client: TestClient, world: Session) -> None:
    committee = headers(client, "juwei")
    task = new_task(client, committee)
    act(client, committee, task["id"], "assign", assignee_person_code="GW-2")
    act(client, committee, task["id"], "accept")
    act(client, committee, task["id"], "complete")
    assert refused(client, committee, task["id"], "verify") == (403, "second_person_required")
    assert act(client, headers(client, "district"), task["id"], "verify")["status"] == "verified"


def test_giving_up_needs_a_reason_and_staff_can_reopen(client: TestClient, world: Session
                                                      ) -> None:
    committee, worker = headers(client, "juwei"), headers(client, "gw1")
    task = new_task(client, committee, assignee_person_code="GW-1")
    assert refused(client, worker, task["id"], "cannot_complete") == (422, "reason_required")
    closed = act(client, worker, task["id"], "cannot_complete", reason="Gate locked")
    assert closed["status"] == "cannot_complete" and closed["reason"] == "Gate locked"
    assert closed["closed_at"] is not None
    assert refused(client, worker, task["id"], "reopen") == (403, "forbidden")
    reopened = act(client, committee, task["id"], "reopen")
    assert reopened["status"] == "open" and reopened["assignee"] is None


def test_a_team_is_an_organisation_whose_liaison_takes_its_tasks(client: TestClient,
                                                                  world: Session) -> None:
    make_org(world, "VT-1", OrganisationKind.VOLUNTEER_TEAM, BUILDING_A1[:12])
    make_org(world, "PC-1", OrganisationKind.PROPERTY_COMPANY, BUILDING_A1[:12])
    make_user(world, "team_lead", Role.ORG_LIAISON, org_code="VT-1")
    make_user(world, "property", Role.ORG_LIAISON, org_code="PC-1")
    committee = headers(client, "juwei")
    task = new_task(client, committee, assignee_org_code="VT-1")
    assert task["assignee"]["kind"] == "team" and task["assignee"]["code"] == "VT-1"
    other = new_task(client, committee, assignee_org_code="PC-1")
    assert other["assignee"]["kind"] == "organisation"
    lead = headers(client, "team_lead")
    assert [t["id"] for t in client.get("/api/tasks", headers=lead).json()["items"]] == [
        task["id"]]
    assert act(client, lead, task["id"], "accept")["status"] == "accepted"
    assert refused(client, lead, other["id"], "accept") == (403, "forbidden")
    assert client.get(f"/api/tasks/{other['id']}", headers=lead).status_code == 403


def test_staff_see_only_their_area_and_others_only_their_own(client: TestClient,
                                                            world: Session) -> None:
    task_a = new_task(client, headers(client, "juwei"))
    task_b = new_task(client, headers(client, "juwei_b"), area_code=BUILDING_B1)
    other = headers(client, "juwei_b")
    response = client.get(f"/api/tasks/{task_a['id']}", headers=other)
    assert response.status_code == 403 and response.json()["error"]["code"] == "out_of_scope"
    listed = client.get("/api/tasks", headers=other).json()
    assert [t["id"] for t in listed["items"]] == [task_b["id"]]
    assert refused(client, other, task_a["id"], "assign", assignee_person_code="GW-1") == (
        403, "out_of_scope")
    district = client.get("/api/tasks", headers=headers(client, "auditor")).json()
    assert district["total"] == 2
    resident = headers(client, "resident")
    assert client.get(f"/api/tasks/{task_a['id']}", headers=resident).status_code == 403
    assert client.get("/api/tasks", headers=resident).json()["total"] == 0
    grid = headers(client, "gw2")  # reads its community's tasks but does not manage them
    assert client.get(f"/api/tasks/{task_a['id']}", headers=grid).status_code == 200
    assert refused(client, grid, task_a["id"], "assign", assignee_person_code="GW-2") == (
        403, "forbidden")
    assert client.get("/api/tasks").status_code == 401


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"title": "x", "area_code": "999999999999"}, 404, "unknown_area"),
    ({"title": "x", "area_code": BUILDING_A1, "priority": 5}, 422, "validation_error"),
    ({"title": "x", "area_code": BUILDING_A1, "due_at": "2026-12-01T09:00:00"}, 422,
     "validation_error"),
    ({"title": "x", "area_code": BUILDING_A1, "assignee_person_code": "GW-1",
      "assignee_org_code": "VT-1"}, 422, "one_assignee"),
    ({"title": "x", "area_code": BUILDING_A1, "assignee_person_code": "NOBODY"}, 404,
     "unknown_person"),
    ({"title": "", "area_code": BUILDING_A1}, 422, "validation_error"),
    ({"title": "x", "area_code": BUILDING_A1, "colour": "red"}, 422, "validation_error"),
    ({"title": "x", "area_code": BUILDING_B1}, 403, "out_of_scope"),
])
def test_bad_input_changes_nothing(client: TestClient, world: Session, body: dict[str, object],
                                   status: int, code: str) -> None:
    committee = headers(client, "juwei")
    before = counts(world)
    response = client.post("/api/tasks", json=body, headers=committee)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert counts(world) == before


def test_a_batch_is_all_or_nothing(client: TestClient, world: Session) -> None:
    committee = headers(client, "juwei")
    before = counts(world)
    good = {"title": "Sandbags", "area_code": BUILDING_A1, "source_kind": "activation",
            "source_id": "7"}
    response = client.post("/api/tasks/batch", json=[good, {**good, "area_code": BUILDING_B1}],
                           headers=committee)
    assert response.status_code == 403 and counts(world) == before
    response = client.post("/api/tasks/batch", json=[good, good], headers=committee)
    assert response.status_code == 201 and len(response.json()) == 2
    found = client.get("/api/tasks", params={"source_kind": "activation", "source_id": "7"},
                       headers=committee).json()
    assert found["total"] == 2


def test_malformed_json_and_illegal_moves_change_nothing(client: TestClient, world: Session
                                                        ) -> None:
    committee = headers(client, "juwei")
    task = new_task(client, committee)
    before = counts(world)
    response = client.post("/api/tasks", content=b"{not json",
                           headers={**committee, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"
    assert refused(client, committee, task["id"], "verify") == (409, "illegal_transition")
    assert refused(client, committee, task["id"], "accept", assignee_person_code="GW-1") == (
        422, "assignee_not_expected")
    assert refused(client, committee, 999999, "assign", assignee_person_code="GW-1") == (
        404, "unknown_task")
    response = client.put(f"/api/tasks/{task['id']}/checklist/9", json={"done": True},
                          headers=committee)
    assert response.json()["error"]["code"] == "unknown_checklist_item"
    assert counts(world) == before


def test_editing_a_task(client: TestClient, world: Session) -> None:
    committee = headers(client, "juwei")
    task = new_task(client, committee)
    response = client.patch(f"/api/tasks/{task['id']}", headers=committee,
                            json={"priority": 1, "due_at": "2026-12-02T08:00:00+08:00"})
    assert response.status_code == 200
    assert response.json()["priority"] == 1
    assert datetime.fromisoformat(response.json()["due_at"]) == datetime(2026, 12, 2, tzinfo=UTC)
    refused_edit = client.patch(f"/api/tasks/{task['id']}", json={"priority": 2},
                                headers=headers(client, "gw1"))
    assert refused_edit.status_code == 403


def test_error_messages_speak_chinese_by_default(client: TestClient, world: Session) -> None:
    committee = {"Authorization": headers(client, "juwei")["Authorization"]}
    task = new_task(client, committee)
    response = client.post(f"/api/tasks/{task['id']}/transitions", json={"action": "verify"},
                           headers=committee)
    assert "不能执行操作" in response.json()["error"]["message"]


def test_event_payloads_are_json(client: TestClient, world: Session) -> None:
    new_task(client, headers(client, "juwei"), due_at="2026-12-01T09:00:00+08:00")
    payload = world.execute(select(Event.payload).where(Event.action == "task.created")
                            ).scalar_one()
    assert json.loads(payload)["due_at"] == "2026-12-01T01:00:00+00:00"
