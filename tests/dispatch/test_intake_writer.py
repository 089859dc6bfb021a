"""Deferred triage, as `communitas serve` runs it: the acknowledgement comes once the
submission is durable, and dedupe and routing follow from the intake writer's thread.

These tests use a database of their own (the writer thread opens its own connections), and
check batch acceptance: one refusal in a batch never sinks the other submissions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from communitas.api.app import create_app
from communitas.clock import SystemClock
from communitas.config import Settings
from communitas.db import make_engine, make_session_factory, migrate
from communitas.dispatch import intake
from communitas.dispatch.acceptance import Accepted, Pending, accept_submissions
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import RequestCreate
from communitas.dispatch.service import DispatchPolicy
from communitas.errors import Conflict, NotFound, RateLimited
from communitas.events import Event, verify_chain
from tests.conftest import BACKENDS, TEST_SECRET, fresh_database_url
from tests.dispatch.helpers import (
    BUILDING_A1,
    COMMITTEE_A1,
    PHONE,
    body,
    build_dispatch_world,
)
from tests.resources.helpers import stock


@pytest.fixture(params=BACKENDS)
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url, drop = fresh_database_url(request.param, tmp_path)
    engine = make_engine(url)
    migrate(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        build_dispatch_world(session)
    yield engine
    engine.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def factory(own_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(own_engine)


def _client(engine: Engine) -> TestClient:
    settings = Settings(environment="test", secret_key=TEST_SECRET,
                        database_url=engine.url.render_as_string(hide_password=False))
    assert settings.intake_triage == "deferred"  # the default a user runs
    return TestClient(create_app(settings, engine=engine, run_migrations=False))


def _wait_triaged(factory: sessionmaker[Session], references: list[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with factory() as session:
            left = session.execute(select(func.count()).select_from(ResourceRequest).where(
                ResourceRequest.reference.in_(references),
                ResourceRequest.triaged_at.is_(None))).scalar_one()
        if left == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"{left} submissions still untriaged after 30 s")


def test_receipt_comes_before_triage_and_triage_follows(
        own_engine: Engine, factory: sessionmaker[Session]) -> None:
    client = _client(own_engine)
    first = client.post("/api/requests", json=body(phone=PHONE, contact_name="王"))
    second = client.post("/api/requests", json=body(quantity=9, phone=PHONE))
    assert first.status_code == second.status_code == 201
    for receipt in (first.json(), second.json()):
        assert receipt["triaged"] is False
        assert receipt["queue_level"] == "community" and receipt["merged_into"] is None
    refs = [first.json()["reference"], second.json()["reference"]]
    _wait_triaged(factory, refs)
    with factory() as session:
        rows = {r.reference: r for r in session.execute(select(ResourceRequest).where(
            ResourceRequest.reference.in_(refs))).scalars()}
        survivor, duplicate = rows[refs[0]], rows[refs[1]]
        assert duplicate.merged_into_id == survivor.id  # the same phone, the same need
        assert survivor.lines[0].quantity == 9  # the larger need wins
        actions = [e.action for e in session.execute(select(Event).where(
            Event.subject_id.in_(refs)).order_by(Event.seq)).scalars()]
        assert actions.count("request.submitted") == 2
        assert "request.queued" in actions and "request.merged" in actions
        assert verify_chain(session)[1] is None
    public = client.get(f"/api/requests/{refs[1]}",
                        headers={"X-Requester-Token": second.json()["requester_token"]})
    assert public.status_code == 200


def test_a_replayed_key_answers_with_the_first_receipt(own_engine: Engine) -> None:
    client = _client(own_engine)
    headers = {"Idempotency-Key": "phone-retry-1"}
    first = client.post("/api/requests", json=body(), headers=headers)
    again = client.post("/api/requests", json=body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    changed = client.post("/api/requests", json=body(quantity=6), headers=headers)
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "idempotency_conflict"


def _pending(data: dict[str, object], client: str = "ip:test", key: str | None = None
             ) -> Pending:
    return Pending(data=RequestCreate.model_validate(data), principal=None, client=client,
                   idempotency_key=key)


def test_one_refusal_never_sinks_the_rest_of_its_batch(factory: sessionmaker[Session]) -> None:
    now = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)
    policy = DispatchPolicy(rate_limit=2)
    items = [
        _pending(body(), key="k1"),
        _pending(body(area="310115999999-B001")),  # no such building
        _pending(body(), key="k1"),  # the same key and body again: a replay
        _pending(body(quantity=7), key="k1"),  # the same key, another body
        _pending(body(), client="ip:busy"),
        _pending(body(), client="ip:busy"),
        _pending(body(), client="ip:busy"),  # the third in the window: over the limit
    ]
    with factory.begin() as session:
        before = session.execute(select(func.count()).select_from(ResourceRequest)
                                 ).scalar_one()
        outcomes = accept_submissions(session, items=items, now=now, policy=policy,
                                      lookups=IntakeLookups())
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Accepted", "NotFound", "Accepted", "Conflict", "Accepted",
                     "Accepted", "RateLimited"]
    first, replay = outcomes[0], outcomes[2]
    assert isinstance(first, Accepted) and isinstance(replay, Accepted)
    assert replay.replayed and replay.reference == first.reference
    assert isinstance(outcomes[1], NotFound) and isinstance(outcomes[3], Conflict)
    assert isinstance(outcomes[6], RateLimited)
    with factory() as session:
        after = session.execute(select(func.count()).select_from(ResourceRequest)).scalar_one()
        assert after - before == 3
        assert session.execute(select(func.count()).select_from(Event).where(
            Event.action == "request.submitted")).scalar_one() == 3
        assert verify_chain(session)[1] is None


def test_triage_routes_each_to_the_lowest_level_that_can_meet_it(
        factory: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with factory.begin() as session:
        stock(session, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)
    with factory.begin() as session:
        outcomes = accept_submissions(
            session, items=[_pending(body(quantity=2)), _pending(body("shelter.tent", 2))],
            now=now, policy=DispatchPolicy(), lookups=IntakeLookups())
    refs = [o.reference for o in outcomes if isinstance(o, Accepted)]
    with factory.begin() as session:
        assert intake.triage_pending(session, limit=10) == refs
    with factory() as session:
        small, tents = (session.execute(select(ResourceRequest).where(
            ResourceRequest.reference == ref)).scalar_one() for ref in refs)
        assert small.triaged_at is not None and tents.triaged_at is not None
        assert small.queue_level is Level.COMMUNITY  # the community's stock meets it
        assert tents.queue_level is Level.OUTSIDE  # nobody in the district holds tents
        assert intake.triage_pending(session, limit=10) == []


def test_the_timer_triages_what_a_stopped_process_left(factory: sessionmaker[Session]) -> None:
    submitted = datetime.now(UTC) - timedelta(minutes=10)
    with factory.begin() as session:
        left = accept_submissions(session, items=[_pending(body()), _pending(body(quantity=3))],
                                  now=submitted, policy=DispatchPolicy(),
                                  lookups=IntakeLookups())
        fresh = accept_submissions(session, items=[_pending(body(quantity=4))],
                                   now=datetime.now(UTC), policy=DispatchPolicy(),
                                   lookups=IntakeLookups())
    policy, clock = DispatchPolicy(), SystemClock()
    assert intake.triage_stragglers(factory, clock=clock, policy=policy,
                                    older_than=timedelta(minutes=5), limit=10) == 2
    assert intake.triage_stragglers(factory, clock=clock, policy=policy,
                                    older_than=timedelta(minutes=5), limit=10) == 0
    with factory() as session:
        triaged = dict(session.execute(select(ResourceRequest.reference,
                                              ResourceRequest.triaged_at)).all())
    assert all(triaged[o.reference] is not None for o in left if isinstance(o, Accepted))
    assert all(triaged[o.reference] is None for o in fresh if isinstance(o, Accepted))
