"""Holdings through the API: stock never goes negative, scopes, bulk all-or-nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.auth.roles import Role
from communitas.resources.models import Holding
from tests.factories import COMMUNITY_A1, STREET_A, login, make_user
from tests.resources.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    COMMITTEE_B1,
    STREET_OFFICE_A,
    build_world,
    counts,
    holding_body,
    stock,
)


def _committee(db: Session, client: TestClient) -> dict[str, str]:
    build_world(db)
    make_user(db, "juwei", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    return {**login(client, "juwei"), "Accept-Language": "en"}


def test_committee_records_stock_and_an_event(db: Session, client: TestClient) -> None:
    headers = _committee(db, client)
    before = counts(db)
    response = client.post("/api/holdings", headers=headers, json=holding_body(
        quantity=240, expires_on="2027-05-01"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["area_code"], body["organisation_code"], body["quantity"]) == (
        BUILDING_A1, COMMITTEE_A1, 240)
    after = counts(db)
    assert after["holdings"] == before["holdings"] + 1
    assert after["events"] == before["events"] + 1
    assert client.get(f"/api/holdings/{body['id']}", headers=headers).json() == body


def test_negative_quantity_is_refused_with_a_precise_code(
    db: Session, client: TestClient
) -> None:
    headers = _committee(db, client)
    before = counts(db)
    response = client.post("/api/holdings", headers=headers, json=holding_body(quantity=-5))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "negative_quantity"
    assert error["details"]["field"] == "quantity"
    assert "-5" in error["message"]
    assert counts(db) == before


def test_stocktake_cannot_set_a_negative_quantity(db: Session, client: TestClient) -> None:
    headers = _committee(db, client)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    response = client.patch(f"/api/holdings/{holding.id}", headers=headers,
                            json={"quantity": -1})
    assert (response.status_code, response.json()["error"]["code"]) == (
        422, "negative_quantity")
    db.refresh(holding)
    assert holding.quantity == 50
    fixed = client.patch(f"/api/holdings/{holding.id}", headers=headers,
                         json={"quantity": 45, "condition": "damaged", "expires_on": None})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["quantity"], fixed.json()["condition"]) == (45, "damaged")


def test_issuing_more_than_held_is_insufficient_stock_and_changes_nothing(
    db: Session, client: TestClient
) -> None:
    headers = _committee(db, client)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 500)
    before = counts(db)
    response = client.post(f"/api/holdings/{holding.id}/adjust", headers=headers,
                           json={"delta": -600, "reason": "flood relief"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"] == {"available": 500, "requested": 600}
    db.refresh(holding)
    assert holding.quantity == 500
    assert counts(db) == before

    issued = client.post(f"/api/holdings/{holding.id}/adjust", headers=headers,
                         json={"delta": -500, "reason": "flood relief"})
    assert issued.status_code == 200, issued.text
    assert issued.json()["quantity"] == 0
    zero = client.post(f"/api/holdings/{holding.id}/adjust", headers=headers,
                       json={"delta": 0, "reason": "nothing"})
    assert (zero.status_code, zero.json()["error"]["code"]) == (422, "zero_adjustment")


def test_the_database_itself_refuses_negative_stock(db: Session) -> None:
    build_world(db)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 5)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(update(Holding).where(Holding.id == holding.id).values(quantity=-1))
    db.refresh(holding)
    assert holding.quantity == 5


@pytest.mark.parametrize(("bad", "status", "code"), [
    ({"resource_type_code": "no.such"}, 404, "unknown_resource_type"),
    ({"quantity": -1}, 422, "negative_quantity"),
    ({"organisation_code": "NOPE"}, 404, "unknown_organisation"),
    ({"area_code": "310115009001"}, 404, "unknown_area"),
])
def test_a_bulk_create_with_one_bad_item_creates_nothing(
    db: Session, client: TestClient, bad: dict[str, object], status: int, code: str
) -> None:
    headers = _committee(db, client)
    before = counts(db)
    items = [holding_body(quantity=1), holding_body(**{"quantity": 2, **bad}),
             holding_body(type_code="food.rice", quantity=3)]
    response = client.post("/api/holdings/bulk", headers=headers, json=items)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert counts(db) == before
    good = client.post("/api/holdings/bulk", headers=headers,
                       json=[items[0], items[2]])
    assert good.status_code == 201, good.text
    assert [h["quantity"] for h in good.json()] == [1, 3]


def test_an_org_liaison_changes_only_their_own_organisations_stock(
    db: Session, client: TestClient
) -> None:
    build_world(db)
    make_user(db, "liaison", Role.ORG_LIAISON, org_code=COMMITTEE_A1)
    headers = login(client, "liaison")
    theirs = stock(db, "water.bottled", STREET_OFFICE_A, BUILDING_A1, 100)
    own = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 100)
    before = counts(db)
    for response in (
        client.patch(f"/api/holdings/{theirs.id}", headers=headers, json={"quantity": 1}),
        client.post(f"/api/holdings/{theirs.id}/adjust", headers=headers,
                    json={"delta": -1, "reason": "take"}),
        client.post("/api/holdings", headers=headers,
                    json=holding_body(org=STREET_OFFICE_A)),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "out_of_scope"
    db.refresh(theirs)
    assert theirs.quantity == 100
    assert counts(db) == before
    ok = client.post(f"/api/holdings/{own.id}/adjust", headers=headers,
                     json={"delta": 20, "reason": "delivery"})
    assert (ok.status_code, ok.json()["quantity"]) == (200, 120)
    listed = client.get("/api/holdings", headers=headers).json()
    assert [h["id"] for h in listed["items"]] == [own.id]


def test_a_street_dispatcher_lists_only_stock_in_their_street(
    db: Session, client: TestClient
) -> None:
    build_world(db)
    in_a1 = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    at_street = stock(db, "food.rice", STREET_OFFICE_A, STREET_A, 20, expires_on="2026-07-01")
    in_b1 = stock(db, "water.bottled", COMMITTEE_B1, BUILDING_B1, 30)
    make_user(db, "dispatch", Role.STREET_DISPATCHER, area_code=STREET_A)
    headers = login(client, "dispatch")
    page = client.get("/api/holdings", headers=headers).json()
    assert [h["id"] for h in page["items"]] == [in_a1.id, at_street.id]
    assert page["total"] == 2
    filtered = client.get("/api/holdings", headers=headers, params={
        "within": COMMUNITY_A1, "type": "water.bottled"}).json()
    assert [h["id"] for h in filtered["items"]] == [in_a1.id]
    expiring = client.get("/api/holdings", headers=headers,
                          params={"expiring_before": "2026-08-01"}).json()
    assert [h["id"] for h in expiring["items"]] == [at_street.id]
    by_org = client.get("/api/holdings", headers=headers,
                        params={"organisation": COMMITTEE_B1}).json()
    assert by_org["total"] == 0, "outside the street even when asked for by name"
    paged = client.get("/api/holdings", headers=headers,
                       params={"page": 2, "page_size": 1}).json()
    assert ([h["id"] for h in paged["items"]], paged["total"]) == ([at_street.id], 2)
    elsewhere = client.patch(f"/api/holdings/{in_b1.id}", headers=headers,
                             json={"quantity": 1})
    assert elsewhere.status_code == 403


def test_listing_needs_sign_in_and_unknown_holdings_are_not_found(
    db: Session, client: TestClient
) -> None:
    build_world(db)
    make_user(db, "auditor", Role.AUDITOR, area_code=STREET_A)
    assert client.get("/api/holdings", headers=login(client, "auditor")).status_code == 200
    assert client.get("/api/holdings").status_code == 401
    missing = client.get("/api/holdings/999999", headers=login(client, "auditor"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_holding")
