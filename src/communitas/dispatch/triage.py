"""Triage and the queue: verify, reject, approve, decline, cancel, adjust; routing a request
to the lowest level that can meet it, and escalating it when its SLA runs out.

The numbers for routing come from resources.service (holdings and capacity offers); the
decision is the pure :func:`communitas.dispatch.routing.route`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Select,
    Subquery,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM, Principal, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK, rows_by_id
from communitas.dispatch import routing
from communitas.dispatch.fulfilment import release_undelivered
from communitas.dispatch.lifecycle import OPEN, Action
from communitas.dispatch.models import Notification, RequestLine, ResourceRequest
from communitas.dispatch.routing import Level, Need, RoutingDecision, Supply
from communitas.dispatch.schemas import RequestAdjust
from communitas.dispatch.service import (
    DispatchPolicy,
    Place,
    check_allowed,
    lock_request,
    log,
    log_draft,
    place_of,
    refresh_sla,
    require_queue,
    resolve_actor,
    transition,
)
from communitas.errors import Conflict, NotFound, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.resources import capacity as resources_capacity
from communitas.resources import service as resources
from communitas.resources.models import (
    CapacityOffer,
    CapacityOfferArea,
    CapacityPeriod,
    Holding,
    HoldingCondition,
)
from communitas.row_copies import update_rows

__all__ = [
    "SUPERVISORS", "RoutingMemo", "StaffAction", "adjust_request", "approve_request",
    "cancel_request", "decline_request", "escalate_overdue", "escalate_request",
    "place_in_queue", "reject_request", "route_request", "verify_request",
]

class StaffAction(Protocol):
    """The shape of the staff actions that take only a reason."""

    def __call__(self, session: Session, *, principal: Principal, reference: str,
                 reason: str = "", clock: Clock | None = None,
                 policy: DispatchPolicy | None = None) -> ResourceRequest: ...


# Who is told when a request reaches a level's queue.
SUPERVISORS = {Level.COMMUNITY: Role.COMMUNITY_COMMITTEE, Level.STREET: Role.STREET_COMMANDER,
               Level.DISTRICT: Role.DISTRICT_COMMANDER, Level.OUTSIDE: Role.DISTRICT_COMMANDER}


# --- routing ---------------------------------------------------------------------------------

def _needs(request: ResourceRequest) -> list[Need]:
    return [Need(options=(line.resource_type.code, *line.substitutes),
                 quantity=line.quantity - line.committed,
                 weight=routing.PRIORITY_WEIGHTS[line.priority or request.priority])
            for line in request.lines]


def _held_by_type(session: Session, area: Area, type_ids: list[int] | None,
                  on: date) -> dict[int, int]:
    """Usable units per type id held in ``area``'s subtree (good, not expired)."""
    held = _usable_holdings(session, area, on)
    query = (select(held.c.resource_type_id, func.sum(held.c.quantity))
             .group_by(held.c.resource_type_id))
    if type_ids is not None:
        query = query.where(held.c.resource_type_id.in_(type_ids))
    return {type_id: int(total) for type_id, total in session.execute(query).all()}


def _usable(session: Session, area: Area, on: date) -> Select[Any]:
    """The select of the holdings in ``area``'s subtree that can be given out on ``on``
    (``list_holdings``' own, joined to ``Area``)."""
    return (resources.list_holdings(session, principal=SYSTEM, within=area.code,
                                    condition=HoldingCondition.GOOD)
            .where(or_(Holding.expires_on.is_(None), Holding.expires_on >= on)))


def _usable_holdings(session: Session, area: Area, on: date) -> Subquery:
    """:func:`_usable` as a subquery."""
    return _usable(session, area, on).subquery()


def _usable_rows(session: Session, top: Area, on: date, ids: Sequence[int] | None = None
                 ) -> list[tuple[int, str, int, int]]:
    """(holding id, area path, type id, units) of :func:`_usable` in ``top``'s subtree, all
    or those among ``ids``; no ORDER BY Holding.id for the database to sort by first."""
    query = (_usable(session, top, on).order_by(None)
             .with_only_columns(Holding.id, Area.path, Holding.resource_type_id,
                                Holding.quantity))
    queries = [query] if ids is None else [
        query.where(Holding.id.in_(ids[start:start + IN_CHUNK]))
        for start in range(0, len(ids), IN_CHUNK)]
    return [(holding_id, path, type_id, int(units)) for chunk in queries
            for holding_id, path, type_id, units in session.execute(chunk)]


