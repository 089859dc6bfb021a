"""Notice steps for many notices at once (plan activation composes, approves and sends
hundreds): the rules of :mod:`notice_service` — permissions in every covered area, the
two-person rule, GB/T 35965.1 identifiers, expiry — with the I/O batched: the notices and
their covered areas read in a few queries, the rows written in one flush, the outbox fan-out
one ``INSERT … SELECT`` per few hundred notices, and one ``record_events`` call per step.

Each function checks every notice as the one-by-one call would, in the order given, and
raises the first refusal (the caller's transaction or savepoint undoes the rest). Callers
commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, func, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.actors.models import Person
from communitas.alerts import notice_service as single
from communitas.alerts import outbox
from communitas.alerts.identifiers import make_identifier
from communitas.alerts.models import (
    Channel,
    DeliveryStatus,
    Notice,
    NoticeArea,
    NoticeState,
    NoticeSubscription,
    OutboxMessage,
)
from communitas.alerts.schemas import NoticeCancel, NoticeCreate
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.db import IN_CHUNK, UTCDateTime, insert_objects, rows_by_id
from communitas.errors import NotFound
from communitas.events import EventDraft, record_events

__all__ = [
    "Cancelling",
    "Composing",
    "approve_notices",
    "cancel_notices",
    "compose_notices",
    "send_notices",
]

_FAN_OUT_CHUNK = 400  # target rows per INSERT … SELECT (SQLite: 500 SELECTs per compound)


@dataclass(frozen=True)
class Composing:
    """One notice to compose, under its own issuing unit."""

    data: NoticeCreate
    issuer: single.Issuer


@dataclass(frozen=True)
class Cancelling:
    """One sent notice to cancel, by its issuing unit."""

    notice_id: int
    data: NoticeCancel
    issuer: single.Issuer


# --- reads ----------------------------------------------------------------------------------

def _covered(session: Session, notice_ids: Sequence[int]) -> dict[int, list[Area]]:
    """Notice id → its covered areas in path order (as ``covered_area_rows``)."""
    found: dict[int, list[Area]] = {i: [] for i in notice_ids}
    ordered = sorted(set(notice_ids))
    for start in range(0, len(ordered), IN_CHUNK):
        for notice_id, area in session.execute(
                select(NoticeArea.notice_id, Area).join(Area, Area.id == NoticeArea.area_id)
                .where(NoticeArea.notice_id.in_(ordered[start:start + IN_CHUNK]))
                .order_by(Area.path)):
            found[notice_id].append(area)
    return found


def _notices(session: Session, notice_ids: Sequence[int]) -> dict[int, Notice]:
    found = rows_by_id(session, Notice, notice_ids)
    for notice_id in notice_ids:
        if notice_id not in found:
            raise single.unknown_notice(notice_id)
    return found


def _areas_by_code(session: Session, codes: Sequence[str]) -> dict[str, Area]:
    wanted = sorted(set(codes))
    found: dict[str, Area] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        found.update({a.code: a for a in session.execute(
            select(Area).where(Area.code.in_(wanted[start:start + IN_CHUNK]))).scalars()})
    return found


# --- numbering and inserting ----------------------------------------------------------------

def _stem(unit_code: str, now: datetime) -> str:
    return make_identifier(unit_code=unit_code, entered_at=now)[:-1]


def _number(session: Session, notices: list[Notice], units: list[str], now: datetime) -> None:
    """Give each notice the first free identifier of its unit and second, in order, as
    ``new_identifier`` would one after the other."""
    stems = [_stem(unit, now) for unit in units]
    candidates = sorted({f"{stem}{n}" for stem in stems for n in range(10)})
    taken: set[str] = set()
    for start in range(0, len(candidates), IN_CHUNK):
        taken |= set(session.execute(select(Notice.identifier).where(
            Notice.identifier.in_(candidates[start:start + IN_CHUNK]))).scalars())
    for notice, stem in zip(notices, stems, strict=True):
        free = next((f"{stem}{n}" for n in range(10) if f"{stem}{n}" not in taken), None)
        if free is None:
            raise single.identifier_exhausted()
        notice.identifier = free
        taken.add(free)


def _insert(session: Session, notices: list[Notice], units: list[str], now: datetime) -> None:
    """Number and insert the notices at once; should a concurrent writer take one of
    the identifiers, insert them one by one as compose does (next free number)."""
    _number(session, notices, units, now)
    try:
        with session.begin_nested():
            insert_objects(session, notices)  # multi-row INSERTs, not one per notice
    except IntegrityError:
        for notice, unit in zip(notices, units, strict=True):
            single._insert_numbered(session, notice, unit, now)  # shared rule


def _cover(session: Session, pairs: list[tuple[Notice, list[Area]]]) -> None:
    rows = [{"notice_id": notice.id, "area_id": area_id} for notice, covered in pairs
            for area_id in dict.fromkeys(a.id for a in covered)]
    if rows:
        session.execute(insert(NoticeArea), rows)


# --- compose, approve -----------------------------------------------------------------------

def compose_notices(session: Session, *, principal: Principal, items: Sequence[Composing],
                    clock: Clock | None = None) -> list[Notice]:
    """Draft notices, as :func:`notice_service.compose_notice` one after the other."""
    clock = clock or SystemClock()
    now = clock.now()
    named = _areas_by_code(session, [c for item in items for c in item.data.area_codes])
    made: list[tuple[Notice, list[Area]]] = []
    for item in items:
        single.compose_checks(principal, item.data, now)
        covered = []
        for code in dict.fromkeys(item.data.area_codes):
            area = named.get(code)
            if area is None:
                try:
                    areas.get_area(session, code=code)  # raises its NotFound
                except NotFound as exc:
                    exc.details = {"field": "area_codes", "code": code}
                    raise
                raise AssertionError(code)  # pragma: no cover - read above, gone now
            require(principal, Permission.NOTICE_COMPOSE, area_path=area.path)
            covered.append(area)
        covered += single.shape_covered_communities(session, principal, single.cap_shapes(
            single.notice_polygons(item.data), single.notice_circles(item.data)))
        if not covered:
            raise single.no_area_covered()
        made.append((single.composed_notice(principal, item.data, item.issuer, now), covered))
    notices = [notice for notice, _covered_areas in made]
    _insert(session, notices, [item.issuer.unit_code for item in items], now)
    _cover(session, made)
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        single.event_draft(principal, notice, "notice.composed",
                           areas=[a.code for a in covered[:50]], area_count=len(covered))
        for notice, covered in made])
    return notices


def approve_notices(session: Session, *, approvals: Sequence[tuple[int, Principal]],
                    clock: Clock | None = None) -> list[Notice]:
    """Approve drafts, each by its own principal, as :func:`notice_service.approve_notice`
    one after the other (the two-person rule for public notices included)."""
    clock = clock or SystemClock()
    now = clock.now()
    ids = [notice_id for notice_id, _who in approvals]
    rows = _notices(session, ids)
    covered = _covered(session, ids)
    drafts: list[EventDraft] = []
    for notice_id, principal in approvals:
        notice = rows[notice_id]
        single.require_in(principal, Permission.NOTICE_APPROVE, covered[notice_id])
        single.check_approval(principal, notice)
        notice.state = NoticeState.APPROVED
        notice.approved_by, notice.approved_at = principal.actor, now
        drafts.append(single.event_draft(principal, notice, "notice.approved",
                                         author=notice.author))
    session.flush()
    record_events(session, actor=approvals[0][1].actor if approvals else "", clock=clock,
                  drafts=drafts)
    return [rows[notice_id] for notice_id, _who in approvals]


# --- send -----------------------------------------------------------------------------------

def send_notices(session: Session, *, principal: Principal, notice_ids: Sequence[int],
                 clock: Clock | None = None) -> list[dict[str, int]]:
    """Send approved notices, as :func:`notice_service.send_notice` one after the other:
    each marked sent (closing what it cancels or updates), its deliveries queued; the counts
    per notice."""
    clock = clock or SystemClock()
    now = clock.now()
    rows = _notices(session, notice_ids)
    earlier_ids = [n.references_notice_id for n in rows.values()
                   if n.references_notice_id is not None]
    earlier = _notices(session, earlier_ids) if earlier_ids else {}
    covered = _covered(session, notice_ids)
    closing: list[EventDraft | None] = []
    for notice_id in notice_ids:
        notice = rows[notice_id]
        single.require_in(principal, Permission.NOTICE_COMPOSE, covered[notice_id])
        single.check_sendable(notice, now)
        notice.state, notice.sent_by, notice.sent_at = NoticeState.SENT, principal.actor, now
        closing.append(single.close_earlier(principal, notice, earlier[
            notice.references_notice_id]) if notice.references_notice_id is not None else None)
    session.flush()
    queued = _queue(session, [rows[i] for i in notice_ids], covered, now)
    drafts: list[EventDraft] = []
    for notice_id, closed, counts in zip(notice_ids, closing, queued, strict=True):
        if closed is not None:
            drafts.append(closed)
        drafts.append(single.event_draft(principal, rows[notice_id], "notice.sent",
                                         queued=counts, references=rows[notice_id].references))
    record_events(session, actor=principal.actor, drafts=drafts, clock=clock)
    return queued


def _queue(session: Session, notices: list[Notice], covered: dict[int, list[Area]],
           now: datetime) -> list[dict[str, int]]:
    """``outbox.queue_notice`` for many notices: residents of every (notice, channel,
    covered subtree) in set-based INSERTs, then subscribers; the counts per notice."""
    roots = {n.id: outbox.subtree_roots(covered[n.id]) for n in notices}
    targets = [(n.id, name, *root.subtree_bounds()) for n in notices if n.scope == "Public"
               for name in n.channels for root in roots[n.id]]
    for start in range(0, len(targets), _FAN_OUT_CHUNK):
        _queue_residents(session, targets[start:start + _FAN_OUT_CHUNK], now)
    residents = _resident_counts(session, [n.id for n in notices if n.scope == "Public"])
    subscriptions = _active_subscriptions(session) if notices else []
    rows, out = [], []
    for notice in notices:
        counts: dict[str, int] = {}
        if notice.scope == "Public":
            for name in notice.channels:
                channel = Channel(name)
                counts[channel.value] = residents.get((notice.id, channel.value), 0)
        for sub_id, channel, path in subscriptions:
            if any(path.startswith(r.path) or r.path.startswith(path) for r in roots[notice.id]):
                rows.append({"notice_id": notice.id, "channel": channel, "person_id": None,
                             "subscription_id": sub_id, "status": DeliveryStatus.PENDING,
                             "attempts": 0, "next_attempt_at": now})
                counts[channel.value] = counts.get(channel.value, 0) + 1
        out.append(counts)
    if rows:
        session.execute(insert(OutboxMessage), rows)
    return out


def _queue_residents(session: Session, targets: list[tuple[int, str, str, str]],
                     now: datetime) -> None:
    fan = union_all(*[select(literal(notice_id, Integer).label("notice_id"),
                             literal(channel, String).label("channel"),
                             literal(low, String).label("low"),
                             literal(high, String).label("high"))
                      for notice_id, channel, low, high in targets]).subquery("fan")
    residents = (
        select(fan.c.notice_id, fan.c.channel, Person.id, literal(None),
               literal(DeliveryStatus.PENDING.value), literal(0), literal(now, UTCDateTime()))
        .select_from(fan)
        .join(Area, (Area.path >= fan.c.low) & (Area.path < fan.c.high))
        .join(Person, Person.area_id == Area.id)
        .where(outbox.reachable_resident(
            fan.c.channel == Channel.SMS.value,
            through_areas=session.get_bind().dialect.name == "sqlite")))
    session.execute(insert(OutboxMessage).from_select(
        ["notice_id", "channel", "person_id", "subscription_id", "status", "attempts",
         "next_attempt_at"], residents))


def _resident_counts(session: Session, notice_ids: list[int]) -> dict[tuple[int, str], int]:
    """Residents' deliveries per (notice, channel value): the notices are new to the outbox,
    so what is there is what was just queued."""
    counts: dict[tuple[int, str], int] = {}
    for start in range(0, len(notice_ids), IN_CHUNK):
        for notice_id, channel, n in session.execute(
                select(OutboxMessage.notice_id, OutboxMessage.channel, func.count())
                .where(OutboxMessage.notice_id.in_(notice_ids[start:start + IN_CHUNK]),
                       OutboxMessage.person_id.is_not(None))
                .group_by(OutboxMessage.notice_id, OutboxMessage.channel)):
            counts[(notice_id, Channel(channel).value)] = int(n)
    return counts


def _active_subscriptions(session: Session) -> list[tuple[int, Channel, str]]:
    """Every active subscription (id order) with its area's path: few rows, read once."""
    return [(i, channel, path) for i, channel, path in session.execute(
        select(NoticeSubscription.id, NoticeSubscription.channel, Area.path)
        .join(Area, Area.id == NoticeSubscription.area_id)
        .where(NoticeSubscription.active.is_(True)).order_by(NoticeSubscription.id))]


# --- cancel ---------------------------------------------------------------------------------

def cancel_notices(session: Session, *, principal: Principal, items: Sequence[Cancelling],
                   clock: Clock | None = None) -> list[Notice]:
    """Draft Cancels of sent notices, as :func:`notice_service.cancel_notice` one after the
    other; each goes through approval and sending like any notice."""
    clock = clock or SystemClock()
    now = clock.now()
    ids = [item.notice_id for item in items]
    rows = _notices(session, ids)
    covered = _covered(session, ids)
    made: list[tuple[Notice, list[Area]]] = []
    for item in items:
        earlier = rows[item.notice_id]
        single.require_in(principal, Permission.NOTICE_COMPOSE, covered[earlier.id])
        single.check_follow_up(earlier, item.issuer)
        made.append((single.follow_up_notice(principal, earlier, "Cancel",
                                             {"note": item.data.note}, now),
                     covered[earlier.id]))
    notices = [notice for notice, _areas in made]
    _insert(session, notices, [item.issuer.unit_code for item in items], now)
    _cover(session, made)
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        single.event_draft(principal, notice, "notice.cancel_composed",
                           references=notice.references) for notice in notices])
    return notices
