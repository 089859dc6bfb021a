"""The dispatcher's suggested plan: open lines and usable stock from the database, solved by
the allocation engine (dispatch/optimiser.py), mapped back to the holdings to commit from.

Scope: lines of requests queued in the subtree of ``within``; stock the dispatcher could
commit — holdings in that subtree and those kept at the areas above it (the street and
district reserves) where the dispatcher holds ``resource.write``. Commitments stand: the
engine sees each line's uncommitted units and the stock left in each holding, so committed
units are neither planned again nor taken away. Nothing is stored; accepting commits the
suggested shipments through :func:`fulfilment.commit_line`, all or nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.config import Settings
from communitas.db import IN_CHUNK, rows_by_id
from communitas.dispatch import fulfilment
from communitas.dispatch.lifecycle import FULFILMENT
from communitas.dispatch.models import LineKind, RequestLine, ResourceRequest
from communitas.dispatch.optimiser import solve
from communitas.dispatch.plan import Plan
from communitas.dispatch.problem import Problem, Reach, make_problem
from communitas.dispatch.schemas import CommitIn, SuggestedLine, SuggestedPlan, SuggestedShipment
from communitas.dispatch.service import DispatchPolicy, get_request, require_queue
from communitas.errors import CommunitasError, Conflict
from communitas.i18n import _
from communitas.resources import service as resources
from communitas.resources.models import Holding, HoldingCondition, ResourceType
from communitas.resources.schemas import HoldingRead

__all__ = ["SuggestionPolicy", "accept_suggestion", "suggest_for_request", "suggest_plan"]

# Refusals that mean the world moved since the plan was made: re-plan, then accept again.
STALE = frozenset({"insufficient_stock", "over_commitment", "unusable_holding"})
Point = tuple[float, float]  # (lon, lat)


@dataclass(frozen=True)
class SuggestionPolicy:
    """Reach of the suggestion: each line may draw on its ``nearest`` holder locations."""

    nearest: int = 50
    speed_kmh: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SuggestionPolicy:
        return cls(nearest=settings.allocation_reach_nearest,
                   speed_kmh=settings.allocation_reach_speed_kmh)


@dataclass(frozen=True)
class _Stock:
    """What the plan needs of one usable holding (read as plain columns, not ORM rows)."""

    id: int
    resource_type_code: str
    quantity: int
    expires_on: date | None


@dataclass(frozen=True)
class _Spot:
    """What a depot's area is asked for — its path (for ``can``) and usually its point —
    read as plain columns (an ``Area`` row carries its geometry)."""

    id: int
    path: str
    lon: float | None
    lat: float | None


@dataclass
class _Depot:
    """A supply point: one organisation's usable holdings at one area, first expiry first."""

    area: _Spot
    holdings: list[_Stock]


def _spots(session: Session, ids: list[int]) -> dict[int, _Spot]:
    found: dict[int, _Spot] = {}
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CHUNK):
        for row in session.execute(select(Area.id, Area.path, Area.lon, Area.lat).where(
                Area.id.in_(ordered[start:start + IN_CHUNK]))):
            found[row.id] = _Spot(row.id, row.path, row.lon, row.lat)
    return found


@dataclass(frozen=True)
class _OpenLine:
    """What the plan needs of one open line and its request, read as plain columns: every
    round reads every open line, which during a long shortage are tens of thousands."""

    reference: str
    request_priority: int
    area_id: int
    lon: float | None
    lat: float | None
    id: int
    position: int
    resource_type_id: int
    resource_type_code: str
    quantity: int
    committed: int
    min_quantity: int | None
    line_priority: int | None

    @property
    def priority(self) -> int:
        """The line's own priority, else its request's."""
        return self.line_priority or self.request_priority


