"""Notices as staff use them: compose, the two-person rule, send, update and cancel with
their CAP references, CAP export, and bad input that changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.alerts import cap_service
from communitas.alerts import notice_service as notices
from communitas.alerts.cap import parse_cap
from communitas.alerts.models import Channel, NoticeState, OutboxMessage
from communitas.alerts.schemas import NoticeCancel, NoticeRevision
from communitas.clock import FixedClock
from communitas.errors import Conflict, NotFound, PermissionDenied
from communitas.events import Event, verify_chain
from tests.alerts.helpers import ISSUER, START, build_notice_world, counts, notice_body, sent_notice
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, login


def test_a_public_notice_needs_a_second_person_to_approve_it(db: Session) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = notices.compose_notice(db, principal=staff["author"], data=notice_body(),
                                    issuer=ISSUER, clock=clock)
    with pytest.raises(PermissionDenied) as refused:
        notices.approve_notice(db, principal=staff["author"], notice_id=notice.id)
    assert refused.value.code == "two_person_rule"
    with pytest.raises(Conflict):  # not approved: cannot be sent
        notices.send_notice(db, principal=staff["author"], notice_id=notice.id)
    with pytest.raises(PermissionDenied):  # another community's committee is out of scope
        notices.approve_notice(db, principal=staff["outsider"], notice_id=notice.id)
    notices.approve_notice(db, principal=staff["approver"], notice_id=notice.id, clock=clock)
    assert notice.state is NoticeState.APPROVED and notice.approved_by == "user:approver"


def test_a_restricted_notice_may_be_approved_by_its_author(db: Session) -> None:
    staff = build_notice_world(db)
    notice = notices.compose_notice(db, principal=staff["author"],
                                    data=notice_body(scope="Restricted"), issuer=ISSUER)
    notices.approve_notice(db, principal=staff["author"], notice_id=notice.id)
    queued = notices.send_notice(db, principal=staff["author"], notice_id=notice.id)
    assert queued == {}  # residents receive public notices only


def test_sending_queues_one_delivery_per_resident_and_channel(db: Session) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = sent_notice(db, staff, clock, channels=["in_app", "sms"])
    rows = db.execute(select(OutboxMessage).where(OutboxMessage.notice_id == notice.id)).scalars()
    pairs = sorted((r.channel.value, r.person_id) for r in rows)
    assert len(pairs) == 4  # R1 and R2 live in A1 (not R3 in B1, nor the volunteer)
    assert {c for c, _ in pairs} == {Channel.IN_APP.value, Channel.SMS.value}
    assert len(set(pairs)) == len(pairs)
    actions = [e.action for e in db.execute(select(Event).where(
        Event.subject_type == "notice")).scalars()]
    assert actions == ["notice.composed", "notice.approved", "notice.sent"]


def test_an_area_named_twice_or_with_its_parent_still_queues_each_resident_once(
        db: Session) -> None:
    staff = build_notice_world(db)
    notice = sent_notice(db, staff, FixedClock(START),
                         area_codes=[COMMUNITY_A1, f"{COMMUNITY_A1}-B001", COMMUNITY_A1])
    queued = db.execute(select(OutboxMessage.person_id).where(
        OutboxMessage.notice_id == notice.id)).scalars().all()
    assert len(queued) == len(set(queued)) == 2


def test_a_polygon_covers_the_communities_under_it(db: Session) -> None:
    staff = build_notice_world(db)
    ring = [[31.199, 121.511], [31.199, 121.519], [31.211, 121.519], [31.211, 121.511],
            [31.199, 121.511]]  # over community A2 only (lat, lon as CAP writes them)
    notice = notices.compose_notice(db, principal=staff["commander"], issuer=ISSUER,
                                    data=notice_body(area_codes=[], polygons=[ring]))
    read = notices.notice_reads(db, [notice])[0]
    assert read.covered_area_codes == [COMMUNITY_A2]


def test_update_and_cancel_reference_the_earlier_messages(db: Session) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    first = sent_notice(db, staff, clock)
    clock.advance(timedelta(minutes=30))
    update = notices.update_notice(db, principal=staff["author"], notice_id=first.id,
                                   data=NoticeRevision(severity="Severe",
                                                       body_en="The rain is easing."),
                                   issuer=ISSUER, clock=clock)
    notices.approve_notice(db, principal=staff["approver"], notice_id=update.id, clock=clock)
    notices.send_notice(db, principal=staff["author"], notice_id=update.id, clock=clock)
    assert first.state is NoticeState.SUPERSEDED
    clock.advance(timedelta(minutes=30))
    cancel = notices.cancel_notice(db, principal=staff["author"], notice_id=update.id,
                                   data=NoticeCancel(note="The warning is lifted."),
                                   issuer=ISSUER, clock=clock)
    notices.approve_notice(db, principal=staff["approver"], notice_id=cancel.id, clock=clock)
    notices.send_notice(db, principal=staff["author"], notice_id=cancel.id, clock=clock)
    assert update.state is NoticeState.CANCELLED

    alert = parse_cap(cap_service.export_cap(db, principal=staff["author"],
                                             notice_id=cancel.id))
    assert alert.msg_type == "Cancel" and alert.note == "The warning is lifted."
    assert [r.identifier for r in alert.references] == [first.identifier, update.identifier]
    assert [r.sent for r in alert.references] == [first.sent_at, update.sent_at]
    assert update.severity == "Severe" and update.title_en == first.title_en
    with pytest.raises(Conflict):  # a superseded notice cannot be updated again
        notices.update_notice(db, principal=staff["author"], notice_id=first.id,
                              data=NoticeRevision(), issuer=ISSUER)


def test_export_has_one_info_block_per_language(db: Session) -> None:
    staff = build_notice_world(db)
    notice = sent_notice(db, staff, FixedClock(START), status="Exercise")
    alert = parse_cap(cap_service.export_cap(db, principal=staff["author"],
                                             notice_id=notice.id))
    assert alert.identifier == notice.identifier and alert.status == "Exercise"
    assert [i.language for i in alert.infos] == ["zh-CN", "en"]
    assert [i.headline for i in alert.infos] == ["暴雨红色预警", "Red rainstorm warning"]
    assert alert.infos[0].areas[0].geocodes[0].value == COMMUNITY_A1


def test_notices_refuse_phone_and_identity_numbers() -> None:
    with pytest.raises(ValidationError, match="phone or identity"):
        notice_body(body_en="Call Mr Wang on 13912345678 for sandbags.")
    with pytest.raises(ValidationError, match="phone or identity"):
        notice_body(title_zh="310115198001011234 住户请注意")


def test_an_unknown_area_changes_nothing(db: Session) -> None:
    staff = build_notice_world(db)
    db.commit()
    before = counts(db)
    with pytest.raises(NotFound) as refused:
        notices.compose_notice(db, principal=staff["author"], issuer=ISSUER,
                               data=notice_body(area_codes=[COMMUNITY_A1, "319999999999"]))
    assert refused.value.details == {"field": "area_codes", "code": "319999999999"}
    db.rollback()
    assert counts(db) == before


def test_the_api_flow_and_its_errors(db: Session, client: TestClient) -> None:
    build_notice_world(db)
    db.commit()
    author, approver = login(client, "author"), login(client, "approver")
    body = notice_body().model_dump(mode="json")
    created = client.post("/api/notices", json=body, headers=author)
    assert created.status_code == 201, created.text
    notice_id = created.json()["id"]
    assert client.get(f"/api/notices/{notice_id}").status_code == 403  # a draft is not public
    same = client.post(f"/api/notices/{notice_id}/approve", headers=author)
    assert same.status_code == 403 and same.json()["error"]["code"] == "two_person_rule"
    assert client.post(f"/api/notices/{notice_id}/approve", headers=approver).status_code == 200
    sent = client.post(f"/api/notices/{notice_id}/send", headers=author)
    assert sent.status_code == 200, sent.text
    assert {(c["channel"], c["status"], c["count"]) for c in sent.json()["counts"]} == {
        ("in_app", "pending", 2)}
    public = client.get(f"/api/notices/{notice_id}")
    assert public.status_code == 200 and public.json()["state"] == "sent"
    xml = client.get(f"/api/notices/{notice_id}/cap")
    assert xml.headers["content-type"].startswith("application/cap+xml")
    assert parse_cap(xml.content).identifier == public.json()["identifier"]
    bad = client.post("/api/notices", json={**body, "severity": "Apocalyptic"}, headers=author)
    assert bad.status_code == 422
    listed = client.get("/api/areas/310115001001-B001/notices").json()
    assert [n["id"] for n in listed["items"]] == [notice_id]


def test_event_chain_stays_intact(db: Session) -> None:
    staff = build_notice_world(db)
    sent_notice(db, staff, FixedClock(START))
    assert verify_chain(db)[1] is None
