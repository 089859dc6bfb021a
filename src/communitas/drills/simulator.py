"""Play a scenario through the real services on a simulated clock. Deterministic for a seed.

Simulated people follow stated rules and act only through the services a live response uses:
residents submit requests (dispatch intake) and confirm deliveries; every ``plan_every`` a
dispatcher verifies and approves new requests, confirms pending mode proposals, asks the
optimiser for a plan (dispatch suggestion) and accepts it; shipments leave at once and are
delivered after the suggested travel time, stretched by road cuts and market capacity.
Deliveries and confirmations falling within one simulated minute are recorded as one batch
at its end (batch_fulfilment.deliver_many and confirm_many: the single calls' rules).
Warnings and indicator readings go to the modes services; the scheduler's timers run
every five simulated minutes, followed by the workforce (workforce.py: plan activation's
tasks worked by their assignees and by volunteers answering call-outs).
"""

from __future__ import annotations

import gc
import heapq
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from communitas.auth.permissions import SYSTEM
from communitas.config import get_settings
from communitas.db import unit_of_work
from communitas.dispatch import intake, suggestion
from communitas.dispatch.acceptance import Accepted, Pending, accept_submissions
from communitas.dispatch.batch_fulfilment import (
    PlannedCommit,
    accept_plan,
    confirm_many,
    deliver_many,
)
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.schemas import ItemsLine, RequestCreate, ShipmentStep
from communitas.dispatch.service import DispatchPolicy, requester_token
from communitas.dispatch.standing_memo import StandingMemo
from communitas.dispatch.triage_batch import verify_and_approve
from communitas.drills import world
from communitas.drills.conditions import Conditions
from communitas.drills.demand import Arrival, arrivals
from communitas.drills.queues import simulate_point
from communitas.drills.records import Delivery, DrillRecord, ModeSwitch, RequestRecord
from communitas.drills.scenario import Scenario, duration_minutes
from communitas.drills.workforce import Workforce
from communitas.errors import CommunitasError
from communitas.events import EventDraft
from communitas.scheduler import default_jobs

__all__ = ["Drill", "DrillClock"]

_T = TypeVar("_T")

CONFIRM_DELAY = 30.0  # minutes a resident takes to confirm a complete delivery
TIMER_EVERY = 5.0  # minutes between runs of the platform's timers (live: every minute)
INTAKE_EVERY = 1.0  # minutes: submissions made within one are accepted as one batch
FIELD_EVERY = 1.0  # minutes: deliveries (or confirmations) within one are one batch


class DrillClock:
    """A clock the simulator sets to each event's time."""

    def __init__(self, start: datetime) -> None:
        self.start, self._now = start, start

    def now(self) -> datetime:
        return self._now

    def set(self, minute: float) -> None:
        self._now = self.start + timedelta(minutes=minute)


@dataclass
class Track:
    """The simulator's view of one request it submitted (one line each)."""

    arrival: Arrival
    reference: str
    first_response: float | None = None
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass(order=True)
class _Event:
    minute: float
    seq: int
    kind: str = field(compare=False)
    data: Any = field(compare=False, default=None)