def _open_lines(session: Session, root: Area) -> list[_OpenLine]:
    """Uncommitted item lines queued in ``root``'s subtree: most urgent, then oldest first."""
    low, high = root.subtree_bounds()
    rows = session.execute(
        select(ResourceRequest.reference, ResourceRequest.priority, ResourceRequest.area_id,
               ResourceRequest.lon, ResourceRequest.lat, RequestLine.id, RequestLine.position,
               RequestLine.resource_type_id, ResourceType.code, RequestLine.quantity,
               RequestLine.committed, RequestLine.min_quantity, RequestLine.priority)
        .join(RequestLine, RequestLine.request_id == ResourceRequest.id)
        .join(ResourceType, ResourceType.id == RequestLine.resource_type_id)
        .join(Area, Area.id == ResourceRequest.queue_area_id)
        .where(Area.path >= low, Area.path < high,
               ResourceRequest.status.in_(sorted(FULFILMENT)),
               RequestLine.kind == LineKind.ITEMS,
               RequestLine.committed < RequestLine.quantity)
        .order_by(ResourceRequest.priority, ResourceRequest.created_at, ResourceRequest.id,
                  RequestLine.position)).all()
    return [_OpenLine(*cast(tuple[Any, ...], row)) for row in rows]


def _depots(session: Session, principal: Principal, root: Area, type_ids: list[int],
            on: date) -> list[_Depot]:
    """Usable stock the principal may draw from, grouped by (area, organisation).

    One set-based read of the holdings' columns; the areas they lie in are read once each,
    and ``resource.write`` is asked once per (area, organisation)."""
    low, high = root.subtree_bounds()
    above = [int(part) for part in root.path.strip("/").split("/")[:-1]]
    query = (resources.list_holdings(session, principal=principal,
                                     condition=HoldingCondition.GOOD)
             .with_only_columns(Holding.id, Holding.area_id, Holding.organisation_id,
                                Holding.resource_type_id, Holding.quantity, Holding.expires_on)
             .where(or_(and_(Area.path >= low, Area.path < high), Area.id.in_(above)),
                    Holding.quantity > 0, Holding.resource_type_id.in_(type_ids),
                    or_(Holding.expires_on.is_(None), Holding.expires_on >= on)))
    rows = session.execute(query).all()
    codes = {type_id: code for type_id, code in session.execute(
        select(ResourceType.id, ResourceType.code).where(ResourceType.id.in_(type_ids)))}
    places = _spots(session, [row.area_id for row in rows])
    allowed: dict[tuple[int, int], bool] = {}
    groups: dict[tuple[int, int], _Depot] = {}
    for holding_id, area_id, org_id, type_id, quantity, expires_on in rows:
        key = (area_id, org_id)
        if key not in allowed:
            allowed[key] = can(principal, Permission.RESOURCE_WRITE,
                               area_path=places[area_id].path, org_id=org_id)
        if allowed[key]:
            groups.setdefault(key, _Depot(places[area_id], [])).holdings.append(
                _Stock(holding_id, codes[type_id], quantity, expires_on))
    for depot in groups.values():
        depot.holdings.sort(key=lambda h: (h.expires_on or date.max, h.id))
    return [groups[key] for key in sorted(groups)]


def _point(session: Session, spot: Area | _Spot, cache: dict[int, Point | None]
           ) -> Point | None:
    """The area's own point, else the mean of located areas below it, else the nearest
    located area above it (a street reserve often has no geometry of its own)."""
    if spot.id in cache:
        return cache[spot.id]
    point: Point | None = None
    if spot.lon is not None and spot.lat is not None:
        point = (spot.lon, spot.lat)
    else:
        area = spot if isinstance(spot, Area) else areas.get_area_by_id(session, area_id=spot.id)
        low, high = area.subtree_bounds()
        lon, lat = session.execute(select(func.avg(Area.lon), func.avg(Area.lat)).where(
            Area.path >= low, Area.path < high, Area.lon.is_not(None),
            Area.lat.is_not(None))).one()
        if lon is not None and lat is not None:
            point = (float(lon), float(lat))
        elif area.parent_id is not None:
            point = _point(session, areas.get_area_by_id(session, area_id=area.parent_id),
                           cache)
    cache[spot.id] = point
    return point


