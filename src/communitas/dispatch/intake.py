"""Intake: one window for every request, signed in or not.

A submission is checked whole before anything is written, counted against its client's
rate limit, matched against its Idempotency-Key (same key and body: the original answer,
nothing new), merged into an open duplicate or routed to the lowest level that can meet it,
and appended to the event log — all in the caller's one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can, in_area_scope
from communitas.auth.roles import AREA_SCOPED, Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.dispatch import lifecycle
from communitas.dispatch.dedupe import find_duplicate, merge_into
from communitas.dispatch.lifecycle import Action, RequestStatus
from communitas.dispatch.models import (
    LineKind,
    RateLimitWindow,
    RequesterKind,
    RequestLine,
    ResourceRequest,
)
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import ItemsLine, PeopleLine, RequestCreate
from communitas.dispatch.service import DispatchPolicy, log, place_of, transition
from communitas.dispatch.triage import place_in_queue, route_request
from communitas.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from communitas.events import canonical_json
from communitas.i18n import _
from communitas.resources import service as resources
from communitas.resources.lookups import CHINA_TZ
from communitas.resources.models import ResourceKind, ResourceType

__all__ = ["Submission", "client_key", "expire_unverified", "new_reference", "submit_request"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
REQUEST_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING)


@dataclass(frozen=True)
class Submission:
    """What intake did: the new row, the request it ended up in, and whether it replayed."""

    row: ResourceRequest
    request: ResourceRequest
    replayed: bool


def new_reference(now: datetime) -> str:
    """R + the China date + 8 random base32 characters (40 bits): R20261128-7KQ3M9XP."""
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    return f"R{day}-" + "".join(secrets.choice(_ALPHABET) for _i in range(8))


def client_key(*, user_id: int | None, address: str | None) -> str:
    """The rate-limit key: the account, else a hash of the address (never the raw IP)."""
    if user_id is not None:
        return f"user:{user_id}"
    digest = hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]
    return f"ip:{digest}"


def _phone_hash(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return hashlib.sha256(f"phone:{digits}".encode()).hexdigest() if digits else None


# --- guards ----------------------------------------------------------------------------------

def _count_submission(session: Session, key: str, now: datetime, policy: DispatchPolicy) -> None:
    """Fixed-window counter in the database, so every API process shares one limit."""
    seconds = int(policy.rate_window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(RateLimitWindow).values(client_key=key, window_start=start, count=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=["client_key", "window_start"],
        set_={"count": RateLimitWindow.count + 1})
    session.execute(upsert)
    count = session.execute(select(RateLimitWindow.count).where(
        RateLimitWindow.client_key == key, RateLimitWindow.window_start == start)).scalar_one()
    session.execute(delete(RateLimitWindow).where(
        RateLimitWindow.client_key == key, RateLimitWindow.window_start < start))
    if count > policy.rate_limit:
        raise RateLimited(details={"limit": policy.rate_limit, "window_seconds": seconds})


def _fingerprint(data: RequestCreate, principal: Principal | None) -> str:
    who = principal.actor if principal is not None else "anonymous"
    return hashlib.sha256(canonical_json([who, data.model_dump(mode="json")]).encode()
                          ).hexdigest()


def _replay(session: Session, key: str, fingerprint: str) -> ResourceRequest | None:
    row = session.execute(select(ResourceRequest).where(
        ResourceRequest.idempotency_key == key)).scalar_one_or_none()
    if row is not None and row.body_hash != fingerprint:
        raise Conflict(_("This Idempotency-Key was used for a different request"),
                       code="idempotency_conflict", details={"header": "Idempotency-Key"})
    return row


def _check_place(session: Session, principal: Principal | None, data: RequestCreate,
                 area: Area) -> bool:
    """Refuse a place the submitter may not ask for; True when staff vouch for it."""
    if area.kind not in REQUEST_AREA_KINDS:
        raise ValidationFailed(
            _("Requests are placed on a community, grid or building, not a {kind}"),
            code="wrong_area_kind", kind=area.kind.value, details={"field": "area_code"})
    if data.requester_kind is RequesterKind.BUILDING and area.kind is not AreaKind.BUILDING:
        raise ValidationFailed(_("A building's order must be placed on the building"),
                               code="wrong_area_kind", kind=area.kind.value,
                               details={"field": "area_code"})
    if principal is None:
        if data.requester_kind in (RequesterKind.COMMUNITY, RequesterKind.ORGANISATION):
            raise PermissionDenied(
                _("Sign in to submit a request for a community or an organisation"),
                code="sign_in_required", details={"field": "requester_kind"})
        return False
    if principal.role is Role.RESIDENT:
        _check_resident(session, principal, data, area)
    elif principal.role in AREA_SCOPED and not in_area_scope(principal, area.path):
        raise PermissionDenied(_("This is outside your area or organisation"),
                               code="out_of_scope", details={"field": "area_code"})
    return can(principal, Permission.REQUEST_TRIAGE, area_path=area.path)


def _check_resident(session: Session, principal: Principal, data: RequestCreate,
                    area: Area) -> None:
    """A resident asks for themself or their building, inside their own community."""
    if data.requester_kind not in (RequesterKind.RESIDENT, RequesterKind.BUILDING):
        raise PermissionDenied(details={"field": "requester_kind"})
    from communitas.actors.models import Person  # read-only, as auth.service does

    person = session.get(Person, principal.person_id) if principal.person_id else None
    home = areas.get_area_by_id(session, area_id=person.area_id) if person else None
    community = place_of(session, home).community if home is not None else None
    if community is None or not area.path.startswith(community.path):
        raise PermissionDenied(_("This is outside your area or organisation"),
                               code="out_of_scope", details={"field": "area_code"})


def _lines(session: Session, data: RequestCreate) -> list[tuple[ItemsLine | PeopleLine,
                                                                ResourceType]]:
    resolved = []
    seen: set[str] = set()
    for index, line in enumerate(data.lines):
        rtype = resources.get_resource_type(session, code=line.resource_type_code)
        team = rtype.kind is ResourceKind.TEAM
        if isinstance(line, PeopleLine) != team:
            raise ValidationFailed(
                _("{value} cannot be asked for in a line of kind {kind}"),
                code="wrong_line_kind", value=rtype.code, kind=line.kind,
                details={"field": f"lines.{index}.kind", "resource_kind": rtype.kind.value})
        if isinstance(line, ItemsLine):
            _check_items_line(session, line, rtype, index)
        if rtype.code in seen:
            raise ValidationFailed(_("{value} is asked for twice; use one line"),
                                   code="duplicate_line", value=rtype.code,
                                   details={"field": f"lines.{index}.resource_type_code"})
        seen.add(rtype.code)
        resolved.append((line, rtype))
    return resolved


def _check_items_line(session: Session, line: ItemsLine, rtype: ResourceType,
                      index: int) -> None:
    if line.unit is not None and line.unit != rtype.unit:
        raise ValidationFailed(_("{value} is counted in {expected}, not {unit}"),
                               code="wrong_unit", value=rtype.code, expected=rtype.unit,
                               unit=line.unit, details={"field": f"lines.{index}.unit"})
    for code in line.substitutes:
        substitute = resources.get_resource_type(session, code=code)
        if code == rtype.code or substitute.kind is ResourceKind.TEAM:
            raise ValidationFailed(_("{value} cannot substitute for {expected}"),
                                   code="invalid_substitute", value=code, expected=rtype.code,
                                   details={"field": f"lines.{index}.substitutes"})


# --- submission ------------------------------------------------------------------------------

def _build(session: Session, principal: Principal | None, data: RequestCreate, area: Area,
           staff: bool, now: datetime) -> ResourceRequest:
    org_id = None
    if data.organisation_code is not None:
        org = actors.get_organisation(session, code=data.organisation_code)
        if principal is not None and principal.role is Role.ORG_LIAISON \
                and principal.org_id != org.id:
            raise PermissionDenied(_("This is outside your area or organisation"),
                                   code="out_of_scope", details={"field": "organisation_code"})
        org_id = org.id
    elif data.requester_kind is RequesterKind.ORGANISATION:
        raise ValidationFailed(_("An organisation's request must name the organisation"),
                               code="organisation_required",
                               details={"field": "organisation_code"})
    lines = _lines(session, data)
    place = place_of(session, area)
    reference = new_reference(now)
    while session.execute(select(ResourceRequest.id).where(
            ResourceRequest.reference == reference)).first() is not None:
        reference = new_reference(now)
    request = ResourceRequest(
        reference=reference, status=lifecycle.initial_status(submitted_by_staff=staff),
        requester_kind=data.requester_kind, submitted_by_staff=staff, organisation_id=org_id,
        requester_user_id=principal.user_id if principal else None,
        requester_person_id=principal.person_id
        if principal is not None and principal.role is Role.RESIDENT else None,
        contact_name=data.contact_name, phone=data.phone or None,
        phone_hash=_phone_hash(data.phone), area_id=area.id,
        lon=data.point.lon if data.point else None, lat=data.point.lat if data.point else None,
        priority=data.priority, vulnerability=list(data.vulnerability),
        description=data.description, needed_by=data.needed_by, created_at=now,
        updated_at=now, queue_level=Level.COMMUNITY, queue_area_id=place.community.id,
        queued_at=now)
    request.lines = [_line_row(position, line, rtype) for position, (line, rtype)
                     in enumerate(lines, start=1)]
    return request


def _line_row(position: int, line: ItemsLine | PeopleLine, rtype: ResourceType) -> RequestLine:
    if isinstance(line, PeopleLine):
        return RequestLine(position=position, kind=LineKind.PEOPLE, resource_type_id=rtype.id,
                           quantity=line.head_count, committed=0, priority=line.priority,
                           substitutes=[], skills=list(line.skills),
                           period_start=line.period_start, period_end=line.period_end)
    return RequestLine(position=position, kind=LineKind.ITEMS, resource_type_id=rtype.id,
                       quantity=line.quantity, committed=0, min_quantity=line.min_quantity,
                       priority=line.priority, substitutes=list(line.substitutes), skills=[])


def submit_request(
    session: Session, *, principal: Principal | None, data: RequestCreate, client: str,
    idempotency_key: str | None = None, clock: Clock | None = None,
    policy: DispatchPolicy | None = None,
) -> Submission:
    """Take in one request (see module doc); the caller commits before acknowledging."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    fingerprint = _fingerprint(data, principal)
    if idempotency_key and (old := _replay(session, idempotency_key, fingerprint)):
        return _outcome(session, old, replayed=True)
    _count_submission(session, client, now, policy)
    area = areas.get_area(session, code=data.area_code)
    staff = _check_place(session, principal, data, area)
    request = _build(session, principal, data, area, staff, now)
    request.idempotency_key, request.body_hash = idempotency_key or None, fingerprint
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        if idempotency_key and (old := _replay(session, idempotency_key, fingerprint)):
            return _outcome(session, old, replayed=True)  # a concurrent twin got in first
        raise
    _record_intake(session, principal, request, staff, clock, policy)
    return _outcome(session, request, replayed=False)


