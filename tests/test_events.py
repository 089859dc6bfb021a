"""The hash-chained event log: appends in the caller's transaction, tampering is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from communitas.clock import FixedClock
from communitas.events import Event, canonical_json, record_event, verify_chain
from communitas.privacy import REDACTED
from tests.factories import build_city


def test_chain_verifies_then_names_the_edited_row(db: Session) -> None:
    build_city(db)
    checked, broken = verify_chain(db)
    assert broken is None
    assert checked == db.execute(select(Event.seq)).all().__len__() > 10
    target = db.execute(select(Event).where(Event.subject_id == "310115001002")).scalar_one()
    seq = target.seq
    db.execute(text("UPDATE events SET payload = :p WHERE seq = :s"),
               {"p": '{"kind":"community","name_zh":"篡改"}', "s": seq})
    db.expire_all()
    _checked, broken = verify_chain(db)
    assert broken is not None
    assert (broken.seq, broken.reason) == (seq, "hash")


def test_deleting_a_row_is_detected(db: Session) -> None:
    build_city(db)
    db.execute(text("DELETE FROM events WHERE seq = 3"))
    db.expire_all()
    _checked, broken = verify_chain(db)
    assert broken is not None and broken.seq == 3


def test_rehashing_an_edited_row_breaks_the_next_link(db: Session) -> None:
    build_city(db)
    row = db.execute(select(Event).where(Event.seq == 2)).scalar_one()
    db.execute(text("UPDATE events SET hash = :h WHERE seq = 2"), {"h": "f" * 64})
    del row
    db.expire_all()
    _checked, broken = verify_chain(db)
    assert broken is not None and broken.seq == 2


def test_sensitive_values_never_reach_the_log(db: Session) -> None:
    build_city(db)
    seq = record_event(db, actor="test", action="person.updated", subject_type="person",
                       subject_id="P-1", payload={"phone": "13812345678",
                                                  "changes": {"id_number": "x"}})
    event = db.get_one(Event, seq)
    assert "13812345678" not in event.payload
    assert REDACTED in event.payload
    assert verify_chain(db)[1] is None


def test_canonical_text_is_json_dumps_byte_for_byte() -> None:
    """The hashes of every event already stored were taken over json.dumps' text."""
    values = [
        {"b": 1, "a": [1.5, 1e-05, 2.0, -0.0, 10**20, True, None], "ç": "中文\n\t\"\\\x01\u2028"},
        ["x", {"z": {"y": [], "x": {}}}, 3],
        {"when": datetime(2026, 7, 20, 8, 0, tzinfo=UTC), "n": float("inf")},
        "just a string", 7, None,
    ]
    for value in values:
        assert canonical_json(value) == json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def test_a_flat_payload_with_a_sensitive_key_is_redacted(db: Session) -> None:
    build_city(db)
    seq = record_event(db, actor="test", action="person.updated", subject_type="person",
                       subject_id="P-2", payload={"phone": "13812345678", "name": "王"})
    assert json.loads(db.get_one(Event, seq).payload) == {"phone": REDACTED, "name": "王"}
    assert verify_chain(db)[1] is None


def test_an_event_at_a_window_edge_falls_in_the_window_that_starts_there(db: Session) -> None:
    """Supervision counts events in windows from midnight: the stored time must compare as
    every other time column does (on SQLite, the same text form)."""
    build_city(db)
    midnight = datetime(2026, 7, 21, 0, 0, tzinfo=UTC)
    seq = record_event(db, actor="test", action="area.updated", subject_type="area",
                       subject_id="310115001001", clock=FixedClock(midnight))
    assert seq in db.execute(select(Event.seq).where(Event.at >= midnight)).scalars().all()
    assert seq not in db.execute(select(Event.seq).where(Event.at < midnight)).scalars().all()
    assert db.get_one(Event, seq).at == midnight
