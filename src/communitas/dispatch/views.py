"""Reading requests: the public and full views, the dispatcher's queue, history, notices.

Anyone with a reference sees the public view: status, lines and queue level, never who
asked, where exactly, or why. The requester and staff in scope see the full view; the
phone only for readers :func:`communitas.dispatch.service.sees_phone` allows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.dispatch.fulfilment import shipment_state
from communitas.dispatch.lifecycle import OPEN, RequestStatus
from communitas.dispatch.models import Notification, RequestLine, ResourceRequest, Shipment
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import (
    HistoryEntry,
    LinePublicRead,
    LineRead,
    NotificationRead,
    RequestPublicRead,
    RequestRead,
    RequestSummary,
    ShipmentRead,
)
from communitas.dispatch.service import (
    DispatchPolicy,
    aliases,
    get_request,
    is_requester,
    place_of,
    progress,
    sees_phone,
)
from communitas.events import Event

__all__ = [
    "PUBLIC_DETAILS", "CommunityLoad", "community_load", "list_notifications", "list_queue",
    "notification_reads", "queue_rows", "read_request", "request_history", "request_view",
]

# Event payload keys the public may see: never free text, accounts or stock locations.
PUBLIC_DETAILS = frozenset({"status", "level", "from", "to", "quantity", "line", "into",
                            "unmet"})


def _sees_full(session: Session, request: ResourceRequest, principal: Principal | None,
               token: str | None, policy: DispatchPolicy) -> tuple[bool, str]:
    path = areas.get_area_by_id(session, area_id=request.area_id).path
    if is_requester(session, request, principal=principal, token=token, policy=policy):
        return True, path
    staff = principal is not None and can(principal, Permission.REQUEST_READ, area_path=path)
    return staff, path


def _merged_into(session: Session, request: ResourceRequest) -> str | None:
    if request.merged_into_id is None:
        return None
    return session.get_one(ResourceRequest, request.merged_into_id).reference


def _public(session: Session, request: ResourceRequest) -> RequestPublicRead:
    place = place_of(session, areas.get_area_by_id(session, area_id=request.area_id))
    steps = progress(session, request)
    return RequestPublicRead(
        reference=request.reference, status=request.status, priority=request.priority,
        community_code=place.community.code, queue_level=request.queue_level,
        created_at=request.created_at, updated_at=request.updated_at,
        needed_by=request.needed_by, merged_into=_merged_into(session, request),
        lines=[LinePublicRead(
            id=ln.id, position=ln.position, kind=ln.kind, resource_type_code=ln.resource_type.code,
            unit=ln.resource_type.unit, quantity=ln.quantity, committed=ln.committed,
            delivered=steps[ln.id].delivered) for ln in request.lines])


def _line_read(line: RequestLine, shipped: int, delivered: int) -> LineRead:
    return LineRead(
        id=line.id, position=line.position, kind=line.kind,
        resource_type_code=line.resource_type.code, unit=line.resource_type.unit,
        quantity=line.quantity, committed=line.committed, shipped=shipped,
        delivered=delivered, min_quantity=line.min_quantity, priority=line.priority,
        substitutes=list(line.substitutes), skills=list(line.skills),
        period_start=line.period_start, period_end=line.period_end)


def _full(session: Session, request: ResourceRequest, *, phone: bool) -> RequestRead:
    area = areas.get_area_by_id(session, area_id=request.area_id)
    place = place_of(session, area)
    steps = progress(session, request)
    shipments = session.execute(select(Shipment).where(Shipment.request_id == request.id)
                                .order_by(Shipment.id)).scalars().all()
    org = None
    if request.organisation_id is not None:
        from communitas.actors.models import Organisation  # read-only, for the code

        org = session.get_one(Organisation, request.organisation_id).code
    return RequestRead(
        reference=request.reference, status=request.status,
        requester_kind=request.requester_kind, submitted_by_staff=request.submitted_by_staff,
        organisation_code=org, contact_name=request.contact_name,
        phone=request.phone if phone else None, area_code=area.code,
        community_code=place.community.code, lon=request.lon, lat=request.lat,
        priority=request.priority, vulnerability=list(request.vulnerability),
        description=request.description, needed_by=request.needed_by,
        created_at=request.created_at, updated_at=request.updated_at,
        queue_level=request.queue_level,
        queue_area_code=areas.get_area_by_id(session, area_id=request.queue_area_id).code,
        queued_at=request.queued_at, sla_due_at=request.sla_due_at,
        merged_into=_merged_into(session, request), aliases=aliases(session, request),
        lines=[_line_read(ln, steps[ln.id].shipped, steps[ln.id].delivered)
               for ln in request.lines],
        shipments=[ShipmentRead(
            id=s.id, line_id=s.line_id, holding_id=s.holding_id, quantity=s.quantity,
            shipped=s.shipped, delivered=s.delivered, returned=s.returned,
            state=shipment_state(s), committed_at=s.committed_at)
            for s in shipments],
        rating=request.rating, rating_comment=request.rating_comment)


def request_view(session: Session, request: ResourceRequest, *, principal: Principal | None,
                 token: str | None, policy: DispatchPolicy) -> RequestRead | RequestPublicRead:
    """The full view for the requester and staff in scope, the public view for others."""
    full, path = _sees_full(session, request, principal, token, policy)
    if not full:
        return _public(session, request)
    mine = is_requester(session, request, principal=principal, token=token, policy=policy)
    return _full(session, request, phone=mine or sees_phone(principal, path))


def read_request(session: Session, *, principal: Principal | None, reference: str,
                 token: str | None, policy: DispatchPolicy) -> RequestRead | RequestPublicRead:
    request = get_request(session, reference=reference)
    return request_view(session, request, principal=principal, token=token, policy=policy)


def request_history(session: Session, *, principal: Principal | None, reference: str,
                    token: str | None, policy: DispatchPolicy) -> list[HistoryEntry]:
    """Every event of the request and of the duplicates merged into it, oldest first."""
    request = get_request(session, reference=reference)
    full, _path = _sees_full(session, request, principal, token, policy)
    subjects = [request.reference, *aliases(session, request)]
    events = session.execute(select(Event).where(
        Event.subject_type == "request", Event.subject_id.in_(subjects))
        .order_by(Event.seq)).scalars().all()
    entries = []
    for event in events:
        payload: dict[str, Any] = json.loads(event.payload)
        by = event.actor if full else str(payload.get("by", "system"))
        details = payload if full else {k: v for k, v in payload.items() if k in PUBLIC_DETAILS}
        if event.subject_id != request.reference:
            details = {**details, "reference": event.subject_id}
        entries.append(HistoryEntry(at=event.at, action=event.action, by=by, details=details))
    return entries


# --- the queue -------------------------------------------------------------------------------

def list_queue(
    session: Session, *, principal: Principal, status: RequestStatus | None = None,
    priority: int | None = None, level: Level | None = None, queue_within: str | None = None,
    within: str | None = None, include_closed: bool = False,
) -> Select[Any]:
    """Staff: requests located in their scope, most urgent and oldest first. Others: their
    own requests. The caller pages the select."""
    place, queue = aliased(Area), aliased(Area)
    query = (select(ResourceRequest).join(place, place.id == ResourceRequest.area_id)
             .join(queue, queue.id == ResourceRequest.queue_area_id)
             .order_by(ResourceRequest.priority, ResourceRequest.created_at,
                       ResourceRequest.id))
    if can(principal, Permission.REQUEST_READ):
        if (bounds := area_range(principal)) is not None:
            query = query.where(place.path >= bounds[0], place.path < bounds[1])
    else:
        query = query.where(_own(principal))
    if status is not None:
        query = query.where(ResourceRequest.status == status)
    elif not include_closed:
        query = query.where(ResourceRequest.status.in_(sorted(OPEN)))
    if priority is not None:
        query = query.where(ResourceRequest.priority == priority)
    if level is not None:
        query = query.where(ResourceRequest.queue_level == level)
    for alias, code in ((queue, queue_within), (place, within)):
        if code is not None:
            low, high = areas.get_area(session, code=code).subtree_bounds()
            query = query.where(alias.path >= low, alias.path < high)
    return query


def _own(principal: Principal) -> Any:
    mine = [column == value for column, value in (
        (ResourceRequest.requester_user_id, principal.user_id),
        (ResourceRequest.requester_person_id, principal.person_id)) if value is not None]
    return or_(*mine) if mine else false()


def queue_rows(session: Session, rows: Iterable[ResourceRequest]) -> list[RequestSummary]:
    rows = list(rows)
    ids = [r.id for r in rows]
    open_units: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    codes: dict[int, str] = {}
    if rows:
        for request_id, count, outstanding in session.execute(
                select(RequestLine.request_id, func.count(),
                       func.sum(RequestLine.quantity - RequestLine.committed))
                .where(RequestLine.request_id.in_(ids)).group_by(RequestLine.request_id)):
            open_units[request_id] = (int(count), int(outstanding or 0))
        area_ids = {r.area_id for r in rows} | {r.queue_area_id for r in rows}
        codes = {area_id: code for area_id, code in session.execute(
            select(Area.id, Area.code).where(Area.id.in_(sorted(area_ids)))).all()}
    return [RequestSummary(
        reference=r.reference, status=r.status, priority=r.priority,
        requester_kind=r.requester_kind, area_code=codes[r.area_id],
        queue_level=r.queue_level, queue_area_code=codes[r.queue_area_id],
        vulnerability=list(r.vulnerability), created_at=r.created_at, sla_due_at=r.sla_due_at,
        lines=open_units[r.id][0], outstanding=open_units[r.id][1]) for r in rows]


def list_notifications(session: Session, *, principal: Principal,
                       mine: bool = True) -> Select[Any]:
    """Notifications to areas in the principal's scope (to their role when ``mine``)."""
    require(principal, Permission.REQUEST_READ)
    query = (select(Notification).join(Area, Area.id == Notification.recipient_area_id)
             .order_by(Notification.id.desc()))
    if (bounds := area_range(principal)) is not None:
        query = query.where(and_(Area.path >= bounds[0], Area.path < bounds[1]))
    if mine:
        query = query.where(Notification.recipient_role == principal.role.value)
    return query


