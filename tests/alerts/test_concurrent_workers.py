"""Several workers drain the same outbox at once (threads on a real database, SQLite or
PostgreSQL): every recipient gets the notice exactly once on each channel."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from communitas.actors.kinds import PersonKind
from communitas.actors.schemas import PersonCreate
from communitas.actors.service import create_people
from communitas.alerts.channels.webhook import WebhookSender
from communitas.alerts.delivery import drain
from communitas.alerts.models import Channel, FeedItem, OutboxMessage
from communitas.alerts.outbox import OutboxPolicy
from communitas.alerts.schemas import SubscriptionCreate
from communitas.alerts.subscriptions import create_subscription
from communitas.auth import service as auth
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from tests.alerts.helpers import START, fake_receiver, sent_notice
from tests.conftest import BACKENDS, fresh_database_url
from tests.factories import COMMUNITY_A1, build_city, make_user

RESIDENTS, HOOKS, WORKERS = 120, 12, 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_workers_deliver_each_notice_once(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        clock = FixedClock(START)
        with fake_receiver() as receiver:
            with unit_of_work(factory) as session:
                build_city(session)
                create_people(session, principal=SYSTEM, items=[PersonCreate(
                    code=f"R{i:04d}", kind=PersonKind.RESIDENT, name_zh="居民",
                    area_code=f"{COMMUNITY_A1}-B00{1 + i % 2}") for i in range(RESIDENTS)])
                for i in range(HOOKS):
                    create_subscription(session, principal=SYSTEM, data=SubscriptionCreate(
                        channel="webhook", address=f"{receiver.url}/{i}",
                        area_code=COMMUNITY_A1))
                for name in ("author", "approver"):
                    make_user(session, name, Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
                staff = {n: auth.principal_for_user(session, auth.get_user(session, username=n))
                         for n in ("author", "approver")}
                sent_notice(session, staff, clock)
            policy = OutboxPolicy(batch_size=7, lease_seconds=300)
            senders = {Channel.WEBHOOK: WebhookSender(timeout=5)}
            errors: list[BaseException] = []

            def work() -> None:
                try:
                    drain(factory, senders=senders, policy=policy, clock=clock)
                except BaseException as exc:  # surfaced below
                    errors.append(exc)

            threads = [threading.Thread(target=work) for _ in range(WORKERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            paths = Counter(r.path for r in receiver.received)
        assert errors == []
        with factory() as session:
            feed = session.execute(select(FeedItem.person_id)).scalars().all()
            statuses = Counter(session.execute(select(OutboxMessage.status)).scalars())
            assert session.execute(select(func.count()).select_from(OutboxMessage)
                                   ).scalar_one() == RESIDENTS + HOOKS
        assert len(feed) == len(set(feed)) == RESIDENTS
        assert len(paths) == HOOKS and set(paths.values()) == {1}
        assert {s.value: n for s, n in statuses.items()} == {"delivered": RESIDENTS + HOOKS}
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
