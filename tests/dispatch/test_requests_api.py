"""Requests through the API: intake, the public and full views, the dispatcher workflow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from communitas.api.app import create_app
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.config import Settings
from communitas.dispatch import intake, triage
from communitas.dispatch.models import Notification, ResourceRequest
from communitas.dispatch.service import DispatchPolicy
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    PHONE,
    RESCUE,
    STREET_OFFICE_A,
    Staff,
    body,
    build_dispatch_world,
    counts,
    stock_total,
    submit,
)
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, STREET_A, make_user
from tests.resources.helpers import stock

REFERENCE = re.compile(r"^R\d{8}-[0-9A-HJKMNP-TV-Z]{8}$")


@pytest.fixture
def staff(db: Session, client: TestClient) -> Staff:
    build_dispatch_world(db)
    return Staff(client)


def _action(client: TestClient, reference: str, name: str, headers: dict[str, str],
            status: int = 200, **json: object) -> dict[str, object]:
    response = client.post(f"/api/requests/{reference}/{name}", headers=headers,
                           json=json or None)
    assert response.status_code == status, response.text
    result: dict[str, object] = response.json()
    return result


def _error(response: object) -> str:
    code: str = response.json()["error"]["code"]  # type: ignore[attr-defined]
    return code


# --- intake ----------------------------------------------------------------------------------

def test_anonymous_submission_is_acknowledged_with_an_unguessable_reference(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    before = counts(db)
    receipt = submit(client, body(phone=PHONE, contact_name="王阿姨",
                                  description="三楼，行动不便", vulnerability=["aged_80"]))
    assert REFERENCE.match(receipt["reference"]), receipt
    assert (receipt["status"], receipt["queue_level"], receipt["merged_into"]) == (
        "submitted", "community", None)
    after = counts(db)
    assert after["requests"] == before["requests"] + 1
    assert after["request_lines"] == before["request_lines"] + 1
    row = db.execute(select(ResourceRequest).where(
        ResourceRequest.reference == receipt["reference"])).scalar_one()
    assert row.phone == PHONE  # stored for triage ...
    events = client.get("/api/audit/events", headers=staff.district,
                        params={"subject_id": receipt["reference"]})
    assert PHONE not in events.text and "王阿姨" not in events.text  # ... never logged


def test_the_public_view_shows_progress_but_nothing_private(
    staff: Staff, client: TestClient
) -> None:
    receipt = submit(client, body(phone=PHONE, contact_name="王阿姨", description="三楼",
                                  vulnerability=["disabled"]))
    public = client.get(f"/api/requests/{receipt['reference']}").json()
    assert public["view"] == "public"
    assert public["community_code"] == COMMUNITY_A1
    assert public["lines"][0]["quantity"] == 5
    text = str(public)
    for private in (PHONE, "王阿姨", "三楼", "disabled", BUILDING_A1):
        assert private not in text
    history = client.get(f"/api/requests/{receipt['reference']}/history").json()
    assert [h["action"] for h in history] == ["request.submitted", "request.queued"]
    assert {h["by"] for h in history} == {"requester"}


def test_requester_token_and_staff_in_scope_see_the_full_view(
    staff: Staff, client: TestClient, db: Session
) -> None:
    receipt = submit(client, body(phone=PHONE, contact_name="王阿姨"))
    ref, token = receipt["reference"], receipt["requester_token"]
    mine = client.get(f"/api/requests/{ref}", headers={"X-Requester-Token": token}).json()
    assert (mine["view"], mine["phone"], mine["contact_name"]) == ("full", PHONE, "王阿姨")
    assert client.get(f"/api/requests/{ref}",
                      headers={"X-Requester-Token": "X" * 20}).json()["view"] == "public"
    for headers in (staff.committee, staff.grid, staff.street):
        view = client.get(f"/api/requests/{ref}", headers=headers).json()
        assert (view["view"], view["phone"]) == ("full", PHONE)
    make_user(db, "shenji", Role.AUDITOR, area_code=DISTRICT)
    make_user(db, "juwei_b", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_B1)
    audit = client.get(f"/api/requests/{ref}", headers=staff.headers("shenji")).json()
    assert (audit["view"], audit["phone"]) == ("full", None)
    other = client.get(f"/api/requests/{ref}", headers=staff.headers("juwei_b")).json()
    assert other["view"] == "public"


def test_same_idempotency_key_and_body_replays_and_creates_nothing(
    staff: Staff, client: TestClient, db: Session
) -> None:
    first = submit(client, body(), key="k-123")
    before = counts(db)
    again = submit(client, body(), key="k-123", status=200)
    assert again == first
    assert counts(db) == before


def test_same_idempotency_key_with_another_body_is_a_conflict(
    staff: Staff, client: TestClient, db: Session
) -> None:
    submit(client, body(), key="k-456")
    before = counts(db)
    response = client.post("/api/requests", json=body(quantity=6),
                           headers={"Idempotency-Key": "k-456"})
    assert (response.status_code, _error(response)) == (409, "idempotency_conflict")
    assert counts(db) == before


@pytest.mark.parametrize(("payload", "status", "code"), [
    (body("water.unknown"), 404, "unknown_resource_type"),
    (body(quantity=-3), 422, "validation_error"),
    (body(quantity=0), 422, "validation_error"),
    (body(quantity=10**12), 422, "validation_error"),
    (body(area="310115001999"), 404, "unknown_area"),
    (body(area=STREET_A), 422, "wrong_area_kind"),
    (body("rescue.swiftwater_team"), 422, "wrong_line_kind"),
    ({**body(), "lines": [{"resource_type_code": "water.bottled", "quantity": 1,
                           "unit": "litre"}]}, 422, "wrong_unit"),
    ({**body(), "lines": []}, 422, "validation_error"),
    ({**body(), "priority": 0}, 422, "validation_error"),
    ({**body(), "requester_kind": "community"}, 403, "sign_in_required"),
    ({**body(), "surprise": 1}, 422, "validation_error"),
])
def test_bad_input_gets_the_envelope_and_changes_nothing(
    staff: Staff, client: TestClient, db: Session, payload: dict[str, object], status: int,
    code: str,
) -> None:
    before, stock_before = counts(db), stock_total(db)
    response = client.post("/api/requests", json=payload, headers={"Idempotency-Key": "bad"})
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert _error(response) == code
    assert counts(db) == before and stock_total(db) == stock_before


def test_malformed_json_and_an_area_outside_the_users_scope(
    staff: Staff, client: TestClient, db: Session
) -> None:
    committee, resident_headers = staff.committee, staff.resident  # sign-ins are events
    before = counts(db)
    response = client.post("/api/requests", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert (response.status_code, _error(response)) == (400, "malformed_json")
    outside = client.post("/api/requests", json=body(area=BUILDING_B1), headers=committee)
    assert (outside.status_code, _error(outside)) == (403, "out_of_scope")
    resident = client.post("/api/requests", json=body(area=BUILDING_B1),
                           headers=resident_headers)
    assert (resident.status_code, _error(resident)) == (403, "out_of_scope")
    assert counts(db) == before


def test_staff_submissions_start_verified_and_residents_do_not(
    staff: Staff, client: TestClient
) -> None:
    assert submit(client, body(), headers=staff.committee)["status"] == "verified"
    assert submit(client, body("food.rice", 1), headers=staff.resident)["status"] == \
        "submitted"


# --- the dispatcher workflow -----------------------------------------------------------------

def test_a_request_runs_from_submission_to_a_rated_confirmation(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 40)
    receipt = submit(client, body(quantity=12, phone=PHONE))
    ref, token = receipt["reference"], {"X-Requester-Token": receipt["requester_token"]}
    _action(client, ref, "verify", staff.grid, reason="called back")
    view = _action(client, ref, "approve", staff.committee)
    line = view["lines"][0]["id"]  # type: ignore[index]
    view = _action(client, ref, "commit", staff.committee, line_id=line,
                   holding_id=holding.id, quantity=12)
    assert view["status"] == "committed"
    db.refresh(holding)
    assert holding.quantity == 28
    shipment = view["shipments"][0]["id"]  # type: ignore[index]
    assert _action(client, ref, "ship", staff.committee, shipment_id=shipment)["status"] == \
        "in_transit"
    assert _action(client, ref, "deliver", staff.committee,
                   shipment_id=shipment)["status"] == "delivered"
    assert _action(client, ref, "confirm", token)["status"] == "confirmed"
    rated = _action(client, ref, "rate", token, score=5, comment="very quick")
    assert (rated["rating"], rated["status"]) == (5, "confirmed")
    actions = [h["action"] for h in client.get(f"/api/requests/{ref}/history").json()]
    assert actions == ["request.submitted", "request.queued", "request.verified",
                       "request.approved", "request.committed", "request.shipped",
                       "request.delivered", "request.confirmed", "request.rated"]
    _action(client, ref, "cancel", token, status=409)  # terminal: no exits


def test_partial_quantities_at_every_step(staff: Staff, client: TestClient, db: Session) -> None:
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 100)
    ref = submit(client, body(quantity=10), headers=staff.committee)["reference"]
    line = _action(client, ref, "approve", staff.committee)["lines"][0]["id"]  # type: ignore
    first = _action(client, ref, "commit", staff.committee, line_id=line,
                    holding_id=holding.id, quantity=6)
    shipment = first["shipments"][0]["id"]  # type: ignore[index]
    view = _action(client, ref, "ship", staff.committee, shipment_id=shipment, quantity=4)
    assert view["status"] == "committed"  # two units still wait at the stockroom
    view = _action(client, ref, "ship", staff.committee, shipment_id=shipment)
    view = _action(client, ref, "deliver", staff.committee, shipment_id=shipment, quantity=5)
    assert view["status"] == "in_transit"
    view = _action(client, ref, "deliver", staff.committee, shipment_id=shipment)
    assert (view["status"], view["lines"][0]["delivered"]) == ("delivered", 6)  # type: ignore
    over = client.post(f"/api/requests/{ref}/commit", headers=staff.committee,
                       json={"line_id": line, "holding_id": holding.id, "quantity": 5})
    assert (over.status_code, _error(over)) == (409, "over_commitment")
    db.refresh(holding)
    assert holding.quantity == 94
    view = _action(client, ref, "commit", staff.committee, line_id=line,
                   holding_id=holding.id, quantity=4)
    assert view["status"] == "committed"


def test_returns_put_stock_back_and_reopen_the_line(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 20)
    ref = submit(client, body(quantity=8), headers=staff.committee)["reference"]
    line = _action(client, ref, "approve", staff.committee)["lines"][0]["id"]  # type: ignore
    view = _action(client, ref, "commit", staff.committee, line_id=line,
                   holding_id=holding.id, quantity=8)
    shipment = view["shipments"][0]["id"]  # type: ignore[index]
    _action(client, ref, "ship", staff.committee, shipment_id=shipment)
    _action(client, ref, "deliver", staff.committee, shipment_id=shipment, quantity=3)
    view = _action(client, ref, "return", staff.committee, shipment_id=shipment,
                   reason="road flooded")
    assert view["status"] == "delivered"
    assert view["shipments"][0]["state"] == "delivered"  # type: ignore[index]
    assert view["lines"][0]["committed"] == 3  # type: ignore[index]
    db.refresh(holding)
    assert holding.quantity == 17
    assert view["sla_due_at"] is not None  # five units are open again: the clock runs


def test_cancelling_gives_undelivered_stock_back(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 20)
    receipt = submit(client, body(quantity=8))
    ref = receipt["reference"]
    _action(client, ref, "verify", staff.grid)
    line = _action(client, ref, "approve", staff.committee)["lines"][0]["id"]  # type: ignore
    _action(client, ref, "commit", staff.committee, line_id=line, holding_id=holding.id,
            quantity=8)
    view = _action(client, ref, "cancel", {"X-Requester-Token": receipt["requester_token"]},
                   reason="my son brought water")
    assert view["status"] == "cancelled"
    db.refresh(holding)
    assert holding.quantity == 20


def test_illegal_transitions_and_unknown_references(staff: Staff, client: TestClient) -> None:
    ref = submit(client, body())["reference"]
    response = client.post(f"/api/requests/{ref}/approve", headers=staff.district)
    assert (response.status_code, _error(response)) == (409, "illegal_transition")
    unknown = client.get("/api/requests/R20260101-AAAAAAAA")
    assert (unknown.status_code, _error(unknown)) == (404, "unknown_request")
    anonymous = client.post(f"/api/requests/{ref}/verify")
    assert anonymous.status_code == 401
    stranger = client.post(f"/api/requests/{ref}/confirm")
    assert (stranger.status_code, _error(stranger)) == (403, "not_requester")


def test_commit_checks_the_holding_type_scope_and_minimum(
    staff: Staff, client: TestClient, db: Session
) -> None:
    water = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    noodles = stock(db, "food.instant_noodles", COMMITTEE_A1, BUILDING_A1, 50)
    other_street = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_B1, 50)
    payload = {"area_code": BUILDING_A1, "requester_kind": "building", "lines": [
        {"resource_type_code": "food.ready_meal", "quantity": 30, "min_quantity": 10,
         "substitutes": ["food.instant_noodles"]}]}
    ref = submit(client, payload, headers=staff.committee)["reference"]
    line = _action(client, ref, "approve", staff.committee)["lines"][0]["id"]  # type: ignore
    before = stock_total(db)
    wrong = client.post(f"/api/requests/{ref}/commit", headers=staff.committee,
                        json={"line_id": line, "holding_id": water.id, "quantity": 10})
    assert (wrong.status_code, _error(wrong)) == (422, "wrong_resource_type")
    small = client.post(f"/api/requests/{ref}/commit", headers=staff.committee,
                        json={"line_id": line, "holding_id": noodles.id, "quantity": 4})
    assert (small.status_code, _error(small)) == (422, "below_minimum")
    far = client.post(f"/api/requests/{ref}/commit", headers=staff.committee,
                      json={"line_id": line, "holding_id": other_street.id, "quantity": 10})
    assert (far.status_code, _error(far)) == (403, "out_of_scope")
    damaged = stock(db, "food.ready_meal", COMMITTEE_A1, BUILDING_A1, 50, condition="damaged")
    unusable = client.post(f"/api/requests/{ref}/commit", headers=staff.committee,
                           json={"line_id": line, "holding_id": damaged.id, "quantity": 10})
    assert (unusable.status_code, _error(unusable)) == (422, "unusable_holding")
    assert stock_total(db) == before + 50
    view = _action(client, ref, "commit", staff.committee, line_id=line,
                   holding_id=noodles.id, quantity=10)  # an allowed substitute
    assert view["lines"][0]["committed"] == 10  # type: ignore[index]


def test_a_team_request_commits_head_count(staff: Staff, client: TestClient, db: Session) -> None:
    team = stock(db, "rescue.swiftwater_team", RESCUE, DISTRICT, 12)
    payload = {"area_code": COMMUNITY_A1, "priority": 1, "lines": [
        {"kind": "people", "resource_type_code": "rescue.swiftwater_team", "head_count": 6,
         "skills": ["swiftwater_rescue"], "period_start": "2026-07-20T08:00:00+08:00",
         "period_end": "2026-07-21T08:00:00+08:00"}]}
    receipt = submit(client, payload, headers=staff.committee)
    assert receipt["queue_level"] == "district"  # only the district holds rescuers
    ref = receipt["reference"]
    line = _action(client, ref, "approve", staff.district)["lines"][0]
    assert (line["kind"], line["skills"]) == ("people", ["swiftwater_rescue"])  # type: ignore
    view = _action(client, ref, "commit", staff.district, line_id=line["id"],  # type: ignore
                   holding_id=team.id, quantity=6)
    assert view["status"] == "committed"
    db.refresh(team)
    assert team.quantity == 6


# --- duplicates, rate limits, the queue ------------------------------------------------------

def test_a_duplicate_is_merged_and_both_references_resolve(
    staff: Staff, client: TestClient, db: Session
) -> None:
    first = submit(client, body(quantity=5, phone=PHONE))
    second = submit(client, body(quantity=9, phone=PHONE, priority=2))
    assert (second["status"], second["merged_into"]) == ("merged", first["reference"])
    for ref in (first["reference"], second["reference"]):
        view = client.get(f"/api/requests/{ref}").json()
        assert view["reference"] == first["reference"]
        assert (view["lines"][0]["quantity"], view["priority"]) == (9, 2)  # max, most urgent
    history = client.get(f"/api/requests/{second['reference']}/history").json()
    assert "request.duplicate_merged" in [h["action"] for h in history]
    other_need = submit(client, body("food.rice", 1, phone=PHONE))
    assert other_need["merged_into"] is None
    neighbour = submit(client, body(quantity=5, phone="13700000000"))
    assert neighbour["merged_into"] is None


def test_building_orders_merge_by_place(staff: Staff, client: TestClient) -> None:
    order = {**body("food.vegetable_pack", 40), "requester_kind": "building"}
    first = submit(client, order)
    again = submit(client, {**order, "lines": [{"resource_type_code": "food.vegetable_pack",
                                                "quantity": 30}]})
    assert again["merged_into"] == first["reference"]
    view = client.get(f"/api/requests/{first['reference']}").json()
    assert view["lines"][0]["quantity"] == 40


def test_too_many_submissions_are_rate_limited(
    engine: Engine, settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    build_dispatch_world(db)
    limited = settings.model_copy(update={"request_rate_limit": 2})
    app = create_app(limited, engine=engine, run_migrations=False)
    app.state.session_factory = session_factory
    with TestClient(app) as client:
        submit(client, body())
        submit(client, body("food.rice", 1))
        before = counts(db)
        response = client.post("/api/requests", json=body("food.ready_meal", 1))
        assert (response.status_code, _error(response)) == (429, "rate_limited")
        assert counts(db) == before


def test_the_queue_is_by_priority_then_age_and_scoped(
    staff: Staff, client: TestClient, db: Session
) -> None:
    low = submit(client, body(priority=4))["reference"]
    urgent = submit(client, body("food.rice", 1, priority=1))["reference"]
    routine = submit(client, body("food.ready_meal", 1))["reference"]
    elsewhere = submit(client, body(area=BUILDING_B1, priority=1))["reference"]
    page = client.get("/api/requests", headers=staff.committee).json()
    assert [r["reference"] for r in page["items"]] == [urgent, routine, low]
    district = client.get("/api/requests", headers=staff.district,
                          params={"priority": 1}).json()
    assert {r["reference"] for r in district["items"]} == {urgent, elsewhere}
    assert "phone" not in str(page)
    mine = submit(client, body("food.rice", 1), headers=staff.resident)["reference"]
    own = client.get("/api/requests", headers=staff.resident).json()
    assert [r["reference"] for r in own["items"]] == [mine]


def test_routing_sends_a_request_to_the_lowest_level_that_can_meet_it(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stock(db, "food.rice", COMMITTEE_A1, BUILDING_A1, 3)
    stock(db, "food.rice", STREET_OFFICE_A, STREET_A, 50)
    assert submit(client, body("food.rice", 2))["queue_level"] == "community"
    assert submit(client, body("food.rice", 20, phone="13600000000"))["queue_level"] == "street"
    assert submit(client, body("shelter.tent", 2))["queue_level"] == "outside"


# --- timers: escalation and expiry -----------------------------------------------------------

def test_an_overdue_urgent_request_escalates_and_notifies_the_next_supervisor(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    ref = submit(client, body(priority=2), headers=staff.committee)["reference"]
    row = db.execute(select(ResourceRequest).where(ResourceRequest.reference == ref)
                     ).scalar_one()
    assert row.sla_due_at is not None
    policy = DispatchPolicy()
    early = FixedClock(row.sla_due_at - timedelta(minutes=1))
    assert triage.escalate_overdue(db, clock=early, policy=policy) == []
    late = FixedClock(row.sla_due_at + timedelta(minutes=1))
    assert triage.escalate_overdue(db, clock=late, policy=policy) == [ref]
    db.flush()
    db.refresh(row)
    assert row.queue_level.value == "street"
    assert row.sla_due_at == late.now() + timedelta(minutes=120)
    notice = db.execute(select(Notification).where(Notification.request_id == row.id)
                        ).scalar_one()
    assert (notice.recipient_role, notice.message_key) == ("street_commander",
                                                           "request.escalated")
    make_user(db, "jiedao", Role.STREET_COMMANDER, area_code=STREET_A)
    listed = client.get("/api/notifications", headers=staff.headers("jiedao")).json()
    assert [n["request_reference"] for n in listed["items"]] == [ref]
    refused = client.post(f"/api/requests/{ref}/approve", headers=staff.committee)
    assert (refused.status_code, _error(refused)) == (403, "out_of_scope")  # not their queue
    assert _action(client, ref, "approve", staff.street)["queue_level"] == "street"


def test_a_fully_committed_request_does_not_escalate(
    staff: Staff, client: TestClient, db: Session
) -> None:
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    ref = submit(client, body(priority=1), headers=staff.committee)["reference"]
    line = _action(client, ref, "approve", staff.committee)["lines"][0]["id"]  # type: ignore
    view = _action(client, ref, "commit", staff.committee, line_id=line,
                   holding_id=holding.id, quantity=5)
    assert view["sla_due_at"] is None
    later = FixedClock(datetime.now(UTC) + timedelta(days=10))
    assert triage.escalate_overdue(db, clock=later) == []


def test_manual_escalation_stops_at_outside_support(staff: Staff, client: TestClient) -> None:
    ref = submit(client, body("shelter.tent", 1), headers=staff.committee)["reference"]
    response = client.post(f"/api/requests/{ref}/escalate", headers=staff.district)
    assert (response.status_code, _error(response)) == (409, "cannot_escalate")


def test_unverified_requests_expire_and_verified_ones_stay(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stale = submit(client, body())["reference"]
    kept = submit(client, body("food.rice", 1))["reference"]
    _action(client, kept, "verify", staff.grid)
    later = FixedClock(datetime.now(UTC) + timedelta(hours=25))
    assert intake.expire_unverified(db, clock=later) == [stale]
    db.flush()
    assert client.get(f"/api/requests/{stale}").json()["status"] == "expired"
    assert client.get(f"/api/requests/{kept}").json()["status"] == "verified"


def test_adjusting_keeps_the_old_values_in_history(
    staff: Staff, client: TestClient, db: Session
) -> None:
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    ref = submit(client, body(quantity=50))["reference"]
    line = client.get(f"/api/requests/{ref}", headers=staff.grid).json()["lines"][0]["id"]
    view = _action(client, ref, "adjust", staff.grid, priority=2,
                   lines=[{"line_id": line, "quantity": 20}], reason="one household")
    assert (view["priority"], view["lines"][0]["quantity"]) == (2, 20)  # type: ignore
    history = client.get(f"/api/requests/{ref}/history", headers=staff.grid).json()
    adjusted = next(h for h in history if h["action"] == "request.adjusted")
    assert adjusted["details"]["changes"]["line 1"] == {"from": 50, "to": 20}
    assert adjusted["by"] == "user:wangge"


def test_the_timers_route_is_for_the_platform_admin(staff: Staff, client: TestClient,
                                                    db: Session) -> None:
    refused = client.post("/api/requests/timers", headers=staff.district)
    assert (refused.status_code, _error(refused)) == (403, "out_of_scope")
    make_user(db, "root", Role.PLATFORM_ADMIN)
    report = client.post("/api/requests/timers", headers=staff.headers("root"))
    assert report.json() == {"expired": [], "escalated": []}
