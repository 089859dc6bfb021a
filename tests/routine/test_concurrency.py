"""Runs of the same job racing each other (the API's beside the scheduler's, or two
workers) issue each item once, on every backend, and the event chain stays whole."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from communitas.clock import FixedClock
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.events import verify_chain
from communitas.routine import jobs
from communitas.routine.models import RoutineItem
from communitas.tasks.models import Task
from tests.conftest import BACKENDS, fresh_database_url
from tests.resources.helpers import build_world

RUNNERS = 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_racing_top_ups_issue_each_community_once(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_world(session)
        start = threading.Barrier(RUNNERS)
        clock = FixedClock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))

        def run(_: int) -> int:
            start.wait()
            for _attempt in range(20):  # SQLite may report a busy database: try again
                try:
                    with unit_of_work(factory) as session:
                        return len(jobs.top_up_reserves(session, clock=clock))
                except OperationalError:
                    continue
            raise AssertionError("the database stayed busy")

        with ThreadPoolExecutor(RUNNERS) as pool:
            issued = list(pool.map(run, range(RUNNERS)))
        assert sum(issued) == 3 and sorted(issued)[-1] == 3
        with unit_of_work(factory) as session:
            assert session.execute(select(func.count()).select_from(RoutineItem)
                                   ).scalar_one() == 3
            assert session.execute(select(func.count()).select_from(Task)).scalar_one() == 3
            assert verify_chain(session)[1] is None
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
