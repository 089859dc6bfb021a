"""The dispatcher's steps after approval: commit stock, ship, deliver, return; the
requester's confirmation and rating.

A commit moves two counters with conditional UPDATEs — the line's ``committed`` (never past
its quantity) and the holding's stock through resources.service.adjust_holding (never below
zero) — inside a savepoint, so a refused commit changes nothing even inside a larger unit of
work. Returns give stock back the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.dispatch.lifecycle import Action, LineProgress
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.dispatch.schemas import CommitIn, RatingIn, ShipmentState, ShipmentStep
from communitas.dispatch.service import (
    DispatchPolicy,
    check_allowed,
    lock_request,
    log,
    progress,
    refresh_sla,
    require_queue,
    resolve_actor,
    transition,
)
from communitas.errors import Conflict, NotFound, ValidationFailed
from communitas.i18n import _
from communitas.resources import service as resources
from communitas.resources.models import Holding, HoldingCondition

__all__ = [
    "ShipmentAction", "check_shipment", "commit_line", "confirm_request", "deliver_shipment",
    "nothing_to_move", "rate_request", "release_undelivered", "return_shipment",
    "ship_shipment", "shipment_state", "step_payload", "step_quantity", "unmet_units",
]


class ShipmentAction(Protocol):
    """The shape of ship, deliver and return."""

    def __call__(self, session: Session, *, principal: Principal, reference: str,
                 step: ShipmentStep, clock: Clock | None = None,
                 policy: DispatchPolicy | None = None) -> Shipment: ...


def _line(request: ResourceRequest, line_id: int) -> RequestLine:
    line = next((ln for ln in request.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(_("Line {value} is not part of this request"), code="unknown_line",
                       value=line_id, details={"field": "line_id"})
    return line


def _shipment(session: Session, request: ResourceRequest, shipment_id: int) -> Shipment:
    return check_shipment(request, shipment_id, session.get(Shipment, shipment_id))


def check_shipment(request: ResourceRequest, shipment_id: int,
                   shipment: Shipment | None) -> Shipment:
    """The shipment, if it exists and belongs to ``request``; NotFound otherwise."""
    if shipment is None or shipment.request_id != request.id:
        raise NotFound(_("Unknown shipment {value}"), code="unknown_shipment",
                       value=shipment_id, details={"field": "shipment_id"})
    return shipment


def _check_type(line: RequestLine, holding_type: str) -> None:
    wanted = line.resource_type
    if holding_type != wanted.code and holding_type not in line.substitutes:
        raise ValidationFailed(
            _("Holding holds {value}, not {expected} or an allowed substitute"),
            code="wrong_resource_type", value=holding_type, expected=wanted.code,
            details={"field": "holding_id", "holding_type": holding_type,
                     "allowed": [wanted.code, *line.substitutes]})


def _check_usable(holding: Holding, clock: Clock) -> None:
    """Damaged or expired stock is not sent to anyone (routing does not count it either)."""
    expired = holding.expires_on is not None and holding.expires_on < resources.today(clock)
    if holding.condition is not HoldingCondition.GOOD or expired:
        raise ValidationFailed(_("Holding {value} is damaged or expired"),
                               code="unusable_holding", value=holding.id,
                               details={"field": "holding_id",
                                        "condition": holding.condition.value,
                                        "expired": expired})


def _check_minimum(line: RequestLine, quantity: int) -> None:
    remaining = line.quantity - line.committed
    floor = min(line.min_quantity or 1, remaining)
    if quantity < floor:
        raise ValidationFailed(_("A commitment to this line must be at least {value}"),
                               code="below_minimum", value=floor,
                               details={"field": "quantity", "minimum": floor})


def _move_committed(session: Session, line: RequestLine, delta: int) -> None:
    """Conditional UPDATE: committed stays within 0..quantity whatever runs concurrently."""
    after = session.execute(
        update(RequestLine)
        .where(RequestLine.id == line.id, RequestLine.committed + delta <= RequestLine.quantity,
               RequestLine.committed + delta >= 0)
        .values(committed=RequestLine.committed + delta)
        .returning(RequestLine.committed)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    session.refresh(line)
    if after is None:
        raise over_commitment(line, delta)


def over_commitment(line: RequestLine, requested: int) -> Conflict:
    """The refusal of a commitment (or return) that would take ``line`` past 0..quantity."""
    open_units = line.quantity - line.committed
    return Conflict(_("Only {available} units of this line are still open; {requested} "
                      "requested"), code="over_commitment", available=open_units,
                    requested=requested, details={"line_id": line.id, "open": open_units,
                                                  "requested": requested})


def commit_line(
    session: Session, *, principal: Principal, reference: str, data: CommitIn,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> Shipment:
    """Commit ``quantity`` of a line from a holding: stock leaves the holding now."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_COMMIT)
    check_allowed(request, Action.COMMIT)
    line = _line(request, data.line_id)
    holding = resources.get_holding(session, principal=principal, holding_id=data.holding_id)
    _check_type(line, holding.resource_type_code)
    _check_usable(holding, clock)
    _check_minimum(line, data.quantity)
    now = clock.now()
    with session.begin_nested():
        _move_committed(session, line, data.quantity)
        resources.adjust_holding(session, principal=principal, holding_id=holding.id,
                                 delta=-data.quantity, reason=f"request {request.reference}",
                                 clock=clock)
        shipment = Shipment(request_id=request.id, line_id=line.id, holding_id=holding.id,
                            quantity=data.quantity, committed_by=principal.actor,
                            committed_at=now, updated_at=now)
        session.add(shipment)
        session.flush()
    transition(session, request, Action.COMMIT)
    refresh_sla(request, now, policy)
    log(session, request, actor=principal.actor, by="staff", action="request.committed",
        now=now, clock=clock, payload={"line": line.position, "line_id": line.id,
                                       "holding_id": holding.id, "shipment_id": shipment.id,
                                       "quantity": data.quantity})
    return shipment


