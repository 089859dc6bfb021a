"""Capacity offers: only market organisations offer, and offers reach down their areas."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from communitas.auth.roles import Role
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_B1,
    DISTRICT,
    STREET_A,
    STREET_B,
    login,
    make_user,
)
from tests.resources.helpers import COMMITTEE_A1, MARKET, build_world, counts


def _offer(org: str = MARKET, areas: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"organisation_code": org, "resource_type_code": "food.vegetable_pack",
            "units_per_period": 120, "period": "hour", "lead_time_minutes": 60,
            "area_codes": areas or [DISTRICT], **extra}


def _admin(db: Session, client: TestClient) -> dict[str, str]:
    build_world(db)
    make_user(db, "root", Role.PLATFORM_ADMIN)
    return {**login(client, "root"), "Accept-Language": "en"}


def test_a_market_organisation_publishes_capacity(db: Session, client: TestClient) -> None:
    headers = _admin(db, client)
    before = counts(db)
    response = client.post("/api/capacity-offers", headers=headers, json=_offer(
        areas=[STREET_B, STREET_A, STREET_B]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["area_codes"] == [STREET_A, STREET_B]
    assert (body["units_per_period"], body["period"], body["active"]) == (120, "hour", True)
    after = counts(db)
    assert (after["capacity_offers"], after["events"]) == (
        before["capacity_offers"] + 1, before["events"] + 1)
    patched = client.patch(f"/api/capacity-offers/{body['id']}", headers=headers,
                           json={"active": False, "area_codes": [STREET_A]})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["active"], patched.json()["area_codes"]) == (False, [STREET_A])


def test_a_non_market_organisation_cannot_offer_capacity(
    db: Session, client: TestClient
) -> None:
    headers = _admin(db, client)
    before = counts(db)
    response = client.post("/api/capacity-offers", headers=headers,
                           json=_offer(org=COMMITTEE_A1))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_a_market_organisation"
    assert error["details"]["kind"] == "neighbourhood_committee"
    assert counts(db) == before


def test_zero_or_negative_capacity_is_refused(db: Session, client: TestClient) -> None:
    headers = _admin(db, client)
    before = counts(db)
    for bad in ({"units_per_period": 0}, {"units_per_period": -3},
                {"lead_time_minutes": -1}, {"period": "week"}, {"area_codes": []}):
        response = client.post("/api/capacity-offers", headers=headers, json=_offer(**bad))
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["field"] == next(iter(bad))
    assert counts(db) == before


def test_offers_reach_the_communities_below_the_areas_they_serve(
    db: Session, client: TestClient
) -> None:
    headers = _admin(db, client)
    district_wide = client.post("/api/capacity-offers", headers=headers,
                                json=_offer()).json()["id"]
    only_a1 = client.post("/api/capacity-offers", headers=headers,
                          json=_offer(areas=[COMMUNITY_A1], period="day")).json()["id"]

    def ids(params: dict[str, str], who: dict[str, str] = headers) -> list[int]:
        page = client.get("/api/capacity-offers", headers=who, params=params).json()
        return [o["id"] for o in page["items"]]

    assert ids({"within": COMMUNITY_A1}) == [district_wide, only_a1]
    assert ids({"within": COMMUNITY_B1}) == [district_wide]
    assert ids({"within": STREET_A}) == [district_wide, only_a1]
    make_user(db, "dispatch_b", Role.STREET_DISPATCHER, area_code=STREET_B)
    assert ids({}, login(client, "dispatch_b")) == [district_wide]
    make_user(db, "market", Role.ORG_LIAISON, org_code=MARKET)
    assert ids({"type": "food.vegetable_pack"}, login(client, "market")) == [
        district_wide, only_a1]
    make_user(db, "liaison", Role.ORG_LIAISON, org_code=COMMITTEE_A1)
    assert ids({}, login(client, "liaison")) == []