def _request_point(session: Session, line: _OpenLine,
                   cache: dict[int, Point | None]) -> Point | None:
    """Where the request is: its own point, else its area's."""
    if line.lon is not None and line.lat is not None:
        return line.lon, line.lat
    if line.area_id in cache:
        return cache[line.area_id]
    return _point(session, areas.get_area_by_id(session, area_id=line.area_id), cache)


def _coordinates(points: list[Point | None]) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes; a point nobody located sits at the mean of the others."""
    known = [p for p in points if p is not None]
    fallback = (float(np.mean([p[0] for p in known])), float(np.mean([p[1] for p in known]))) \
        if known else (0.0, 0.0)
    filled = [p if p is not None else fallback for p in points]
    return np.array([p[0] for p in filled]), np.array([p[1] for p in filled])


def _problem(session: Session, lines: list[_OpenLine], depots: list[_Depot],
             policy: SuggestionPolicy) -> Problem:
    """One demand point per open line (its own priority), one supply point per depot."""
    types = tuple(sorted({line.resource_type_code for line in lines}))
    column = {code: t for t, code in enumerate(types)}
    stock = np.zeros((len(depots), len(types)), dtype=np.int64)
    for s, depot in enumerate(depots):
        for holding in depot.holdings:
            stock[s, column[holding.resource_type_code]] += holding.quantity
    needs = np.zeros((len(lines), len(types)), dtype=np.int64)
    for d, line in enumerate(lines):
        needs[d, column[line.resource_type_code]] = line.quantity - line.committed
    cache: dict[int, Point | None] = {}
    s_lon, s_lat = _coordinates([_point(session, depot.area, cache) for depot in depots])
    d_lon, d_lat = _coordinates([_request_point(session, line, cache) for line in lines])
    return make_problem(
        resource_types=types, supply_ids=tuple(f"s{s}" for s in range(len(depots))),
        stock=stock, demand_ids=tuple(f"line-{line.id}" for line in lines),
        priority=np.array([line.priority for line in lines], dtype=np.int64),
        needs=needs, supply_lat=s_lat, supply_lon=s_lon, demand_lat=d_lat, demand_lon=d_lon,
        reach=Reach(nearest=policy.nearest, speed_kmh=policy.speed_kmh))


def _pieces(plan: Plan, depots: list[_Depot]) -> dict[int, list[tuple[_Stock, int, float]]]:
    """Demand index → (holding, units, minutes): each shipment split first expiry first."""
    links, types = plan.problem.links, plan.problem.resource_types
    left = {h.id: h.quantity for depot in depots for h in depot.holdings}
    pieces: dict[int, list[tuple[_Stock, int, float]]] = defaultdict(list)
    for k, t, quantity in zip(plan.link, plan.type, plan.quantity, strict=True):
        s, d = int(links.supply[k]), int(links.demand[k])
        wanted, minutes = int(quantity), round(float(links.minutes[k]), 1)
        for holding in depots[s].holdings:
            if holding.resource_type_code != types[t]:
                continue
            take = min(wanted, left[holding.id])
            if take > 0:
                pieces[d].append((holding, take, minutes))
                left[holding.id] -= take
                wanted -= take
    return pieces


def _kept(line: _OpenLine, pieces: list[tuple[_Stock, int, float]]
          ) -> list[tuple[_Stock, int, float]]:
    """A bulk order's commitments must reach its minimum, so smaller pieces are left out."""
    floor = min(line.min_quantity or 1, line.quantity - line.committed)
    return [(h, q, m) for h, q, m in pieces if q >= floor]


def _line(line: _OpenLine, kept: list[tuple[_Stock, int, float]],
          reads: dict[int, HoldingRead]) -> SuggestedLine:
    open_units = line.quantity - line.committed
    shipments = [SuggestedShipment(holding_id=h.id, organisation_code=reads[h.id]
                                   .organisation_code, area_code=reads[h.id].area_code,
                                   quantity=q, minutes=m) for h, q, m in kept]
    return SuggestedLine(
        reference=line.reference, line_id=line.id, position=line.position,
        resource_type_code=line.resource_type_code,
        priority=line.priority, open=open_units, shipments=shipments,
        unmet=open_units - sum(s.quantity for s in shipments))