class _DistrictStock:
    """:func:`_held_by_type` of a district and of every area below it that holds anything,
    from one read of its usable holdings, each added up its path; kept up to date holding
    by holding (:meth:`restock`) instead of read again whole."""

    def __init__(self, session: Session, top: Area, on: date) -> None:
        self.top, self.on = top, on
        self._below = top.path.count("/") - 2  # ancestors of ``top`` are not its to count
        self.totals: dict[int, dict[int, int]] = {top.id: {}}
        self._counts: dict[int, dict[int, int]] = {top.id: {}}  # holdings in each total
        self._rows: dict[int, tuple[str, int, int]] = {}  # holding id → path, type, units
        self._chains: dict[str, list[int]] = {}  # path → the areas it adds to
        for row in _usable_rows(session, top, on):
            self._add(*row)

    def _chain(self, path: str) -> list[int]:
        chain = self._chains.get(path)
        if chain is None:
            chain = self._chains[path] = [int(part) for part
                                          in path.strip("/").split("/")[self._below:]]
        return chain

    def _add(self, holding_id: int, path: str, type_id: int, units: int) -> None:
        self._rows[holding_id] = (path, type_id, units)
        for area_id in self._chain(path):
            per_type = self.totals.setdefault(area_id, {})
            per_type[type_id] = per_type.get(type_id, 0) + units
            counts = self._counts.setdefault(area_id, {})
            counts[type_id] = counts.get(type_id, 0) + 1

    def _remove(self, holding_id: int) -> None:
        path, type_id, units = self._rows.pop(holding_id)
        for area_id in self._chain(path):
            counts = self._counts[area_id]
            counts[type_id] -= 1
            if counts[type_id]:
                self.totals[area_id][type_id] -= units
            else:  # no usable holding of the type left there: as if never read
                del counts[type_id], self.totals[area_id][type_id]

    def restock(self, session: Session, holding_ids: Sequence[int]) -> None:
        """Read these holdings again (changed, new or gone) and correct the totals."""
        ids = sorted(set(holding_ids))
        rows = _usable_rows(session, self.top, self.on, ids)
        for holding_id in ids:
            if holding_id in self._rows:
                self._remove(holding_id)
        for row in rows:
            self._add(*row)


def _held_below(session: Session, top: Area, on: date) -> dict[int, dict[int, int]]:
    """:func:`_held_by_type` of ``top`` and of every area below it that holds anything."""
    return _DistrictStock(session, top, on).totals


def _per_day(offer: CapacityOffer) -> int:
    return offer.units_per_period * (24 if offer.period is CapacityPeriod.HOUR else 1)


def _offered_by_type(session: Session, community: Area) -> dict[int, int]:
    """Units per day, per type id, that active capacity offers reaching the community
    can deliver."""
    offers = resources_capacity.list_capacity_offers(
        session, principal=SYSTEM, within=community.code, active=True)
    per_day: dict[int, int] = {}
    for offer in session.execute(offers).scalars():
        per_day[offer.resource_type_id] = per_day.get(offer.resource_type_id, 0) + _per_day(offer)
    return per_day


# An active offer, as routing sees it: (type id, units per day, the paths it serves).
_Offer = tuple[int, int, tuple[str, ...]]


def _active_offers(session: Session) -> list[_Offer]:
    """Every active offer with the paths of the areas it serves, in two queries; what
    :func:`_offered_by_type` of any community sums is then :func:`_offered_from`."""
    listing = resources_capacity.list_capacity_offers(session, principal=SYSTEM, active=True)
    offers = list(session.execute(listing).scalars())
    served: dict[int, list[str]] = {}
    for offer_id, path in session.execute(
            select(CapacityOfferArea.offer_id, Area.path)
            .join(Area, Area.id == CapacityOfferArea.area_id)
            .where(CapacityOfferArea.offer_id.in_(
                listing.with_only_columns(CapacityOffer.id).order_by(None)))
            .order_by(CapacityOfferArea.offer_id, Area.path)):
        served.setdefault(offer_id, []).append(path)
    return [(o.resource_type_id, _per_day(o), tuple(served.get(o.id, ()))) for o in offers]


