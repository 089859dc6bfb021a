"""Areas through the API: creation rules, bad input, subtree queries."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.roles import Role
from communitas.events import Event
from tests.factories import (
    COMMUNITY_A1,
    DISTRICT,
    STREET_A,
    STREET_B,
    build_city,
    login,
    make_user,
    square,
)


def _count(db: Session) -> tuple[int, int]:
    return (db.execute(select(func.count()).select_from(Area)).scalar_one(),
            db.execute(select(func.count()).select_from(Event)).scalar_one())


def test_street_commander_adds_a_community_and_an_event_is_recorded(
    db: Session, client: TestClient
) -> None:
    build_city(db)
    make_user(db, "wang", Role.STREET_COMMANDER, area_code=STREET_A)
    headers = login(client, "wang")
    areas_before, events_before = _count(db)
    response = client.post("/api/areas", headers=headers, json={
        "kind": "community", "code": "310115001003", "parent_code": STREET_A,
        "name_zh": "新村", "name_en": "New Village", "population": 3000,
        "geometry": square(121.6, 31.3)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["parent_code"] == STREET_A
    assert body["lon"] > 121.6
    assert _count(db) == (areas_before + 1, events_before + 1)


def test_street_commander_cannot_add_under_another_street(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "wang", Role.STREET_COMMANDER, area_code=STREET_A)
    headers = login(client, "wang")
    before = _count(db)
    response = client.post("/api/areas", headers=headers, json={
        "kind": "community", "code": "310115002009", "parent_code": STREET_B,
        "name_zh": "别处", "name_en": "Elsewhere"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "out_of_scope"
    assert _count(db)[0] == before[0]


def _post_as_admin(db: Session, client: TestClient, payload: object,
                   raw: str | None = None, lang: str = "en") -> tuple[int, dict[str, object]]:
    build_city(db)
    make_user(db, "root", Role.PLATFORM_ADMIN)
    headers = {**login(client, "root"), "Accept-Language": lang}
    before = _count(db)
    if raw is not None:
        response = client.post("/api/areas", headers={**headers,
                               "Content-Type": "application/json"}, content=raw)
    else:
        response = client.post("/api/areas", headers=headers, json=payload)
    assert _count(db)[0] == before[0], "a rejected request must change nothing"
    return response.status_code, response.json()["error"]


def test_malformed_json_gets_the_envelope(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, None, raw='{"kind": "community",')
    assert status == 400
    assert error["code"] == "malformed_json"


def test_malformed_division_code(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": "31011500100X", "parent_code": STREET_A,
        "name_zh": "坏", "name_en": "Bad"})
    assert (status, error["code"]) == (422, "invalid_division_code")


def test_community_code_must_sit_under_its_street(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": "310115002005", "parent_code": STREET_A,
        "name_zh": "错", "name_en": "Wrong"})
    assert (status, error["code"]) == (422, "invalid_division_code")
    assert error["details"]["expected_prefix"] == STREET_A[:9]


def test_unknown_parent(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": "310115009001", "parent_code": "310115009000",
        "name_zh": "无", "name_en": "None"})
    assert (status, error["code"]) == (404, "unknown_area")


def test_parent_of_the_wrong_kind(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": "310115001009", "parent_code": DISTRICT,
        "name_zh": "错层", "name_en": "Wrong level"})
    assert (status, error["code"]) == (422, "wrong_parent_kind")


def test_duplicate_code(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": COMMUNITY_A1, "parent_code": STREET_A,
        "name_zh": "重", "name_en": "Again"}, lang="zh-CN")
    assert (status, error["code"]) == (409, "duplicate_code")
    assert COMMUNITY_A1 in str(error["message"])
    assert "重复" in str(error["message"])


def test_negative_population(db: Session, client: TestClient) -> None:
    status, error = _post_as_admin(db, client, {
        "kind": "community", "code": "310115001008", "parent_code": STREET_A,
        "name_zh": "负", "name_en": "Negative", "population": -5})
    assert (status, error["code"]) == (422, "validation_error")
    assert error["details"][0]["field"] == "population"


def test_subtree_listing_and_statistics(db: Session, client: TestClient) -> None:
    build_city(db)
    page = client.get("/api/areas", params={"within": STREET_A, "kind": "community"}).json()
    assert [a["code"] for a in page["items"]] == ["310115001001", "310115001002"]
    assert page["total"] == 2
    stats = client.get(f"/api/areas/{DISTRICT}/statistics").json()
    assert stats["communities"] == 3
    assert stats["buildings"] == 6
    assert stats["population"] == 4000 + 4001 + 4002
