"""Sending cadres and party members down: who may, where, for how long; refusals change
nothing; the roster lists who is where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A, login
from tests.supervision.helpers import (
    CADRE,
    PARTY_MEMBER,
    RESIDENT,
    build_supervision_world,
    counts,
)

TODAY = datetime.now(UTC).date()


@pytest.fixture
def world(db: Session) -> Session:
    build_supervision_world(db)
    db.commit()
    return db


def _headers(client: TestClient, username: str) -> dict[str, str]:
    return {**login(client, username), "Accept-Language": "en"}


def _body(person: str = CADRE, community: str = COMMUNITY_A1, **extra: object
          ) -> dict[str, object]:
    return {"person_code": person, "community_code": community, "role": "community_liaison",
            "starts_on": (TODAY - timedelta(days=1)).isoformat(), **extra}


def test_the_street_sends_people_down_and_the_roster_shows_them(
    client: TestClient, world: Session,
) -> None:
    street = _headers(client, "jiedao")
    first = client.post("/api/supervision/assignments", json=_body(), headers=street)
    assert first.status_code == 201, first.text
    assert (first.json()["active"], first.json()["person_kind"]) == (True, "cadre")
    assert "phone" not in first.text and "13800000000" not in first.text
    later = client.post("/api/supervision/assignments", headers=street, json=_body(
        PARTY_MEMBER, COMMUNITY_A2, role="party_vanguard",
        starts_on=(TODAY + timedelta(days=10)).isoformat(),
        ends_on=(TODAY + timedelta(days=40)).isoformat()))
    assert later.status_code == 201 and later.json()["active"] is False
    roster = client.get("/api/supervision/assignments?active=true",
                        headers=_headers(client, "juwei")).json()
    assert [a["person_code"] for a in roster["items"]] == [CADRE]  # A1 only, active today
    ended = client.post(f"/api/supervision/assignments/{first.json()['id']}/end",
                        json={"ends_on": TODAY.isoformat(), "reason": "back to the bureau"},
                        headers=street)
    assert ended.json()["ends_on"] == TODAY.isoformat()
    again = client.post("/api/supervision/assignments", headers=street, json=_body(
        starts_on=(TODAY + timedelta(days=1)).isoformat()))
    assert again.status_code == 201  # the earlier period ended today: no overlap


@pytest.mark.parametrize(("who", "body", "status", "code"), [
    ("jiedao", _body(community=COMMUNITY_B1), 403, "out_of_scope"),
    ("juwei", _body(), 403, "forbidden"),
    ("jiedao", _body(RESIDENT), 422, "not_sent_down_kind"),
    ("jiedao", _body(community=STREET_A), 422, "wrong_area_kind"),
    ("jiedao", _body(ends_on=(TODAY - timedelta(days=5)).isoformat()), 422, "bad_period"),
    ("jiedao", _body("NOBODY"), 404, "unknown_person"),
    ("jiedao", _body(role="inspector"), 422, "validation_error"),
    ("jiedao", _body(checked_in=True), 422, "validation_error"),
])
def test_refused_assignments_change_nothing(client: TestClient, world: Session, who: str,
                                            body: dict[str, object], status: int, code: str
                                            ) -> None:
    headers = _headers(client, who)
    before = counts(world)
    response = client.post("/api/supervision/assignments", json=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert counts(world) == before


def test_one_community_at_a_time(client: TestClient, world: Session) -> None:
    district = _headers(client, "quzhang")
    assert client.post("/api/supervision/assignments", json=_body(),
                       headers=district).status_code == 201
    before = counts(world)
    clash = client.post("/api/supervision/assignments", headers=district, json=_body(
        community=COMMUNITY_B1, starts_on=(TODAY + timedelta(days=30)).isoformat()))
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "assignment_overlap")
    assert counts(world) == before


def test_ending_and_reading_a_record_are_scoped(client: TestClient, world: Session) -> None:
    street = _headers(client, "jiedao")
    created = client.post("/api/supervision/assignments", json=_body(
        ends_on=(TODAY + timedelta(days=30)).isoformat()), headers=street).json()
    end = f"/api/supervision/assignments/{created['id']}/end"
    before = counts(world)
    for who, body, status, code in [
        ("juwei", {"ends_on": TODAY.isoformat(), "reason": "x"}, 403, "forbidden"),
        ("jiedao", {"ends_on": (TODAY - timedelta(days=9)).isoformat(), "reason": "x"}, 422,
         "bad_period"),
        ("jiedao", {"ends_on": (TODAY + timedelta(days=60)).isoformat(), "reason": "x"}, 409,
         "already_ending"),
        ("jiedao", {"ends_on": TODAY.isoformat()}, 422, "validation_error"),
    ]:
        response = client.post(end, json=body, headers=_headers(client, who))
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    record = f"/api/supervision/assignments/{created['id']}/record"
    assert client.get(record, headers=_headers(client, "juwei")).status_code == 200
    missing = client.get("/api/supervision/assignments/9999/record", headers=street)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_assignment")
    world.expire_all()
    assert counts(world)["cadre_assignments"] == before["cadre_assignments"]
