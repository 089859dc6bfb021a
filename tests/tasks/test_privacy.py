"""Assignees', sweepers' and volunteers' private data never reach task responses or events."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.events import Event
from tests.tasks.helpers import GRID_A1, PRIVATE, SATURDAY_10, build_task_world, headers, new_task


def test_private_fields_stay_out_of_every_task_answer_and_event(
        client: TestClient, db: Session) -> None:
    build_task_world(db)
    committee, gw1, gw2, v1 = (headers(client, u) for u in ("juwei", "gw1", "gw2", "v-1"))
    answers: list[str] = []

    def keep(method: str, url: str, who: dict[str, str], body: object = None) -> dict:
        response = client.request(method, url, json=body, headers=who)
        assert response.status_code < 300, response.text
        answers.append(response.text)
        result: dict = response.json()
        return result

    task = keep("POST", "/api/tasks", committee, {"title": "Visit", "area_code": GRID_A1,
                                                  "assignee_person_code": "GW-1"})
    keep("POST", f"/api/tasks/{task['id']}/transitions", gw1, {"action": "accept"})
    keep("GET", "/api/tasks", gw1)
    keep("GET", "/api/tasks", committee)
    sweep = keep("POST", "/api/sweeps", committee, {"area_code": GRID_A1, "title": "Sweep"})
    first = sweep["buildings"][0]["task_id"]
    keep("POST", f"/api/sweeps/{sweep['id']}/buildings/{first}/claim", gw1)
    keep("POST", f"/api/sweeps/{sweep['id']}/buildings/{first}/submit", gw1)
    keep("POST", f"/api/sweeps/{sweep['id']}/buildings/{first}/verify", gw2, {"accept": True})
    keep("GET", f"/api/sweeps/{sweep['id']}", committee)
    other = new_task(client, committee)
    callout = keep("POST", f"/api/tasks/{other['id']}/callouts", committee,
                   {"head_count": 1, "invite": 3, "at": SATURDAY_10})
    mine = keep("GET", "/api/callouts/invitations/mine", v1)
    keep("POST", f"/api/callouts/invitations/{mine[0]['id']}/respond", v1, {"accept": True})
    keep("POST", f"/api/callouts/invitations/{mine[0]['id']}/hours", v1, {"hours": 2})
    keep("GET", f"/api/callouts/{callout['id']}", committee)
    keep("GET", f"/api/tasks/{other['id']}", v1)

    events = db.execute(select(Event.payload).where(Event.action.like("task.%")
                                                    | Event.action.like("sweep.%")
                                                    | Event.action.like("callout.%"))
                        ).scalars().all()
    assert len(events) >= 10
    for text in [*answers, *events]:
        for field, value in PRIVATE.items():
            assert value not in text, field
            assert f'"{field}"' not in text
