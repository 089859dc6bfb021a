"""Fulfilment in batches: accepting a dispatcher's plan in one go (the commitments of many
requests, and their shipping when the stock leaves at once), deliveries, and requesters'
confirmations — each with one locked read of the requests (with their lines, areas and
shipped counts, as plain row copies: :mod:`request_rows`) and one of the holdings or
shipments it moves, executemany UPDATEs of the changed requests, lines and shipments
(``row_copies.write_back``, which expires the ORM objects the session holds for those rows),
the holdings through the stock ledger (``StockLedger.write``, an ORM flush), for a plan
table-level INSERTs of the new shipments (``db.insert_rows``), and one events append.

Deliveries (:func:`deliver_many`) and confirmations (:func:`confirm_many`) keep the rules of
:func:`fulfilment.deliver_shipment` and :func:`fulfilment.confirm_request` taken one by one
in the order given (the same pure checks, borrowed from fulfilment and service, and the same
events with the same payloads). Every check comes before any change, so a refused item
changes nothing and is named by its position in the answer with the refusal's code; the
others go on.

The rules and events are those of :func:`suggestion.accept_suggestion` taken request by
request, followed by :func:`fulfilment.ship_shipment` for each new shipment: the same checks
(borrowed from fulfilment, not copied; stock moves through resources.ledger.StockLedger,
which checks as adjust_holding does), the same events in the same order with the same
payloads. Each request is all or nothing, as accept_suggestion is; a refused request is left
as it was and named in the answer with the refusal's code (``suggestion_stale`` when stock or
the request moved since the plan was made), and the others go on.

Concurrency: requests, then holdings or shipments, are read ``FOR UPDATE`` (PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` serialises writers already), so the counters checked in Python
are the ones written; the single path's conditional UPDATEs check the same bounds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK, insert_rows
from communitas.dispatch import lifecycle, request_rows
from communitas.dispatch.fulfilment import (
    _check_minimum,
    _check_type,
    _check_usable,
    _line,
    check_shipment,
    nothing_to_move,
    over_commitment,
    step_payload,
    step_quantity,
    unmet_units,
)
from communitas.dispatch.lifecycle import Action, LineProgress, RequestStatus
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.dispatch.request_rows import LockedRequests, RequestCopy, locked_request_rows
from communitas.dispatch.schemas import ShipmentStep
from communitas.dispatch.service import (
    DispatchPolicy,
    _unknown,
    check_allowed,
    log_draft,
    move_status,
    not_requester,
    refresh_sla,
    requester_actor,
    token_opens,
)
from communitas.dispatch.suggestion import STALE
from communitas.errors import CommunitasError, NotFound
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.resources.ledger import StockLedger
from communitas.row_copies import RowCopy, read_copies, write_back

__all__ = ["Confirmations", "Deliveries", "NewShipment", "PlanAcceptance", "PlannedCommit",
           "accept_plan", "confirm_many", "deliver_many", "locked_requests"]


@dataclass(frozen=True)
class PlannedCommit:
    """One suggested shipment the dispatcher accepts."""

    reference: str
    line_id: int
    holding_id: int
    quantity: int


@dataclass
class NewShipment:
    """A shipment the plan commits: its columns as inserted, its id once it is."""

    request_id: int
    line_id: int
    holding_id: int
    quantity: int
    committed_by: str
    committed_at: datetime
    shipped: int = 0
    id: int = 0

    def row(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "line_id": self.line_id,
                "holding_id": self.holding_id, "quantity": self.quantity,
                "shipped": self.shipped, "delivered": 0, "returned": 0,
                "committed_by": self.committed_by, "committed_at": self.committed_at,
                "updated_at": self.committed_at}


@dataclass
class PlanAcceptance:
    """New shipments in the order committed, and the refused references with their code."""

    shipments: list[NewShipment] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass
class _Snapshot:
    """What a request's commitments change, to put back when one of them is refused."""

    status: RequestStatus
    sla_due_at: datetime | None
    updated_at: datetime
    committed: dict[int, int]
    stock: dict[int, int]


def locked_requests(session: Session, references: list[str]) -> dict[str, ResourceRequest]:
    """Reference → its request (a merged duplicate's: the survivor), locked, lines loaded,
    as ORM objects (cancel_batch moves them with the single path's ORM rules)."""
    survivor = request_rows.survivor_ids(session, references)
    rows: dict[int, ResourceRequest] = {}
    ordered = sorted(set(survivor.values()))
    for start in range(0, len(ordered), IN_CHUNK):
        for row in session.execute(
                select(ResourceRequest)
                .where(ResourceRequest.id.in_(ordered[start:start + IN_CHUNK]))
                .order_by(ResourceRequest.id).with_for_update()
                .options(selectinload(ResourceRequest.lines)
                         .selectinload(RequestLine.resource_type))
                .execution_options(populate_existing=True)).scalars():
            rows[row.id] = row
    return {ref: rows[i] for ref, i in survivor.items()}