def _outcome(session: Session, row: ResourceRequest, *, replayed: bool) -> Submission:
    survivor = session.get_one(ResourceRequest, row.merged_into_id) if row.merged_into_id \
        else row
    return Submission(row=row, request=survivor, replayed=replayed)


def _record_intake(session: Session, principal: Principal | None, request: ResourceRequest,
                   staff: bool, clock: Clock, policy: DispatchPolicy) -> None:
    now = clock.now()
    actor = principal.actor if principal else f"requester:{request.reference}"
    by = "staff" if staff else "requester"
    log(session, request, actor=actor, by=by, action="request.submitted", now=now, clock=clock,
        payload={"kind": request.requester_kind.value, "priority": request.priority,
                 "contact_given": bool(request.phone or request.contact_name),
                 "vulnerable": bool(request.vulnerability),
                 "lines": [{"type": ln.resource_type.code, "quantity": ln.quantity}
                           for ln in request.lines]})
    if staff:
        log(session, request, actor=actor, by=by, action="request.verified", now=now,
            clock=clock, payload={"reason": "submitted by staff"})
    duplicate = find_duplicate(session, request, window=policy.duplicate_window)
    if duplicate is not None:
        transition(session, request, Action.MERGE)
        merge_into(session, request, duplicate, actor=actor, by=by, clock=clock, policy=policy)
        return
    place = place_of(session, areas.get_area_by_id(session, area_id=request.area_id))
    decision = route_request(session, request, place, floor=Level.COMMUNITY,
                             on=resources.today(clock))
    place_in_queue(session, request, decision, place, now=now, policy=policy)
    log(session, request, actor=actor, by=by, action="request.queued", now=now, clock=clock,
        payload={"level": request.queue_level.value,
                 "coverage": round(decision.coverage, 3)})


def expire_unverified(
    session: Session, *, clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> list[str]:
    """Unverified requests older than the expiry leave the queues; their references."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    stale = session.execute(select(ResourceRequest).where(
        ResourceRequest.status == RequestStatus.SUBMITTED,
        ResourceRequest.created_at <= now - policy.unverified_expiry)
        .order_by(ResourceRequest.id).with_for_update()).scalars().all()
    for request in stale:
        transition(session, request, Action.EXPIRE)
        request.sla_due_at = None
        log(session, request, actor="system", by="system", action="request.expired", now=now,
            clock=clock, payload={"after_hours": policy.unverified_expiry.total_seconds() / 3600})
    session.execute(delete(RateLimitWindow).where(
        RateLimitWindow.window_start < now - policy.rate_window * 2))
    return [r.reference for r in stale]

