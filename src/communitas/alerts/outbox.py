"""The transactional outbox: queue deliveries with a notice, claim them in batches, record
each outcome, retry with exponential back-off, and keep a dead-letter list.

A row moves ``pending → delivered`` for the in-app feed (one transaction claims and delivers
a whole batch), and ``pending → claimed → sending → delivered`` for external channels, the
``sending`` mark committed before the message leaves. A worker that dies leaves ``claimed``
rows (never sent: another worker takes them once the lease runs out) or at most one
``sending`` row per worker (its outcome unknown: it goes to the dead-letter list rather than
risk a second copy). So a recipient gets a notice at most once per channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

# Fan-out is one INSERT … SELECT over the residents of the covered subtrees, so it joins the
# people table directly (as scope filters join areas) instead of loading a million rows.
from communitas.actors.kinds import PersonKind
from communitas.actors.models import Person
from communitas.alerts.models import (
    Channel,
    DeliveryStatus,
    FeedItem,
    Notice,
    NoticeSubscription,
    OutboxMessage,
)
from communitas.areas.models import Area
from communitas.config import Settings
from communitas.db import UTCDateTime

__all__ = [
    "Batch", "OutboxPolicy", "claim", "deliver_in_app", "expire_interrupted", "finish",
    "give_up", "queue_notice", "reachable_resident", "start_sending", "subtree_roots",
]

S = DeliveryStatus
_QUEUED_COLUMNS = ["notice_id", "channel", "person_id", "subscription_id", "status",
                   "attempts", "next_attempt_at"]


@dataclass(frozen=True)
class OutboxPolicy:
    batch_size: int = 2000
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxPolicy:
        return cls(batch_size=settings.outbox_batch_size,
                   max_attempts=settings.outbox_max_attempts,
                   backoff_seconds=settings.outbox_backoff_seconds,
                   backoff_max_seconds=settings.outbox_backoff_max_seconds,
                   lease_seconds=settings.outbox_lease_seconds)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next try after ``attempts`` failures: base × 2^(attempts−1)."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass(frozen=True)
class Batch:
    channel: Channel
    token: str
    ids: list[int]


def subtree_roots(covered: Sequence[Area]) -> list[Area]:
    """The covered areas not inside another covered area, so subtrees never overlap."""
    paths = sorted({a.path: a for a in covered}.items())
    roots: list[Area] = []
    for path, area in paths:
        if not roots or not path.startswith(roots[-1].path):
            roots.append(area)
    return roots


def reachable_resident(sms: ColumnElement[bool] | bool, *,
                       through_areas: bool = False) -> ColumnElement[bool]:
    """Who a public notice reaches (a joined ``people`` row): residents, and on SMS only
    those with a phone. ``sms`` says whether the row's channel is SMS.

    ``through_areas`` (SQLite only) marks the resident test as true for most people, so the
    planner reaches people through their areas' index instead of reading every resident
    once per covered subtree; the test itself is unchanged."""
    has_phone = and_(Person.phone.is_not(None), Person.phone != "")
    resident: ColumnElement[bool] = Person.kind == PersonKind.RESIDENT
    if through_areas:
        resident = func.likelihood(resident, literal_column("0.9"), type_=Boolean)
    if isinstance(sms, bool):
        return and_(resident, has_phone) if sms else resident
    return and_(resident, or_(~sms, has_phone))


def _queue_residents(session: Session, notice_id: int, channel: Channel, root: Area,
                     now: datetime) -> int:
    low, high = root.subtree_bounds()
    residents = (
        select(literal(notice_id), literal(channel.value), Person.id, literal(None),
               literal(S.PENDING.value), literal(0), literal(now, UTCDateTime()))
        .join(Area, Area.id == Person.area_id)
        .where(reachable_resident(channel is Channel.SMS), Area.path >= low, Area.path < high))
    # An INSERT's rowcount is kept only when asked (psycopg reports -1 otherwise).
    result = session.execute(insert(OutboxMessage).from_select(_QUEUED_COLUMNS, residents)
                             .execution_options(preserve_rowcount=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _subscribers(session: Session, roots: Sequence[Area]) -> list[NoticeSubscription]:
    """Active subscriptions on an area inside a covered subtree, or above one."""
    if not roots:
        return []
    conditions: list[ColumnElement[bool]] = []
    for root in roots:
        low, high = root.subtree_bounds()
        conditions.append((Area.path >= low) & (Area.path < high))
        conditions.append(literal(root.path).startswith(Area.path))
    query = (select(NoticeSubscription).join(Area, Area.id == NoticeSubscription.area_id)
             .where(NoticeSubscription.active.is_(True), or_(*conditions))
             .order_by(NoticeSubscription.id))
    return list(session.execute(query).scalars())


def queue_notice(session: Session, *, notice: Notice, covered: Sequence[Area],
                 now: datetime) -> dict[str, int]:
    """One pending row per recipient and channel: residents of the covered areas (public
    notices, on the notice's channels) and subscribers; returns the count per channel."""
    roots = subtree_roots(covered)
    counts: dict[str, int] = {}
    if notice.scope == "Public":
        for name in notice.channels:
            channel = Channel(name)
            counts[channel.value] = sum(
                _queue_residents(session, notice.id, channel, root, now) for root in roots)
    subscribers = _subscribers(session, roots)
    if subscribers:
        session.execute(insert(OutboxMessage), [
            {"notice_id": notice.id, "channel": s.channel, "person_id": None,
             "subscription_id": s.id, "status": S.PENDING, "attempts": 0,
             "next_attempt_at": now} for s in subscribers])
        for s in subscribers:
            counts[s.channel.value] = counts.get(s.channel.value, 0) + 1
    return counts


def _due(session: Session, channel: Channel, status: DeliveryStatus, now: datetime,
         limit: int) -> Select[Any]:
    """Ids of rows due now, oldest first; on PostgreSQL skipping rows another worker locks."""
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.status == status,
                  OutboxMessage.channel == channel, OutboxMessage.next_attempt_at <= now)
           .order_by(OutboxMessage.next_attempt_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return due


def claim(session: Session, *, channel: Channel, now: datetime, policy: OutboxPolicy,
          limit: int | None = None) -> Batch:
    """Lease up to ``limit`` due rows of one channel: retries whose time has come, and rows
    whose earlier lease ran out (their worker died before sending them)."""
    token = uuid.uuid4().hex
    wanted = limit or policy.batch_size
    until = now + timedelta(seconds=policy.lease_seconds)
    ids: list[int] = []
    for status in (S.CLAIMED, S.PENDING):
        if len(ids) >= wanted:
            break
        due = _due(session, channel, status, now, wanted - len(ids))
        # The status and time are checked again in the UPDATE itself: on SQLite this
        # conditional update is the claim (writers are serialised by BEGIN IMMEDIATE).
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()),
                   OutboxMessage.status == status, OutboxMessage.next_attempt_at <= now)
            .values(status=S.CLAIMED, claim_token=token, next_attempt_at=until)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False})
        ids.extend(claimed.scalars())
    return Batch(channel=channel, token=token, ids=sorted(ids))