def notification_reads(session: Session, rows: Iterable[Notification]
                       ) -> list[NotificationRead]:
    rows = list(rows)
    codes = {area_id: code for area_id, code in session.execute(
        select(Area.id, Area.code).where(
            Area.id.in_(sorted({n.recipient_area_id for n in rows})))).all()}
    return [NotificationRead(
        id=n.id, created_at=n.created_at, recipient_role=n.recipient_role,
        recipient_area_code=codes[n.recipient_area_id], message_key=n.message_key,
        request_reference=str(n.payload.get("reference")) if n.payload else None,
        payload=n.payload) for n in rows]


@dataclass
class CommunityLoad:
    """Open requests located in one community: how many, how many urgent, units open."""

    requests: int = 0
    urgent: int = 0
    outstanding: int = 0


def community_load(session: Session, *, principal: Principal,
                   within: str) -> dict[str, CommunityLoad]:
    """Open requests in the principal's scope under ``within``, per community code (the map)."""
    require(principal, Permission.REQUEST_READ)
    requests = list_queue(session, principal=principal, within=within).order_by(None).subquery()
    rows = session.execute(
        select(Area.path, requests.c.id, requests.c.priority,
               func.sum(RequestLine.quantity - RequestLine.committed))
        .join(Area, Area.id == requests.c.area_id)
        .join(RequestLine, RequestLine.request_id == requests.c.id)
        .group_by(Area.path, requests.c.id, requests.c.priority)).all()
    low, high = areas.get_area(session, code=within).subtree_bounds()
    communities = dict(session.execute(select(Area.path, Area.code).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)).all())
    loads: dict[str, CommunityLoad] = defaultdict(CommunityLoad)
    for path, _id, priority, outstanding in rows:
        parts = path.strip("/").split("/")
        prefixes = ("/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1))
        code = next((communities[p] for p in prefixes if p in communities), None)
        if code is None:
            continue
        load = loads[code]
        load.requests += 1
        load.urgent += int(priority <= 2)
        load.outstanding += int(outstanding or 0)
    return dict(loads)
