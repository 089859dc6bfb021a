"""The drill's workforce: the people and organisations that work plan activation's tasks.

Stated rules, deterministic for a seed (every draw comes from a stream seeded by a string
naming the task, invitation or volunteer, so it does not depend on batching):

* A task **assigned** to a person or an organisation is accepted after a response delay
  (exponential, mean ``workforce.response_delay_minutes``), started when its assignee is
  free — a person works one task at a time, an organisation ``workforce.organisation_crews``
  at once, in order of priority, due time and id — and completed after an exponential time
  of mean ``workforce.task_minutes``.
* A task left **open** (an unstaffed role) gets a call-out to the ``volunteers.invite``
  nearest fitting volunteers within ``volunteers.max_km``. A volunteer turns out for the
  drill with probability ``volunteers.turnout`` (one draw per volunteer); one who turned out
  answers each invitation after an exponential delay of mean
  ``volunteers.response_delay_minutes`` and accepts with ``volunteers.response_probability``.
  The first accepter takes the task (the call-out service's rule) and works it like any
  assignee, for a time of mean ``volunteers.task_minutes``; volunteers who did not turn out
  never answer.
* A completed task is verified at the next round by the drill's dispatcher, never by
  whoever completed it (the lifecycle's second-person rule).

All of it goes through the tasks services' batch paths (``tasks.batch``,
``tasks.callouts_batch``) at the platform's timer rounds, one unit of work per round. A task
stood down by its activation is dropped when its next step comes due.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.models import Organisation, Person
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.db import unit_of_work
from communitas.drills.alerts_record import activation_alerts
from communitas.drills.records import AlertRecord, TaskRecord
from communitas.errors import CommunitasError
from communitas.modes.activation_models import Activation
from communitas.tasks import batch, callouts_batch
from communitas.tasks.callouts_batch import Answer
from communitas.tasks.lifecycle import Action, TaskStatus, allowed
from communitas.tasks.models import CallOut, CallOutInvitation, InvitationStatus, Task
from communitas.tasks.schemas import CallOutCreate

if TYPE_CHECKING:
    from communitas.drills.simulator import Drill

__all__ = ["WORKED_SOURCES", "Workforce"]

WORKED_SOURCES = frozenset({"activation"})  # routine tasks (top-ups …) are not drill work
_STEPS = (Action.ACCEPT, Action.START, Action.COMPLETE, Action.VERIFY)
_CHUNK = 500


@dataclass
class _Job:
    """One task in the workforce's hands, with the minutes its next steps come due."""

    task_id: int
    created: float
    source_kind: str
    priority: int
    actor_kind: str | None = None
    via: str = "assigned"
    principal: Principal | None = None
    accept_at: float | None = None
    start_at: float | None = None
    done_at: float | None = None
    accepted: float | None = None
    started: float | None = None
    done: float | None = None
    verified: float | None = None
    closed: float | None = None


@dataclass(order=True)
class _Reply:
    at: float
    invitation_id: int
    accept: bool
    person_id: int


def _exp(rng: random.Random, mean: float) -> float:
    return rng.expovariate(1.0 / mean) if mean > 0 else 0.0


