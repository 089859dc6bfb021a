"""Call-outs for many tasks, and many answers, at once: the batch path of ``callouts``.

The rules are :mod:`communitas.tasks.callouts`' (the same volunteer choice, places, standby
and first-placed-becomes-assignee rule, the same events); the I/O is batched: volunteers
are loaded once per skill; tasks (the few columns a call-out reads), invitations and
call-outs are read in one SELECT each (invitations and call-outs locked, as plain row copies,
``row_copies``), not as ORM objects;
new call-outs and invitations go in by multi-row INSERTs, changes by executemany UPDATEs,
and the events with one ``record_events`` call. Answers are applied in the order given,
as if answered one after another, so places go to the earliest answers in that order.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import insert_many, insert_rows
from communitas.errors import Conflict, NotFound
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.row_copies import read_chosen, read_copies, write_back
from communitas.tasks import lookups, selection
from communitas.tasks.callouts import _take_task
from communitas.tasks.lifecycle import ACTIVE, TaskStatus
from communitas.tasks.models import CallOut, CallOutInvitation, InvitationStatus, Task
from communitas.tasks.schemas import CallOutCreate
from communitas.tasks.selection import Candidate

__all__ = ["Answer", "create_callouts", "respond_many"]

IS = InvitationStatus


def _place(task: Task, ref: lookups.AreaRef) -> tuple[float, float] | None:
    if task.lon is not None and task.lat is not None:
        return task.lon, task.lat
    return (ref[2], ref[3]) if ref[2] is not None and ref[3] is not None else None


class _Pools:
    """Volunteers loaded once per skill, and those free at a time once per (skill, time),
    sorted by latitude; ``choose`` narrows them to the band a reach limit allows.

    Only candidates ``selection.select`` would drop anyway are left out (not free then; or,
    with a reach limit, no home or a latitude gap alone longer than the reach: the
    great-circle distance is at least R·|Δlat|), and ``select`` orders its choice totally
    (distance, then code), so the choice is the one-by-one path's. Within the band,
    ``selection.select_nearby`` makes the same choice as ``select``.
    """

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session, self.bounds = session, area_range(principal)
        self.by_skill: dict[str | None, list[Candidate]] = {}
        self.free: dict[tuple[str | None, datetime],
                        tuple[list[Candidate], list[float], selection.Homes]] = {}

    def choose(self, criteria: selection.Criteria, count: int
               ) -> list[tuple[Candidate, float | None]]:
        skill = criteria.skill
        if skill not in self.by_skill:
            self.by_skill[skill] = lookups.volunteer_candidates(
                self.session, bounds=self.bounds, skill=skill)
        key = (skill, criteria.at)
        if key not in self.free:
            free = [c for c in self.by_skill[skill]
                    if selection.available_at(c.availability, criteria.at)]
            placed = sorted((c for c in free if c.home is not None),
                            key=lambda c: c.home[1])  # type: ignore[index]
            self.free[key] = (free, [c.home[1] for c in placed],  # type: ignore[index]
                              selection.Homes(placed))
        free, lats, homes = self.free[key]
        if criteria.max_km is None or criteria.place is None:
            return selection.select(free, criteria, count)
        band = math.degrees(criteria.max_km / selection.EARTH_RADIUS_KM) * (1 + 1e-6) + 1e-9
        lat = criteria.place[1]
        return selection.select_nearby(homes, criteria, count,
                                       bisect_left(lats, lat - band),
                                       bisect_right(lats, lat + band))


def create_callouts(session: Session, *, principal: Principal,
                    items: Sequence[tuple[int, CallOutCreate]], clock: Clock | None = None
                    ) -> list[int | None]:
    """One call-out per (task id, request), as ``create_callout`` makes them one by one; the
    new call-outs' ids, None where no volunteer fits (the single path's ``no_volunteers``).
    All or nothing for the other refusals (unknown or closed task, no permission)."""
    tasks = _called_tasks(session, [task_id for task_id, _data in items])
    refs = lookups.area_refs(session, [t.area_id for t in tasks.values()])
    now = (clock or SystemClock()).now()
    pools = _Pools(session, principal)
    made: list[tuple[dict[str, Any], Task, list[tuple[Candidate, float | None]]]] = []
    slots: list[int | None] = []  # per item, its place in ``made``
    for task_id, data in items:
        copy = tasks.get(task_id)
        if copy is None:
            raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
        task = cast(Task, copy)  # read only: the columns ``_called_tasks`` reads
        ref = refs[task.area_id]
        require(principal, Permission.CALLOUT_MANAGE, area_path=ref[1])
        if task.status not in ACTIVE:
            raise Conflict(_("The task is closed"), code="task_closed")
        criteria = selection.Criteria(at=data.at or task.due_at or now, place=_place(task, ref),
                                      skill=data.skill, qualification=data.qualification,
                                      max_km=data.max_km)
        chosen = pools.choose(criteria, data.invite)
        slots.append(len(made) if chosen else None)
        if chosen:
            made.append(({"task_id": task.id, "head_count": data.head_count, "filled": 0,
                          "skill": data.skill, "qualification": data.qualification,
                          "max_km": data.max_km, "at": criteria.at,
                          "created_by": principal.actor, "created_at": now}, task, chosen))
    ids = insert_rows(session, CallOut, [callout for callout, _t, _c in made])
    rows = [{"callout_id": callout_id, "person_id": c.person_id, "status": IS.INVITED,
             "invited_at": now, "distance_km": round(km, 3) if km is not None else None,
             "hours": 0.0, "responded_at": None}
            for callout_id, (_callout, _task, chosen) in zip(ids, made, strict=True)
            for c, km in chosen]
    insert_many(session, CallOutInvitation, rows)
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "callout.created", "callout", callout_id, refs[task.area_id][0], {
            "task_id": task.id, "head_count": callout["head_count"], "skill": callout["skill"],
            "qualification": callout["qualification"], "max_km": callout["max_km"],
            "invited": [c.code for c, _km in chosen]})
        for callout_id, (callout, task, chosen) in zip(ids, made, strict=True)])
    session.flush()
    return [ids[slot] if slot is not None else None for slot in slots]


@dataclass(frozen=True)
class Answer:
    """One invitee's answer, given by ``principal`` (the invitee, or call-out staff)."""

    invitation_id: int
    accept: bool
    principal: Principal


