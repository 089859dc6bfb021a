"""After-action report of one activation, built from the event log.

``build_report`` gathers, per activation: the timeline, switch-to-ready latency, roles filled
and when, tasks on time and late, requests by status and time to fulfil, resources used,
who did the work by kind of actor, and residents' ratings. ``render_html`` draws it with
matplotlib charts (PNG, base64) and bilingual headings; the CLI writes both files.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.models import User
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.dispatch.models import ResourceRequest
from communitas.events import Event
from communitas.modes import activation_reads
from communitas.modes.activation_models import Activation, ActivationItem, ItemKind

__all__ = ["build_report"]


def _seq_window(session: Session, row: Activation) -> tuple[int, int]:
    """From the switch that started the activation to the event that ended it (by sequence
    number: some domains stamp events with the wall clock, drills with a simulated one)."""
    def seq_of(action: str) -> int | None:
        return session.execute(select(func.min(Event.seq)).where(
            Event.subject_type == "activation", Event.subject_id == str(row.id),
            Event.action == action)).scalar_one()

    started = seq_of("activation.started") or seq_of("activation.failed") or 0
    switch = session.execute(select(func.max(Event.seq)).where(
        Event.action == "mode.switched", Event.seq < started)).scalar_one()
    return switch or started, seq_of("activation.ended") or 2**62


def _events(session: Session, row: Activation) -> list[Event]:
    """Events of the activation, its tasks, requests and notices, its warning, and every
    request and mode event in its area's subtree while it lasted."""
    items = list(session.execute(select(ActivationItem).where(
        ActivationItem.activation_id == row.id)).scalars())
    ids = {kind: [i.ref_id for i in items if i.kind is kind] for kind in ItemKind}
    references = list(session.execute(select(ResourceRequest.reference).where(
        ResourceRequest.id.in_(ids[ItemKind.REQUEST]))).scalars())
    area = session.get_one(Area, row.area_id)
    low, high = area.subtree_bounds()
    codes = select(Area.code).where(Area.path >= low, Area.path < high)
    first, last = _seq_window(session, row)
    mine = or_(
        and_(Event.subject_type == "activation", Event.subject_id == str(row.id)),
        and_(Event.subject_type == "task", Event.subject_id.in_(
            [str(i) for i in ids[ItemKind.TASK]])),
        and_(Event.subject_type == "notice", Event.subject_id.in_(
            [str(i) for i in ids[ItemKind.ALERT]])),
        and_(Event.subject_type == "request", Event.subject_id.in_(references)),
        and_(Event.subject_type == "warning", Event.subject_id == str(row.warning_id or -1)),
        and_(Event.seq >= first, Event.seq <= last, Event.area_code.in_(codes),
             or_(Event.action.like("request.%"), Event.action.like("mode.%"))))
    return list(session.execute(select(Event).where(mine).order_by(Event.seq)).scalars())


def _actor_kinds(session: Session, actors: set[str]) -> dict[str, str]:
    names = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    roles = dict(session.execute(select(User.username, User.role).where(
        User.username.in_(sorted(names)))).all()) if names else {}
    kinds = {}
    for actor in actors:
        if actor.startswith("user:"):
            role = roles.get(actor.removeprefix("user:"))
            kinds[actor] = role.value if role is not None else "user"
        elif actor.startswith("requester:"):
            kinds[actor] = "resident"
        else:
            kinds[actor] = "platform"
    return kinds


def _tasks(events: list[Event], now: datetime) -> dict[str, Any]:
    due: dict[str, datetime | None] = {}
    done: dict[str, datetime] = {}
    closed: set[str] = set()
    for e in events:
        if e.subject_type != "task":
            continue
        payload = json.loads(e.payload)
        if e.action == "task.created":
            due[e.subject_id] = datetime.fromisoformat(payload["due_at"]) \
                if payload.get("due_at") else None
        elif e.action == "task.complete":
            done.setdefault(e.subject_id, e.at)
        elif e.action == "task.cannot_complete":
            closed.add(e.subject_id)
    counts: Counter[str] = Counter()
    for task, limit in due.items():
        if task in done:
            counts["on_time" if limit is None or done[task] <= limit else "late"] += 1
        elif task in closed:
            counts["closed_undone"] += 1
        else:
            counts["overdue" if limit is not None and limit < now else "open"] += 1
    return {"total": len(due), **{k: counts.get(k, 0) for k in
                                  ("on_time", "late", "overdue", "open", "closed_undone")}}


