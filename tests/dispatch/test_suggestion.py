"""The suggested plan: open lines against usable stock, accept (all or nothing), re-plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.dispatch import suggestion
from communitas.resources.models import HoldingCondition
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    STREET_OFFICE_A,
    Staff,
    body,
    build_dispatch_world,
    counts,
    stock_total,
    submit,
)
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A
from tests.resources.helpers import COMMITTEE_B1, stock

WATER = "water.bottled"


@pytest.fixture
def staff(db: Session, client: TestClient) -> Staff:
    build_dispatch_world(db)
    return Staff(client)


def _post(client: TestClient, path: str, headers: dict[str, str], status: int = 200,
          json: object = None) -> dict[str, Any]:
    response = client.post(path, headers=headers, json=json)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _get(client: TestClient, path: str, headers: dict[str, str], status: int = 200,
         **params: str) -> dict[str, Any]:
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _resident_request(client: TestClient, staff: Staff, quantity: int) -> str:
    """A resident's water request, verified and approved by the committee."""
    ref: str = submit(client, body(WATER, quantity), headers=staff.resident)["reference"]
    _post(client, f"/api/requests/{ref}/verify", staff.committee)
    _post(client, f"/api/requests/{ref}/approve", staff.committee)
    return ref


def _urgent_request(client: TestClient, staff: Staff, quantity: int) -> str:
    """A life-threatening request entered by the committee (starts verified), approved."""
    ref: str = submit(client, body(WATER, quantity, priority=1),
                      headers=staff.committee)["reference"]
    _post(client, f"/api/requests/{ref}/approve", staff.committee)
    return ref


def _by_reference(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["reference"]: line for line in plan["lines"]}


def test_priority_one_is_served_in_full_before_a_routine_request(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 10)
    routine = _resident_request(client, staff, 8)
    urgent = _urgent_request(client, staff, 6)
    plan = _get(client, "/api/dispatch/suggestion", staff.committee, within=COMMUNITY_A1)
    assert plan["within"] == COMMUNITY_A1 and plan["status"] == "optimal"
    assert [line["reference"] for line in plan["lines"]] == [urgent, routine]  # queue order
    lines = _by_reference(plan)
    assert [(s["holding_id"], s["quantity"], s["organisation_code"], s["area_code"])
            for s in lines[urgent]["shipments"]] == [(holding.id, 6, COMMITTEE_A1, BUILDING_A1)]
    assert (lines[urgent]["unmet"], lines[routine]["unmet"]) == (0, 4)
    assert sum(s["quantity"] for s in lines[routine]["shipments"]) == 4
    assert plan["metrics"]["unmet_by_priority"]["1"] == 0


def test_accepting_commits_the_shipments_and_they_are_not_suggested_again(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 10)
    routine = _resident_request(client, staff, 8)
    urgent = _urgent_request(client, staff, 6)
    before = stock_total(db)
    part = _get(client, f"/api/requests/{urgent}/suggestion", staff.committee)
    assert [line["reference"] for line in part["lines"]] == [urgent]
    view = _post(client, f"/api/requests/{urgent}/accept-suggestion", staff.committee)
    assert view["status"] == "committed"
    assert [(s["quantity"], s["state"]) for s in view["shipments"]] == [(6, "committed")]
    assert stock_total(db) == before - 6
    plan = _get(client, "/api/dispatch/suggestion", staff.committee, within=COMMUNITY_A1)
    lines = _by_reference(plan)
    assert urgent not in lines  # fully committed: the commitment stands, nothing re-planned
    assert (lines[routine]["open"], lines[routine]["unmet"]) == (8, 4)
    shipments = [{"line_id": lines[routine]["line_id"], "holding_id": s["holding_id"],
                  "quantity": s["quantity"]} for s in lines[routine]["shipments"]]
    view = _post(client, f"/api/requests/{routine}/accept-suggestion", staff.committee,
                 json={"shipments": shipments})
    assert (view["status"], view["lines"][0]["committed"]) == ("committed", 4)
    again = _by_reference(_get(client, f"/api/requests/{routine}/suggestion", staff.committee))
    assert (again[routine]["open"], again[routine]["shipments"], again[routine]["unmet"]) == (
        4, [], 4)
    none = client.post(f"/api/requests/{routine}/accept-suggestion", headers=staff.committee)
    assert (none.status_code, none.json()["error"]["code"]) == (409, "nothing_suggested")


def test_a_stale_acceptance_changes_nothing_and_asks_for_a_new_plan(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 10)
    routine = _resident_request(client, staff, 8)
    seen = _by_reference(_get(client, f"/api/requests/{routine}/suggestion", staff.committee))
    shipments = [{"line_id": seen[routine]["line_id"], "holding_id": s["holding_id"],
                  "quantity": s["quantity"]} for s in seen[routine]["shipments"]]
    assert [s["quantity"] for s in shipments] == [8]
    # Meanwhile an urgent request arrives and the dispatcher adjusts: a manual commit.
    urgent = _urgent_request(client, staff, 6)
    line = _get(client, f"/api/requests/{urgent}", staff.committee)["lines"][0]["id"]
    _post(client, f"/api/requests/{urgent}/commit", staff.committee,
          json={"line_id": line, "holding_id": holding.id, "quantity": 6})
    committee = staff.committee  # a sign-in is an event: before counting
    before, left = counts(db), stock_total(db)
    stale = client.post(f"/api/requests/{routine}/accept-suggestion", headers=committee,
                        json={"shipments": shipments})
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("suggestion_stale",
                                                           "insufficient_stock")
    assert (counts(db), stock_total(db)) == (before, left)
    assert _get(client, f"/api/requests/{routine}", staff.committee)["status"] == "approved"
    replanned = _by_reference(_get(client, f"/api/requests/{routine}/suggestion",
                                   staff.committee))
    assert [s["quantity"] for s in replanned[routine]["shipments"]] == [4]