def _step(session: Session, shipment: Shipment, where: Any, values: dict[str, Any],
          refusal: Conflict) -> None:
    done = session.execute(update(Shipment).where(Shipment.id == shipment.id, where)
                           .values(**values).returning(Shipment.id)
                           .execution_options(synchronize_session=False)).scalar_one_or_none()
    session.refresh(shipment)
    if done is None:
        raise refusal


def nothing_to_move(step: str, quantity: int, available: int) -> Conflict:
    return Conflict(_("Only {available} units can take this step; {requested} requested"),
                    code="quantity_unavailable", available=available, requested=quantity,
                    details={"step": step, "available": available, "requested": quantity})


def ship_shipment(
    session: Session, *, principal: Principal, reference: str, step: ShipmentStep,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> Shipment:
    """Units of a commitment leave the holder (all still waiting, unless a quantity)."""
    return _advance(session, principal, reference, step, Action.SHIP, clock,
                    policy or DispatchPolicy())


def deliver_shipment(
    session: Session, *, principal: Principal, reference: str, step: ShipmentStep,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> Shipment:
    """Units in transit arrive (all of them, unless a quantity)."""
    return _advance(session, principal, reference, step, Action.DELIVER, clock,
                    policy or DispatchPolicy())


def _advance(session: Session, principal: Principal, reference: str, step: ShipmentStep,
             action: Action, clock: Clock | None, policy: DispatchPolicy) -> Shipment:
    clock = clock or SystemClock()
    request = lock_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_COMMIT)
    check_allowed(request, action)
    shipment = _shipment(session, request, step.shipment_id)
    now = clock.now()
    quantity, available = step_quantity(shipment, action, step)
    if action is Action.SHIP:
        counter, limit, event = Shipment.shipped, Shipment.quantity, "request.shipped"
    else:
        counter, limit, event = Shipment.delivered, Shipment.shipped, "request.delivered"
    _step(session, shipment, counter + quantity <= limit,
          {counter.key: counter + quantity, "updated_at": now},
          nothing_to_move(action.value, quantity, available))
    transition(session, request, action)
    log(session, request, actor=principal.actor, by="staff", action=event, now=now,
        clock=clock, payload=step_payload(shipment, quantity, step))
    return shipment


def step_quantity(shipment: Shipment, action: Action, step: ShipmentStep) -> tuple[int, int]:
    """(units a ship or deliver step moves, units able to take it): all of them unless the
    step names a quantity; Conflict when that is not positive. The counters' bound
    (quantity <= available) is checked where the counter moves."""
    if action is Action.SHIP:
        available = shipment.quantity - shipment.shipped
    else:
        available = shipment.shipped - shipment.delivered
    quantity = step.quantity or available
    if quantity <= 0:
        raise nothing_to_move(action.value, quantity, available)
    return quantity, available


def step_payload(shipment: Shipment, quantity: int, step: ShipmentStep) -> dict[str, Any]:
    """The payload of a request.shipped, request.delivered or request.returned event."""
    return {"shipment_id": shipment.id, "quantity": quantity, "reason": step.reason}


def _give_back(session: Session, principal: Principal, request: ResourceRequest,
               shipment: Shipment, quantity: int, now: datetime, clock: Clock) -> None:
    """Return undelivered units: shipment, line and holding counters all move back."""
    left = shipment.quantity - quantity
    _step(session, shipment, Shipment.quantity - quantity >= Shipment.delivered, {
        "quantity": Shipment.quantity - quantity,
        "shipped": case((Shipment.shipped > left, left), else_=Shipment.shipped),
        "returned": Shipment.returned + quantity, "updated_at": now,
    }, nothing_to_move("return", quantity, shipment.quantity - shipment.delivered))
    line = next(ln for ln in request.lines if ln.id == shipment.line_id)
    _move_committed(session, line, -quantity)
    resources.adjust_holding(session, principal=principal, holding_id=shipment.holding_id,
                             delta=quantity, reason=f"returned from request {request.reference}",
                             clock=clock)


def return_shipment(
    session: Session, *, principal: Principal, reference: str, step: ShipmentStep,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> Shipment:
    """Undelivered units go back to the holding and the line reopens for them."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_COMMIT)
    check_allowed(request, Action.RETURN)
    shipment = _shipment(session, request, step.shipment_id)
    available = shipment.quantity - shipment.delivered
    quantity = step.quantity or available
    now = clock.now()
    if quantity <= 0:
        raise nothing_to_move("return", quantity, available)
    with session.begin_nested():
        _give_back(session, principal, request, shipment, quantity, now, clock)
    transition(session, request, Action.RETURN)
    refresh_sla(request, now, policy)
    log(session, request, actor=principal.actor, by="staff", action="request.returned",
        now=now, clock=clock, payload=step_payload(shipment, quantity, step))
    return shipment


def release_undelivered(session: Session, request: ResourceRequest, *, now: datetime,
                        clock: Clock) -> int:
    """Give every undelivered unit back (a cancelled request); the platform moves the stock."""
    released = 0
    shipments = session.execute(select(Shipment).where(
        Shipment.request_id == request.id, Shipment.quantity > Shipment.delivered)
        .order_by(Shipment.id)).scalars().all()
    for shipment in shipments:
        quantity = shipment.quantity - shipment.delivered
        _give_back(session, SYSTEM, request, shipment, quantity, now, clock)
        released += quantity
    return released


def confirm_request(
    session: Session, *, principal: Principal | None, reference: str, token: str | None,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """The requester confirms receipt; staff in the queue may confirm on their behalf."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    actor, by = resolve_actor(session, request, principal=principal, token=token,
                              policy=policy, staff_permission=Permission.REQUEST_COMMIT)
    transition(session, request, Action.CONFIRM)
    now = clock.now()
    refresh_sla(request, now, policy)
    unmet = unmet_units(request, progress(session, request))
    log(session, request, actor=actor, by=by, action="request.confirmed", now=now, clock=clock,
        payload={"unmet": unmet})
    return request


def unmet_units(request: ResourceRequest, lines: dict[int, LineProgress]) -> dict[int, int]:
    """Line position → units asked for and not delivered, for the lines short of it."""
    return {ln.position: ln.quantity - lines[ln.id].delivered
            for ln in request.lines if ln.quantity > lines[ln.id].delivered}


def rate_request(
    session: Session, *, principal: Principal | None, reference: str, token: str | None,
    data: RatingIn, clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """The requester rates the service (1–5) once it is delivered; a new rating replaces it."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    actor, by = resolve_actor(session, request, principal=principal, token=token,
                              policy=policy, staff_permission=None)
    check_allowed(request, Action.RATE)
    now = clock.now()
    request.rating, request.rating_comment, request.rated_at = data.score, data.comment, now
    log(session, request, actor=actor, by=by, action="request.rated", now=now, clock=clock,
        payload={"score": data.score})
    return request


def shipment_state(shipment: Shipment) -> ShipmentState:
    """committed, in_transit, delivered or returned (nothing left committed)."""
    if shipment.quantity == 0:
        return "returned"
    if shipment.delivered == shipment.quantity:
        return "delivered"
    if shipment.shipped == shipment.quantity:
        return "in_transit"
    return "committed"

