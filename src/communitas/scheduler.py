"""Timers that run without anyone watching: expiry of unverified requests, triage left
behind by a stopped process, SLA escalation, the no-response timer on orange and red
warnings, the notice outbox worker, and the daily normal-time routine (reserve top-ups,
stock rotation, qualification and drill reminders) with the inaction watch of supervision.

`communitas serve` runs them in a daemon thread; a deployment with several API processes
runs `communitas serve --no-scheduler` behind its proxy and one `communitas worker`. Each
job runs in its own transaction; on PostgreSQL a transaction-scoped advisory lock makes sure
only one process runs a given job at a time even if several schedulers are started.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from communitas.clock import Clock, SystemClock
from communitas.config import Settings
from communitas.db import unit_of_work

log = logging.getLogger("communitas.scheduler")

JobRun = Callable[[Session, Clock], Sequence[Any]]
StepsRun = Callable[[sessionmaker[Session], Clock], int]


@dataclass
class Job:
    name: str
    every: timedelta
    run: JobRun
    next_at: datetime | None = field(default=None, repr=False)
    # A job that commits its own short steps (the outbox worker: claim, send, record) gets
    # the session factory instead of one session; several processes may run it at once.
    steps: StepsRun | None = None


def default_jobs(settings: Settings) -> list[Job]:
    """The platform's timers, with the policy taken from the settings."""
    from communitas.alerts.channels import senders_from_settings
    from communitas.alerts.delivery import drain
    from communitas.alerts.outbox import OutboxPolicy
    from communitas.dispatch import intake, triage
    from communitas.dispatch.service import DispatchPolicy
    from communitas.dispatch.standing_memo import StandingMemo
    from communitas.modes import activation_service, warning_service
    from communitas.modes.activation_steps import route_prepositioning
    from communitas.routine import jobs as routine
    from communitas.supervision import watch

    policy = DispatchPolicy.from_settings(settings)
    routine_policy = routine.RoutinePolicy.from_settings(settings)
    outbox_policy = OutboxPolicy.from_settings(settings)
    senders = senders_from_settings(settings)
    minute = timedelta(minutes=1)
    day = timedelta(days=1)
    # places and stock kept between runs of the jobs that route without moving stock (SLA
    # escalation, plans' pre-positioning), caught up from the event log at each use
    routing_memo = StandingMemo()
    return [
        Job("requests.expire_unverified", 5 * minute,
            lambda s, c: intake.expire_unverified(s, clock=c, policy=policy)),
        # The API's intake writer triages as it goes; this catches what a stopped process
        # left behind, one request per transaction so no submission waits behind it.
        Job("requests.triage_stragglers", minute, lambda s, c: [],
            steps=lambda f, c: intake.triage_stragglers(
                f, clock=c, policy=policy, older_than=timedelta(minutes=5), limit=200)),
        Job("requests.escalate_overdue", minute,
            lambda s, c: triage.escalate_overdue(s, clock=c, policy=policy,
                                                 memo=routing_memo.current)),
        Job("warnings.escalate_unanswered", minute,
            lambda s, c: warning_service.escalate_unanswered_warnings(s, clock=c)),
        # The normal-time routine (docs/routine.md): daily, each job idempotent per period.
        Job("routine.topup", day,
            lambda s, c: routine.top_up_reserves(s, clock=c, policy=routine_policy)),
        Job("routine.rotation", day,
            lambda s, c: routine.rotate_expiring_stock(s, clock=c, policy=routine_policy)),
        Job("routine.qualification", day,
            lambda s, c: routine.remind_qualifications(s, clock=c, policy=routine_policy)),
        Job("routine.drill_reminder", day,
            lambda s, c: routine.remind_drills(s, clock=c, policy=routine_policy)),
        Job("supervision.flag_inaction", 15 * minute,
            lambda s, c: watch.flag_inaction(s, clock=c,
                                             hours=settings.supervision_inaction_hours)),
        Job("activations.route_prepositioning", timedelta(seconds=10),
            lambda s, c: route_prepositioning(s, clock=c, memo=routing_memo.current)),
        Job("activations.send_due_alerts", minute,
            lambda s, c: activation_service.send_due_alerts(s, clock=c)),
        Job("notices.deliver", timedelta(seconds=10), lambda s, c: [],
            steps=lambda f, c: drain(f, senders=senders, policy=outbox_policy,
                                     clock=c).delivered),
    ]


def _claim(session: Session, job: Job) -> bool:
    """On PostgreSQL, only the process holding the job's advisory lock runs it."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite writers are serialised by BEGIN IMMEDIATE
    key = zlib.crc32(job.name.encode())
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                {"k": key}).scalar())


class Scheduler:
    """Runs each due job in its own unit of work; a failing job is logged and retried later."""

    def __init__(self, factory: sessionmaker[Session], jobs: list[Job],
                 clock: Clock | None = None) -> None:
        self.factory, self.jobs, self.clock = factory, jobs, clock or SystemClock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> dict[str, int]:
        """Run every job whose time has come; returns how many items each one handled."""
        done: dict[str, int] = {}
        for job in self.jobs:
            now = self.clock.now()
            if job.next_at is not None and now < job.next_at:
                continue
            job.next_at = now + job.every
            if job.steps is not None:
                try:
                    done[job.name] = job.steps(self.factory, self.clock)
                except Exception:
                    log.exception("scheduled job %s failed; it will run again", job.name)
                continue
            try:
                with unit_of_work(self.factory) as session:
                    if _claim(session, job):
                        done[job.name] = len(job.run(session, self.clock))
            except Exception:
                log.exception("scheduled job %s failed; it will run again", job.name)
        return done

    def start(self, tick_seconds: float = 15.0) -> None:
        def loop() -> None:
            while not self._stop.wait(tick_seconds):
                self.run_due()

        self._thread = threading.Thread(target=loop, name="communitas-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