def test_one_refused_shipment_rolls_back_the_whole_acceptance(
    staff: Staff, client: TestClient, db: Session
) -> None:
    first = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 5)
    second = stock(db, WATER, COMMITTEE_A1, f"{COMMUNITY_A1}-B002", 5)
    routine = _resident_request(client, staff, 8)
    line = _get(client, f"/api/requests/{routine}", staff.committee)["lines"][0]["id"]
    committee = staff.committee  # a sign-in is an event: before counting
    before, left = counts(db), stock_total(db)
    stale = client.post(f"/api/requests/{routine}/accept-suggestion", headers=committee,
                        json={"shipments": [
                            {"line_id": line, "holding_id": first.id, "quantity": 3},
                            {"line_id": line, "holding_id": second.id, "quantity": 6}]})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "suggestion_stale")
    assert (counts(db), stock_total(db)) == (before, left)


def test_scope_is_checked(staff: Staff, client: TestClient, db: Session) -> None:
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 10)
    for within in (COMMUNITY_B1, STREET_A):
        denied = client.get("/api/dispatch/suggestion", headers=staff.committee,
                            params={"within": within})
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "out_of_scope")
    grid = client.get("/api/dispatch/suggestion", headers=staff.grid,
                      params={"within": COMMUNITY_A1})
    assert grid.status_code == 403  # grid workers triage but do not commit stock
    ref = submit(client, body(WATER, 4, area=BUILDING_B1), headers=staff.district)["reference"]
    _post(client, f"/api/requests/{ref}/approve", staff.district)
    assert client.get(f"/api/requests/{ref}/suggestion",
                      headers=staff.committee).status_code == 403
    refused = client.post(f"/api/requests/{ref}/accept-suggestion", headers=staff.committee)
    assert refused.status_code == 403
    unknown = client.get("/api/dispatch/suggestion", headers=staff.committee,
                         params={"within": "999999"})
    assert unknown.status_code == 404


def test_stock_in_reach_is_usable_and_drawable_by_the_dispatcher(
    staff: Staff, client: TestClient, db: Session
) -> None:
    """The queue's subtree and the reserves above it that the dispatcher may draw from;
    never damaged, expired or another community's stock; the earliest expiry first."""
    late = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 3, expires_on=date(2099, 1, 1))
    soon = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 3, expires_on=date(2098, 1, 1))
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 50, condition=HoldingCondition.DAMAGED)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 50, expires_on=date(2020, 1, 1))
    stock(db, WATER, COMMITTEE_A1, f"{COMMUNITY_A2}-B001", 50)
    reserve = stock(db, WATER, STREET_OFFICE_A, STREET_A, 2)
    first = _resident_request(client, staff, 5)
    [line] = _get(client, "/api/dispatch/suggestion", staff.committee,
                  within=COMMUNITY_A1)["lines"]
    assert [(s["holding_id"], s["quantity"]) for s in line["shipments"]] == [
        (soon.id, 3), (late.id, 2)]
    second = _urgent_request(client, staff, 5)
    plan = _get(client, "/api/dispatch/suggestion", staff.committee, within=COMMUNITY_A1)
    assert {ln["reference"] for ln in plan["lines"]} == {first, second}
    assert sum(ln["unmet"] for ln in plan["lines"]) == 4  # the committee's own stock only
    plan = _get(client, "/api/dispatch/suggestion", staff.street, within=COMMUNITY_A1)
    used = {s["holding_id"] for ln in plan["lines"] for s in ln["shipments"]}
    assert used == {soon.id, late.id, reserve.id}  # the street reserve joins, not A2's stock
    assert sum(ln["unmet"] for ln in plan["lines"]) == 2


def test_an_empty_queue_has_an_empty_plan(staff: Staff, db: Session) -> None:
    plan = suggestion.suggest_plan(db, principal=SYSTEM, within=COMMUNITY_A1)
    assert (plan.lines, plan.supply_points, plan.status) == ([], 0, "optimal")


def test_a_depot_area_read_as_columns_is_located_as_its_row(staff: Staff, db: Session) -> None:
    """Depot areas are read as plain columns; their points are those of the rows, including
    areas without a point of their own (the mean below, else the nearest above)."""
    rows = db.execute(select(Area).order_by(Area.id)).scalars().all()
    spots = suggestion._spots(db, [area.id for area in rows])
    assert any(area.lon is None for area in rows)
    for area in rows:
        assert suggestion._point(db, spots[area.id], {}) == suggestion._point(db, area, {})
