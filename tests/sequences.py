"""Rewinding PostgreSQL's sequences, for tests that run two paths in rolled-back savepoints
of one world and compare the rows they leave: a rollback does not give back the ids a
sequence handed out, so without this the second path's ids (and the event hashes over
them) would differ for no reason of the code under test. On SQLite this does nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from communitas.events import Event


@contextmanager
def sequences_rewound(db: Session) -> Iterator[None]:
    """Every sequence of the schema is set back, when the block ends, to where it was."""
    if db.get_bind().dialect.name != "postgresql":
        yield
        return
    before = db.execute(text(
        "SELECT schemaname || '.' || sequencename, last_value, start_value "
        "FROM pg_sequences WHERE schemaname = current_schema()")).all()
    try:
        yield
    finally:
        for name, last_value, start_value in before:
            db.execute(text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                       {"name": name, "value": last_value if last_value is not None
                        else start_value, "called": last_value is not None})


def each_way(db: Session, paths: Sequence[Callable[[], Any]],
             state: Callable[[Session, int], Any]) -> list[tuple[Any, Any]]:
    """Run each path in a rolled-back savepoint of the same world, sequences rewound: per
    path, what it answered and ``state(db, since)`` after it (``since``: the last event's
    seq before any path ran), for comparing a batch with the one-by-one calls."""
    since = db.execute(select(func.max(Event.seq))).scalar_one()
    results = []
    for path in paths:
        with sequences_rewound(db):
            savepoint = db.begin_nested()
            answer = path()
            results.append((answer, state(db, since)))
            savepoint.rollback()
    return results
