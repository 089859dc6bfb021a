"""Rewinding PostgreSQL's sequences, for tests that run two paths in rolled-back savepoints
of one world and compare the rows they leave: a rollback does not give back the ids a
sequence handed out, so without this the second path's ids (and the event hashes over
them) would differ for no reason of the code under test. On SQLite this does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session


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
