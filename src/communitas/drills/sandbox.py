"""The drill's own database: an in-memory SQLite copy of a city, never the live one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.errors import ValidationFailed
from communitas.i18n import _

__all__ = ["copy_of_database", "copy_of_engine", "demo_city", "from_image", "prepared"]


def _memory() -> Engine:
    # One shared connection: an in-memory SQLite database lives only as long as it.
    return make_engine("sqlite://", poolclass=StaticPool)


def copy_of_database(source_url: str) -> sessionmaker[Session]:
    """A private in-memory copy of a SQLite database (the configured one, say)."""
    url = make_url(source_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValidationFailed(_("A drill copies a SQLite database file; use --demo for a "
                                 "fresh demo city instead"), code="drill_source_unsupported")
    if not Path(url.database).is_file():
        raise ValidationFailed(_("There is no database at {file} to copy"),
                               code="drill_source_missing", file=url.database)
    engine = _memory()
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    try:
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            raw.close()
    finally:
        source.close()
    migrate(engine)
    return make_session_factory(engine)


def copy_of_engine(source: Engine) -> sessionmaker[Session]:
    """A private in-memory copy of another SQLite engine's database (a prepared city)."""
    engine = _memory()
    raw_source, raw_target = source.raw_connection(), engine.raw_connection()
    try:
        raw_source.driver_connection.backup(raw_target.driver_connection)  # type: ignore[union-attr]
    finally:
        raw_source.close()
        raw_target.close()
    return make_session_factory(engine)


def from_image(image: bytes) -> sessionmaker[Session]:
    """A private in-memory database from the bytes of another (see drills.sweep)."""
    engine = _memory()
    raw = engine.raw_connection()
    try:
        raw.driver_connection.deserialize(image)  # type: ignore[union-attr]
    finally:
        raw.close()
    return make_session_factory(engine)


def prepared(build: Callable[[Session], object]) -> sessionmaker[Session]:
    """A fresh in-memory database, migrated, filled by ``build`` in one unit of work."""
    engine = _memory()
    migrate(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        build(session)
    return factory


def demo_city(seed: int, scale: str) -> sessionmaker[Session]:
    """The demo city for ``seed`` at ``scale``, loaded into a fresh in-memory database."""
    from communitas.demo.loader import build_demo

    return prepared(lambda s: build_demo(s, seed=seed, scale=scale))  # type: ignore[arg-type]
