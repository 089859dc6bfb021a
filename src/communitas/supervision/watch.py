"""The inaction watch: writes each inaction flag into the event log once, so after-action
reports and the audit trail keep it after it has cleared."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock, SystemClock
from communitas.events import Event, EventDraft, record_events
from communitas.modes import service as modes
from communitas.modes.levels import EMERGENCY_LEVELS
from communitas.resources.lookups import today
from communitas.supervision.models import CadreAssignment
from communitas.supervision.record import records_for
from communitas.supervision.service import active_on, assignment_reads

__all__ = ["FLAGGED", "flag_inaction"]

FLAGGED = "supervision.inaction_flagged"


def flag_inaction(session: Session, *, hours: float, clock: Clock | None = None
                  ) -> list[EventDraft]:
    """Record a flag for every assignment idle past ``hours`` in an emergency community,
    once per idle spell (a new action starts a new spell)."""
    clock = clock or SystemClock()
    now, on = clock.now(), today(clock)
    rows = list(session.execute(select(CadreAssignment).where(active_on(on))
                                .order_by(CadreAssignment.id)).scalars())
    if not rows:
        return []
    emergency = {m.area_code: m for m in modes.effective_modes_of(
        session, {r.community_id for r in rows}) if m.mode in EMERGENCY_LEVELS}
    if not emergency:
        return []
    ids = dict(session.execute(select(Area.id, Area.code).where(
        Area.code.in_(sorted(emergency)))).all())
    rows = [r for r in rows if r.community_id in ids]
    records = records_for(session, rows, assignment_reads(session, rows, on=on),
                          {i: emergency[code] for i, code in ids.items()}, now=now,
                          hours=hours, on=on)
    flagged = [r for r in records if r.inaction is not None and r.inaction.flagged]
    if not flagged:
        return []
    seen = {(subject, json.loads(payload).get("idle_since")) for subject, payload in
            session.execute(select(Event.subject_id, Event.payload).where(
                Event.action == FLAGGED,
                Event.subject_id.in_([str(r.assignment.id) for r in flagged])))}
    drafts = [EventDraft(
        action=FLAGGED, subject_type="cadre_assignment", subject_id=r.assignment.id,
        area_code=r.assignment.community_code, payload={
            "person": r.assignment.person_code, "mode": r.inaction.emergency_mode,
            "idle_since": r.inaction.idle_since.isoformat(),
            "idle_hours": r.inaction.idle_hours, "threshold_hours": hours})
        for r in flagged if r.inaction is not None
        and (str(r.assignment.id), r.inaction.idle_since.isoformat()) not in seen]
    record_events(session, actor=SYSTEM.actor, clock=clock, drafts=drafts)
    return drafts
