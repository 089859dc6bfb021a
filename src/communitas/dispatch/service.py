"""Request use cases shared by intake and triage, and the dispatcher's fulfilment steps.

Callers own the transaction; every change appends an event with subject ``request`` and the
reference as id, so the event log is the request's history. A mutating use case locks the
request row first (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers already), then
the counters it moves, then stock through resources.service, then the event chain head.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can, in_area_scope, require
from communitas.auth.roles import AREA_SCOPED, Permission
from communitas.clock import Clock
from communitas.config import DEV_SECRET, Settings
from communitas.dispatch import lifecycle
from communitas.dispatch.lifecycle import Action, LineProgress, RequestStatus
from communitas.dispatch.models import ResourceRequest, Shipment
from communitas.dispatch.routing import Level
from communitas.errors import Conflict, NotFound, PermissionDenied
from communitas.events import EventDraft, record_event
from communitas.i18n import _

__all__ = [
    "DispatchPolicy", "Place", "aliases", "check_allowed", "get_request", "is_requester",
    "lock_request", "log", "log_draft", "move_status", "not_requester", "place_of", "progress",
    "refresh_sla", "requester_actor", "requester_token", "require_queue", "resolve_actor",
    "sees_phone", "token_opens", "transition",
]

_DEFAULT_SLA = {1: 30, 2: 120, 3: 24 * 60, 4: 72 * 60}


@dataclass(frozen=True)
class DispatchPolicy:
    """The tunable numbers of docs/requests.md; drills pass their own."""

    sla_minutes: Mapping[int, int] = field(default_factory=lambda: dict(_DEFAULT_SLA))
    unverified_expiry: timedelta = timedelta(hours=24)
    duplicate_window: timedelta = timedelta(hours=6)
    rate_limit: int = 30
    rate_window: timedelta = timedelta(seconds=600)
    secret: str = field(default=DEV_SECRET, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        return cls(
            sla_minutes={1: settings.request_sla_minutes_p1, 2: settings.request_sla_minutes_p2,
                         3: settings.request_sla_minutes_p3, 4: settings.request_sla_minutes_p4},
            unverified_expiry=timedelta(hours=settings.request_unverified_expiry_hours),
            duplicate_window=timedelta(hours=settings.request_duplicate_window_hours),
            rate_limit=settings.request_rate_limit,
            rate_window=timedelta(seconds=settings.request_rate_window_seconds),
            secret=settings.secret_key)

    def sla(self, priority: int) -> timedelta:
        return timedelta(minutes=self.sla_minutes[priority])


def requester_token(policy: DispatchPolicy, reference: str) -> str:
    """The secret that lets an anonymous requester act on their request (HMAC of it)."""
    digest = hmac.new(policy.secret.encode(), f"requester:{reference}".encode(), hashlib.sha256)
    return b32encode(digest.digest()).decode()[:20]


# --- lookups and places ---------------------------------------------------------------------

def _unknown(reference: str) -> NotFound:
    return NotFound(_("Unknown request {value}"), code="unknown_request", value=reference)


def get_request(session: Session, *, reference: str) -> ResourceRequest:
    """The request a reference names; a merged duplicate's reference names the survivor."""
    request = session.execute(select(ResourceRequest).where(
        ResourceRequest.reference == reference)).scalar_one_or_none()
    if request is None:
        raise _unknown(reference)
    if request.merged_into_id is not None:
        return session.get_one(ResourceRequest, request.merged_into_id)
    return request


def lock_request(session: Session, *, reference: str) -> ResourceRequest:
    """Like :func:`get_request`, with the row locked until the transaction ends."""
    request = get_request(session, reference=reference)
    session.execute(select(ResourceRequest.id).where(ResourceRequest.id == request.id)
                    .with_for_update())
    session.refresh(request)
    return request


def aliases(session: Session, request: ResourceRequest) -> list[str]:
    """References of the duplicates merged into ``request``."""
    return list(session.execute(select(ResourceRequest.reference).where(
        ResourceRequest.merged_into_id == request.id).order_by(ResourceRequest.id)).scalars())


@dataclass(frozen=True)
class Place:
    """Where a request is: its area, and the community, street and district above it."""

    area: Area
    community: Area
    street: Area
    district: Area

    def queue_area(self, level: Level) -> Area:
        """The area whose staff keep the queue; the district keeps outside support."""
        return {Level.COMMUNITY: self.community, Level.STREET: self.street}.get(
            level, self.district)


def place_of(session: Session, area: Area) -> Place:
    ids = [int(part) for part in area.path.strip("/").split("/") if part]
    found = {a.kind: a for a in (areas.get_area_by_id(session, area_id=i) for i in ids)}
    return Place(area, found[AreaKind.COMMUNITY], found[AreaKind.STREET],
                 found[AreaKind.DISTRICT])


# --- access ---------------------------------------------------------------------------------

def require_queue(session: Session, principal: Principal, request: ResourceRequest,
                  permission: Permission) -> None:
    """Staff act on a request only while its queue lies in their area."""
    queue = areas.get_area_by_id(session, area_id=request.queue_area_id)
    require(principal, permission, area_path=queue.path)


