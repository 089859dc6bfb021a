"""Acceptance: the durable acknowledgement of submissions, many in one transaction.

Each submission is checked whole (its shape by the schema; codes, kinds, units, place and
scope here), counted against its client's rate limit, matched against its Idempotency-Key
(same key and body: the original answer, nothing new), and written with its lines and its
``request.submitted`` event. Nothing more: merging duplicates and routing are triage's work
(``intake.triage_pending``), so an acknowledgement costs a share of a few batched inserts.
One submission's refusal never sinks the others in its batch.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import Principal, can, in_area_scope
from communitas.auth.roles import AREA_SCOPED, Permission, Role
from communitas.dispatch import lifecycle
from communitas.dispatch.intake_lookups import AreaInfo, IntakeLookups, TypeInfo
from communitas.dispatch.models import (
    LineKind,
    RateLimitWindow,
    RequesterKind,
    RequestLine,
    ResourceRequest,
)
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import ItemsLine, PeopleLine, RequestCreate
from communitas.dispatch.service import DispatchPolicy, place_of
from communitas.errors import (
    CommunitasError,
    Conflict,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from communitas.events import EventDraft, canonical_json, record_events
from communitas.i18n import _
from communitas.resources.lookups import CHINA_TZ
from communitas.resources.models import ResourceKind

__all__ = ["Pending", "Submission", "accept_submissions", "new_reference"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
REQUEST_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING)


@dataclass(frozen=True)
class Pending:
    """One submission waiting for acceptance."""

    data: RequestCreate
    principal: Principal | None
    client: str  # the rate-limit key, see intake.client_key
    idempotency_key: str | None = None


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


def _phone_hash(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return hashlib.sha256(f"phone:{digits}".encode()).hexdigest() if digits else None


def _fingerprint(data: RequestCreate, principal: Principal | None) -> str:
    who = principal.actor if principal is not None else "anonymous"
    return hashlib.sha256(canonical_json([who, data.model_dump(mode="json")]).encode()
                          ).hexdigest()


# --- guards ----------------------------------------------------------------------------------

def _count_submissions(session: Session, clients: list[str], now: datetime,
                       policy: DispatchPolicy) -> list[bool]:
    """Fixed-window counters in the database, shared by every API process; per submission,
    whether it is within its client's limit (refused ones count too, as before batching)."""
    seconds = int(policy.rate_window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    totals: dict[str, int] = {}
    for key, n in sorted(Counter(clients).items()):
        upsert = dialect.insert(RateLimitWindow).values(client_key=key, window_start=start,
                                                        count=n)
        upsert = upsert.on_conflict_do_update(
            index_elements=["client_key", "window_start"],
            set_={"count": RateLimitWindow.count + n}).returning(RateLimitWindow.count)
        totals[key] = session.execute(upsert).scalar_one() - n
        session.execute(delete(RateLimitWindow).where(
            RateLimitWindow.client_key == key, RateLimitWindow.window_start < start))
    allowed = []
    for key in clients:
        totals[key] += 1
        allowed.append(totals[key] <= policy.rate_limit)
    return allowed


def _check_place(session: Session, principal: Principal | None, data: RequestCreate,
                 area: AreaInfo) -> bool:
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
                    area: AreaInfo) -> None:
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


def _lines(session: Session, data: RequestCreate, lookups: IntakeLookups
           ) -> list[tuple[ItemsLine | PeopleLine, TypeInfo]]:
    resolved = []
    seen: set[str] = set()
    for index, line in enumerate(data.lines):
        rtype = lookups.resource_type(session, line.resource_type_code)
        team = rtype.kind is ResourceKind.TEAM
        if isinstance(line, PeopleLine) != team:
            raise ValidationFailed(
                _("{value} cannot be asked for in a line of kind {kind}"),
                code="wrong_line_kind", value=rtype.code, kind=line.kind,
                details={"field": f"lines.{index}.kind", "resource_kind": rtype.kind.value})
        if isinstance(line, ItemsLine):
            _check_items_line(session, line, rtype, index, lookups)
        if rtype.code in seen:
            raise ValidationFailed(_("{value} is asked for twice; use one line"),
                                   code="duplicate_line", value=rtype.code,
                                   details={"field": f"lines.{index}.resource_type_code"})
        seen.add(rtype.code)
        resolved.append((line, rtype))
    return resolved


