"""Each channel against a local fake on loopback: a webhook receiver, an SMTP server
(aiosmtpd) and an HTTP SMS gateway. Phone numbers reach the gateway and nowhere else."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts.channels import senders_from_settings
from communitas.alerts.channels.sms import render_body
from communitas.alerts.delivery import drain
from communitas.alerts.models import OutboxMessage
from communitas.alerts.outbox import OutboxPolicy
from communitas.alerts.schemas import SubscriptionCreate
from communitas.alerts.subscriptions import create_subscription, list_deliveries
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.config import Settings
from communitas.events import Event
from tests.alerts.helpers import PHONES, START, build_notice_world, fake_receiver, sent_notice
from tests.factories import COMMUNITY_A1

POLICY = OutboxPolicy(batch_size=50, max_attempts=2, backoff_seconds=1, lease_seconds=60)


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _subscribe(db: Session, channel: str, address: str) -> None:
    create_subscription(db, principal=SYSTEM, data=SubscriptionCreate(
        channel=channel, address=address, area_code=COMMUNITY_A1))  # type: ignore[arg-type]


def test_a_webhook_receives_the_notice_as_json(
        db: Session, session_factory: sessionmaker[Session], settings: Settings) -> None:
    staff = build_notice_world(db)
    with fake_receiver() as receiver:
        _subscribe(db, "webhook", receiver.url)
        notice = sent_notice(db, staff, FixedClock(START), channels=[])
        db.commit()
        report = drain(session_factory, senders=senders_from_settings(settings),
                       policy=POLICY, clock=FixedClock(START))
    assert report.by_channel == {"webhook": 1}
    [request] = receiver.received
    body = request.json()
    assert body["notice"]["identifier"] == notice.identifier
    assert body["notice"]["title_zh"] == "暴雨红色预警"
    assert request.headers["Idempotency-Key"] == f"communitas-outbox-{body['delivery_id']}"


def test_an_email_goes_through_the_smtp_server(
        db: Session, session_factory: sessionmaker[Session], settings: Settings,
        smtp_server: tuple[int, Inbox]) -> None:
    port, inbox = smtp_server
    staff = build_notice_world(db)
    _subscribe(db, "email", "duty-office@example.org")
    sent_notice(db, staff, FixedClock(START), channels=[], status="Exercise")
    db.commit()
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    report = drain(session_factory, senders=senders_from_settings(settings), policy=POLICY,
                   clock=FixedClock(START))
    assert report.by_channel == {"email": 1}
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["duty-office@example.org"]
    email = message_from_bytes(envelope.content, policy=default_policy)
    assert email["Subject"] == "[Exercise] 暴雨红色预警 / Red rainstorm warning"
    text = email.get_content()
    assert "低洼地区居民请立即转移" in text and "Residents of low-lying areas" in text


def test_sms_reaches_the_gateway_and_the_phone_number_nowhere_else(
        db: Session, session_factory: sessionmaker[Session], settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = sent_notice(db, staff, clock, channels=["sms"])
    db.commit()
    caplog.set_level(logging.DEBUG)
    with fake_receiver(answers=[500]) as gateway:  # the first message fails once
        settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
        senders = senders_from_settings(settings)
        first = drain(session_factory, senders=senders, policy=POLICY, clock=clock)
        clock.advance(POLICY.backoff(1))
        second = drain(session_factory, senders=senders, policy=POLICY, clock=clock)
        bodies = [json.loads(r.body) for r in gateway.received]
    assert (first.delivered, first.retried, second.delivered) == (1, 1, 1)
    assert sorted({b["to"] for b in bodies}) == [PHONES["R1"], PHONES["R2"]]
    assert all("暴雨红色预警" in b["text"] for b in bodies)
    phones = tuple(PHONES.values())
    assert not any(p in record.getMessage() for record in caplog.records for p in phones)
    errors = [r.last_error or "" for r in db.execute(select(OutboxMessage)).scalars()]
    assert not any(p in e for e in errors for p in phones)
    payloads = [e.payload for e in db.execute(select(Event)).scalars()]
    assert not any(p in text for text in payloads for p in phones)
    rows = list_deliveries(db, principal=SYSTEM, notice_id=notice.id).items
    assert {r.person_code for r in rows} == {"R1", "R2"}
    assert not any(p in r.model_dump_json() for r in rows for p in phones)


def test_the_sms_template_escapes_what_it_fills_in() -> None:
    body = render_body('{"to": "$phone", "text": "$text"}', phone="13900000001",
                       text='水位 "红色" 预警\nflee')
    assert json.loads(body) == {"to": "13900000001", "text": '水位 "红色" 预警\nflee'}
