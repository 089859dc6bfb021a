"""Organisations through the API: every kind, sector rules, bad input, subtree queries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from communitas.actors.kinds import SECTORS, OrganisationKind
from communitas.auth.roles import Role
from tests.actors.helpers import BUILDING_A1, counts
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_A2,
    COMMUNITY_B1,
    DISTRICT,
    STREET_A,
    STREET_B,
    build_city,
    login,
    make_user,
)


def _org(code: str, kind: OrganisationKind | str, home: str = COMMUNITY_A1,
         **extra: Any) -> dict[str, Any]:
    kind = OrganisationKind(kind)
    sector = sorted(SECTORS[kind])[0] if kind in SECTORS else None
    return {"code": code, "kind": kind.value, "sector": sector, "name_zh": f"单位{code}",
            "name_en": f"Unit {code}", "home_area_code": home, "contact_name": "张三",
            "contact_phone": "021-5555-0101", "contact_email": "desk@example.cn", **extra}


def _admin(db: Session, client: TestClient) -> dict[str, str]:
    build_city(db)
    make_user(db, "root", Role.PLATFORM_ADMIN)
    return {**login(client, "root"), "Accept-Language": "en"}


@pytest.mark.parametrize("kind", list(OrganisationKind))
def test_every_kind_of_organisation_is_registered_with_its_areas(
    db: Session, client: TestClient, kind: OrganisationKind
) -> None:
    headers = _admin(db, client)
    before = counts(db)
    response = client.post("/api/organisations", headers=headers, json=_org(
        "ORG-1", kind, served_area_codes=[COMMUNITY_A2, COMMUNITY_A1, COMMUNITY_A2]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == kind.value
    assert (body["sector"] is None) == (kind not in SECTORS)
    assert body["served_area_codes"] == [COMMUNITY_A1, COMMUNITY_A2]
    assert body["contact_phone"] == "021-5555-0101"
    after = counts(db)
    assert after["organisations"] == before["organisations"] + 1
    assert after["organisation_areas"] == before["organisation_areas"] + 2
    assert after["events"] == before["events"] + 1
    assert client.get("/api/organisations/ORG-1", headers=headers).json() == body


@pytest.mark.parametrize(("kind", "sector"), [
    ("government_department", None),
    ("government_department", "pharmacy"),
    ("market_organisation", None),
    ("market_organisation", "health"),
    ("property_company", "health"),
    ("volunteer_team", "delivery_platform"),
])
def test_sector_must_fit_the_kind(
    db: Session, client: TestClient, kind: str, sector: str | None
) -> None:
    headers = _admin(db, client)
    before = counts(db)
    response = client.post("/api/organisations", headers=headers,
                           json={**_org("ORG-1", kind), "sector": sector})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_sector"
    assert kind in error["message"]
    assert counts(db) == before


def test_duplicate_code_changes_nothing(db: Session, client: TestClient) -> None:
    headers = _admin(db, client)
    assert client.post("/api/organisations", headers=headers,
                       json=_org("ORG-1", "owners_committee")).status_code == 201
    before = counts(db)
    response = client.post("/api/organisations", headers=headers,
                           json=_org("ORG-1", "property_company", home=COMMUNITY_B1))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_code"
    assert "ORG-1" in response.json()["error"]["message"]
    assert counts(db) == before


@pytest.mark.parametrize("field", ["home_area_code", "served_area_codes"])
def test_unknown_area_changes_nothing(db: Session, client: TestClient, field: str) -> None:
    headers = _admin(db, client)
    before = counts(db)
    value: Any = ["310115009001"] if field == "served_area_codes" else "310115009001"
    response = client.post("/api/organisations", headers=headers,
                           json=_org("ORG-1", "rescue_team", **{field: value}))
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("unknown_area", field)
    assert counts(db) == before


def test_malformed_code_gets_the_envelope(db: Session, client: TestClient) -> None:
    headers = _admin(db, client)
    response = client.post("/api/organisations", headers=headers,
                           json=_org("org 1", "rescue_team"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["details"][0]["field"] == "code"


def test_subtree_filter_matches_home_or_served_areas(db: Session, client: TestClient) -> None:
    headers = _admin(db, client)
    for payload in (
        _org("HEALTH-BUREAU", "government_department", home=DISTRICT,
             served_area_codes=[COMMUNITY_B1]),
        _org("A1-OWNERS", "owners_committee", home=COMMUNITY_A1),
        _org("B-PHARMACY", "market_organisation", home=STREET_B),
        _org("CITY-DELIVERY", "market_organisation", home=DISTRICT),
    ):
        assert client.post("/api/organisations", headers=headers,
                           json=payload).status_code == 201

    def codes(**params: str) -> list[str]:
        page = client.get("/api/organisations", headers=headers, params=params).json()
        return [o["code"] for o in page["items"]]

    assert codes(within=STREET_B) == ["B-PHARMACY", "HEALTH-BUREAU"]
    assert codes(within=STREET_A) == ["A1-OWNERS"]
    assert codes(within=DISTRICT, kind="market_organisation") == ["B-PHARMACY", "CITY-DELIVERY"]
    assert codes(sector="civil_affairs") == ["HEALTH-BUREAU"]
    assert codes(q="owners") == ["A1-OWNERS"]
    page = client.get("/api/organisations", headers=headers,
                      params={"page_size": 3, "page": 2}).json()
    assert (page["total"], len(page["items"])) == (4, 1)
    unknown = client.get("/api/organisations", headers=headers, params={"within": "999999"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_area")


def test_community_committee_edits_its_own_organisations_only(
    db: Session, client: TestClient
) -> None:
    admin = _admin(db, client)
    for payload in (_org("A1-OWNERS", "owners_committee"),
                    _org("B1-OWNERS", "owners_committee", home=COMMUNITY_B1)):
        client.post("/api/organisations", headers=admin, json=payload)
    make_user(db, "zhao", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    headers = login(client, "zhao")
    response = client.patch("/api/organisations/A1-OWNERS", headers=headers, json={
        "name_en": "Owners of A1", "contact_phone": None, "served_area_codes": [BUILDING_A1]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name_en"], body["contact_phone"]) == ("Owners of A1", "")
    assert body["served_area_codes"] == [BUILDING_A1]
    other = client.patch("/api/organisations/B1-OWNERS", headers=headers, json={"name_en": "X"})
    assert (other.status_code, other.json()["error"]["code"]) == (403, "out_of_scope")
    moved = client.patch("/api/organisations/A1-OWNERS", headers=headers,
                         json={"home_area_code": COMMUNITY_B1})
    assert moved.status_code == 403
    bad = client.patch("/api/organisations/A1-OWNERS", headers=headers,
                       json={"sector": "health"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_sector")


def test_a_liaison_edits_their_own_organisation_only(db: Session, client: TestClient) -> None:
    admin = _admin(db, client)
    for code in ("DELIVERY-1", "DELIVERY-2"):
        client.post("/api/organisations", headers=admin, json=_org(code, "market_organisation"))
    make_user(db, "liaison", Role.ORG_LIAISON, org_code="DELIVERY-1")
    headers = login(client, "liaison")
    own = client.patch("/api/organisations/DELIVERY-1", headers=headers,
                       json={"sector": "express_courier"})
    assert (own.status_code, own.json()["sector"]) == (200, "express_courier")
    other = client.patch("/api/organisations/DELIVERY-2", headers=headers, json={"name_en": "X"})
    assert (other.status_code, other.json()["error"]["code"]) == (403, "out_of_scope")
    assert client.get("/api/organisations/DELIVERY-2", headers=headers).status_code == 200


def test_reading_organisations_needs_a_signed_in_role_with_org_read(
    db: Session, client: TestClient
) -> None:
    admin = _admin(db, client)
    client.post("/api/organisations", headers=admin, json=_org("ORG-1", "rescue_team"))
    anonymous = client.get("/api/organisations/ORG-1")
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401,
                                                                          "not_authenticated")
    assert client.get("/api/organisations").status_code == 401
    missing = client.get("/api/organisations/NOPE", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404,
                                                                      "unknown_organisation")
