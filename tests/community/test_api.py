"""The community routes end to end: opt-in, pairing, checks by hand, offers and needs, claims
and rebuttals, the verified-information feed and the participation metrics."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts.delivery import drain
from communitas.alerts.outbox import OutboxPolicy
from tests.community.helpers import BUILDING_A1, SECRETS, build_world, counts
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, login

AID = "/api/mutual-aid"


def _headers(client: TestClient, username: str) -> dict[str, str]:
    return {**login(client, username), "Accept-Language": "en"}


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    assert not any(secret in response.text for secret in SECRETS)
    return response.json()


def test_opt_in_pair_and_start_checks_by_hand(db: Session, client: TestClient) -> None:
    build_world(db)
    db.commit()
    juwei, helper, old = (_headers(client, n) for n in ("juwei", "helper1", "old1"))
    _ok(client.post(f"{AID}/enrolments", headers=old, json={
        "person_code": "OLD-1", "role": "vulnerable", "shared_note": "deaf: knock hard"}), 201)
    _ok(client.post(f"{AID}/enrolments", headers=juwei, json={
        "person_code": "H-1", "role": "helper", "consent_statement": "signed form"}), 201)
    [own] = _ok(client.get(f"{AID}/enrolments", params={"mine": True}, headers=old))
    assert (own["person_code"], own["consent_basis"]) == ("OLD-1", "self")
    listed = _ok(client.get(f"{AID}/enrolments", params={"within": COMMUNITY_A1},
                            headers=juwei))
    assert {(e["person_code"], e["consent_basis"]) for e in listed} == {
        ("OLD-1", "self"), ("H-1", "on_behalf")}
    refused = client.post(f"{AID}/enrolments", headers=_headers(client, "juwei_b"), json={
        "person_code": "OLD-2", "role": "vulnerable", "consent_statement": "yes"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "out_of_scope"
    [suggestion] = _ok(client.get(f"{AID}/pair-suggestions", params={"area": COMMUNITY_A1},
                                  headers=juwei))
    assert (suggestion["helper"]["person_code"], suggestion["basis"]) == ("H-1", "building")
    assert suggestion["vulnerable"]["shared_note"] == "deaf: knock hard"
    pair = _ok(client.post(f"{AID}/pairs", headers=juwei, json={
        "vulnerable_person_code": "OLD-1", "helper_person_code": "H-1"}), 201)
    assert pair["status"] == "awaiting_helper"
    mine = _ok(client.get(f"{AID}/pairs", params={"mine": True}, headers=helper))
    assert [p["id"] for p in mine] == [pair["id"]]
    _ok(client.post(f"{AID}/pairs/{pair['id']}/respond", headers=helper, json={"accept": True}))
    started = _ok(client.post(f"{AID}/checks", headers=juwei,
                              json={"area_code": COMMUNITY_A1}), 201)
    assert started["created"] == 1 and started["source_id"].startswith(COMMUNITY_A1 + "@")
    again = _ok(client.post(f"{AID}/checks", headers=juwei,
                            json={"area_code": COMMUNITY_A1}), 201)
    assert (again["created"], again["already"]) == (0, 1)
    [task] = _ok(client.get("/api/tasks", params={"mine": True}, headers=helper))["items"]
    assert task["source_kind"] == "manual" and task["area_code"] == BUILDING_A1


def test_refused_checks_change_nothing(db: Session, client: TestClient) -> None:
    build_world(db)
    db.commit()
    gw = _headers(client, "gw")  # signing in is an event of its own
    before = counts(db)
    response = client.post(f"{AID}/checks", headers=gw, json={"area_code": COMMUNITY_A1})
    assert response.status_code == 403
    assert counts(db) == before


def test_offers_and_needs_through_the_api(db: Session, client: TestClient) -> None:
    build_world(db)
    db.commit()
    helper, old = _headers(client, "helper1"), _headers(client, "old1")
    offer = _ok(client.post(f"{AID}/posts", headers=helper, json={
        "direction": "offer", "kind": "generator", "description": "small petrol generator",
        "contact_note": "flat 1203"}), 201)
    assert offer["match"] is None
    need = _ok(client.post(f"{AID}/posts", headers=old, json={
        "direction": "need", "kind": "generator", "description": "oxygen machine needs power"}),
        201)
    match = need["match"]
    assert match["theirs"]["id"] == offer["post"]["id"] and match["their_contact_note"] is None
    _ok(client.post(f"{AID}/matches/{match['id']}/respond", headers=old, json={"accept": True}))
    done = _ok(client.post(f"{AID}/matches/{match['id']}/respond", headers=helper,
                           json={"accept": True}))
    assert done["status"] == "accepted"
    [seen] = _ok(client.get(f"{AID}/matches/mine", headers=old))
    assert seen["their_contact_note"] == "flat 1203"
    listed = _ok(client.get(f"{AID}/posts", params={"within": COMMUNITY_A1},
                            headers=_headers(client, "juwei")))
    assert {p["status"] for p in listed} == {"matched"}
    bad = client.post(f"{AID}/posts", headers=old, json={
        "direction": "need", "kind": "food", "description": "call me 13812345678"})
    assert bad.status_code == 422


def test_a_rebutted_claim_reaches_the_feed_and_the_public_page(
        db: Session, client: TestClient, session_factory: sessionmaker[Session]) -> None:
    build_world(db)
    db.commit()
    old, juwei = _headers(client, "old1"), _headers(client, "juwei")
    reported = _ok(client.post("/api/claims", headers=old,
                               json={"text": "听说明天要停水一周，赶紧囤水"}), 201)
    _ok(client.post("/api/claims", headers=_headers(client, "helper1"),
                    json={"text": "听说明天要停水一周"}), 201)
    [cluster] = _ok(client.get("/api/claims", params={"within": COMMUNITY_A1}, headers=juwei))
    assert (cluster["id"], cluster["report_count"]) == (reported["cluster_id"], 2)
    assert client.get("/api/claims", params={"within": COMMUNITY_A1},
                      headers=old).status_code == 403
    triaged = _ok(client.post(f"/api/claims/{cluster['id']}/triage", headers=juwei, json={
        "verdict": "rebut", "verdict_zh": "没有停水计划。",
        "verdict_en": "No water cut is planned."}))
    notice_id = triaged["notice_id"]
    _ok(client.post(f"/api/notices/{notice_id}/approve", headers=_headers(client, "juwei2")))
    _ok(client.post(f"/api/notices/{notice_id}/send", headers=juwei))
    drain(session_factory, senders={}, policy=OutboxPolicy())
    late = _ok(client.post("/api/claims", headers=_headers(client, "old2"),
                           json={"text": "听说明天要停水一周！"}), 201)
    assert (late["cluster_id"], late["cluster_status"]) == (cluster["id"], "rebutted")
    assert late["verdict_en"] == "No water cut is planned."
    [item] = _ok(client.get("/api/me/feed", headers=old))["items"]
    assert item["notice_id"] == notice_id and "No water cut" in item["body_en"]
    public = _ok(client.get(f"/api/areas/{BUILDING_A1}/verified-information"))
    assert [n["id"] for n in public["notices"]] == [notice_id]
    assert [(c["id"], c["status"]) for c in public["claims"]] == [(cluster["id"], "rebutted")]
    other = _ok(client.get(f"/api/areas/{COMMUNITY_B1}/verified-information"))
    assert other["notices"] == [] and other["claims"] == []


def test_participation_metrics_route(db: Session, client: TestClient) -> None:
    build_world(db)
    db.commit()
    got = _ok(client.get("/api/metrics/participation", headers=_headers(client, "auditor"),
                         params={"area": COMMUNITY_A1, "since": "2026-07-01T00:00:00Z",
                                 "until": "2026-08-01T00:00:00+08:00"}))
    assert (got["tasks_done"], got["volunteers"], got["overloaded"]) == (0, 1, False)
    assert got["volunteers_per_1000"] == 0.25 and got["overload_threshold"] == 0.5
    refused = client.get("/api/metrics/participation", params={"area": COMMUNITY_A1},
                         headers=_headers(client, "old1"))
    assert refused.status_code == 403
    naive = client.get("/api/metrics/participation", headers=_headers(client, "auditor"),
                       params={"area": COMMUNITY_A1, "since": "2026-07-01T00:00:00"})
    assert naive.status_code == 422
