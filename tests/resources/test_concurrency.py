"""Stock never goes negative under concurrent dispatchers, on every backend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from communitas.auth.permissions import SYSTEM
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.errors import Conflict
from communitas.events import verify_chain
from communitas.resources import service as resources
from communitas.resources.models import Holding
from tests.conftest import BACKENDS, fresh_database_url
from tests.resources.helpers import BUILDING_A1, COMMITTEE_A1, build_world, stock

THREADS, ATTEMPTS, STOCK = 8, 24, 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_issues_never_drive_stock_below_zero(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_world(session)
            holding_id = stock(session, "water.bottled", COMMITTEE_A1, BUILDING_A1, STOCK).id

        def issue_one(_attempt: int) -> str:
            try:
                with unit_of_work(factory) as session:
                    resources.adjust_holding(session, principal=SYSTEM, holding_id=holding_id,
                                             delta=-1, reason="race")
            except Conflict as exc:
                return exc.code
            except OperationalError:  # SQLite: a writer lost the race for the lock
                return "busy"
            return "issued"

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(issue_one, range(ATTEMPTS)))
        with factory() as session:
            final = session.get(Holding, holding_id)
            assert final is not None
            assert final.quantity == STOCK - outcomes.count("issued") >= 0
            assert verify_chain(session)[1] is None
        assert set(outcomes) <= {"issued", "insufficient_stock", "busy"}
        if backend == "postgresql":  # row locks queue the writers: every unit goes out once
            assert outcomes.count("issued") == STOCK
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