def _offered_from(offers: list[_Offer], community: Area) -> dict[int, int]:
    """:func:`_offered_by_type` of ``community`` from :func:`_active_offers`: an offer
    reaches it when it serves an area in its subtree or one above it
    (capacity.list_capacity_offers' ``within``)."""
    low, high = community.subtree_bounds()
    per_day: dict[int, int] = {}
    for type_id, units, paths in offers:
        if any(low <= path < high or low.startswith(path) for path in paths):
            per_day[type_id] = per_day.get(type_id, 0) + units
    return per_day


def _load_lines(session: Session, requests: Sequence[ResourceRequest]) -> None:
    """Load the requests' lines with their resource types, one query per chunk (a
    selectinload would read the requests again, and each type on its first use)."""
    for start in range(0, len(requests), IN_CHUNK):
        chunk = requests[start:start + IN_CHUNK]
        lines: dict[int, list[RequestLine]] = {r.id: [] for r in chunk}
        for line in session.execute(
                select(RequestLine).where(RequestLine.request_id.in_(list(lines)))
                .options(joinedload(RequestLine.resource_type))
                .order_by(RequestLine.request_id, RequestLine.position)).scalars():
            lines[line.request_id].append(line)
        for request in chunk:
            set_committed_value(request, "lines", lines[request.id])


class RoutingMemo:
    """Places, type ids and stock per area gathered once for a batch of routing decisions.

    Valid while no stock moves: triage and escalation route, they never commit, so one
    batch's requests see the same numbers they would see one by one. Stock is read a
    district at a time (:func:`_held_below`); a keeper that learns stock or offers moved
    forgets just those (:meth:`forget_stock`, :meth:`forget_offers`) and keeps the places.
    """

    def __init__(self) -> None:
        self._places: dict[int, Place] = {}
        self._types: dict[str, int] = {}
        self._stock: dict[tuple[int, date], _DistrictStock] = {}  # per (district, day)
        self._offered: dict[int, dict[int, int]] = {}
        self._offers: list[_Offer] | None = None  # every active offer, read once

    def forget_stock(self) -> None:
        self._stock.clear()

    def restock(self, session: Session, holding_ids: Sequence[int]) -> None:
        """These holdings changed (or appeared, or went): read just them again."""
        for stock in self._stock.values():
            stock.restock(session, holding_ids)

    def forget_offers(self) -> None:
        self._offered.clear()
        self._offers = None

    def prepare(self, session: Session, requests: Sequence[ResourceRequest], on: date) -> None:
        """Read what routing ``requests`` on ``on`` will need, in a few queries instead of
        several per request, and before the batch changes anything (so no query in its loop
        has to flush first): their lines and types, their places, stock and offers."""
        _load_lines(session, [r for r in requests
                              if inspect(r).persistent and "lines" in inspect(r).unloaded])
        missing = sorted({r.area_id for r in requests} - self._places.keys())
        if missing:  # read with the areas above them, then place_of finds them all in the
            # identity map (which keeps a row only while something holds it: ``found`` does)
            found = rows_by_id(session, Area, missing)
            found |= rows_by_id(session, Area, sorted(
                {int(part) for area in found.values() for part in area.path.strip("/").split("/")}
                - found.keys()))
            for area_id in missing:
                self.place(session, area_id)
        for request in requests:
            place = self.place(session, request.area_id)
            self.held(session, place, on)
            self.offered(session, place.community)
            for line in request.lines:
                for code in (line.resource_type.code, *line.substitutes):
                    self.type_id(session, code)

    def place(self, session: Session, area_id: int) -> Place:
        if area_id not in self._places:
            self._places[area_id] = place_of(session, areas.get_area_by_id(session,
                                                                            area_id=area_id))
        return self._places[area_id]

    def type_id(self, session: Session, code: str) -> int:
        if code not in self._types:
            self._types[code] = resources.get_resource_type(session, code=code).id
        return self._types[code]

    def held(self, session: Session, place: Place, on: date) -> list[dict[int, int]]:
        """Units per type id in the place's community, street and district."""
        stock = self._stock.get((place.district.id, on))
        if stock is None:
            stock = self._stock[place.district.id, on] = _DistrictStock(session, place.district,
                                                                        on)
        return [stock.totals.get(area.id, {})
                for area in (place.community, place.street, place.district)]

    def offered(self, session: Session, community: Area) -> dict[int, int]:
        if community.id not in self._offered:
            if self._offers is None:
                self._offers = _active_offers(session)
            self._offered[community.id] = _offered_from(self._offers, community)
        return self._offered[community.id]