def _progress(request: ResourceRequest, moved: dict[int, list[int]]
              ) -> dict[int, LineProgress]:
    """Line id → quantities, as service.progress reads them, from the running counters."""
    return {ln.id: LineProgress(ln.quantity, ln.committed, *moved[ln.id])
            for ln in request.lines}


def _write(session: Session, found: LockedRequests) -> None:
    """The requests' and lines' changed columns into their rows."""
    write_back(session, ResourceRequest, found.copies())
    write_back(session, RequestLine, found.lines())


class _Round:
    """The running state of one acceptance: counters as the one-by-one path would see them."""

    def __init__(self, session: Session, principal: Principal, commits: list[PlannedCommit],
                 clock: Clock, policy: DispatchPolicy, ship: bool) -> None:
        self.principal, self.clock, self.policy, self.ship = principal, clock, policy, ship
        self.now = clock.now()
        self.found = locked_request_rows(session, [c.reference for c in commits])
        self.stock = StockLedger(session, principal=principal, clock=clock,
                                 holding_ids=[c.holding_id for c in commits])
        self.moved = self.found.moved
        self.shipments: list[NewShipment] = []
        # holding drafts, and (action, request, payload, shipment) to draft once ids exist
        self.events: list[EventDraft | tuple[str, RequestCopy, dict[str, object],
                                             NewShipment]] = []

    def progress(self, request: ResourceRequest) -> list[LineProgress]:
        return list(_progress(request, self.moved).values())

    def commit(self, row: RequestCopy, item: PlannedCommit) -> NewShipment:
        """commit_line's checks and moves on the running counters."""
        request = cast(ResourceRequest, row)  # the rules read and set columns only
        check_allowed(request, Action.COMMIT)
        line = _line(request, item.line_id)
        holding = self.stock.holding(item.holding_id)
        _check_type(line, holding.resource_type_code)
        _check_usable(holding, self.clock)
        _check_minimum(line, item.quantity)
        if line.committed + item.quantity > line.quantity:  # _move_committed's condition
            raise over_commitment(line, item.quantity)
        self.events.append(self.stock.adjust(holding.id, -item.quantity,
                                             f"request {request.reference}"))
        line.committed += item.quantity
        shipment = NewShipment(request_id=request.id, line_id=line.id, holding_id=holding.id,
                               quantity=item.quantity, committed_by=self.principal.actor,
                               committed_at=self.now)
        request.status = lifecycle.next_status(request.status, Action.COMMIT,
                                               lines=self.progress(request))
        refresh_sla(request, self.now, self.policy)
        request.updated_at = self.now
        self.events.append(("request.committed", row, {
            "by": "staff", "status": request.status.value, "line": line.position,
            "line_id": line.id, "holding_id": holding.id, "quantity": item.quantity},
            shipment))
        return shipment

    def send(self, row: RequestCopy, shipment: NewShipment) -> None:
        """ship_shipment's move: every unit of the new shipment leaves now."""
        request = cast(ResourceRequest, row)
        check_allowed(request, Action.SHIP)
        shipment.shipped = shipment.quantity
        self.moved[shipment.line_id][0] += shipment.quantity
        request.status = lifecycle.next_status(request.status, Action.SHIP,
                                               lines=self.progress(request))
        self.events.append(("request.shipped", row, {
            "by": "staff", "status": request.status.value, "quantity": shipment.quantity,
            "reason": ""}, shipment))

    def accept(self, row: RequestCopy, items: list[PlannedCommit]) -> None:
        """One request's commitments (and shipping), all or nothing."""
        request = cast(ResourceRequest, row)
        snapshot = _Snapshot(request.status, request.sla_due_at, request.updated_at,
                             {ln.id: ln.committed for ln in request.lines}, self.stock.mark())
        marks = (len(self.events), {k: list(v) for k, v in self.moved.items()})
        try:
            require(self.principal, Permission.REQUEST_COMMIT, area_path=row.queue_path)
            new = [self.commit(row, item) for item in items]
            if self.ship:
                for shipment in new:
                    self.send(row, shipment)
        except (CommunitasError, lifecycle.IllegalTransition):
            request.status, request.sla_due_at = snapshot.status, snapshot.sla_due_at
            request.updated_at = snapshot.updated_at
            for ln in request.lines:
                ln.committed = snapshot.committed[ln.id]
            self.stock.restore(snapshot.stock)
            del self.events[marks[0]:]
            self.moved = defaultdict(lambda: [0, 0], marks[1])
            raise
        self.shipments += new


def _drafts(run: _Round) -> list[EventDraft]:
    """The events in the one-by-one order, now that the shipments have ids."""
    drafts = []
    for event in run.events:
        if isinstance(event, EventDraft):
            drafts.append(event)
            continue
        action, request, payload, shipment = event
        drafts.append(EventDraft(action, "request", request.reference, request.area_code,
                                 payload={**payload, "shipment_id": shipment.id}))
    return drafts