def suggest_plan(session: Session, *, principal: Principal, within: str,
                 clock: Clock | None = None,
                 policy: SuggestionPolicy | None = None) -> SuggestedPlan:
    """The optimiser's plan for every open line queued in ``within``'s subtree."""
    clock, policy = clock or SystemClock(), policy or SuggestionPolicy()
    root = areas.get_area(session, code=within)
    require(principal, Permission.REQUEST_COMMIT, area_path=root.path)
    lines = _open_lines(session, root)
    type_ids = sorted({line.resource_type_id for line in lines})
    depots = _depots(session, principal, root, type_ids, resources.today(clock)) \
        if lines else []
    status, metrics = "optimal", {}
    pieces: dict[int, list[tuple[_Stock, int, float]]] = {}
    if lines and depots:
        plan = solve(_problem(session, lines, depots, policy))
        status, metrics, pieces = plan.status, plan.metrics, _pieces(plan, depots)
    kept = [_kept(line, pieces.get(d, [])) for d, line in enumerate(lines)]
    used = rows_by_id(session, Holding, [h.id for chosen in kept for h, _q, _m in chosen])
    reads = {r.id: r for r in resources.holding_reads(session, [used[i] for i in sorted(used)])}
    return SuggestedPlan(
        within=root.code, generated_at=clock.now(), status=status, supply_points=len(depots),
        lines=[_line(line, chosen, reads) for line, chosen in zip(lines, kept, strict=True)],
        metrics=metrics)


def suggest_for_request(session: Session, *, principal: Principal, reference: str,
                        clock: Clock | None = None,
                        policy: SuggestionPolicy | None = None) -> SuggestedPlan:
    """The part of its queue's plan that concerns one request (it competes with the rest)."""
    request = get_request(session, reference=reference)
    require_queue(session, principal, request, Permission.REQUEST_COMMIT)
    queue = areas.get_area_by_id(session, area_id=request.queue_area_id)
    whole = suggest_plan(session, principal=principal, within=queue.code, clock=clock,
                         policy=policy)
    return whole.model_copy(update={
        "lines": [ln for ln in whole.lines if ln.reference == request.reference]})


def accept_suggestion(
    session: Session, *, principal: Principal, reference: str,
    shipments: list[CommitIn] | None = None, clock: Clock | None = None,
    policy: DispatchPolicy | None = None, suggestion: SuggestionPolicy | None = None,
) -> ResourceRequest:
    """Commit every suggested shipment of a request, all or nothing.

    ``shipments`` are those the dispatcher saw; without them the current suggestion is
    taken. A refusal because stock or the request moved meanwhile is ``suggestion_stale``.
    """
    if not shipments:
        part = suggest_for_request(session, principal=principal, reference=reference,
                                   clock=clock, policy=suggestion)
        shipments = [CommitIn(line_id=ln.line_id, holding_id=s.holding_id, quantity=s.quantity)
                     for ln in part.lines for s in ln.shipments]
    if not shipments:
        raise Conflict(_("Nothing can be suggested for this request now"),
                       code="nothing_suggested")
    item = shipments[0]
    try:
        with session.begin_nested():
            for item in shipments:
                fulfilment.commit_line(session, principal=principal, reference=reference,
                                       data=item, clock=clock, policy=policy)
    except CommunitasError as exc:
        if exc.code not in STALE:
            raise
        raise Conflict(_("Stock or the request changed since the plan was made; ask for a "
                         "new suggestion"), code="suggestion_stale",
                       details={"reason": exc.code, "line_id": item.line_id,
                                "holding_id": item.holding_id, "refusal": exc.details}
                       ) from exc
    return get_request(session, reference=reference)
