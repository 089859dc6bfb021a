"""Group commit for the one window: submissions arriving together share one transaction.

Each API process has one writer thread. A submission waits in its queue; the writer takes
everything waiting (up to ``max_batch``), accepts it in one transaction (dispatch/acceptance),
commits, and only then answers each waiting client — so an acknowledgement is never given for
anything not durable, and a thousand submissions a second cost a few dozen commits.

Triage (dedupe and routing, intake.triage_pending) runs in the same thread, one request per
transaction: freely while no submission waits, and otherwise for at most ``triage_share`` of
the writer's time, so a burst is acknowledged first and triaged as it drains. With
``inline`` triage each batch is triaged before it is committed (slower, but the receipt
already says where the request went).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from communitas.clock import Clock, SystemClock
from communitas.db import unit_of_work
from communitas.dispatch import intake
from communitas.dispatch.acceptance import Accepted, Pending, accept_submissions
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.service import DispatchPolicy
from communitas.errors import CommunitasError

__all__ = ["IntakeWriter"]

log = logging.getLogger("communitas.intake")


class IntakeWriter:
    """One thread per process that batches acceptance and triages in the gaps."""

    def __init__(self, factory: Callable[[], sessionmaker[Session]], *, policy: DispatchPolicy,
                 clock: Clock | None = None, inline: bool = False, max_batch: int = 256,
                 triage_share: float = 0.1, idle_exit_seconds: float = 5.0) -> None:
        # A callable, so the app's session factory is looked up when used (tests swap it).
        self.factory, self.policy, self.clock = factory, policy, clock or SystemClock()
        self.inline, self.max_batch, self.triage_share = inline, max_batch, triage_share
        self.idle_exit_seconds = idle_exit_seconds
        self.lookups = IntakeLookups()
        self._queue: queue.SimpleQueue[tuple[Pending, Future[Accepted]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._backlog = not inline  # until triage finds none, assume some is left over
        self._busy_until = 0.0

    def submit(self, item: Pending) -> Future[Accepted]:
        """Queue a submission; the future holds its receipt once committed, or its refusal."""
        future: Future[Accepted] = Future()
        self._queue.put((item, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="communitas-intake",
                                                daemon=True)
                self._thread.start()
        return future

    # --- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            try:
                first = self._queue.get(timeout=0.05)
            except queue.Empty:
                if self._backlog and self._triage_one():
                    idle_since = time.monotonic()
                    continue
                if time.monotonic() - idle_since >= self.idle_exit_seconds and self._exit():
                    return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)
            idle_since = time.monotonic()
            if self._backlog and time.monotonic() >= self._busy_until:
                self._triage_one()

    def _exit(self) -> bool:
        with self._lock:
            if not self._queue.empty():
                return False
            self._thread = None
            return True

    def _write(self, batch: list[tuple[Pending, Future[Accepted]]]) -> None:
        try:
            with unit_of_work(self.factory()) as session:
                answers = accept_submissions(
                    session, items=[item for item, _f in batch], now=self.clock.now(),
                    policy=self.policy, lookups=self.lookups)
                if self.inline:
                    answers = _triage_now(session, answers, self.clock, self.policy)
        except Exception as failure:  # the whole batch failed to commit: nobody was told yes
            log.exception("intake batch of %d failed", len(batch))
            for _item, future in batch:
                future.set_exception(failure)
            return
        self._backlog = self._backlog or not self.inline
        for (_item, future), answer in zip(batch, answers, strict=True):
            if isinstance(answer, CommunitasError):
                future.set_exception(answer)
            else:
                future.set_result(answer)

    def _triage_one(self) -> bool:
        """Triage the oldest untriaged request; False when there is none."""
        started = time.monotonic()
        try:
            with unit_of_work(self.factory()) as session:
                done = intake.triage_pending(session, clock=self.clock, policy=self.policy,
                                             limit=1)
        except Exception:
            log.exception("triage failed; it will be tried again")
            done = []
        spent = time.monotonic() - started
        self._busy_until = time.monotonic() + spent * (1 / self.triage_share - 1)
        self._backlog = bool(done)
        return bool(done)


def _triage_now(session: Session, answers: list[Accepted | CommunitasError], clock: Clock,
                policy: DispatchPolicy) -> list[Accepted | CommunitasError]:
    """Inline triage: route the new requests before answering; receipts say where they went."""
    new = [a.id for a in answers if isinstance(a, Accepted) and not a.replayed]
    rows = {row.id: row for row in session.execute(select(ResourceRequest).where(
        ResourceRequest.id.in_(new))).scalars()} if new else {}
    intake.triage_requests(session, requests=[rows[i] for i in new], clock=clock, policy=policy)
    return [Accepted.of(session, rows[a.id], replayed=False)
            if isinstance(a, Accepted) and a.id in rows and not a.replayed else a
            for a in answers]
