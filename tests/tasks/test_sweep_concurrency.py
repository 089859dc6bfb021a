"""A sweep building is never held by two people at once, under concurrent claims, on every
backend: fresh buildings, and holds that have just expired."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from communitas.actors.kinds import PersonKind
from communitas.areas import service as areas
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.errors import Conflict
from communitas.events import Event, verify_chain
from communitas.tasks import sweeps
from communitas.tasks.models import Task
from communitas.tasks.schemas import SweepCreate
from tests.actors.helpers import make_person
from tests.conftest import BACKENDS, fresh_database_url
from tests.factories import COMMUNITY_A1, build_city

SWEEPERS = 8
HOLD = 30


def _setup(factory: sessionmaker[Session]) -> tuple[int, list[int], list[Principal]]:
    with unit_of_work(factory) as session:
        build_city(session)
        path = areas.get_area(session, code=COMMUNITY_A1).path
        sweepers = []
        for n in range(SWEEPERS):
            person = make_person(session, f"S-{n}", COMMUNITY_A1, PersonKind.GRID_WORKER)
            sweepers.append(Principal(username=f"s{n}", role=Role.GRID_WORKER, user_id=n + 1,
                                      scope_path=path, person_id=person.id))
        sweep = sweeps.create_sweep(session, principal=SYSTEM, default_hold_minutes=HOLD,
                                    data=SweepCreate(area_code=COMMUNITY_A1, title="Sweep"))
        tasks = session.execute(select(Task.id).where(Task.sweep_id == sweep.id)
                                .order_by(Task.id)).scalars().all()
        return sweep.id, list(tasks), sweepers


def _race(factory: sessionmaker[Session], sweep_id: int, task_ids: list[int],
          sweepers: list[Principal], clock: FixedClock) -> dict[int, list[str]]:
    """Every sweeper claims every building at once; building → outcomes."""
    start = threading.Barrier(SWEEPERS)

    def claim_all(principal: Principal) -> list[tuple[int, str]]:
        start.wait()
        outcomes = []
        for task_id in task_ids:
            try:
                with unit_of_work(factory) as session:
                    sweeps.claim_building(session, principal=principal, sweep_id=sweep_id,
                                          task_id=task_id, clock=clock)
                outcomes.append((task_id, principal.username))
            except Conflict as exc:
                outcomes.append((task_id, exc.code))
            except OperationalError:  # SQLite: gave up waiting for the write lock
                outcomes.append((task_id, "busy"))
        return outcomes

    with ThreadPoolExecutor(SWEEPERS) as pool:
        results = [o for outcomes in pool.map(claim_all, sweepers) for o in outcomes]
    by_task: dict[int, list[str]] = {t: [] for t in task_ids}
    for task_id, outcome in results:
        by_task[task_id].append(outcome)
    return by_task


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_claims_leave_one_holder_per_building(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        sweep_id, task_ids, sweepers = _setup(factory)
        clock = FixedClock(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
        names = {p.username for p in sweepers}
        for _round in range(2):  # fresh buildings, then holds that have just expired
            outcomes = _race(factory, sweep_id, task_ids, sweepers, clock)
            with factory() as session:
                holders = dict(session.execute(select(Task.id, Task.holder_person_id)
                                               .where(Task.id.in_(task_ids))).all())
            for task_id, results in outcomes.items():
                winners = [r for r in results if r in names]
                assert len(winners) == 1, results
                assert set(results) - names <= {"building_held", "busy"}
                winner = next(p for p in sweepers if p.username == winners[0])
                assert holders[task_id] == winner.person_id
            clock.advance(timedelta(minutes=HOLD))
        with factory() as session:
            claims = session.execute(select(Event.subject_id).where(
                Event.action == "sweep.claimed")).scalars().all()
            assert Counter(claims) == Counter({str(t): 2 for t in task_ids})
            assert verify_chain(session)[1] is None
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
