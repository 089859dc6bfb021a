"""The outbox worker: in-app delivery into residents' feeds, at most once per recipient and
channel even when a worker dies mid-batch, retries with back-off, and the dead-letter list."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts import outbox
from communitas.alerts.channels import DeliveryError, Message
from communitas.alerts.channels.webhook import WebhookSender
from communitas.alerts.delivery import DrainReport, drain, drain_channel
from communitas.alerts.models import Channel, DeliveryStatus, FeedItem, OutboxMessage
from communitas.alerts.outbox import OutboxPolicy
from communitas.alerts.schemas import SubscriptionCreate
from communitas.alerts.subscriptions import create_subscription
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.config import Settings
from communitas.events import Event
from communitas.scheduler import Scheduler, default_jobs
from tests.alerts.helpers import START, build_notice_world, fake_receiver, sent_notice
from tests.factories import COMMUNITY_A1, STREET_A

POLICY = OutboxPolicy(batch_size=10, max_attempts=3, backoff_seconds=60,
                      backoff_max_seconds=600, lease_seconds=300)


def _statuses(db: Session, notice_id: int) -> dict[str, int]:
    db.expire_all()
    rows = db.execute(select(OutboxMessage.status, func.count())
                      .where(OutboxMessage.notice_id == notice_id)
                      .group_by(OutboxMessage.status)).all()
    return {status.value: n for status, n in rows}


def _feed(db: Session) -> list[tuple[int, int]]:
    return sorted((p, n) for p, n in db.execute(select(FeedItem.person_id, FeedItem.notice_id)))


def test_in_app_deliveries_land_in_each_residents_feed_once(
        db: Session, session_factory: sessionmaker[Session]) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = sent_notice(db, staff, clock)
    db.commit()
    report = drain(session_factory, senders={}, policy=POLICY, clock=clock)
    assert report.delivered == 2 and report.by_channel == {"in_app": 2}
    assert _statuses(db, notice.id) == {"delivered": 2}
    assert len(_feed(db)) == 2
    assert drain(session_factory, senders={}, policy=POLICY, clock=clock).delivered == 0
    assert len(_feed(db)) == 2


def test_an_in_app_worker_that_dies_mid_batch_leaves_nothing_half_done(
        db: Session, session_factory: sessionmaker[Session]) -> None:
    """In-app delivery claims, delivers and marks in one transaction: a worker killed before
    its commit leaves every row pending, and the next worker delivers each exactly once."""
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = sent_notice(db, staff, clock)
    db.commit()
    dying = session_factory()
    assert outbox.deliver_in_app(dying, now=clock.now(), limit=10) == 2
    dying.rollback()  # the process dies before committing
    dying.close()
    assert _feed(db) == [] and _statuses(db, notice.id) == {"pending": 2}
    assert drain(session_factory, senders={}, policy=POLICY, clock=clock).delivered == 2
    assert drain(session_factory, senders={}, policy=POLICY, clock=clock).delivered == 0
    assert len(_feed(db)) == 2 and _statuses(db, notice.id) == {"delivered": 2}


def _webhooks(db: Session, url: str, count: int) -> None:
    for i in range(count):
        create_subscription(db, principal=SYSTEM, data=SubscriptionCreate(
            channel="webhook", address=f"{url}/{i}", area_code=STREET_A, label=f"hook {i}"))


def test_a_worker_that_dies_mid_batch_never_sends_a_message_twice(
        db: Session, session_factory: sessionmaker[Session]) -> None:
    """Worker A sends two of five webhooks, dies while sending the third; worker B takes
    over after the lease: the two are not resent, the third (outcome unknown) goes to the
    dead-letter list, the last two are sent once."""
    staff = build_notice_world(db)
    clock = FixedClock(START)
    with fake_receiver() as receiver:
        _webhooks(db, receiver.url, 5)
        notice = sent_notice(db, staff, clock, channels=[])
        db.commit()
        sent: list[int] = []

        def crashing(message: Message) -> None:
            if len(sent) == 2:
                raise KeyboardInterrupt  # the process dies in the middle of a send
            WebhookSender(timeout=5)(message)
            sent.append(message.outbox_id)

        with contextlib.suppress(KeyboardInterrupt):
            drain_channel(session_factory, channel=Channel.WEBHOOK, clock=clock,
                          policy=POLICY, sender=crashing, report=DrainReport())
        assert len(receiver.received) == 2
        assert _statuses(db, notice.id) == {"delivered": 2, "sending": 1, "claimed": 2}
        senders = {Channel.WEBHOOK: WebhookSender(timeout=5)}
        assert drain(session_factory, senders=senders, policy=POLICY, clock=clock).delivered == 0
        clock.advance(timedelta(seconds=POLICY.lease_seconds + 1))
        report = drain(session_factory, senders=senders, policy=POLICY, clock=clock)
        assert (report.delivered, report.dead) == (2, 1)
        paths = [r.path for r in receiver.received]
    assert len(paths) == 4 and len(set(paths)) == 4  # four hooks, each once
    assert _statuses(db, notice.id) == {"delivered": 4, "dead": 1}


def test_failures_retry_with_exponential_back_off_then_go_dead_letter(
        db: Session, session_factory: sessionmaker[Session]) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    calls: list[int] = []

    def down(message: Message) -> None:
        calls.append(message.outbox_id)
        raise DeliveryError("webhook answered HTTP 503")

    _webhooks(db, "http://127.0.0.1:9", 1)
    notice = sent_notice(db, staff, clock, channels=[])
    db.commit()
    senders = {Channel.WEBHOOK: down}
    assert drain(session_factory, senders=senders, policy=POLICY, clock=clock).retried == 1
    row = db.execute(select(OutboxMessage).where(OutboxMessage.notice_id == notice.id)
                     ).scalar_one()
    assert row.next_attempt_at == START + timedelta(seconds=60)
    clock.advance(timedelta(seconds=59))
    drain(session_factory, senders=senders, policy=POLICY, clock=clock)
    assert len(calls) == 1  # not yet due
    clock.advance(timedelta(seconds=1))
    drain(session_factory, senders=senders, policy=POLICY, clock=clock)
    db.expire_all()
    assert len(calls) == 2 and row.next_attempt_at == clock.now() + timedelta(seconds=120)
    clock.advance(timedelta(seconds=120))
    assert drain(session_factory, senders=senders, policy=POLICY, clock=clock).dead == 1
    db.expire_all()
    assert (row.status, row.attempts, row.last_error) == (
        DeliveryStatus.DEAD, 3, "webhook answered HTTP 503")
    dead = db.execute(select(Event).where(Event.action == "notice.delivery_dead")).scalars()
    assert [e.subject_id for e in dead] == [str(row.id)]
    clock.advance(timedelta(days=1))
    drain(session_factory, senders=senders, policy=POLICY, clock=clock)
    assert len(calls) == 3


def test_back_off_doubles_up_to_its_ceiling() -> None:
    waits = [POLICY.backoff(n).total_seconds() for n in range(1, 6)]
    assert waits == [60, 120, 240, 480, 600]


def test_a_channel_that_is_not_set_up_sends_its_rows_to_the_dead_letter_list(
        db: Session, session_factory: sessionmaker[Session]) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    notice = sent_notice(db, staff, clock, channels=["in_app", "sms"])
    db.commit()
    report = drain(session_factory, senders={}, policy=POLICY, clock=clock)
    assert (report.delivered, report.dead) == (2, 2)
    assert _statuses(db, notice.id) == {"delivered": 2, "dead": 2}
    assert COMMUNITY_A1 in notice.area_codes


def test_the_scheduler_delivers_notices_on_its_own(
        db: Session, session_factory: sessionmaker[Session], settings: Settings) -> None:
    staff = build_notice_world(db)
    clock = FixedClock(START)
    sent_notice(db, staff, clock)
    db.commit()
    timers = Scheduler(session_factory, default_jobs(settings), clock=clock)
    assert timers.run_due()["notices.deliver"] == 2
    assert len(_feed(db)) == 2