def _by_code(units: dict[int, int], type_ids: dict[int, str]) -> dict[str, int]:
    return {code: units[type_id] for type_id, code in type_ids.items() if type_id in units}


def route_request(session: Session, request: ResourceRequest, place: Place, *,
                  floor: Level, on: date, memo: RoutingMemo | None = None) -> RoutingDecision:
    """Gather stock per level for the request's types and ask the pure router."""
    needs = _needs(request)
    codes = {code for need in needs for code in need.options}
    if memo is None:
        type_ids = {resources.get_resource_type(session, code=c).id: c for c in sorted(codes)}
        wanted = sorted(type_ids)
        held = [_held_by_type(session, area, wanted, on)
                for area in (place.community, place.street, place.district)]
        offered = _offered_by_type(session, place.community)
    else:
        type_ids = {memo.type_id(session, c): c for c in sorted(codes)}
        held = memo.held(session, place, on)
        offered = memo.offered(session, place.community)
    supplies = [Supply(level, _by_code(units, type_ids)) for level, units in zip(
        (Level.COMMUNITY, Level.STREET, Level.DISTRICT), held, strict=True)]
    supplies.append(Supply(Level.OUTSIDE, _by_code(offered, type_ids)))
    return routing.route(needs, supplies, floor=floor)


def place_in_queue(session: Session, request: ResourceRequest, decision: RoutingDecision,
                   place: Place, *, now: datetime, policy: DispatchPolicy) -> None:
    """Put the request in the one queue of ``decision.level`` and restart its SLA clock."""
    request.queue_level = decision.level
    request.queue_area_id = place.queue_area(decision.level).id
    request.queued_at = now
    refresh_sla(request, now, policy, restart=True)


def _notification(request: ResourceRequest, place: Place, *, key: str, now: datetime,
                  payload: dict[str, object]) -> dict[str, Any]:
    """The notifications row telling the supervisors of the request's queue."""
    level = request.queue_level
    return {"created_at": now, "recipient_role": SUPERVISORS[level].value,
            "recipient_area_id": place.queue_area(level).id, "message_key": key,
            "request_id": request.id, "payload": {"reference": request.reference,
                                                  "priority": request.priority, **payload}}


def _notify(session: Session, request: ResourceRequest, place: Place, *, key: str,
            now: datetime, payload: dict[str, object]) -> None:
    session.add(Notification(**_notification(request, place, key=key, now=now,
                                             payload=payload)))


# --- escalation ------------------------------------------------------------------------------

def _escalate(session: Session, request: ResourceRequest, *, actor: str, by: str,
              reason: str, clock: Clock, policy: DispatchPolicy,
              memo: RoutingMemo | None = None, drafts: list[EventDraft] | None = None,
              notes: list[dict[str, Any]] | None = None) -> None:
    """Route one level up at least; with ``drafts`` the event is left to the caller's
    batch, and with ``notes`` the notification row."""
    above = routing.next_level(request.queue_level)
    if above is None:
        raise Conflict(_("This request is already with outside support"),
                       code="cannot_escalate", details={"level": request.queue_level.value})
    now = clock.now()
    place = memo.place(session, request.area_id) if memo is not None else \
        place_of(session, areas.get_area_by_id(session, area_id=request.area_id))
    decision = route_request(session, request, place, floor=above,
                             on=resources.today(clock), memo=memo)
    before = request.queue_level
    place_in_queue(session, request, decision, place, now=now, policy=policy)
    told: dict[str, object] = {"from": before.value, "to": request.queue_level.value,
                               "reason": reason}
    if notes is None:
        _notify(session, request, place, key="request.escalated", now=now, payload=told)
    else:
        notes.append(_notification(request, place, key="request.escalated", now=now,
                                   payload=told))
    payload = {"from": before.value, "to": request.queue_level.value, "reason": reason,
               "coverage": round(decision.coverage, 3)}
    if drafts is None:
        log(session, request, actor=actor, by=by, action="request.escalated", now=now,
            clock=clock, payload=payload)
        return
    drafts.append(log_draft(request, area_code=place.area.code, by=by,
                            action="request.escalated", payload=payload, now=now))