def _check_items_line(session: Session, line: ItemsLine, rtype: TypeInfo, index: int,
                      lookups: IntakeLookups) -> None:
    if line.unit is not None and line.unit != rtype.unit:
        raise ValidationFailed(_("{value} is counted in {expected}, not {unit}"),
                               code="wrong_unit", value=rtype.code, expected=rtype.unit,
                               unit=line.unit, details={"field": f"lines.{index}.unit"})
    for code in line.substitutes:
        substitute = lookups.resource_type(session, code)
        if code == rtype.code or substitute.kind is ResourceKind.TEAM:
            raise ValidationFailed(_("{value} cannot substitute for {expected}"),
                                   code="invalid_substitute", value=code, expected=rtype.code,
                                   details={"field": f"lines.{index}.substitutes"})


# --- building rows ---------------------------------------------------------------------------

def _organisation(session: Session, principal: Principal | None, data: RequestCreate
                  ) -> int | None:
    if data.organisation_code is None:
        if data.requester_kind is RequesterKind.ORGANISATION:
            raise ValidationFailed(_("An organisation's request must name the organisation"),
                                   code="organisation_required",
                                   details={"field": "organisation_code"})
        return None
    org = actors.get_organisation(session, code=data.organisation_code)
    if principal is not None and principal.role is Role.ORG_LIAISON \
            and principal.org_id != org.id:
        raise PermissionDenied(_("This is outside your area or organisation"),
                               code="out_of_scope", details={"field": "organisation_code"})
    return org.id


def _build(session: Session, item: Pending, lookups: IntakeLookups, now: datetime
           ) -> tuple[ResourceRequest, AreaInfo, list[str]]:
    """The request row, its area and its line type codes; raises on anything wrong."""
    data, principal = item.data, item.principal
    area = lookups.area(session, data.area_code)
    staff = _check_place(session, principal, data, area)
    org_id = _organisation(session, principal, data)
    lines = _lines(session, data, lookups)
    assert area.community_id is not None  # guaranteed by _check_place's area kinds
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
        updated_at=now, queue_level=Level.COMMUNITY, queue_area_id=area.community_id,
        queued_at=now, idempotency_key=item.idempotency_key or None,
        submitted_by=principal.actor if principal else f"requester:{reference}")
    request.lines = [_line_row(position, line, rtype) for position, (line, rtype)
                     in enumerate(lines, start=1)]
    return request, area, [rtype.code for _line, rtype in lines]


def _line_row(position: int, line: ItemsLine | PeopleLine, rtype: TypeInfo) -> RequestLine:
    if isinstance(line, PeopleLine):
        return RequestLine(position=position, kind=LineKind.PEOPLE, resource_type_id=rtype.id,
                           quantity=line.head_count, committed=0, priority=line.priority,
                           substitutes=[], skills=list(line.skills),
                           period_start=line.period_start, period_end=line.period_end)
    return RequestLine(position=position, kind=LineKind.ITEMS, resource_type_id=rtype.id,
                       quantity=line.quantity, committed=0, min_quantity=line.min_quantity,
                       priority=line.priority, substitutes=list(line.substitutes), skills=[])


def _drafts(request: ResourceRequest, area: AreaInfo, codes: list[str]) -> list[EventDraft]:
    by = "staff" if request.submitted_by_staff else "requester"
    submitted = EventDraft(
        "request.submitted", "request", request.reference, area.code, actor=request.submitted_by,
        payload={"by": by, "status": request.status.value,
                 "kind": request.requester_kind.value,
                 "priority": request.priority,
                 "contact_given": bool(request.phone or request.contact_name),
                 "vulnerable": bool(request.vulnerability),
                 "lines": [{"type": code, "quantity": line.quantity}
                           for code, line in zip(codes, request.lines, strict=True)]})
    if not request.submitted_by_staff:
        return [submitted]
    return [submitted, EventDraft(
        "request.verified", "request", request.reference, area.code, actor=request.submitted_by,
        payload={"by": by, "status": request.status.value, "reason": "submitted by staff"})]


# --- acceptance ------------------------------------------------------------------------------