class Workforce:
    """Plays the assignees and volunteers of one drill; attach it to the drill's hooks."""

    def __init__(self, drill: Drill) -> None:
        self.drill, self.seed = drill, drill.seed
        self.staff, self.volunteers = drill.scenario.workforce, drill.scenario.volunteers
        self.jobs: dict[int, _Job] = {}
        self.live: dict[int, _Job] = {}  # jobs with someone on them, not yet verified
        # Per step, (minute it comes due, task id) of the live jobs waiting for just that
        # step, so a round reads only what is due rather than every live job.
        self.waiting: dict[Action, list[tuple[float, int]]] = {a: [] for a in _STEPS}
        self.replies: list[_Reply] = []
        self.crews: dict[str, list[float]] = {}
        self.turned_out: dict[int, bool] = {}
        self.counts = {"callouts": 0, "no_volunteers": 0, "invited": 0, "accepted": 0,
                       "declined": 0, "placed": 0}
        with unit_of_work(drill.factory) as session:
            self.last_id = int(session.execute(select(func.max(Task.id))).scalar() or 0)
            self.last_activation = int(session.execute(
                select(func.max(Activation.id))).scalar() or 0)
            self.people = {i: (c, str(k)) for i, c, k in session.execute(
                select(Person.id, Person.code, Person.kind))}
            self.orgs = {i: (c, str(k)) for i, c, k in session.execute(
                select(Organisation.id, Organisation.code, Organisation.kind))}
        drill.hooks.setdefault("timers", []).append(self.on_round)

    # --- one round -------------------------------------------------------------------------

    def on_round(self, session: Session, event: Any) -> None:
        """Everything due by now, each phase in its own savepoint: a refusal undoes only
        that phase (and is counted), never the timers' other work or an earlier phase. A
        phase with nothing due is skipped without a savepoint (an empty round costs one
        ``max(id)`` read)."""
        minute = float(event.minute)
        if self._new_tasks(session):
            self._phase(session, lambda: self._discover(session, minute))
        if self.replies and self.replies[0].at <= minute:
            self._phase(session, lambda: self._answer(session, minute))
        for action in _STEPS:
            due = self._due(action, minute)
            if due:
                self._phase(session, partial(self._step, session, action, minute, due))
                self._requeue(action, due)

    def _phase(self, session: Session, phase: Callable[[], None]) -> None:
        try:
            with session.begin_nested():
                phase()
        except CommunitasError as exc:
            key = f"workforce:{exc.code}"
            self.drill.refusals[key] = self.drill.refusals.get(key, 0) + 1

    def _new_tasks(self, session: Session) -> bool:
        newest = session.execute(select(func.max(Task.id))).scalar()
        return newest is not None and int(newest) > self.last_id

    def _minute(self, at: datetime) -> float:
        return (at - self.drill.clock.start).total_seconds() / 60

    def _discover(self, session: Session, minute: float) -> None:
        rows = session.execute(select(
            Task.id, Task.status, Task.priority, Task.due_at, Task.created_at,
            Task.source_kind, Task.assignee_person_id, Task.assignee_org_id, Task.sweep_id)
            .where(Task.id > self.last_id).order_by(Task.id)).all()
        if not rows:
            return
        self.last_id = rows[-1].id
        rows = [r for r in rows if r.source_kind in WORKED_SOURCES and r.sweep_id is None]
        open_ids = []
        for row in rows:
            self.jobs[row.id] = _Job(row.id, self._minute(row.created_at), row.source_kind,
                                     row.priority)
            if row.status is TaskStatus.OPEN:
                open_ids.append(row.id)
        assigned = sorted((r for r in rows if r.status is TaskStatus.ASSIGNED),
                          key=lambda r: (r.priority, r.due_at is None, r.due_at, r.id))
        for row in assigned:
            job = self.jobs[row.id]
            self._assign(job, row.assignee_person_id, row.assignee_org_id)
            rng = random.Random(f"{self.seed}:task:{row.id}")
            job.accept_at = job.created + _exp(rng, self.staff.response_delay_minutes)
            self._schedule(job, job.accept_at, _exp(rng, self._task_mean(job)))
        self._call_out(session, open_ids, minute)

    def _assign(self, job: _Job, person_id: int | None, org_id: int | None) -> None:
        if person_id is not None:
            code, kind = self.people[person_id]
            role = Role.VOLUNTEER if kind == "volunteer" else Role.GRID_WORKER
            job.principal = Principal(username=f"drill:{code}", role=role, person_id=person_id)
        elif org_id is not None:
            code, kind = self.orgs[org_id]
            job.principal = Principal(username=f"drill:{code}", role=Role.ORG_LIAISON,
                                      org_id=org_id)
        job.actor_kind = kind if person_id is not None or org_id is not None else None

    def _task_mean(self, job: _Job) -> float:
        volunteer = job.actor_kind == "volunteer"
        return self.volunteers.task_minutes if volunteer else self.staff.task_minutes

    def _schedule(self, job: _Job, ready: float, duration: float) -> None:
        """Start when the assignee has a free crew (one for a person), then work."""
        assert job.principal is not None
        self.live[job.task_id] = job
        crews = self.crews.setdefault(job.principal.username, [0.0] * (
            self.staff.organisation_crews if job.principal.org_id is not None else 1))
        free = heapq.heappop(crews)
        job.start_at = max(ready, free)
        job.done_at = job.start_at + duration
        heapq.heappush(crews, job.done_at)
        self._wait(job, Action.ACCEPT if job.accepted is None else Action.START)

    # --- call-outs -------------------------------------------------------------------------

    def _call_out(self, session: Session, task_ids: list[int], minute: float) -> None:
        if not task_ids:
            return
        data = CallOutCreate(head_count=1, invite=self.volunteers.invite,
                             max_km=self.volunteers.max_km)
        made = callouts_batch.create_callouts(
            session, principal=SYSTEM, items=[(i, data) for i in task_ids],
            clock=self.drill.clock)
        ids = [c for c in made if c is not None]
        self.counts["callouts"] += len(ids)
        self.counts["no_volunteers"] += len(made) - len(ids)
        for invitation_id, person_id in self._invitations(session, ids):
            self.counts["invited"] += 1
            if not self._turns_out(person_id):
                continue
            rng = random.Random(f"{self.seed}:invitation:{invitation_id}")
            delay = _exp(rng, self.volunteers.response_delay_minutes)
            accept = rng.random() < self.volunteers.response_probability
            heapq.heappush(self.replies, _Reply(minute + delay, invitation_id, accept,
                                                person_id))

    @staticmethod
    def _invitations(session: Session, callout_ids: list[int]) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for start in range(0, len(callout_ids), _CHUNK):
            found += [(i, p) for i, p in session.execute(
                select(CallOutInvitation.id, CallOutInvitation.person_id).where(
                    CallOutInvitation.callout_id.in_(callout_ids[start:start + _CHUNK])))]
        return sorted(found)

    def _turns_out(self, person_id: int) -> bool:
        if person_id not in self.turned_out:
            rng = random.Random(f"{self.seed}:turnout:{person_id}")
            self.turned_out[person_id] = rng.random() < self.volunteers.turnout
        return self.turned_out[person_id]

    def _answer(self, session: Session, minute: float) -> None:
        due: list[_Reply] = []
        while self.replies and self.replies[0].at <= minute:
            due.append(heapq.heappop(self.replies))
        if not due:
            return
        tasks = self._invited_tasks(session, [r.invitation_id for r in due])
        # A volunteer does not take up a task that was stood down meanwhile.
        due = [r for r in due if not r.accept or tasks[r.invitation_id][1] in _TAKEABLE]
        answers = [Answer(r.invitation_id, r.accept, self._volunteer(r.person_id)) for r in due]
        done = callouts_batch.respond_many(session, answers=answers, clock=self.drill.clock)
        for reply, status in zip(due, done, strict=True):
            self.counts["accepted" if reply.accept else "declined"] += 1
            if status is not InvitationStatus.ASSIGNED:
                continue
            job = self.jobs.get(tasks[reply.invitation_id][0])
            if job is None or job.principal is not None:
                continue
            self.counts["placed"] += 1
            job.via, job.accepted = "callout", minute
            self._assign(job, reply.person_id, None)
            rng = random.Random(f"{self.seed}:task:{job.task_id}")
            self._schedule(job, minute, _exp(rng, self.volunteers.task_minutes))

    def _volunteer(self, person_id: int) -> Principal:
        code = self.people[person_id][0]
        return Principal(username=f"drill:{code}", role=Role.VOLUNTEER, person_id=person_id)

    @staticmethod
    def _invited_tasks(session: Session, invitation_ids: list[int]
                       ) -> dict[int, tuple[int, TaskStatus]]:
        found: dict[int, tuple[int, TaskStatus]] = {}
        for start in range(0, len(invitation_ids), _CHUNK):
            found.update((i, (t, s)) for i, t, s in session.execute(
                select(CallOutInvitation.id, Task.id, Task.status)
                .join(CallOut, CallOut.id == CallOutInvitation.callout_id)
                .join(Task, Task.id == CallOut.task_id)
                .where(CallOutInvitation.id.in_(invitation_ids[start:start + _CHUNK]))))
        return found

    # --- lifecycle steps -------------------------------------------------------------------

    def _wait(self, job: _Job, action: Action) -> None:
        at = {Action.ACCEPT: job.accept_at, Action.START: job.start_at,
              Action.COMPLETE: job.done_at, Action.VERIFY: job.done}[action]
        if at is not None:
            heapq.heappush(self.waiting[action], (at, job.task_id))

    def _due(self, action: Action, minute: float) -> list[_Job]:
        """Live jobs whose ``action`` is due: accept, start and complete from their minute
        on, verify from the round after the one that saw the work done."""
        waiting, due = self.waiting[action], []
        while waiting and (waiting[0][0] < minute if action is Action.VERIFY
                           else waiting[0][0] <= minute):
            job = self.live.get(heapq.heappop(waiting)[1])
            if job is not None:
                due.append(job)
        return due

    def _requeue(self, action: Action, due: list[_Job]) -> None:
        """After a step: the jobs it moved wait for their next step; those a refusal left
        where they were wait for this one again (stood-down jobs have left ``live``)."""
        field, after = _FIELDS[action], _NEXT.get(action)
        for job in due:
            if getattr(job, field) is None:
                if job.task_id in self.live:
                    self._wait(job, action)
            elif after is not None:
                self._wait(job, after)

    def _step(self, session: Session, action: Action, minute: float, due: list[_Job]) -> None:
        due = sorted(due, key=lambda j: j.task_id)
        tasks = batch.locked_tasks(session, [j.task_id for j in due])
        ready = []
        for job in due:
            if allowed(tasks[job.task_id].row.status, action):
                ready.append(job)
            else:  # stood down (or closed) meanwhile: the assignee stops
                job.closed = minute
                del self.live[job.task_id]
        moves = [(j.task_id, SYSTEM if action is Action.VERIFY or j.principal is None
                  else j.principal) for j in ready]
        batch.transition_locked(session, action=action, moves=moves, tasks=tasks,
                                clock=self.drill.clock)
        field = _FIELDS[action]
        for job in ready:
            setattr(job, field, minute)
            if action is Action.VERIFY:
                del self.live[job.task_id]

    # --- the result ------------------------------------------------------------------------

    def records(self) -> list[TaskRecord]:
        """Every task seen, in id order; tasks closed undone (stood down) carry the time."""
        with unit_of_work(self.drill.factory) as session:
            closed = self._closed(session, list(self.jobs))
        for task_id, at in closed.items():
            job = self.jobs[task_id]
            if job.closed is None and job.done is None:
                job.closed = self._minute(at)
        return [TaskRecord(created=j.created, source_kind=j.source_kind, priority=j.priority,
                           actor_kind=j.actor_kind, via=j.via, accepted=j.accepted, done=j.done,
                           verified=j.verified, closed=j.closed)
                for _id, j in sorted(self.jobs.items())]

    def alerts(self) -> list[AlertRecord]:
        """The drill's activations and when each first told the public (metrics)."""
        with unit_of_work(self.drill.factory) as session:
            return activation_alerts(session, start=self.drill.clock.start,
                                     after_id=self.last_activation)

    @staticmethod
    def _closed(session: Session, ids: list[int]) -> dict[int, datetime]:
        found: dict[int, datetime] = {}
        for start in range(0, len(ids), _CHUNK):
            found.update((i, at) for i, at in session.execute(
                select(Task.id, Task.closed_at).where(
                    Task.id.in_(ids[start:start + _CHUNK]),
                    Task.status == TaskStatus.CANNOT_COMPLETE)) if at is not None)
        return found


_FIELDS = {Action.ACCEPT: "accepted", Action.START: "started", Action.COMPLETE: "done",
           Action.VERIFY: "verified"}
_NEXT = {Action.ACCEPT: Action.START, Action.START: Action.COMPLETE,
         Action.COMPLETE: Action.VERIFY}
_TAKEABLE = frozenset({TaskStatus.OPEN, TaskStatus.ASSIGNED, TaskStatus.ACCEPTED,
                       TaskStatus.IN_PROGRESS})
