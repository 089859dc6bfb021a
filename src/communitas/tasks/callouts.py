"""Volunteer call-outs: pick volunteers for a task, invite them, record answers and hours.

The first accepters fill the head count (a conditional UPDATE on ``filled``, so places are
never over-filled under concurrent answers); later accepters stand by. The first person
assigned to a task still open becomes its assignee. Answers are kept per invitation so the
acceptance rate of any area and period can be computed later (:func:`acceptance_stats`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.tasks import lookups, selection
from communitas.tasks.lifecycle import ACTIVE, TaskStatus
from communitas.tasks.models import CallOut, CallOutInvitation, InvitationStatus, Task
from communitas.tasks.schemas import CallOutCreate, CallOutRead, CallOutStats, InvitationRead
from communitas.tasks.service import get_task, task_area

__all__ = ["acceptance_stats", "create_callout", "invitation_reads", "log_hours",
           "my_invitations", "read_callout", "respond"]

IS = InvitationStatus


def _place(session: Session, task: Task) -> tuple[float, float] | None:
    if task.lon is not None and task.lat is not None:
        return task.lon, task.lat
    _code, _path, lon, lat = lookups.area_refs(session, [task.area_id])[task.area_id]
    return (lon, lat) if lon is not None and lat is not None else None


def create_callout(session: Session, *, principal: Principal, task_id: int,
                   data: CallOutCreate, clock: Clock | None = None) -> CallOut:
    """Invite the nearest volunteers who fit; nothing is created when none fits."""
    task = get_task(session, task_id=task_id)
    code, path = task_area(session, task)
    require(principal, Permission.CALLOUT_MANAGE, area_path=path)
    if task.status not in ACTIVE:
        raise Conflict(_("The task is closed"), code="task_closed")
    now = (clock or SystemClock()).now()
    criteria = selection.Criteria(at=data.at or task.due_at or now, place=_place(session, task),
                                  skill=data.skill, qualification=data.qualification,
                                  max_km=data.max_km)
    candidates = lookups.volunteer_candidates(session, bounds=area_range(principal),
                                              skill=data.skill)
    chosen = selection.select(candidates, criteria, data.invite)
    if not chosen:
        raise Conflict(_("No volunteer fits this call-out"), code="no_volunteers",
                       details={"candidates": len(candidates)})
    callout = CallOut(task_id=task.id, head_count=data.head_count, filled=0, skill=data.skill,
                      qualification=data.qualification, max_km=data.max_km, at=criteria.at,
                      created_by=principal.actor, created_at=now)
    session.add(callout)
    session.flush()
    session.add_all([CallOutInvitation(
        callout_id=callout.id, person_id=c.person_id, status=IS.INVITED, invited_at=now,
        distance_km=round(km, 3) if km is not None else None, hours=0.0) for c, km in chosen])
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "callout.created", "callout", callout.id, code, {
            "task_id": task.id, "head_count": data.head_count, "skill": data.skill,
            "qualification": data.qualification, "max_km": data.max_km,
            "invited": [c.code for c, _km in chosen]})])
    session.flush()
    return callout


def _invitation(session: Session, principal: Principal, invitation_id: int
                ) -> tuple[CallOutInvitation, CallOut, Task, str]:
    """The invitation, for the invited person or call-out staff of the task's area."""
    invitation = session.execute(select(CallOutInvitation).where(
        CallOutInvitation.id == invitation_id).with_for_update()).scalar_one_or_none()
    if invitation is None:
        raise NotFound(_("Unknown invitation {value}"), code="unknown_invitation",
                       value=invitation_id)
    callout = session.get_one(CallOut, invitation.callout_id)
    task = get_task(session, task_id=callout.task_id)
    code, path = task_area(session, task)
    if principal.person_id is None or principal.person_id != invitation.person_id:
        require(principal, Permission.CALLOUT_MANAGE, area_path=path)
    return invitation, callout, task, code


def respond(session: Session, *, principal: Principal, invitation_id: int, accept: bool,
            clock: Clock | None = None) -> CallOutInvitation:
    """Record an answer; an acceptance takes a place if one is left, else stands by."""
    invitation, callout, task, code = _invitation(session, principal, invitation_id)
    if invitation.status is not IS.INVITED:
        raise Conflict(_("This invitation has already been answered"), code="already_answered")
    if accept and task.status not in ACTIVE:
        raise Conflict(_("The task is closed"), code="task_closed")
    now = (clock or SystemClock()).now()
    invitation.responded_at = now
    drafts: list[EventDraft] = []
    if not accept:
        invitation.status = IS.DECLINED
    else:
        taken = session.execute(
            update(CallOut).where(CallOut.id == callout.id, CallOut.filled < CallOut.head_count)
            .values(filled=CallOut.filled + 1).execution_options(synchronize_session=False))
        placed = taken.rowcount == 1  # type: ignore[attr-defined]
        invitation.status = IS.ASSIGNED if placed else IS.STANDBY
        if placed and task.status is TaskStatus.OPEN:
            drafts += _take_task(task, invitation.person_id, code, now)
    person = lookups.person_codes(session, [invitation.person_id])[invitation.person_id]
    drafts.insert(0, EventDraft(f"callout.{invitation.status.value}", "callout", callout.id,
                                code, {"task_id": task.id, "person": person}))
    record_events(session, actor=principal.actor, clock=clock, drafts=drafts)
    session.flush()
    session.refresh(callout)
    return invitation