def escalate_request(
    session: Session, *, principal: Principal, reference: str, reason: str = "",
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """Staff send a request up: at least one level, past levels that could not meet it."""
    request = lock_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_TRIAGE)
    check_allowed(request, Action.ESCALATE)
    _escalate(session, request, actor=principal.actor, by="staff",
              reason=reason or "manual", clock=clock or SystemClock(),
              policy=policy or DispatchPolicy())
    return request


# What routing a request to a queue changes (place_in_queue, refresh_sla, log_draft).
_QUEUE_COLUMNS = ("queue_level", "queue_area_id", "queued_at", "sla_due_at", "updated_at")


def _write_queues(session: Session, requests: list[ResourceRequest]) -> None:
    """Write the requests' queue columns in one executemany UPDATE, and tell the session
    they are written (a flush would send one UPDATE per run of rows changing the same
    columns)."""
    update_rows(session, ResourceRequest, [
        (r.id, {column: getattr(r, column) for column in _QUEUE_COLUMNS}) for r in requests])
    for request in requests:
        for column in _QUEUE_COLUMNS:
            set_committed_value(request, column, getattr(request, column))


def escalate_overdue(
    session: Session, *, clock: Clock | None = None, policy: DispatchPolicy | None = None,
    memo: Callable[[Session], RoutingMemo] | None = None,
) -> list[str]:
    """Escalate every open request whose SLA ran out before full commitment; references.

    One locked read of the overdue requests, one events INSERT: the events are those
    escalating each request in turn appends, in the same order. When nothing is due, one
    read of the ``sla_due_at`` index is all it costs. ``memo`` gives the routing memo to
    use (a :class:`~communitas.dispatch.standing_memo.StandingMemo`'s ``current`` keeps
    places and stock between runs); by default a fresh one."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    # sorted here, not by ORDER BY id: SQLite would then walk the whole table in id order
    # rather than the index (a drill's city lockdown: hundreds of thousands of rows, every
    # five minutes)
    due = sorted(session.execute(select(ResourceRequest.id).where(
        ResourceRequest.sla_due_at <= now)).scalars())
    overdue: list[ResourceRequest] = []
    for start in range(0, len(due), IN_CHUNK):  # locked in id order, like every batch
        overdue += session.execute(
            select(ResourceRequest)
            .where(ResourceRequest.id.in_(due[start:start + IN_CHUNK]),
                   ResourceRequest.sla_due_at <= now,
                   ResourceRequest.status.in_(sorted(OPEN)),
                   ResourceRequest.queue_level != Level.OUTSIDE)
            .order_by(ResourceRequest.id)
            .with_for_update().execution_options(populate_existing=True)
            .options(selectinload(ResourceRequest.lines)
                     .selectinload(RequestLine.resource_type))).scalars()
    overdue.sort(key=lambda r: (r.priority, r.sla_due_at, r.id))
    if not overdue:
        return []
    # escalation routes, it never moves stock: one look-up per area
    routing = memo(session) if memo is not None else RoutingMemo()
    routing.prepare(session, overdue, resources.today(clock))
    drafts: list[EventDraft] = []
    notes: list[dict[str, Any]] = []
    for request in overdue:
        _escalate(session, request, actor=SYSTEM.actor, by="system", reason="sla",
                  clock=clock, policy=policy, memo=routing, drafts=drafts, notes=notes)
    _write_queues(session, sorted(overdue, key=lambda r: r.id))
    session.execute(insert(Notification), notes)  # in order, as the ORM would add them
    record_events(session, actor=SYSTEM.actor, drafts=drafts, clock=clock)
    return [request.reference for request in overdue]


# --- triage actions --------------------------------------------------------------------------

def _simple(session: Session, *, principal: Principal, reference: str, action: Action,
            permission: Permission, event: str, reason: str, clock: Clock | None,
            policy: DispatchPolicy | None) -> ResourceRequest:
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    if action in (Action.VERIFY, Action.REJECT):  # truth is local: staff where it is
        where = areas.get_area_by_id(session, area_id=request.area_id)
        require(principal, permission, area_path=where.path)
    else:  # decisions follow the queue
        require_queue(session, principal, request, permission)
    transition(session, request, action)
    now = clock.now()
    refresh_sla(request, now, policy)
    log(session, request, actor=principal.actor, by="staff", action=event, now=now,
        clock=clock, payload={"reason": reason})
    return request


def verify_request(session: Session, *, principal: Principal, reference: str,
                   reason: str = "", clock: Clock | None = None,
                   policy: DispatchPolicy | None = None) -> ResourceRequest:
    """The need is real (a grid worker called or visited); it no longer expires."""
    return _simple(session, principal=principal, reference=reference, action=Action.VERIFY,
                   permission=Permission.REQUEST_TRIAGE, event="request.verified",
                   reason=reason, clock=clock, policy=policy)


def reject_request(session: Session, *, principal: Principal, reference: str,
                   reason: str = "", clock: Clock | None = None,
                   policy: DispatchPolicy | None = None) -> ResourceRequest:
    """The request is false (a prank, vandalism, a rumour)."""
    return _simple(session, principal=principal, reference=reference, action=Action.REJECT,
                   permission=Permission.REQUEST_TRIAGE, event="request.rejected",
                   reason=reason, clock=clock, policy=policy)


def approve_request(session: Session, *, principal: Principal, reference: str,
                    reason: str = "", clock: Clock | None = None,
                    policy: DispatchPolicy | None = None) -> ResourceRequest:
    """The request will be met: stock may now be committed to it."""
    return _simple(session, principal=principal, reference=reference, action=Action.APPROVE,
                   permission=Permission.REQUEST_COMMIT, event="request.approved",
                   reason=reason, clock=clock, policy=policy)


def decline_request(session: Session, *, principal: Principal, reference: str,
                    reason: str = "", clock: Clock | None = None,
                    policy: DispatchPolicy | None = None) -> ResourceRequest:
    """The need is real but will not be met here (out of remit, met elsewhere)."""
    return _simple(session, principal=principal, reference=reference, action=Action.DECLINE,
                   permission=Permission.REQUEST_COMMIT, event="request.declined",
                   reason=reason, clock=clock, policy=policy)


def cancel_request(
    session: Session, *, principal: Principal | None, reference: str, token: str | None,
    reason: str = "", clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """The requester (or staff in the queue) withdraws it; undelivered stock goes back."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    actor, by = resolve_actor(session, request, principal=principal, token=token,
                              policy=policy, staff_permission=Permission.REQUEST_TRIAGE)
    check_allowed(request, Action.CANCEL)
    now = clock.now()
    with session.begin_nested():
        released = release_undelivered(session, request, now=now, clock=clock)
    transition(session, request, Action.CANCEL)
    refresh_sla(request, now, policy)
    log(session, request, actor=actor, by=by, action="request.cancelled", now=now,
        clock=clock, payload={"reason": reason, "returned_to_stock": released})
    return request


