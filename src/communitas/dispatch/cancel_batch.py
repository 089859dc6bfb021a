"""Cancelling many requests at once (a stood-down plan withdraws its pre-positioning): the
rules and events of :func:`triage.cancel_request` taken reference by reference, with one
locked read of the requests, their lines and undelivered shipments, stock given back
through resources.ledger.StockLedger (checked as adjust_holding checks), one flush and one
events INSERT.

Like a loop of ``cancel_request`` calls it is all or nothing: the first refusal is raised
and the caller's transaction (or savepoint) undoes the rest. Requests are read ``FOR
UPDATE`` in id order on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK
from communitas.dispatch.batch_fulfilment import locked_requests
from communitas.dispatch.fulfilment import over_commitment
from communitas.dispatch.lifecycle import Action
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.dispatch.service import (
    DispatchPolicy,
    _unknown,
    check_allowed,
    refresh_sla,
    resolve_actor,
    transition,
)
from communitas.events import EventDraft, record_events
from communitas.resources.ledger import StockLedger

__all__ = ["RequestCancel", "cancel_requests"]


@dataclass(frozen=True)
class RequestCancel:
    """One request to withdraw, and why."""

    reference: str
    reason: str = ""


def _undelivered(session: Session, request_ids: list[int]) -> dict[int, list[Shipment]]:
    """Request id → its shipments with units not yet delivered, in id order."""
    found: dict[int, list[Shipment]] = {i: [] for i in request_ids}
    ordered = sorted(set(request_ids))
    for start in range(0, len(ordered), IN_CHUNK):
        for shipment in session.execute(
                select(Shipment).where(Shipment.request_id.in_(ordered[start:start + IN_CHUNK]),
                                       Shipment.quantity > Shipment.delivered)
                .order_by(Shipment.id).with_for_update()).scalars():
            found[shipment.request_id].append(shipment)
    return found


def _give_back(request: ResourceRequest, shipment: Shipment, ledger: StockLedger,
               now: datetime) -> tuple[int, EventDraft]:
    """``fulfilment._give_back`` of every undelivered unit: shipment, line and holding
    counters move back; the holding's event."""
    quantity = shipment.quantity - shipment.delivered
    left = shipment.quantity - quantity
    line: RequestLine = next(ln for ln in request.lines if ln.id == shipment.line_id)
    if not 0 <= line.committed - quantity <= line.quantity:  # fulfilment._move_committed
        raise over_commitment(line, -quantity)
    draft = ledger.adjust(shipment.holding_id, quantity,
                          f"returned from request {request.reference}")
    shipment.quantity = left
    shipment.shipped = min(shipment.shipped, left)
    shipment.returned += quantity
    shipment.updated_at = now
    line.committed -= quantity
    return quantity, draft


def cancel_requests(session: Session, *, principal: Principal | None,
                    items: Sequence[RequestCancel], clock: Clock | None = None,
                    policy: DispatchPolicy | None = None) -> list[ResourceRequest]:
    """Withdraw each request as ``cancel_request`` (staff in the queue, or the signed-in
    requester) would, in the order given: undelivered stock goes back to its holding."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    requests = locked_requests(session, list(dict.fromkeys(i.reference for i in items)))
    for item in items:
        if item.reference not in requests:
            raise _unknown(item.reference)
    shipments = _undelivered(session, sorted({r.id for r in requests.values()}))
    ledger = StockLedger(session, principal=SYSTEM, clock=clock, holding_ids=[
        s.holding_id for found in shipments.values() for s in found])
    codes = dict(session.execute(select(Area.id, Area.code).where(
        Area.id.in_(sorted({r.area_id for r in requests.values()})))).all()) \
        if requests else {}
    drafts: list[EventDraft] = []
    done: list[ResourceRequest] = []
    for item in items:
        request = requests[item.reference]
        actor, by = resolve_actor(session, request, principal=principal, token=None,
                                  policy=policy, staff_permission=Permission.REQUEST_TRIAGE)
        check_allowed(request, Action.CANCEL)
        released = 0
        for shipment in shipments[request.id]:
            quantity, draft = _give_back(request, shipment, ledger, now)
            released += quantity
            drafts.append(draft)
        transition(session, request, Action.CANCEL)
        refresh_sla(request, now, policy)
        request.updated_at = now
        drafts.append(EventDraft("request.cancelled", "request", request.reference,
                                 codes[request.area_id], actor=actor, payload={
                                     "by": by, "status": request.status.value,
                                     "reason": item.reason, "returned_to_stock": released}))
        done.append(request)
    ledger.write(session)
    record_events(session, actor=principal.actor if principal else "system", drafts=drafts,
                  clock=clock)
    session.flush()
    return done