def _take_task(task: Task, person_id: int, code: str, now: datetime) -> list[EventDraft]:
    """The first volunteer placed on an open task becomes its (accepting) assignee."""
    task.assignee_person_id, task.assignee_org_id = person_id, None
    task.assigned_at = task.accepted_at = now
    task.status = TaskStatus.ACCEPTED
    return [EventDraft("task.assigned", "task", task.id, code,
                       {"from": "open", "to": "assigned", "via": "callout"}),
            EventDraft("task.accepted", "task", task.id, code,
                       {"from": "assigned", "to": "accepted", "via": "callout"})]


def log_hours(session: Session, *, principal: Principal, invitation_id: int, hours: float,
              clock: Clock | None = None) -> CallOutInvitation:
    """Add hours worked by a placed volunteer (by themself or call-out staff)."""
    invitation, callout, task, code = _invitation(session, principal, invitation_id)
    if invitation.status is not IS.ASSIGNED:
        raise Conflict(_("Only a volunteer who took a place can log hours"),
                       code="not_assigned")
    invitation.hours = round(invitation.hours + hours, 2)
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "callout.hours_logged", "callout", callout.id, code,
        {"task_id": task.id, "hours": hours, "total": invitation.hours})])
    session.flush()
    return invitation


def invitation_reads(session: Session, rows: list[CallOutInvitation]) -> list[InvitationRead]:
    callouts = {c.id: c for c in session.execute(select(CallOut).where(
        CallOut.id.in_({r.callout_id for r in rows}))).scalars()} if rows else {}
    names = lookups.person_names(session, [r.person_id for r in rows])
    return [InvitationRead(
        id=r.id, callout_id=r.callout_id, task_id=callouts[r.callout_id].task_id,
        person_code=names[r.person_id][0], name_zh=names[r.person_id][1],
        distance_km=r.distance_km, status=r.status, invited_at=r.invited_at,
        responded_at=r.responded_at, hours=r.hours) for r in rows]


def _stats(counts: dict[InvitationStatus, int], hours: float) -> CallOutStats:
    accepted = counts.get(IS.ASSIGNED, 0) + counts.get(IS.STANDBY, 0)
    declined = counts.get(IS.DECLINED, 0)
    responded = accepted + declined
    return CallOutStats(invited=sum(counts.values()), accepted=accepted, declined=declined,
                        pending=counts.get(IS.INVITED, 0), hours=round(hours, 2),
                        acceptance_rate=round(accepted / responded, 4) if responded else None)


def read_callout(session: Session, *, principal: Principal, callout_id: int) -> CallOutRead:
    callout = session.get(CallOut, callout_id)
    if callout is None:
        raise NotFound(_("Unknown call-out {value}"), code="unknown_callout", value=callout_id)
    _code, path = task_area(session, get_task(session, task_id=callout.task_id))
    if not can(principal, Permission.CALLOUT_MANAGE, area_path=path):
        require(principal, Permission.TASK_READ, area_path=path)
    rows = list(session.execute(select(CallOutInvitation).where(
        CallOutInvitation.callout_id == callout.id).order_by(
        CallOutInvitation.distance_km.is_(None), CallOutInvitation.distance_km,
        CallOutInvitation.id)).scalars())
    counts: dict[InvitationStatus, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return CallOutRead(
        id=callout.id, task_id=callout.task_id, head_count=callout.head_count,
        filled=callout.filled, skill=callout.skill, qualification=callout.qualification,
        max_km=callout.max_km, at=callout.at, created_by=callout.created_by,
        created_at=callout.created_at, stats=_stats(counts, sum(r.hours for r in rows)),
        invitations=invitation_reads(session, rows))


def my_invitations(session: Session, *, principal: Principal) -> list[InvitationRead]:
    """The signed-in volunteer's own invitations, newest first."""
    if principal.person_id is None:
        return []
    rows = list(session.execute(select(CallOutInvitation).where(
        CallOutInvitation.person_id == principal.person_id)
        .order_by(CallOutInvitation.id.desc()).limit(200)).scalars())
    return invitation_reads(session, rows)


def acceptance_stats(session: Session, *, bounds: tuple[str, str] | None = None,
                     since: datetime | None = None, until: datetime | None = None
                     ) -> CallOutStats:
    """Invitations and answers of call-outs for tasks in a path range and period (metrics)."""
    query = (select(CallOutInvitation.status, func.count(), func.sum(CallOutInvitation.hours))
             .join(CallOut, CallOut.id == CallOutInvitation.callout_id)
             .join(Task, Task.id == CallOut.task_id).join(Area, Area.id == Task.area_id)
             .group_by(CallOutInvitation.status))
    if bounds is not None:
        query = query.where(Area.path >= bounds[0], Area.path < bounds[1])
    if since is not None:
        query = query.where(CallOutInvitation.invited_at >= since)
    if until is not None:
        query = query.where(CallOutInvitation.invited_at < until)
    rows = session.execute(query).all()
    return _stats({IS(status): n for status, n, _h in rows}, sum(h or 0.0 for *_r, h in rows))
