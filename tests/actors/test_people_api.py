"""People through the API: who may read and change whom, and sensitive fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.auth.roles import Role
from communitas.events import Event
from communitas.privacy import SENSITIVE_FIELDS
from tests.actors.helpers import (
    BUILDING_A1,
    BUILDING_A1_2,
    BUILDING_B1,
    GRID_A1,
    ID_NUMBER,
    PHONE,
    counts,
    make_person,
    make_resident,
)
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_B1,
    STREET_A,
    build_city,
    login,
    make_user,
)


@pytest.fixture
def city(db: Session) -> None:
    """The two-street city with two residents in A1 and one in B1."""
    build_city(db)
    make_resident(db, "A1-001")
    make_resident(db, "A1-002", BUILDING_A1_2)
    make_resident(db, "B1-001", BUILDING_B1)


def _as(db: Session, client: TestClient, role: Role, **scope: str) -> dict[str, str]:
    make_user(db, role.value, role, **scope)
    return {**login(client, role.value), "Accept-Language": "en"}


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.usefixtures("city")
def test_committee_member_reads_and_changes_own_community_only(
    db: Session, client: TestClient
) -> None:
    headers = _as(db, client, Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    own = client.get("/api/people/A1-001", headers=headers)
    assert own.status_code == 200
    assert (own.json()["phone"], own.json()["id_number"]) == (PHONE, ID_NUMBER)
    assert own.json()["health_conditions"] == "diabetes"
    assert _error(client.get("/api/people/B1-001", headers=headers)) == (403, "out_of_scope")
    before = counts(db)
    patch = client.patch("/api/people/B1-001", headers=headers, json={"name_en": "Hacked"})
    assert _error(patch) == (403, "out_of_scope")
    assert counts(db) == before
    moved_in = client.patch("/api/people/A1-001", headers=headers,
                            json={"area_code": BUILDING_B1})
    assert _error(moved_in) == (403, "out_of_scope")
    listed = client.get("/api/people", headers=headers, params={"page_size": 500}).json()
    assert [p["code"] for p in listed["items"]] == ["A1-001", "A1-002"]
    assert listed["total"] == 2
    nothing = client.get("/api/people", headers=headers, params={"within": COMMUNITY_B1}).json()
    assert (nothing["total"], nothing["items"]) == (0, [])


@pytest.mark.usefixtures("city")
def test_grid_worker_sees_sensitive_fields_street_commander_does_not(
    db: Session, client: TestClient
) -> None:
    grid = _as(db, client, Role.GRID_WORKER, area_code=GRID_A1)
    body = client.get("/api/people/A1-001", headers=grid).json()
    assert body.keys() >= SENSITIVE_FIELDS
    assert body["disability"] == "wheelchair user"
    street = _as(db, client, Role.STREET_COMMANDER, area_code=STREET_A)
    body = client.get("/api/people/A1-001", headers=street).json()
    assert body["code"] == "A1-001"
    assert not SENSITIVE_FIELDS & body.keys()
    listed = client.get("/api/people", headers=street).json()["items"]
    assert [p["code"] for p in listed] == ["A1-001", "A1-002"]
    assert all(not SENSITIVE_FIELDS & p.keys() for p in listed)
    assert PHONE not in client.get("/api/people", headers=street).text


@pytest.mark.usefixtures("city")
def test_resident_reads_only_their_own_record(db: Session, client: TestClient) -> None:
    headers = _as(db, client, Role.RESIDENT, person_code="A1-001")
    own = client.get("/api/people/A1-001", headers=headers)
    assert own.status_code == 200
    assert own.json()["phone"] == PHONE
    assert client.get("/api/people/A1-001/qualifications", headers=headers).status_code == 200
    assert _error(client.get("/api/people/A1-002", headers=headers)) == (403, "forbidden")
    assert _error(client.get("/api/people/NO-SUCH", headers=headers)) == (403, "forbidden")
    assert _error(client.get("/api/people", headers=headers)) == (403, "forbidden")
    assert _error(client.patch("/api/people/A1-001", headers=headers,
                               json={"name_en": "Me"})) == (403, "forbidden")
    assert _error(client.get("/api/organisations", headers=headers)) == (403, "forbidden")


@pytest.mark.usefixtures("city")
def test_anonymous_gets_401(client: TestClient) -> None:
    assert _error(client.get("/api/people/A1-001")) == (401, "not_authenticated")
    assert _error(client.get("/api/people")) == (401, "not_authenticated")
    assert _error(client.post("/api/people", json={})) == (401, "not_authenticated")


def test_person_events_never_hold_sensitive_values(db: Session, client: TestClient) -> None:
    build_city(db)
    headers = _as(db, client, Role.GRID_WORKER, area_code=GRID_A1)
    created = client.post("/api/people", headers=headers, json={
        "code": "A1-009", "kind": "resident", "name_zh": "王五", "area_code": BUILDING_A1,
        "phone": PHONE, "id_number": ID_NUMBER, "health_conditions": "asthma",
        "disability": "deaf"})
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == PHONE
    new_phone = "13900001111"
    patched = client.patch("/api/people/A1-009", headers=headers, json={
        "phone": new_phone, "availability": "anytime", "health_conditions": "asthma"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == new_phone
    payloads = db.execute(select(Event.payload).where(Event.subject_id == "A1-009")
                          .order_by(Event.seq)).scalars().all()
    assert len(payloads) == 2
    for secret in (PHONE, new_phone, ID_NUMBER, "asthma", "deaf"):
        assert all(secret not in text for text in payloads), secret
    assert '"sensitive_fields_changed":["phone"]' in payloads[1]
    assert '"availability":{"from":null,"to":"anytime"}' in payloads[1]


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"kind": "resident", "area_code": COMMUNITY_A1}, 422, "wrong_area_kind"),
    ({"kind": "grid_worker", "area_code": STREET_A}, 422, "wrong_area_kind"),
    ({"kind": "volunteer", "area_code": GRID_A1}, 422, "wrong_area_kind"),
    ({"id_number": "12345"}, 422, "invalid_id_number"),
    ({"phone": "call me"}, 422, "invalid_phone"),
    ({"area_code": "310115001001-B999"}, 404, "unknown_area"),
    ({"organisation_code": "NO-SUCH-ORG"}, 404, "unknown_organisation"),
    ({"code": "A1-001"}, 409, "duplicate_code"),
    ({"area_code": BUILDING_B1}, 403, "out_of_scope"),
])
@pytest.mark.usefixtures("city")
def test_bad_people_are_refused_and_change_nothing(
    db: Session, client: TestClient, payload: dict[str, str], status: int, code: str
) -> None:
    headers = _as(db, client, Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    before = counts(db)
    response = client.post("/api/people", headers=headers, json={
        "code": "A1-010", "kind": "resident", "name_zh": "新人", "area_code": BUILDING_A1,
        **payload})
    assert _error(response) == (status, code)
    assert "12345" not in response.text and "call me" not in response.text
    assert counts(db) == before


@pytest.mark.usefixtures("city")
def test_workers_and_volunteers_by_kind_skill_and_availability(
    db: Session, client: TestClient
) -> None:
    make_person(db, "GW-1", GRID_A1, PersonKind.GRID_WORKER, skills=["first_aid"],
                availability="anytime")
    make_person(db, "V-1", COMMUNITY_A1, PersonKind.VOLUNTEER, skills=["driving", "firstxaid"],
                availability="weekends")
    make_person(db, "V-2", BUILDING_A1, PersonKind.VOLUNTEER, skills=["first_aid", "driving"])
    make_person(db, "CADRE-1", COMMUNITY_A1, PersonKind.CADRE, home_unit="区应急管理局")
    headers = _as(db, client, Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)

    def codes(**params: Any) -> list[str]:
        response = client.get("/api/people", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [p["code"] for p in response.json()["items"]]

    assert codes(kind="volunteer") == ["V-1", "V-2"]
    assert codes(skill="first_aid") == ["GW-1", "V-2"]
    assert codes(skill="driving", available=False) == ["V-1", "V-2"]
    assert codes(available=True) == ["GW-1"]
    assert codes(q="CADRE") == ["CADRE-1"]
    assert codes(q="%") == []
    assert codes(within=BUILDING_A1) == ["A1-001", "V-2"]
    bad = client.get("/api/people", headers=headers, params={"skill": "%"})
    assert _error(bad) == (422, "validation_error")


@pytest.mark.usefixtures("city")
def test_expiring_qualifications_in_scope(db: Session, client: TestClient) -> None:
    make_person(db, "V-1", COMMUNITY_A1, PersonKind.VOLUNTEER, qualifications=[
        {"name": "first aid certificate", "expires_on": date(2030, 3, 1)},
        {"name": "driving licence", "expires_on": date(2035, 1, 1)},
        {"name": "party membership"}])
    make_person(db, "V-B", BUILDING_B1, PersonKind.VOLUNTEER, qualifications=[
        {"name": "first aid certificate", "expires_on": date(2029, 1, 1)}])
    headers = _as(db, client, Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    page = client.get("/api/qualifications/expiring", headers=headers,
                      params={"before": "2031-01-01"}).json()
    assert [(q["person_code"], q["name"], q["expires_on"]) for q in page["items"]] == [
        ("V-1", "first aid certificate", "2030-03-01")]
    assert page["items"][0]["area_code"] == COMMUNITY_A1
    admin = _as(db, client, Role.PLATFORM_ADMIN)
    everywhere = client.get("/api/qualifications/expiring", headers=admin,
                            params={"before": "2036-01-01", "within": STREET_A}).json()
    assert [q["name"] for q in everywhere["items"]] == ["first aid certificate",
                                                       "driving licence"]
    quals = client.get("/api/people/V-1/qualifications", headers=headers).json()
    assert [q["name"] for q in quals] == ["driving licence", "first aid certificate",
                                          "party membership"]
    renewed = client.patch("/api/people/V-1", headers=headers, json={"qualifications": [
        {"name": "first aid certificate", "expires_on": "2033-03-01"}]})
    assert renewed.json()["qualifications"] == [
        {"name": "first aid certificate", "expires_on": "2033-03-01"}]
    missing = client.get("/api/qualifications/expiring", headers=headers)
    assert _error(missing) == (422, "validation_error")
