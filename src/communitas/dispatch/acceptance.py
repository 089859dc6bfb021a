"""Acceptance: the durable acknowledgement of submissions, many in one transaction.

Each submission is checked whole (its shape by the schema; codes, kinds, units, place and
scope here), counted against its client's rate limit, matched against its Idempotency-Key
(same key and body: the original answer, nothing new), and written with its lines and its
``request.submitted`` event. Nothing more: merging duplicates and routing are triage's work
(``intake.triage_pending``), so an acknowledgement costs a share of a few batched inserts.
One submission's refusal never sinks the others in its batch.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Executable, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import Principal, can, in_area_scope
from communitas.auth.roles import AREA_SCOPED, Permission, Role
from communitas.clock import FixedClock
from communitas.db import insert_many, insert_rows
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

__all__ = ["Accepted", "Pending", "Submission", "accept_submissions", "new_reference"]

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
class Accepted:
    """A durable submission, as its receipt tells it (no ORM object: batches stay cheap)."""

    id: int
    reference: str
    status: lifecycle.RequestStatus
    queue_level: Level
    merged_into: str | None
    created_at: datetime
    replayed: bool
    triaged: bool

    @classmethod
    def of(cls, session: Session, row: ResourceRequest, *, replayed: bool) -> Accepted:
        survivor = session.get_one(ResourceRequest, row.merged_into_id) \
            if row.merged_into_id else row
        return cls(id=row.id, reference=row.reference, status=row.status,
                   queue_level=survivor.queue_level,
                   merged_into=survivor.reference if row.merged_into_id else None,
                   created_at=row.created_at, replayed=replayed,
                   triaged=row.triaged_at is not None)


@dataclass
class _Draft:
    """One checked submission, ready to write."""

    values: dict[str, object]  # the requests row
    lines: list[dict[str, object]]
    area: AreaInfo
    codes: list[str]


@dataclass(frozen=True)
class Submission:
    """What intake did: the new row, the request it ended up in, and whether it replayed."""

    row: ResourceRequest
    request: ResourceRequest
    replayed: bool


def new_reference(now: datetime) -> str:
    """R + the China date + 8 random base32 characters (40 bits): R20261128-7KQ3M9XP."""
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    # One read of the system's randomness (40 bits, 5 per character), not one per character.
    bits = int.from_bytes(secrets.token_bytes(5))
    return f"R{day}-" + "".join(_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


def _phone_hash(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return hashlib.sha256(f"phone:{digits}".encode()).hexdigest() if digits else None


def _fingerprint(data: RequestCreate, principal: Principal | None) -> str:
    who = principal.actor if principal is not None else "anonymous"
    return hashlib.sha256(canonical_json([who, data.model_dump(mode="json")]).encode()
                          ).hexdigest()


# --- guards ----------------------------------------------------------------------------------

@functools.cache
def _upsert(dialect_name: str) -> Executable:
    """The counters' upsert, built once per dialect. Rows go as parameters, not
    .values([...]): the statement stays the same from batch to batch, so it is compiled
    once (a multi-VALUES statement is compiled every time)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    upsert = dialect.insert(RateLimitWindow)
    return upsert.on_conflict_do_update(
        index_elements=["client_key", "window_start"],
        set_={"count": RateLimitWindow.count + upsert.excluded.count}
    ).returning(RateLimitWindow.client_key, RateLimitWindow.count)