def respond_many(session: Session, *, answers: Sequence[Answer], clock: Clock | None = None
                 ) -> list[InvitationStatus]:
    """Record the answers in order, as ``respond`` would one after another; each answered
    invitation's status after its answer. The rows are read and written as plain copies
    (``row_copies``), not ORM objects."""
    invitations = read_copies(session, CallOutInvitation, [a.invitation_id for a in answers],
                          lock=True)
    callouts = read_copies(session, CallOut, [i.callout_id for i in invitations.values()],
                       lock=True)
    tasks = read_copies(session, Task, [c.task_id for c in callouts.values()])
    refs = lookups.area_refs(session, [t.area_id for t in tasks.values()])
    people = lookups.person_codes(session, [i.person_id for i in invitations.values()])
    now = (clock or SystemClock()).now()
    drafts: list[EventDraft] = []
    result: list[InvitationStatus] = []
    for answer in answers:
        copy = invitations.get(answer.invitation_id)
        if copy is None:
            raise NotFound(_("Unknown invitation {value}"), code="unknown_invitation",
                           value=answer.invitation_id)
        invitation = cast(CallOutInvitation, copy)  # the rules read and set columns only
        callout = cast(CallOut, callouts[invitation.callout_id])
        task = cast(Task, tasks[callout.task_id])
        code, path = refs[task.area_id][0], refs[task.area_id][1]
        who = answer.principal
        if who.person_id is None or who.person_id != invitation.person_id:
            require(who, Permission.CALLOUT_MANAGE, area_path=path)
        if invitation.status is not IS.INVITED:
            raise Conflict(_("This invitation has already been answered"),
                           code="already_answered")
        if answer.accept and task.status not in ACTIVE:
            raise Conflict(_("The task is closed"), code="task_closed")
        invitation.responded_at = now
        taken: list[EventDraft] = []
        if not answer.accept:
            invitation.status = IS.DECLINED
        else:
            placed = callout.filled < callout.head_count  # the row is locked: no race
            if placed:
                callout.filled += 1
            invitation.status = IS.ASSIGNED if placed else IS.STANDBY
            if placed and task.status is TaskStatus.OPEN:
                taken = _take_task(task, invitation.person_id, code, now)
        drafts.append(EventDraft(f"callout.{invitation.status.value}", "callout", callout.id,
                                 code, {"task_id": task.id,
                                        "person": people[invitation.person_id]},
                                 actor=who.actor))
        drafts += [EventDraft(d.action, d.subject_type, d.subject_id, d.area_code, d.payload,
                              actor=who.actor) for d in taken]
        result.append(invitation.status)
    for model, copies in ((CallOutInvitation, invitations), (CallOut, callouts), (Task, tasks)):
        write_back(session, model, list(copies.values()))
    record_events(session, actor="system", clock=clock, drafts=drafts)
    session.flush()  # the chain head, as the single path leaves it
    return result


# Built once: a round's call-outs read hundreds of tasks.
_CALLED_KEYS = ("id", "area_id", "status", "due_at", "lon", "lat")
_CALLED_READ = select(*(getattr(Task, key) for key in _CALLED_KEYS)) \
    .where(Task.id.in_(bindparam("ids", expanding=True))).order_by(Task.id)


def _called_tasks(session: Session, ids: list[int]) -> dict[int, Any]:
    """Id → the columns of a task that a call-out reads (not its text: a round reads
    hundreds), in id order a chunk at a time; pending changes are flushed first."""
    return {task_id: row for task_id, (row, _extra) in read_chosen(
        session, _CALLED_READ, _CALLED_KEYS, ids).items()}