def accept_submissions(
    session: Session, *, items: list[Pending], now: datetime, policy: DispatchPolicy,
    lookups: IntakeLookups,
) -> list[Submission | CommunitasError]:
    """Accept a batch in the caller's transaction; one outcome per item, in order."""
    outcomes: list[Submission | CommunitasError | None] = [None] * len(items)
    prints = [_fingerprint(item.data, item.principal) for item in items]
    fresh = _replays(session, items, prints, outcomes)
    allowed = _count_submissions(session, [items[i].client for i in fresh], now, policy)
    built: dict[int, tuple[ResourceRequest, AreaInfo, list[str]]] = {}
    for i, ok in zip(fresh, allowed, strict=True):
        if not ok:
            outcomes[i] = RateLimited(details={
                "limit": policy.rate_limit,
                "window_seconds": int(policy.rate_window.total_seconds())})
            continue
        try:
            built[i] = _build(session, items[i], lookups, now)
        except CommunitasError as refusal:
            outcomes[i] = refusal
        else:
            built[i][0].body_hash = prints[i]
    _insert(session, built, items, prints, outcomes, lookups, now)
    drafts = [draft for i, (row, area, codes) in sorted(built.items())
              for draft in _drafts(row, area, codes)]
    record_events(session, actor="system", drafts=drafts)
    _resolve_batch_twins(items, prints, outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _replays(session: Session, items: list[Pending], prints: list[str],
             outcomes: list[Submission | CommunitasError | None]) -> list[int]:
    """Answer replayed keys from the database; the indexes of submissions to accept."""
    keys = {item.idempotency_key for item in items if item.idempotency_key}
    known = {row.idempotency_key: row for row in session.execute(select(ResourceRequest).where(
        ResourceRequest.idempotency_key.in_(sorted(keys)))).scalars()} if keys else {}
    fresh, first_of_key = [], set()
    for i, item in enumerate(items):
        key = item.idempotency_key
        if key and key in known:
            outcomes[i] = _replay_of(session, known[key], prints[i])
        elif key and key in first_of_key:
            continue  # a twin inside this batch: answered once its first copy is in
        else:
            if key:
                first_of_key.add(key)
            fresh.append(i)
    return fresh


def _replay_of(session: Session, row: ResourceRequest, fingerprint: str
               ) -> Submission | CommunitasError:
    if row.body_hash != fingerprint:
        return Conflict(_("This Idempotency-Key was used for a different request"),
                        code="idempotency_conflict", details={"header": "Idempotency-Key"})
    survivor = session.get_one(ResourceRequest, row.merged_into_id) if row.merged_into_id \
        else row
    return Submission(row=row, request=survivor, replayed=True)


def _insert(session: Session, built: dict[int, tuple[ResourceRequest, AreaInfo, list[str]]],
            items: list[Pending], prints: list[str],
            outcomes: list[Submission | CommunitasError | None], lookups: IntakeLookups,
            now: datetime) -> None:
    """All rows in one flush. If the database refuses one (its key taken by another process
    meanwhile, or a reference collision), each row is built again and written in its own
    savepoint: a taken key answers as a replay, a taken reference draws a new one."""
    try:
        with session.begin_nested():
            session.add_all([row for row, _area, _codes in built.values()])
            session.flush()
    except IntegrityError:
        for i in list(built):
            if (result := _insert_one(session, items[i], prints[i], lookups, now)) is None:
                del built[i]
                outcomes[i] = _replay_or_conflict(session, _keyed(session, items[i]), prints[i])
            else:
                built[i] = result
                outcomes[i] = Submission(row=result[0], request=result[0], replayed=False)
        return
    for i, (row, _area, _codes) in built.items():
        outcomes[i] = Submission(row=row, request=row, replayed=False)


def _insert_one(session: Session, item: Pending, fingerprint: str, lookups: IntakeLookups,
                now: datetime) -> tuple[ResourceRequest, AreaInfo, list[str]] | None:
    """Write one submission; None when its Idempotency-Key is already taken."""
    for _attempt in range(3):
        if _keyed(session, item) is not None:
            return None
        result = _build(session, item, lookups, now)
        result[0].body_hash = fingerprint
        try:
            with session.begin_nested():
                session.add(result[0])
                session.flush()
        except IntegrityError:
            continue
        return result
    raise Conflict(_("Please submit again"), code="retry")


def _keyed(session: Session, item: Pending) -> ResourceRequest | None:
    if not item.idempotency_key:
        return None
    return session.execute(select(ResourceRequest).where(
        ResourceRequest.idempotency_key == item.idempotency_key)).scalar_one_or_none()


def _replay_or_conflict(session: Session, row: ResourceRequest | None, fingerprint: str
                        ) -> Submission | CommunitasError:
    return _replay_of(session, row, fingerprint) if row is not None else \
        Conflict(_("Please submit again"), code="retry")


def _resolve_batch_twins(items: list[Pending], prints: list[str],
                         outcomes: list[Submission | CommunitasError | None]) -> None:
    """A key sent twice in one batch: the later copy is a replay of the first."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        key = item.idempotency_key
        if not key:
            continue
        if key not in first:
            first[key] = i
            continue
        if outcomes[i] is not None:
            continue
        original = outcomes[first[key]]
        if isinstance(original, Submission) and prints[i] == prints[first[key]]:
            outcomes[i] = Submission(row=original.row, request=original.request, replayed=True)
        elif isinstance(original, Submission):
            outcomes[i] = Conflict(_("This Idempotency-Key was used for a different request"),
                                   code="idempotency_conflict",
                                   details={"header": "Idempotency-Key"})
        else:
            outcomes[i] = original
