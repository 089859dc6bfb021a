"""Stock never goes negative and no unit is committed twice, under 20 concurrent
dispatchers — threads in one process, and threads in several processes — on every backend."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.dispatch import fulfilment, intake, triage
from communitas.dispatch.models import RequestLine, Shipment
from communitas.dispatch.schemas import CommitIn, RequestCreate
from communitas.errors import Conflict
from communitas.events import verify_chain
from communitas.resources.models import Holding
from tests.conftest import BACKENDS, fresh_database_url
from tests.dispatch.helpers import BUILDING_A1, COMMITTEE_A1, body, build_dispatch_world
from tests.resources.helpers import stock

DISPATCHERS, ATTEMPTS, STOCK, REQUESTS, PER_REQUEST = 20, 6, 60, 6, 15


@dataclass(frozen=True)
class World:
    url: str
    principal: Principal
    holding_id: int
    lines: tuple[tuple[str, int], ...]  # (reference, line id)


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A fresh database: 60 units in one holding, six approved requests for 15 each."""
    url, drop = fresh_database_url(request.param, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_dispatch_world(session)
            holding_id = stock(session, "water.bottled", COMMITTEE_A1, BUILDING_A1, STOCK).id
            principal = auth.principal_for_user(session, auth.get_user(session,
                                                                       username="juwei"))
            lines = []
            for index in range(REQUESTS):
                data = RequestCreate.model_validate(body(quantity=PER_REQUEST,
                                                         phone=f"1390000000{index}"))
                made = intake.submit_request(session, principal=principal, data=data,
                                             client=f"setup-{index}")
                triage.approve_request(session, principal=principal,
                                       reference=made.row.reference)
                lines.append((made.row.reference, made.row.lines[0].id))
        yield World(url, principal, holding_id, tuple(lines))
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]


def _dispatch(world: World, seed: int, threads: int) -> list[tuple[str, int]]:
    """``threads`` dispatchers committing random amounts; (outcome, quantity) per attempt."""
    engine = make_engine(world.url, pool_size=threads + 2)
    factory = make_session_factory(engine)

    def one(worker: int) -> list[tuple[str, int]]:
        rng, outcomes = random.Random(seed * 1000 + worker), []
        for _attempt in range(ATTEMPTS):
            reference, line_id = rng.choice(world.lines)
            quantity = rng.randint(1, 6)
            try:
                with unit_of_work(factory) as session:
                    fulfilment.commit_line(session, principal=world.principal,
                                           reference=reference, data=CommitIn(
                                               line_id=line_id, holding_id=world.holding_id,
                                               quantity=quantity))
                outcomes.append(("committed", quantity))
            except Conflict as exc:
                outcomes.append((exc.code, quantity))
            except OperationalError:  # SQLite: a writer waited past the busy timeout
                outcomes.append(("busy", quantity))
        return outcomes

    try:
        with ThreadPoolExecutor(threads) as pool:
            return [item for batch in pool.map(one, range(threads)) for item in batch]
    finally:
        engine.dispose()


def _check(world: World, outcomes: list[tuple[str, int]]) -> None:
    engine = make_engine(world.url)
    try:
        with make_session_factory(engine)() as session:
            final = session.get_one(Holding, world.holding_id).quantity
            shipped = session.execute(select(func.coalesce(func.sum(Shipment.quantity), 0))
                                      ).scalar_one()
            committed = sum(q for outcome, q in outcomes if outcome == "committed")
            assert final >= 0
            assert shipped == committed == STOCK - final  # every unit left stock once
            for line in session.execute(select(RequestLine)).scalars():
                on_line = session.execute(select(func.coalesce(func.sum(Shipment.quantity), 0))
                                          .where(Shipment.line_id == line.id)).scalar_one()
                assert line.committed == on_line <= line.quantity
            assert verify_chain(session)[1] is None
    finally:
        engine.dispose()
    assert {o for o, _q in outcomes} <= {"committed", "insufficient_stock", "over_commitment",
                                         "busy"}
    assert any(o == "committed" for o, _q in outcomes)


def test_twenty_threads_never_overdraw_stock_or_lines(world: World) -> None:
    outcomes = _dispatch(world, seed=1, threads=DISPATCHERS)
    _check(world, outcomes)
    if not world.url.startswith("sqlite"):  # row locks queue the writers: none gives up
        assert all(o != "busy" for o, _q in outcomes)


def test_twenty_dispatchers_in_four_processes_never_overdraw(world: World) -> None:
    processes = 4
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures = [pool.submit(_dispatch, world, seed, DISPATCHERS // processes)
                   for seed in range(processes)]
        outcomes = [item for future in futures for item in future.result()]
    assert len(outcomes) == DISPATCHERS * ATTEMPTS
    _check(world, outcomes)