def _requests(events: list[Event]) -> dict[str, Any]:
    status: dict[str, str] = {}
    submitted: dict[str, datetime] = {}
    first: dict[str, datetime] = {}
    fulfilled: dict[str, datetime] = {}
    lines: dict[str, list[str]] = {}
    shipment_type: dict[int, str] = {}
    used: Counter[str] = Counter()
    ratings: list[int] = []
    for e in (e for e in events if e.subject_type == "request"):
        payload, ref = json.loads(e.payload), e.subject_id
        status[ref] = payload.get("status", status.get(ref, ""))
        first[ref] = min(first.get(ref, e.at), e.at)  # the earliest, whatever clock stamped it
        if e.action == "request.submitted":
            submitted[ref] = e.at
            lines[ref] = [line["type"] for line in payload.get("lines", [])]
        elif e.action == "request.committed" and ref in lines:
            position = int(payload.get("line", 0)) - 1
            if 0 <= position < len(lines[ref]):
                shipment_type[int(payload["shipment_id"])] = lines[ref][position]
        elif e.action == "request.delivered":
            fulfilled.setdefault(ref, e.at)
            kind = shipment_type.get(int(payload.get("shipment_id", 0)), "unknown")
            used[kind] += int(payload.get("quantity", 0))
        elif e.action == "request.rated":
            ratings.append(int(payload.get("score", 0)))
    minutes = sorted((fulfilled[r] - first[r]).total_seconds() / 60
                     for r in fulfilled if r in submitted)
    return {"total": len(submitted), "by_status": dict(Counter(
        status[r] for r in submitted)), "fulfilled": len(minutes),
        "median_minutes_to_fulfil": minutes[len(minutes) // 2] if minutes else None,
        "resources_used": dict(used), "ratings": {
            "count": len(ratings), "mean": round(sum(ratings) / len(ratings), 2)
            if ratings else None, "scores": dict(Counter(ratings))}}


def build_report(session: Session, *, principal: Principal, activation_id: int,
                 clock: Clock | None = None) -> dict[str, Any]:
    """The report's data as plain JSON-ready values."""
    detail = activation_reads.get_activation(session, principal=principal,
                                               activation_id=activation_id)
    row = session.get_one(Activation, activation_id)
    area = areas.get_area_by_id(session, area_id=row.area_id)
    require(principal, Permission.ACTIVATION_READ, area_path=area.path)
    now = (clock or SystemClock()).now()
    events = _events(session, row)
    kinds = _actor_kinds(session, {e.actor for e in events})
    work = Counter(kinds[e.actor] for e in events if e.action.startswith(("task.", "request."))
                   and e.action not in ("task.created", "request.submitted", "request.queued"))
    roles = [r.model_dump(mode="json") for r in detail.roles]
    return {
        "activation": detail.model_dump(mode="json", exclude={"roles", "items"}),
        "area": {"code": area.code, "name_zh": area.name_zh, "name_en": area.name_en},
        "latency": {"requested_at": row.requested_at.isoformat(),
                    "ready_at": row.ready_at.isoformat() if row.ready_at else None,
                    "latency_ms": row.latency_ms, "work_ms": row.work_ms},
        "roles": {"filled": sum(1 for r in roles if r["holder_code"]),
                  "unstaffed": sum(1 for r in roles if not r["holder_code"]), "items": roles},
        "tasks": _tasks(events, now), "requests": _requests(events),
        "work_by_actor_kind": dict(work),
        "timeline": [{"seq": e.seq, "at": e.at.isoformat(), "action": e.action,
                      "actor_kind": kinds[e.actor], "subject": f"{e.subject_type}:"
                      f"{e.subject_id}", "area_code": e.area_code} for e in events],
    }