def is_requester(session: Session, request: ResourceRequest, *, principal: Principal | None,
                 token: str | None, policy: DispatchPolicy) -> bool:
    """The signed-in requester, or whoever holds the token of this or a merged reference."""
    if principal is not None and principal.user_id is not None \
            and principal.user_id == request.requester_user_id:
        return True
    if principal is not None and principal.person_id is not None \
            and principal.person_id == request.requester_person_id:
        return True
    if not token:
        return False
    return token_opens(policy, token, [request.reference, *aliases(session, request)])


def token_opens(policy: DispatchPolicy, token: str, references: list[str]) -> bool:
    """The token is the requester's for one of ``references`` (a request and its aliases)."""
    return any(hmac.compare_digest(token, requester_token(policy, ref)) for ref in references)


def sees_phone(principal: Principal | None, area_path: str) -> bool:
    """Carers with person.read_sensitive, or area staff who triage requests, in scope."""
    if principal is None:
        return False
    if can(principal, Permission.PERSON_READ_SENSITIVE, area_path=area_path):
        return True
    return principal.role in AREA_SCOPED and in_area_scope(principal, area_path) and can(
        principal, Permission.REQUEST_TRIAGE, area_path=area_path)


def resolve_actor(session: Session, request: ResourceRequest, *, principal: Principal | None,
                  token: str | None, policy: DispatchPolicy,
                  staff_permission: Permission | None) -> tuple[str, str]:
    """(actor, by) for a requester action that staff in the queue may also take."""
    if is_requester(session, request, principal=principal, token=token, policy=policy):
        return requester_actor(request, principal)
    if principal is None or staff_permission is None:
        raise not_requester()
    require_queue(session, principal, request, staff_permission)
    return principal.actor, "staff"


def requester_actor(request: ResourceRequest, principal: Principal | None) -> tuple[str, str]:
    """(actor, by) when the requester acts: signed in, or anonymous with the token."""
    actor = principal.actor if principal is not None else f"requester:{request.reference}"
    return actor, "requester"


def not_requester() -> PermissionDenied:
    return PermissionDenied(_("Only the requester can do this"), code="not_requester")


# --- status, quantities, events -------------------------------------------------------------

def progress(session: Session, request: ResourceRequest) -> dict[int, LineProgress]:
    """Line id → quantities at every step, from the lines and their shipments."""
    sums = {line_id: (int(shipped), int(delivered)) for line_id, shipped, delivered in
            session.execute(select(Shipment.line_id, func.sum(Shipment.shipped),
                                   func.sum(Shipment.delivered))
                            .where(Shipment.request_id == request.id)
                            .group_by(Shipment.line_id)).all()}
    return {line.id: LineProgress(line.quantity, line.committed, *sums.get(line.id, (0, 0)))
            for line in request.lines}


def transition(session: Session, request: ResourceRequest, action: Action) -> RequestStatus:
    """Move ``request`` by ``action`` (quantities as they are now); Conflict if illegal."""
    lines = progress(session, request).values() if action in (
        Action.COMMIT, Action.SHIP, Action.DELIVER, Action.RETURN) else ()
    return move_status(request, action, lines)


def move_status(request: ResourceRequest, action: Action,
                lines: Iterable[LineProgress]) -> RequestStatus:
    """Move ``request`` by ``action``, given its lines' quantities after it; Conflict if
    illegal. The pure half of :func:`transition`, for batch paths that count in memory."""
    try:
        status = lifecycle.next_status(request.status, action, lines=lines)
    except lifecycle.IllegalTransition as exc:
        raise _illegal(request, action) from exc
    request.status = status
    return status


def check_allowed(request: ResourceRequest, action: Action) -> None:
    """Refuse early, before any counter moves, when ``action`` cannot apply at all."""
    if not lifecycle.allowed(request.status, action):
        raise _illegal(request, action)


def _illegal(request: ResourceRequest, action: Action) -> Conflict:
    return Conflict(_("This request is {status}; it cannot take the action {action}"),
                    code="illegal_transition", status=request.status.value,
                    action=action.value,
                    details={"status": request.status.value, "action": action.value})


def refresh_sla(request: ResourceRequest, now: datetime, policy: DispatchPolicy, *,
                restart: bool = False) -> None:
    """Run the SLA clock while units are still to commit below the top level."""
    outstanding = any(line.committed < line.quantity for line in request.lines)
    if request.status in lifecycle.TERMINAL or request.queue_level is Level.OUTSIDE \
            or not outstanding:
        request.sla_due_at = None
    elif restart or request.sla_due_at is None:
        request.sla_due_at = request.queued_at + policy.sla(request.priority)
        if request.sla_due_at < now and not restart:
            request.sla_due_at = now + policy.sla(request.priority)


def log_draft(request: ResourceRequest, *, area_code: str, by: str, action: str,
              payload: dict[str, Any], now: datetime) -> EventDraft:
    """The event :func:`log` appends, as a draft for a caller that batches its events."""
    request.updated_at = now
    return EventDraft(action, "request", request.reference, area_code,
                      payload={"by": by, "status": request.status.value, **payload})


def log(session: Session, request: ResourceRequest, *, actor: str, by: str, action: str,
        payload: dict[str, Any], now: datetime, clock: Clock | None = None) -> None:
    """Append a request event; ``by`` (requester, staff, system) is what the public sees."""
    request.updated_at = now
    area = areas.get_area_by_id(session, area_id=request.area_id)
    record_event(session, actor=actor, action=action, subject_type="request",
                 subject_id=request.reference, area_code=area.code, clock=clock,
                 payload={"by": by, "status": request.status.value, **payload})
