"""Triage in batches: a dispatcher working through the queue verifies and approves many
requests in one go — a locked read of the requests, one of their lines' quantities, one of
their areas, executemany UPDATEs and one events append — under the same rules and with the
same events as :func:`triage.verify_request` and :func:`triage.approve_request`.

A request the principal may not act on, or in a state that takes neither step, is left as
it is (one request never sinks the batch); the answer lists those approved. The requests
are plain row copies (``communitas.row_copies``) moved by the same rules (``service.transition``
and ``refresh_sla``) and written back by executemany: a drill's dispatcher approves
thousands an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK
from communitas.dispatch.lifecycle import Action, RequestStatus
from communitas.dispatch.models import RequestLine, ResourceRequest
from communitas.dispatch.request_rows import survivor_ids
from communitas.dispatch.service import DispatchPolicy, refresh_sla, transition
from communitas.events import EventDraft, record_events
from communitas.row_copies import read_copies, write_back

__all__ = ["verify_and_approve"]


def _locked(session: Session, references: list[str]) -> list[Any]:
    """Plain copies of the requests named (a merged duplicate's name: its survivor), locked,
    in id order, each with ``lines``: its lines' quantities (all the SLA rule reads)."""
    ids = set(survivor_ids(session, references).values())
    copies: dict[int, Any] = read_copies(session, ResourceRequest, sorted(ids), lock=True)
    lines: dict[int, list[_Line]] = {i: [] for i in copies}
    ordered = sorted(copies)
    for start in range(0, len(ordered), IN_CHUNK):
        for request_id, quantity, committed in session.execute(
                select(RequestLine.request_id, RequestLine.quantity, RequestLine.committed)
                .where(RequestLine.request_id.in_(ordered[start:start + IN_CHUNK]))
                .order_by(RequestLine.request_id, RequestLine.position)):
            lines[request_id].append(_Line(quantity, committed))
    for request_id, copy in copies.items():
        copy.lines = lines[request_id]
    return [copies[i] for i in ordered]


@dataclass(frozen=True)
class _Line:
    quantity: int
    committed: int


def _areas(session: Session, rows: list[Any]) -> dict[int, tuple[str, str]]:
    """Area id → (code, path) for the requests' places and queues, in one query."""
    wanted = sorted({r.area_id for r in rows} | {r.queue_area_id for r in rows})
    return {i: (code, path) for i, code, path in session.execute(
        select(Area.id, Area.code, Area.path).where(Area.id.in_(wanted)))}


def verify_and_approve(
    session: Session, *, principal: Principal, references: list[str], reason: str = "",
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> list[str]:
    """Verify the unverified (where the principal may triage the place) and approve the
    verified (where they may commit in the queue); the references approved."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    rows = _locked(session, references)
    places = _areas(session, rows)
    drafts: list[EventDraft] = []
    approved: list[str] = []
    steps = ((RequestStatus.SUBMITTED, Action.VERIFY, Permission.REQUEST_TRIAGE,
              "request.verified"),
             (RequestStatus.VERIFIED, Action.APPROVE, Permission.REQUEST_COMMIT,
              "request.approved"))
    for request in rows:
        code = places[request.area_id][0]
        for status, action, permission, event in steps:
            where = request.area_id if action is Action.VERIFY else request.queue_area_id
            if request.status is not status or \
                    not can(principal, permission, area_path=places[where][1]):
                continue
            transition(session, request, action)
            refresh_sla(request, now, policy)
            request.updated_at = now
            drafts.append(EventDraft(event, "request", request.reference, code,
                                     payload={"by": "staff", "status": request.status.value,
                                              "reason": reason}))
            if action is Action.APPROVE:
                approved.append(request.reference)
    write_back(session, ResourceRequest, rows)
    record_events(session, actor=principal.actor, drafts=drafts, clock=clock)
    return approved