class Drill:
    def __init__(self, scenario: Scenario, factory: sessionmaker[Session], *, seed: int,
                 until_minutes: float | None = None) -> None:
        self.scenario, self.factory, self.seed = scenario, factory, seed
        self.horizon = float(min(scenario.minutes, until_minutes or scenario.minutes))
        self.clock = DrillClock(scenario.start)
        self.conditions = Conditions(scenario)
        self.rng = random.Random(f"{seed}:people")
        self.tracks: dict[str, Track] = {}
        self.switches: list[ModeSwitch] = []
        self.pending: dict[int, float] = {}  # proposal id → minute it was made
        self.lost: dict[str, int] = {}
        self.refusals: dict[str, int] = {}  # "event kind:error code" → how often
        self.hooks: dict[str, list[Callable[[Session, _Event], None]]] = {}
        self._queue: list[_Event] = []
        self._seq = 0
        self._batches: dict[tuple[str, float], _Event] = {}  # (kind, minute) → still queued
        self._unanswered: list[str] = []  # references not yet verified and approved
        self.policy = DispatchPolicy()
        self.lookups = IntakeLookups(ttl=math.inf)  # the drill's city never changes areas
        self.routing = StandingMemo()  # places and stock per area until stock moves
        self.city: world.City
        self.jobs = default_jobs(get_settings())
        self.workforce = Workforce(self)  # works plan activation's tasks at timer rounds
        self._job_due: dict[str, datetime] = {}  # job name → drill time it runs next
        # where the drill's time went (wall seconds per event kind, timer job and hook): for
        # benchmarks/drills.py; no part of the record, which depends on the seed alone
        self.timings: dict[str, float] = {}

    # --- the loop ---------------------------------------------------------------------------

    def _push(self, minute: float, kind: str, data: Any = None) -> _Event | None:
        if minute > self.horizon:
            return None
        self._seq += 1
        event = _Event(minute, self._seq, kind, data)
        heapq.heappush(self._queue, event)
        return event

    def _push_batched(self, minute: float, kind: str, item: Any) -> None:
        """Add ``item``, happening at ``minute``, to the batch of ``kind`` handled at the end
        of that field minute (live, staff and residents report as they go; a drill records
        a minute's worth at once)."""
        if minute > self.horizon:
            return
        at = min(math.ceil(minute / FIELD_EVERY) * FIELD_EVERY, self.horizon)
        event = self._batches.get((kind, at))
        if event is None:
            event = self._push(at, kind, [])
            assert event is not None  # at <= horizon
            self._batches[(kind, at)] = event
        event.data.append((minute, item))

    def _take(self, event: _Event) -> list[tuple[float, Any]]:
        """A batch's items in the order they happened (as pushed, for the same minute)."""
        self._batches.pop((event.kind, event.minute), None)
        return sorted(event.data, key=lambda item: item[0])

    def run(self, progress: Callable[[float], None] | None = None) -> DrillRecord:
        with _fewer_collections():
            return self._run(progress)

    def _run(self, progress: Callable[[float], None] | None) -> DrillRecord:
        with unit_of_work(self.factory) as session:
            self.city = world.load(session, self.scenario)
        for i, inject in enumerate(self.scenario.injects):
            self._push(float(duration_minutes(inject.at)), "inject", i)
        self._push_arrivals()
        every = float(duration_minutes(self.scenario.dispatch.plan_every))
        for k in range(1, int(self.horizon // every) + 1):
            self._push(k * every, "plan")
        for k in range(1, int(self.horizon // TIMER_EVERY) + 1):
            self._push(k * TIMER_EVERY, "timers")
        while self._queue:
            event = heapq.heappop(self._queue)
            self.clock.set(event.minute)
            try:
                with unit_of_work(self.factory) as session:
                    self._timed(event.kind, getattr(self, f"_on_{event.kind}"), session, event)
                    for hook in self.hooks.get(event.kind, []):
                        self._timed(f"{event.kind}:{getattr(hook, '__qualname__', 'hook')}", hook,
                                    session, event)
            except CommunitasError as exc:  # refused, as it would be live: nothing changed
                key = f"{event.kind}:{exc.code}"
                self.refusals[key] = self.refusals.get(key, 0) + 1
            if progress:
                progress(event.minute)
        return self._record()

    def _timed(self, key: str, act: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        began = time.perf_counter()
        try:
            return act(*args, **kwargs)
        finally:
            self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - began

    def _push_arrivals(self) -> None:
        """Residents' submissions, accepted in batches at the end of each intake minute
        (live, the intake writer batches whatever arrives within a few milliseconds)."""
        rng = random.Random(f"{self.seed}:demand")
        batches: dict[float, list[tuple[int, Arrival]]] = {}
        for n, arrival in enumerate(arrivals(self.scenario, self.city.demand_areas, rng,
                                             self.city.outages)):
            if arrival.minute <= self.horizon:
                at = min(math.ceil(arrival.minute / INTAKE_EVERY) * INTAKE_EVERY, self.horizon)
                batches.setdefault(at, []).append((n, arrival))
        for at, batch in batches.items():
            self._push(at, "arrivals", batch)

    # --- events -------------------------------------------------------------------------------

    def _on_arrivals(self, session: Session, event: _Event) -> None:
        """A batch of submissions through intake acceptance, then triage, in one unit."""
        batch: list[tuple[int, Arrival]] = event.data
        items = [Pending(data=_request_data(arrival), principal=None, client=f"drill:{n}")
                 for n, arrival in batch]
        submitted: list[EventDraft] = []  # appended with triage's, at the same (drill) time
        outcomes = accept_submissions(session, items=items, now=self.clock.now(),
                                      policy=self.policy, lookups=self.lookups,
                                      events=submitted)
        accepted: list[tuple[Arrival, Accepted]] = []
        for (_n, arrival), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Accepted):
                accepted.append((arrival, outcome))
            else:
                key = f"arrival:{outcome.code}"
                self.refusals[key] = self.refusals.get(key, 0) + 1
        rows = intake.accepted_requests(session, [o.id for _a, o in accepted])
        intake.triage_requests(session, requests=rows, clock=self.clock, policy=self.policy,
                               memo=self.routing.current(session), first=submitted)
        for arrival, outcome in accepted:
            self.tracks[outcome.reference] = Track(arrival, outcome.reference)
            self._unanswered.append(outcome.reference)

    def _on_timers(self, session: Session, event: _Event) -> None:
        """The scheduler's jobs (expiry, SLA escalation, unanswered warnings) on drill time,
        each at its own cadence as ``Scheduler.run_due`` keeps it live: a daily routine job
        runs once a day, not at every tick. Jobs that commit their own steps (the straggler
        triage and the outbox worker) have nothing to do in a drill: intake triages as it
        accepts, and nothing is sent."""
        now = self.clock.now()
        for job in self.jobs:
            due = self._job_due.get(job.name)
            if job.steps is not None or (due is not None and now < due):
                continue
            self._job_due[job.name] = now + job.every
            self._timed(f"timers:{job.name}", job.run, session, self.clock)

    def _on_inject(self, session: Session, event: _Event) -> None:
        inject = self.scenario.injects[event.data]
        outcome = world.apply_inject(session, self.scenario, inject, index=event.data,
                                     seed=self.seed, clock=self.clock)
        minute = event.minute
        for code in outcome.switched:
            self.switches.append(ModeSwitch(code, minute, minute))
        for proposal_id in outcome.proposals:
            self.pending[proposal_id] = minute
        for code, units in outcome.lost.items():
            self.lost[code] = self.lost.get(code, 0) + units

    def _on_plan(self, session: Session, event: _Event) -> None:
        for proposal_id, made in sorted(self.pending.items()):
            code = self._timed("plan:mode switch and activation", world.confirm_proposal,
                               session, proposal_id, clock=self.clock)
            self.switches.append(ModeSwitch(code or "", made, event.minute if code else None))
        self.pending.clear()
        self._timed("plan:verify and approve", self._triage, session, event.minute)
        plan = self._timed("plan:suggest", suggestion.suggest_plan, session, principal=SYSTEM,
                           within=self.city.root, clock=self.clock)
        self._timed("plan:accept and ship", self._accept,
                    session, [line for line in plan.lines if line.shipments], event.minute)

    def _triage(self, session: Session, minute: float) -> None:
        """The dispatcher verifies and approves everything new, as one batch."""
        answered, self._unanswered = self._unanswered, []
        verify_and_approve(session, principal=SYSTEM, references=answered, clock=self.clock,
                           policy=self.policy)
        for reference in answered:
            self.tracks[reference].first_response = minute

    def _accept(self, session: Session, lines: list[Any], minute: float) -> None:
        """The dispatcher accepts the whole plan and the stock leaves at once, in one batch
        (``batch_fulfilment.accept_plan``: accept_suggestion's rules request by request,
        then ship_shipment's); a stale or refused request waits for the next round."""
        suggested = {(line.line_id, s.holding_id): (line.reference, s)
                     for line in lines for s in line.shipments}
        outcome = accept_plan(session, principal=SYSTEM, commits=[
            PlannedCommit(line.reference, line.line_id, s.holding_id, s.quantity)
            for line in lines for s in line.shipments], ship=True, clock=self.clock)
        self._count_refusals("accept", outcome.refused)
        for shipment in outcome.shipments:
            reference, piece = suggested[(shipment.line_id, shipment.holding_id)]
            arrive = self.city.arrival_minute(self.conditions, piece,
                                              self.tracks[reference].arrival.area, minute)
            self._push_batched(arrive, "deliver",
                               (reference, shipment.id, piece.organisation_code))

    def _count_refusals(self, kind: str, refused: Mapping[Any, str]) -> None:
        """Count each refused item as ``kind:code`` (the item itself goes on as live)."""
        for code in refused.values():
            key = f"{kind}:{code}"
            self.refusals[key] = self.refusals.get(key, 0) + 1

    def _on_deliver(self, session: Session, event: _Event) -> None:
        """A minute's deliveries, recorded in one batch; each counts from when it arrived."""
        batch = self._take(event)
        outcome = deliver_many(session, principal=SYSTEM, clock=self.clock, steps=[
            (reference, ShipmentStep(shipment_id=shipment_id))
            for _minute, (reference, shipment_id, _org) in batch])
        self._count_refusals("deliver", outcome.refused)
        for position, (minute, (reference, _id, org_code)) in enumerate(batch):
            shipment = outcome.shipments.get(position)
            if shipment is None:
                continue
            track = self.tracks[reference]
            track.deliveries.append(Delivery(minute, shipment.delivered,
                                             self.city.org_kind.get(org_code, "unknown")))
            delivered = sum(d.units for d in track.deliveries)
            if delivered >= track.arrival.quantity and \
                    self.rng.random() < self.scenario.demand.confirm_probability:
                self._push_batched(minute + CONFIRM_DELAY, "confirm", reference)

    def _on_confirm(self, session: Session, event: _Event) -> None:
        """A minute's confirmations by residents, with their tokens, in one batch."""
        outcome = confirm_many(session, clock=self.clock, policy=self.policy, items=[
            (reference, requester_token(self.policy, reference))
            for _minute, reference in self._take(event)])
        self._count_refusals("confirm", outcome.refused)

    # --- the result -------------------------------------------------------------------------

    def _record(self) -> DrillRecord:
        requests = [RequestRecord(
            area=t.arrival.area, resource_type=t.arrival.resource_type,
            quantity=t.arrival.quantity, created=t.arrival.minute,
            priority=2 if t.arrival.vulnerable else 3, vulnerable=t.arrival.vulnerable,
            first_response=t.first_response, deliveries=tuple(t.deliveries))
            for t in sorted(self.tracks.values(),
                            key=lambda t: (t.arrival.minute, t.arrival.area))]
        visits = []
        for point in self.scenario.service_points:
            visits += simulate_point(point, horizon=self.horizon,
                                     rng=random.Random(f"{self.seed}:{point.name}"))
        with unit_of_work(self.factory) as session:
            stock = world.stock_balance(session, self.city, self.lost, requests)
        step = float(duration_minutes(self.scenario.step))
        return DrillRecord(horizon=self.horizon, step=step, requests=requests, visits=visits,
                           switches=self.switches, stock=stock,
                           refusals=dict(sorted(self.refusals.items())),
                           tasks=self.workforce.records(), callouts=dict(self.workforce.counts),
                           alerts=self.workforce.alerts())


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector run less often while a drill plays: each round
    builds and drops thousands of ORM objects, and the default thresholds (700 allocations,
    then every 10th and 10th) had full collections walk them all again and again; about
    10 % of a full flood drill's CPU over ten runs (docs/drills.md). Memory stays bounded:
    the young generations are still collected every 50,000 allocations. The thresholds are
    put back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _request_data(arrival: Arrival) -> RequestCreate:
    """What a resident's submission says: one line, priority 2 for vulnerable households."""
    return RequestCreate(
        area_code=arrival.area, priority=2 if arrival.vulnerable else 3,
        vulnerability=["aged_80"] if arrival.vulnerable else [],
        lines=[ItemsLine(resource_type_code=arrival.resource_type, quantity=arrival.quantity)])
