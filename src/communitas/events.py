"""The append-only event log, chained by SHA-256 hashes.

Each event stores the hash of its predecessor and its own hash over a canonical text of
its fields. A single chain-head row, locked for update, serialises appends so the chain
never forks; editing or deleting any row breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, String, Table, Text, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, mapped_column

from communitas.clock import Clock, SystemClock
from communitas.db import Base, UTCDateTime
from communitas.privacy import SENSITIVE_FIELDS, redact

GENESIS_HASH = "0" * 64

__all__ = [
    "GENESIS_HASH", "ChainBreak", "Event", "EventChainHead", "EventDraft",
    "record_event", "record_events", "verify_chain",
]


class Event(Base):
    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class EventChainHead(Base):
    """One row: the last sequence number and hash; locking it serialises appends."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


# Built once: json.dumps with these options builds an encoder at every call, which cost more
# than the encoding of an event's short fields. The C encoder is the one json.dumps itself
# uses, so the text is the same byte for byte (tests/test_events.py compares them).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              default=str, check_circular=False)
_C_ENCODE = None if c_make_encoder is None else c_make_encoder(
    None, str, encode_basestring, None, ":", ",", True, False, True)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the text an event's hash is taken over."""
    if _C_ENCODE is None or isinstance(value, str):
        return _CANONICAL.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _redacted(payload: dict[str, Any] | None) -> dict[str, Any]:
    """``redact(payload)``, skipping the copy for the usual flat payload with nothing to hide."""
    if not payload:
        return {}
    if SENSITIVE_FIELDS.isdisjoint(payload):
        for value in payload.values():
            if isinstance(value, dict | list | tuple):
                break
        else:
            return payload
    return cast(dict[str, Any], redact(payload))


def _digest(
    *, seq: int, at: datetime, actor: str, action: str, subject_type: str,
    subject_id: str, area_code: str | None, payload: str, prev_hash: str,
) -> str:
    return _hash_of(seq, at.isoformat(timespec="microseconds"), actor, action, subject_type,
                    subject_id, area_code, payload, prev_hash)


def _hash_of(seq: int, at_text: str, actor: str, action: str, subject_type: str,
             subject_id: str, area_code: str | None, payload: str, prev_hash: str) -> str:
    """The one definition of what an event's hash covers (``at_text``: the time's ISO text
    to the microsecond); appending calls it with the batch's time made text once."""
    text = canonical_json([seq, at_text, actor, action, subject_type, subject_id, area_code,
                           payload, prev_hash])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EventDraft:
    """An event not yet appended; see :func:`record_events`."""

    action: str
    subject_type: str
    subject_id: str | int
    area_code: str | None = None
    payload: dict[str, Any] | None = None
    actor: str | None = None  # when one batch appends for several actors


# Built once: every unit of work that changes something appends events (a drill, hundreds
# of thousands), so the statements skip building and cache-keying each time.
_HEAD = select(EventChainHead.id, EventChainHead.last_seq, EventChainHead.last_hash) \
    .with_for_update()
_MOVE_HEAD = update(EventChainHead).where(EventChainHead.id == bindparam("head_id")) \
    .values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
_INSERT = insert(cast(Table, Event.__table__))
_COLUMNS = ("seq", "at", "actor", "action", "subject_type", "subject_id", "area_code",
            "payload", "prev_hash", "hash")
_DRIVER_INSERTS: dict[tuple[str, str], tuple[str, bool, Callable[[datetime], Any]]] = {}


def _insert_for(dialect: Dialect) -> tuple[str, bool, Callable[[datetime], Any]]:
    """The INSERT of one event as the driver takes it, compiled once per dialect: whether
    it takes rows as tuples (else dicts), and how the time is stored (as the column's own
    type stores it, so times compare as in every other column). Events are the most
    written rows there are, and SQLAlchemy's executemany costs as much per row as SQLite."""
    key = (dialect.name, dialect.paramstyle)
    if key not in _DRIVER_INSERTS:
        compiled = _INSERT.compile(dialect=dialect, column_keys=list(_COLUMNS))
        if compiled.positional and tuple(compiled.positiontup or ()) != _COLUMNS:
            raise RuntimeError(f"unexpected column order {compiled.positiontup}")
        # the dialect's own type (SQLite's DATETIME writes its text form), not the generic one
        column_type = Event.__table__.c.at.type.dialect_impl(dialect)
        processor = column_type.bind_processor(dialect)
        _DRIVER_INSERTS[key] = (str(compiled), compiled.positional,
                                processor or (lambda value: value))
    return _DRIVER_INSERTS[key]


def record_events(
    session: Session, *, actor: str, drafts: list[EventDraft], clock: Clock | None = None
) -> int:
    """Append many events at once under one head lock; returns the last sequence number.

    Rows go in as one executemany through the driver and the head moves by one UPDATE in
    Core (no ORM objects to load and flush): intake appends hundreds per batch. The head is read
    through the session, so changes pending in it are flushed first, as with any query."""
    head_id, seq, prev = session.execute(_HEAD).one()
    if not drafts:
        return int(seq)
    at = (clock or SystemClock()).now()
    at_text = at.isoformat(timespec="microseconds")
    connection = session.connection()
    sql, positional, stored_at = _insert_for(connection.dialect)
    at_value = stored_at(at)
    rows: list[Any] = []
    for draft in drafts:
        seq += 1
        body = canonical_json(_redacted(draft.payload))
        who = draft.actor or actor
        subject_id = str(draft.subject_id)
        digest = _hash_of(seq, at_text, who, draft.action, draft.subject_type, subject_id,
                          draft.area_code, body, prev)
        values = (seq, at_value, who, draft.action, draft.subject_type, subject_id,
                  draft.area_code, body, prev, digest)
        rows.append(values if positional else dict(zip(_COLUMNS, values, strict=True)))
        prev = digest
    connection.exec_driver_sql(sql, rows)
    connection.execute(_MOVE_HEAD, {"head_id": head_id, "seq": seq, "hash": prev})
    return seq


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    area_code: str | None = None,
    payload: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> int:
    """Append one event in the caller's transaction; sensitive fields are redacted.
    Returns its sequence number."""
    draft = EventDraft(action, subject_type, subject_id, area_code, payload)
    return record_events(session, actor=actor, drafts=[draft], clock=clock)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(session: Session, *, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain from the first event; return (events checked, first break or None)."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seen = 0
    while True:
        rows = session.execute(
            select(Event).where(Event.seq > last_seen).order_by(Event.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return checked, ChainBreak(expected_seq, "missing")
            if row.prev_hash != prev_hash:
                return checked, ChainBreak(row.seq, "prev_hash")
            digest = _digest(
                seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                subject_type=row.subject_type, subject_id=row.subject_id,
                area_code=row.area_code, payload=row.payload, prev_hash=row.prev_hash,
            )
            if digest != row.hash:
                return checked, ChainBreak(row.seq, "hash")
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
            last_seen = row.seq
        session.expunge_all()
    # columns, not an ORM head: appends move the head in Core, past any object held
    head = session.execute(select(EventChainHead.last_seq, EventChainHead.last_hash)).one()
    if head.last_seq != checked or head.last_hash != prev_hash:
        return checked, ChainBreak(checked + 1, "truncated")
    return checked, None