def accept_plan(
    session: Session, *, principal: Principal, commits: list[PlannedCommit],
    ship: bool = False, clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> PlanAcceptance:
    """Commit the plan's shipments request by request (in the order first named), each
    request all or nothing; with ``ship`` every new shipment leaves at once."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    run = _Round(session, principal, commits, clock, policy, ship)
    grouped: dict[str, list[PlannedCommit]] = defaultdict(list)
    for item in commits:
        grouped[item.reference].append(item)
    refused: dict[str, str] = {}
    for reference, items in grouped.items():
        request = run.found.requests.get(reference)
        try:
            if request is None:
                raise NotFound(_("Unknown request {value}"), code="unknown_request",
                               value=reference)
            run.accept(request, items)
        except CommunitasError as exc:
            refused[reference] = "suggestion_stale" if exc.code in STALE else exc.code
        except lifecycle.IllegalTransition:
            refused[reference] = "illegal_transition"
    run.stock.write(session)
    _write(session, run.found)
    ids = insert_rows(session, Shipment, [shipment.row() for shipment in run.shipments])
    for shipment, shipment_id in zip(run.shipments, ids, strict=True):
        shipment.id = shipment_id
    record_events(session, actor=principal.actor, drafts=_drafts(run), clock=clock)
    return PlanAcceptance(shipments=run.shipments, refused=refused)


# --- deliveries and confirmations -------------------------------------------------------------

@dataclass
class Deliveries:
    """The shipments delivered (plain copies of their rows, as written) and the refusals,
    each by its step's position."""

    shipments: dict[int, RowCopy] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


@dataclass
class Confirmations:
    """The requests confirmed (plain copies of their rows, as written) and the refusals,
    each by its item's position."""

    requests: dict[int, RequestCopy] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def deliver_many(
    session: Session, *, principal: Principal, steps: list[tuple[str, ShipmentStep]],
    clock: Clock | None = None,
) -> Deliveries:
    """Units in transit arrive, for each (reference, step) in order, as
    :func:`fulfilment.deliver_shipment` would take them one by one."""
    clock = clock or SystemClock()
    now = clock.now()
    found = locked_request_rows(session, [ref for ref, _step in steps])
    shipments = read_copies(session, Shipment, [step.shipment_id for _ref, step in steps],
                            lock=True)
    outcome, drafts = Deliveries(), []
    for position, (reference, step) in enumerate(steps):
        row = found.requests.get(reference)
        try:
            if row is None:
                raise _unknown(reference)
            request = cast(ResourceRequest, row)  # the rules read and set columns only
            require(principal, Permission.REQUEST_COMMIT, area_path=row.queue_path)
            check_allowed(request, Action.DELIVER)
            shipment = check_shipment(request, step.shipment_id,
                                      cast(Shipment | None, shipments.get(step.shipment_id)))
            quantity, available = step_quantity(shipment, Action.DELIVER, step)
            if shipment.delivered + quantity > shipment.shipped:  # the UPDATE's condition
                raise nothing_to_move(Action.DELIVER.value, quantity, available)
        except CommunitasError as exc:
            outcome.refused[position] = exc.code
            continue
        shipment.delivered += quantity
        shipment.updated_at = now
        found.moved[shipment.line_id][1] += quantity
        move_status(request, Action.DELIVER, _progress(request, found.moved).values())
        drafts.append(log_draft(request, area_code=row.area_code, by="staff",
                                action="request.delivered", now=now,
                                payload=step_payload(shipment, quantity, step)))
        outcome.shipments[position] = shipments[shipment.id]
    write_back(session, ResourceRequest, found.copies())
    write_back(session, Shipment, list(outcome.shipments.values()))
    record_events(session, actor=principal.actor, drafts=drafts, clock=clock)
    return outcome


def confirm_many(
    session: Session, *, items: list[tuple[str, str | None]], clock: Clock | None = None,
    policy: DispatchPolicy | None = None,
) -> Confirmations:
    """Requesters confirm receipt with their tokens, for each (reference, token) in order,
    as :func:`fulfilment.confirm_request` would take them one by one (no principal)."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    found = locked_request_rows(session, [ref for ref, _token in items])
    aliases = request_rows.aliases(session, [r.id for r in found.copies()])
    outcome, drafts = Confirmations(), []
    for position, (reference, token) in enumerate(items):
        row = found.requests.get(reference)
        try:
            if row is None:
                raise _unknown(reference)
            request = cast(ResourceRequest, row)  # the rules read and set columns only
            if not token or not token_opens(policy, token,
                                            [request.reference, *aliases[request.id]]):
                raise not_requester()
            actor, by = requester_actor(request, None)
            move_status(request, Action.CONFIRM, ())
        except CommunitasError as exc:
            outcome.refused[position] = exc.code
            continue
        refresh_sla(request, now, policy)
        unmet = unmet_units(request, _progress(request, found.moved))
        draft = log_draft(request, area_code=row.area_code, by=by,
                          action="request.confirmed", now=now, payload={"unmet": unmet})
        drafts.append(replace(draft, actor=actor))
        outcome.requests[position] = row
    write_back(session, ResourceRequest, found.copies())
    record_events(session, actor="system", drafts=drafts, clock=clock)
    return outcome
