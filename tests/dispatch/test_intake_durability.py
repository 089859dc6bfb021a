"""A submission that got its acknowledgement survives ``kill -9`` of the server, and one
Idempotency-Key never makes two requests, however many clients race with it.

The test runs ``communitas serve`` as a subprocess on a free loopback port, posts from
several threads, kills the server with SIGKILL mid-stream, restarts it on the same
database and checks that every acknowledged reference is there — and that retrying the
submissions cut off in flight, with their Idempotency-Keys, leaves exactly one row each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import httpx2 as httpx  # the maintained fork Starlette's TestClient also uses
import pytest
from sqlalchemy import func, select

from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.dispatch import intake
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.schemas import RequestCreate
from communitas.events import verify_chain
from tests.conftest import BACKENDS, TEST_SECRET, fresh_database_url
from tests.dispatch.helpers import body, build_dispatch_world
from tests.servers import communitas_server, free_port

POSTERS, ACKS_BEFORE_KILL = 4, 24


def _server(url: str, port: int, log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    return communitas_server(url, port, log, secret=TEST_SECRET)


class Posters:
    """Threads posting distinct requests until the server goes away."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.acked: dict[str, str] = {}  # Idempotency-Key → reference
        self.in_flight: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._post, args=(n,)) for n in range(POSTERS)]

    def _post(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            for n in range(10_000):
                key = f"w{worker}-{n}-{uuid.uuid4().hex[:8]}"
                with self.lock:
                    self.in_flight.add(key)
                try:
                    response = client.post("/api/requests", headers={"Idempotency-Key": key},
                                           json=body(quantity=1 + n % 50))
                except httpx.TransportError:
                    return  # killed: this key may or may not have been saved
                assert response.status_code == 201, response.text
                with self.lock:
                    self.in_flight.discard(key)
                    self.acked[key] = response.json()["reference"]

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_submissions_survive_kill_9(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_dispatch_world(session)
        port, log = free_port(), tmp_path / "server.log"
        with _server(url, port, log) as server:
            posters = Posters(f"http://127.0.0.1:{port}")
            for thread in posters.threads:
                thread.start()
            deadline = time.monotonic() + 60
            while posters.count() < ACKS_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
            for thread in posters.threads:
                thread.join(timeout=30)
        assert posters.count() >= ACKS_BEFORE_KILL
        with _server(url, free_port(), log) as restarted:
            base = f"http://127.0.0.1:{restarted.args[-1]}"
            for key, reference in posters.acked.items():
                response = httpx.get(f"{base}/api/requests/{reference}", timeout=10)
                assert response.status_code == 200, (key, response.text)
            for key in posters.in_flight:  # the client retries what got no answer
                n = int(key.split("-")[1])
                retry = httpx.post(f"{base}/api/requests", headers={"Idempotency-Key": key},
                                   json=body(quantity=1 + n % 50), timeout=10)
                assert retry.status_code in (200, 201), retry.text
        with factory() as session:
            total = session.execute(select(func.count()).select_from(ResourceRequest)
                                    ).scalar_one()
            assert total == len(posters.acked) + len(posters.in_flight)
            keys = [*posters.acked, *posters.in_flight]
            rows = session.execute(select(ResourceRequest.idempotency_key).where(
                ResourceRequest.idempotency_key.in_(keys))).scalars().all()
            assert sorted(rows) == sorted(keys)  # one row per key, none lost, none doubled
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_idempotency_key_posted_concurrently_creates_one_request(
    backend: str, tmp_path: Path
) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url, pool_size=POSTERS * 3)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            build_dispatch_world(session)
        data = RequestCreate.model_validate(body(quantity=7))
        start = threading.Barrier(POSTERS * 2)

        def post(n: int) -> tuple[str, bool]:
            start.wait()
            with unit_of_work(factory) as session:
                made = intake.submit_request(session, principal=None, data=data,
                                             client=f"client-{n}", idempotency_key="twin")
                return made.row.reference, made.replayed

        with ThreadPoolExecutor(POSTERS * 2) as pool:
            results = list(pool.map(post, range(POSTERS * 2)))
        assert len({reference for reference, _replayed in results}) == 1
        assert [replayed for _reference, replayed in results].count(False) == 1
        with factory() as session:
            assert session.execute(select(func.count()).select_from(ResourceRequest)
                                   ).scalar_one() == 1
            assert verify_chain(session)[1] is None
    finally:
        engine.dispose()
        drop()  # type: ignore[operator]
