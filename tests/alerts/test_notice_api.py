"""Update, cancel, subscriptions, deliveries and dead letters over HTTP, and the
``communitas notices`` commands."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from communitas.alerts.cap import parse_cap
from communitas.alerts.delivery import drain
from communitas.alerts.outbox import OutboxPolicy
from communitas.cli import app
from communitas.clock import FixedClock
from communitas.db import make_engine, make_session_factory, unit_of_work
from tests.actors.helpers import BUILDING_A1, make_person
from tests.alerts.helpers import ISSUER, START, build_notice_world, sent_notice
from tests.alerts.test_cap_cli import city_database, locale  # noqa: F401 (fixtures)
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, login

runner = CliRunner()


def test_update_then_cancel_over_http(db: Session, client: TestClient) -> None:
    staff = build_notice_world(db)
    first = sent_notice(db, staff, FixedClock(START))
    db.commit()
    author, approver = login(client, "author"), login(client, "approver")
    update = client.post(f"/api/notices/{first.id}/update", headers=author,
                         json={"severity": "Moderate", "note": "Water is receding."})
    assert update.status_code == 201, update.text
    update_id = update.json()["id"]
    assert update.json()["references"] == [
        f"{first.sender},{first.identifier},{first.sent_at.isoformat()}"]  # type: ignore[union-attr]
    for step, who in (("approve", approver), ("send", author)):
        assert client.post(f"/api/notices/{update_id}/{step}", headers=who).status_code == 200
    assert client.get(f"/api/notices/{first.id}").json()["state"] == "superseded"
    cancel = client.post(f"/api/notices/{update_id}/cancel", headers=author, json={})
    assert cancel.status_code == 422  # a Cancel says why
    cancel = client.post(f"/api/notices/{update_id}/cancel", headers=author,
                         json={"note": "All clear."})
    cancel_id = cancel.json()["id"]
    for step, who in (("approve", approver), ("send", author)):
        assert client.post(f"/api/notices/{cancel_id}/{step}", headers=who).status_code == 200
    alert = parse_cap(client.get(f"/api/notices/{cancel_id}/cap").content)
    assert alert.msg_type == "Cancel"
    assert [r.identifier for r in alert.references] == [first.identifier,
                                                        update.json()["identifier"]]
    assert client.get(f"/api/notices/{update_id}").json()["state"] == "cancelled"


def test_subscriptions_deliveries_and_dead_letters_over_http(
        db: Session, client: TestClient, session_factory: sessionmaker[Session]) -> None:
    staff = build_notice_world(db)
    db.commit()
    commander = login(client, "commander")
    created = client.post("/api/notice-subscriptions", headers=commander, json={
        "channel": "sms", "address": "13911112222", "area_code": COMMUNITY_A1,
        "label": "duty phone"})
    assert created.status_code == 201, created.text
    assert created.json()["address"] == "139******22"
    refused = client.post("/api/notice-subscriptions", headers=login(client, "author"), json={
        "channel": "webhook", "address": "http://127.0.0.1:9/x", "area_code": COMMUNITY_A1})
    assert refused.status_code == 403
    listed = client.get("/api/notice-subscriptions", headers=commander).json()
    assert [s["label"] for s in listed] == ["duty phone"]
    notice = sent_notice(db, staff, FixedClock(START), channels=["in_app"])
    db.commit()
    drain(session_factory, senders={}, policy=OutboxPolicy(), clock=FixedClock(START))
    report = client.get(f"/api/notices/{notice.id}/delivery-report", headers=commander).json()
    assert {(c["channel"], c["status"], c["count"]) for c in report["counts"]} == {
        ("in_app", "delivered", 2), ("sms", "dead", 1)}  # no SMS gateway is set up
    dead = client.get("/api/outbox/dead-letters", headers=commander).json()
    assert dead["total"] == 1 and dead["items"][0]["last_error"] == "channel sms is not set up"
    assert "13911112222" not in str(dead)
    dead_id = dead["items"][0]["id"]
    author = login(client, "author")
    assert client.post(f"/api/outbox/{dead_id}/requeue", headers=login(client, "outsider")
                       ).status_code == 403
    again = client.post(f"/api/outbox/{dead_id}/requeue", headers=author)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert client.post(f"/api/outbox/{dead_id}/requeue", headers=author).status_code == 404
    outsider = client.get("/api/outbox/dead-letters", headers=login(client, "outsider")).json()
    assert outsider["total"] == 0  # community B1's committee does not see A1's deliveries
    gone = client.delete(f"/api/notice-subscriptions/{created.json()['id']}",
                         headers=commander)
    assert gone.status_code == 204
    assert client.get("/api/notice-subscriptions", headers=commander).json() == []
    assert COMMUNITY_B1 not in notice.area_codes


def test_notices_deliver_and_dead_letters_commands(city_database: str) -> None:  # noqa: F811
    engine = make_engine(city_database)
    with unit_of_work(make_session_factory(engine)) as session:
        from communitas.alerts import notice_service as notices
        from communitas.auth.permissions import SYSTEM, Principal
        from communitas.auth.roles import Role
        from tests.alerts.helpers import notice_body

        make_person(session, "R1", BUILDING_A1, phone="13900000001")
        notice = notices.compose_notice(session, principal=SYSTEM, issuer=ISSUER,
                                        data=notice_body(channels=["in_app", "sms"]))
        second = Principal(username="second", role=Role.PLATFORM_ADMIN, scope_path="/")
        notices.approve_notice(session, principal=second, notice_id=notice.id)
        notices.send_notice(session, principal=SYSTEM, notice_id=notice.id)
    engine.dispose()
    delivered = runner.invoke(app, ["notices", "deliver"])
    assert delivered.exit_code == 0, delivered.output
    assert "Delivered 1, to retry 0, dead letters 1" in delivered.output
    dead = runner.invoke(app, ["notices", "dead-letters"])
    assert dead.exit_code == 0 and "Dead letters: 1" in dead.output
    assert "R1" in dead.output and "13900000001" not in dead.output
