"""Concurrent writers on every backend: neighbour checks started twice at once for one
origin give one task per pair; needs posted at once never share one offer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from communitas.auth.permissions import Principal
from communitas.community import exchange
from communitas.community.checks import start_checks
from communitas.community.models import AidMatch, AidRole, MatchStatus, NeighbourCheck
from communitas.community.schemas import PostCreate
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.errors import Conflict
from communitas.events import verify_chain
from communitas.tasks.models import Task
from tests.community.helpers import CLOCK, active_pair, build_world, enrol
from tests.conftest import BACKENDS, fresh_database_url
from tests.factories import DISTRICT

RUNNERS = 4


@pytest.fixture(params=BACKENDS)
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url, drop = fresh_database_url(request.param, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]


def _race(fn: Callable[[int], Any], n: int) -> list[Any]:
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        try:
            return fn(i)
        except Conflict as exc:
            return exc.code
        except OperationalError:  # SQLite: gave up waiting for the write lock
            return "busy"

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_checks_started_at_once_give_one_task_per_pair(
        factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        who = build_world(session)
        for code in ("OLD-1", "OLD-2"):
            enrol(session, who["district"], code, AidRole.VULNERABLE)
        enrol(session, who["helper1"], "H-1", AidRole.HELPER, capacity=2)
        active_pair(session, who["juwei"], who["helper1"], "OLD-1", "H-1")
        active_pair(session, who["juwei"], who["helper1"], "OLD-2", "H-1")

    def start(_i: int) -> int:
        with unit_of_work(factory) as session:
            return start_checks(session, area_code=DISTRICT, source_kind="activation",
                                source_id="7", clock=CLOCK).created

    outcomes = _race(start, RUNNERS)
    assert sorted(o for o in outcomes if isinstance(o, int) and o) == [2], outcomes
    assert set(outcomes) - {0, 2} <= {"checks_in_progress", "busy"}
    with factory() as session:
        tasks = session.execute(select(func.count()).select_from(Task).where(
            Task.source_id == "7")).scalar_one()
        checks = session.execute(select(func.count()).select_from(NeighbourCheck)).scalar_one()
        assert (tasks, checks) == (2, 2)
        assert verify_chain(session)[1] is None


def test_needs_posted_at_once_never_share_an_offer(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        who = build_world(session)
        exchange.create_post(session, principal=who["helper1"], data=PostCreate.model_validate(
            {"direction": "offer", "kind": "vehicle", "description": "a van"}))
    posters: list[Principal] = [who["old1"], who["old2"], who["helper2"]]

    def need(i: int) -> bool:
        with unit_of_work(factory) as session:
            _post, match = exchange.create_post(
                session, principal=posters[i], data=PostCreate.model_validate(
                    {"direction": "need", "kind": "vehicle", "description": "to hospital"}))
            return match is not None

    outcomes = _race(need, len(posters))
    assert set(outcomes) <= {True, False, "busy"}
    with factory() as session:
        proposals = session.execute(select(func.count()).select_from(AidMatch).where(
            AidMatch.status == MatchStatus.PROPOSED)).scalar_one()
    assert proposals == 1 and outcomes.count(True) == 1