def adjust_request(
    session: Session, *, principal: Principal, reference: str, data: RequestAdjust,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """Accept or adjust: change priority, needed-by or line quantities (never below what is
    already committed); the event keeps every old value."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    request = lock_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_TRIAGE)
    check_allowed(request, Action.ADJUST)
    changes: dict[str, object] = {}
    for item in data.lines:
        line = next((ln for ln in request.lines if ln.id == item.line_id), None)
        if line is None:
            raise NotFound(_("Line {value} is not part of this request"), code="unknown_line",
                           value=item.line_id, details={"field": "lines"})
        if item.quantity < line.committed:
            raise ValidationFailed(
                _("Quantity {value} is below what is already committed ({committed})"),
                code="below_committed", value=item.quantity, committed=line.committed,
                details={"line_id": line.id, "committed": line.committed})
        if item.quantity != line.quantity:
            changes[f"line {line.position}"] = {"from": line.quantity, "to": item.quantity}
            line.quantity = item.quantity
            if line.min_quantity and line.min_quantity > line.quantity:
                line.min_quantity = line.quantity
    if data.priority is not None and data.priority != request.priority:
        changes["priority"] = {"from": request.priority, "to": data.priority}
        request.priority = data.priority
    if "needed_by" in data.model_fields_set and data.needed_by != request.needed_by:
        changes["needed_by"] = {"from": request.needed_by, "to": data.needed_by}
        request.needed_by = data.needed_by
    now = clock.now()
    session.flush()
    refresh_sla(request, now, policy, restart="priority" in changes)
    log(session, request, actor=principal.actor, by="staff", action="request.adjusted",
        now=now, clock=clock, payload={"changes": changes, "reason": data.reason})
    return request
