"""A resident's in-app feed, the official notices of an area, and residents' private data,
which never appears in either."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts.delivery import drain
from communitas.alerts.outbox import OutboxPolicy
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from tests.alerts.helpers import PHONES, START, build_notice_world, sent_notice
from tests.factories import COMMUNITY_B1, login, make_user

PRIVATE = (*PHONES.values(), "31011519800101123X", "asthma")


def test_a_resident_reads_their_feed_and_nothing_private(
        db: Session, client: TestClient, session_factory: sessionmaker[Session]) -> None:
    staff = build_notice_world(db)
    make_user(db, "r1", Role.RESIDENT, person_code="R1")
    make_user(db, "r3", Role.RESIDENT, person_code="R3")
    notice = sent_notice(db, staff, FixedClock(START))
    db.commit()
    drain(session_factory, senders={}, policy=OutboxPolicy(), clock=FixedClock(START))
    response = client.get("/api/me/feed", headers=login(client, "r1"))
    assert response.status_code == 200, response.text
    feed = response.json()
    assert feed["total"] == 1
    [item] = feed["items"]
    assert (item["notice_id"], item["title_en"]) == (notice.id, "Red rainstorm warning")
    assert client.get("/api/me/feed", headers=login(client, "r3")).json()["total"] == 0
    refused = client.get("/api/me/feed", headers=login(client, "author"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_feed"
    pages = [response.text, client.get(f"/api/notices/{notice.id}").text,
             client.get(f"/api/notices/{notice.id}/cap").text,
             client.get(f"/api/notices/{notice.id}/deliveries",
                        headers=login(client, "author")).text]
    assert not any(secret in page for page in pages for secret in PRIVATE)


def test_an_areas_notices_are_public_and_only_the_areas_own(
        db: Session, client: TestClient) -> None:
    staff = build_notice_world(db)
    notice = sent_notice(db, staff, FixedClock(START))
    draft_body = {"title_zh": "草稿", "title_en": "Draft", "body_zh": "草稿", "body_en": "Draft",
                  "hazard": "flood", "severity": "Minor", "urgency": "Future"}
    db.commit()
    created = client.post("/api/notices", json={**draft_body, "area_codes": ["310115001001"]},
                          headers=login(client, "author"))
    assert created.status_code == 201
    city = client.get("/api/areas/310100/notices").json()
    assert [n["id"] for n in city["items"]] == [notice.id]  # the draft is not public
    assert client.get(f"/api/areas/{COMMUNITY_B1}/notices").json()["total"] == 0