def deliver_in_app(session: Session, *, now: datetime, limit: int) -> int:
    """Deliver up to ``limit`` due in-app rows into the residents' feeds, in this transaction.

    The feed is in the same database, so claiming, delivering and marking are one atomic
    step: a worker that dies mid-batch leaves nothing behind. A feed holds one item per
    resident and notice, and one per outbox row (unique keys), so no race delivers twice."""
    due = _due(session, Channel.IN_APP, S.PENDING, now, limit)
    token = uuid.uuid4().hex
    ids = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == S.PENDING)
        .values(status=S.DELIVERED, delivered_at=now, attempts=OutboxMessage.attempts + 1,
                claim_token=token)
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False}).scalars().all()
    if ids:
        # Due rows are taken oldest first, so a batch is (nearly) one id range: the feed
        # rows are copied set-based over that range, picking this batch's rows by token.
        mine = (select(OutboxMessage.person_id, OutboxMessage.notice_id, OutboxMessage.id,
                       literal(now, UTCDateTime()))
                .where(OutboxMessage.id.between(min(ids), max(ids)),
                       OutboxMessage.claim_token == token))
        session.execute(insert(FeedItem).from_select(
            ["person_id", "notice_id", "outbox_id", "delivered_at"], mine))
    return len(ids)


def start_sending(session: Session, *, outbox_id: int, token: str) -> bool:
    """Mark one claimed row as being sent (commit before sending); False if no longer ours."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.claim_token == token,
               OutboxMessage.status == S.CLAIMED)
        .values(status=S.SENDING, attempts=OutboxMessage.attempts + 1),
        execution_options={"synchronize_session": False})
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish(session: Session, *, outbox_id: int, token: str, now: datetime,
           policy: OutboxPolicy, error: str | None) -> DeliveryStatus | None:
    """Record a send's outcome: delivered, pending again after a back-off, or dead."""
    row = session.execute(select(OutboxMessage).where(
        OutboxMessage.id == outbox_id, OutboxMessage.claim_token == token,
        OutboxMessage.status == S.SENDING)).scalar_one_or_none()
    if row is None:
        return None
    row.claim_token = None
    if error is None:
        row.status, row.delivered_at, row.last_error = S.DELIVERED, now, None
    elif row.attempts >= policy.max_attempts:
        row.status, row.last_error = S.DEAD, error[:500]
    else:
        row.status, row.last_error = S.PENDING, error[:500]
        row.next_attempt_at = now + policy.backoff(row.attempts)
    session.flush()
    return row.status


def give_up(session: Session, *, batch: Batch, reason: str) -> int:
    """Send a claimed batch straight to the dead-letter list (its channel is not set up)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(batch.ids), OutboxMessage.claim_token == batch.token,
               OutboxMessage.status == S.CLAIMED)
        .values(status=S.DEAD, claim_token=None, last_error=reason),
        execution_options={"synchronize_session": False})
    return int(result.rowcount)  # type: ignore[attr-defined]


def expire_interrupted(session: Session, *, now: datetime) -> int:
    """Rows left ``sending`` past their lease: the outcome is unknown, so never resend them;
    they go to the dead-letter list for a person to check."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.status == S.SENDING,
               OutboxMessage.next_attempt_at <= now)
        .values(status=S.DEAD, claim_token=None,
                last_error="interrupted while sending; not resent (at most once)"),
        execution_options={"synchronize_session": False})
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_by_status(session: Session, *, notice_id: int) -> list[tuple[Channel, S, int]]:
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.notice_id == notice_id)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
        .order_by(OutboxMessage.channel, OutboxMessage.status))
    return [(channel, status, int(n)) for channel, status, n in rows]