def _count_submissions(session: Session, clients: list[str], now: datetime,
                       policy: DispatchPolicy) -> list[bool]:
    """Fixed-window counters in the database, shared by every API process; per submission,
    whether it is within its client's limit. Only submissions let through stay counted, as
    when each had its own transaction. Old windows are deleted by the expiry timer."""
    if not clients:
        return []
    seconds = int(policy.rate_window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    arrivals = sorted(Counter(clients).items())
    connection = session.connection()
    counted = {key: count for key, count in connection.execute(
        _upsert(connection.dialect.name), [{"client_key": key, "window_start": start, "count": n}
                                           for key, n in arrivals])}
    totals = {key: counted[key] - n for key, n in arrivals}
    allowed = []
    for key in clients:
        totals[key] += 1
        allowed.append(totals[key] <= policy.rate_limit)
    refused = Counter(key for key, ok in zip(clients, allowed, strict=True) if not ok)
    for key, n in sorted(refused.items()):
        session.execute(update(RateLimitWindow).where(
            RateLimitWindow.client_key == key, RateLimitWindow.window_start == start)
            .values(count=RateLimitWindow.count - n))
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


def _build(session: Session, item: Pending, fingerprint: str, lookups: IntakeLookups,
           now: datetime) -> _Draft:
    """The rows of one submission; raises on anything wrong with it."""
    data, principal = item.data, item.principal
    area = lookups.area(session, data.area_code)
    staff = _check_place(session, principal, data, area)
    org_id = _organisation(session, principal, data)
    lines = _lines(session, data, lookups)
    assert area.community_id is not None  # guaranteed by _check_place's area kinds
    reference = new_reference(now)
    values: dict[str, object] = {
        "reference": reference, "status": lifecycle.initial_status(submitted_by_staff=staff),
        "requester_kind": data.requester_kind, "submitted_by_staff": staff,
        "organisation_id": org_id,
        "requester_user_id": principal.user_id if principal else None,
        "requester_person_id": principal.person_id
        if principal is not None and principal.role is Role.RESIDENT else None,
        "contact_name": data.contact_name, "phone": data.phone or None,
        "phone_hash": _phone_hash(data.phone), "area_id": area.id,
        "lon": data.point.lon if data.point else None,
        "lat": data.point.lat if data.point else None,
        "priority": data.priority, "vulnerability": list(data.vulnerability),
        "description": data.description, "needed_by": data.needed_by, "created_at": now,
        "updated_at": now, "queue_level": Level.COMMUNITY, "queue_area_id": area.community_id,
        "queued_at": now, "sla_due_at": None, "merged_into_id": None,
        "idempotency_key": item.idempotency_key or None, "body_hash": fingerprint,
        "rating": None, "rating_comment": "", "rated_at": None, "triaged_at": None,
        "submitted_by": principal.actor if principal else f"requester:{reference}"}
    return _Draft(values, [_line_row(position, line, rtype) for position, (line, rtype)
                           in enumerate(lines, start=1)], area,
                  [rtype.code for _line, rtype in lines])


def _line_row(position: int, line: ItemsLine | PeopleLine, rtype: TypeInfo
              ) -> dict[str, object]:
    row: dict[str, object] = {
        "position": position, "resource_type_id": rtype.id, "committed": 0,
        "priority": line.priority, "min_quantity": None, "substitutes": [], "skills": [],
        "period_start": None, "period_end": None}
    if isinstance(line, PeopleLine):
        row.update(kind=LineKind.PEOPLE, quantity=line.head_count, skills=list(line.skills),
                   period_start=line.period_start, period_end=line.period_end)
    else:
        row.update(kind=LineKind.ITEMS, quantity=line.quantity, min_quantity=line.min_quantity,
                   substitutes=list(line.substitutes))
    return row


def _events(draft: _Draft) -> list[EventDraft]:
    values = draft.values
    staff = bool(values["submitted_by_staff"])
    by, actor = ("staff" if staff else "requester"), str(values["submitted_by"])
    status = str(getattr(values["status"], "value", values["status"]))
    submitted = EventDraft(
        "request.submitted", "request", str(values["reference"]), draft.area.code, actor=actor,
        payload={"by": by, "status": status,
                 "kind": str(getattr(values["requester_kind"], "value", "")),
                 "priority": values["priority"],
                 "contact_given": bool(values["phone"] or values["contact_name"]),
                 "vulnerable": bool(values["vulnerability"]),
                 "lines": [{"type": code, "quantity": line["quantity"]}
                           for code, line in zip(draft.codes, draft.lines, strict=True)]})
    if not staff:
        return [submitted]
    return [submitted, EventDraft(
        "request.verified", "request", str(values["reference"]), draft.area.code, actor=actor,
        payload={"by": by, "status": status, "reason": "submitted by staff"})]


# --- acceptance ------------------------------------------------------------------------------

Outcome = Accepted | CommunitasError


def accept_submissions(
    session: Session, *, items: list[Pending], now: datetime, policy: DispatchPolicy,
    lookups: IntakeLookups, events: list[EventDraft] | None = None,
) -> list[Outcome]:
    """Accept a batch in the caller's transaction; one outcome per item, in order.

    With ``events`` the ``request.submitted`` events are added to it instead of appended,
    for a caller that appends them, first, with its own in the same transaction (one
    append of the event log instead of two)."""
    outcomes: list[Outcome | None] = [None] * len(items)
    prints = [_fingerprint(item.data, item.principal) for item in items]
    fresh = _replays(session, items, prints, outcomes)
    lookups.prefetch_areas(session, {items[i].data.area_code for i in fresh})
    drafts: dict[int, _Draft] = {}
    for i in fresh:
        try:
            drafts[i] = _build(session, items[i], prints[i], lookups, now)
        except CommunitasError as refusal:  # bad input: refused, and not counted
            outcomes[i] = refusal
    allowed = _count_submissions(session, [items[i].client for i in drafts], now, policy)
    for i, ok in zip(list(drafts), allowed, strict=True):
        if not ok:
            del drafts[i]
            outcomes[i] = RateLimited(details={
                "limit": policy.rate_limit,
                "window_seconds": int(policy.rate_window.total_seconds())})
    _insert(session, drafts, items, prints, outcomes, lookups, now)
    submitted = [event for _i, draft in sorted(drafts.items()) for event in _events(draft)]
    if events is None:
        record_events(session, actor="system", clock=FixedClock(now), drafts=submitted)
    else:
        events.extend(submitted)
    _resolve_batch_twins(items, prints, outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _replays(session: Session, items: list[Pending], prints: list[str],
             outcomes: list[Outcome | None]) -> list[int]:
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


def _replay_of(session: Session, row: ResourceRequest | None, fingerprint: str) -> Outcome:
    if row is None:  # the key's holder vanished between two reads: let the client retry
        return Conflict(_("Please submit again"), code="retry")
    if row.body_hash != fingerprint:
        return Conflict(_("This Idempotency-Key was used for a different request"),
                        code="idempotency_conflict", details={"header": "Idempotency-Key"})
    return Accepted.of(session, row, replayed=True)


def _write(session: Session, drafts: list[_Draft]) -> list[int]:
    """Table-level INSERTs of requests and their lines (``db.insert_rows``: multi-row on
    SQLite, an executemany with ids drawn from the sequence on PostgreSQL); the new ids in
    order."""
    ids = insert_rows(session, ResourceRequest, [draft.values for draft in drafts])
    lines = [{**line, "request_id": request_id}
             for request_id, draft in zip(ids, drafts, strict=True) for line in draft.lines]
    insert_many(session, RequestLine, lines)
    return ids


def _accepted(request_id: int, draft: _Draft) -> Accepted:
    values = draft.values
    return Accepted(id=request_id, reference=str(values["reference"]),
                    status=values["status"],  # type: ignore[arg-type]
                    queue_level=Level.COMMUNITY, merged_into=None,
                    created_at=values["created_at"],  # type: ignore[arg-type]
                    replayed=False, triaged=False)


def _insert(session: Session, drafts: dict[int, _Draft], items: list[Pending],
            prints: list[str], outcomes: list[Outcome | None], lookups: IntakeLookups,
            now: datetime) -> None:
    """All rows at once. If the database refuses one (its key taken by another process
    meanwhile, or a reference collision), each is built again and written in its own
    savepoint: a taken key answers as a replay, a taken reference draws a new one."""
    if not drafts:
        return
    try:
        with session.begin_nested():
            ids = _write(session, list(drafts.values()))
    except IntegrityError:
        for i in list(drafts):
            written = _insert_one(session, items[i], prints[i], lookups, now)
            if written is None:
                del drafts[i]
                outcomes[i] = _replay_of(session, _keyed(session, items[i]), prints[i])
            else:
                drafts[i] = written[1]
                outcomes[i] = _accepted(*written)
        return
    for request_id, (i, draft) in zip(ids, drafts.items(), strict=True):
        outcomes[i] = _accepted(request_id, draft)


def _insert_one(session: Session, item: Pending, fingerprint: str, lookups: IntakeLookups,
                now: datetime) -> tuple[int, _Draft] | None:
    """Write one submission; None when its Idempotency-Key is already taken."""
    for _attempt in range(3):
        if _keyed(session, item) is not None:
            return None
        draft = _build(session, item, fingerprint, lookups, now)
        try:
            with session.begin_nested():
                (request_id,) = _write(session, [draft])
        except IntegrityError:
            continue
        return request_id, draft
    raise Conflict(_("Please submit again"), code="retry")


def _keyed(session: Session, item: Pending) -> ResourceRequest | None:
    if not item.idempotency_key:
        return None
    return session.execute(select(ResourceRequest).where(
        ResourceRequest.idempotency_key == item.idempotency_key)).scalar_one_or_none()


def _resolve_batch_twins(items: list[Pending], prints: list[str],
                         outcomes: list[Outcome | None]) -> None:
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
        if isinstance(original, Accepted) and prints[i] == prints[first[key]]:
            outcomes[i] = replace(original, replayed=True)
        elif isinstance(original, Accepted):
            outcomes[i] = Conflict(_("This Idempotency-Key was used for a different request"),
                                   code="idempotency_conflict",
                                   details={"header": "Idempotency-Key"})
        else:
            outcomes[i] = original
