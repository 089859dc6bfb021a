"""Database engine, sessions, and migrations (Alembic, applied at start-up); rows read by
id and inserted set-based for the batch paths."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BEGIN = "sqlite_begin"  # execution option: "IMMEDIATE" (default) or "DEFERRED"
READ_ONLY = {SQLITE_BEGIN: "DEFERRED"}

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def value_enum(cls: type[enum.Enum], *, length: int = 32) -> SAEnum:
    """A portable enum column storing the members' values (a VARCHAR with a CHECK)."""
    return SAEnum(cls, native_enum=False, length=length,
                  values_callable=lambda members: [m.value for m in members])


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and real BEGINs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs work.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if parsed.database and parsed.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
        # instead of one failing when its snapshot goes stale; readers opt out (see api.deps).
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction for one use case: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


IN_CHUNK = 500  # values per IN (...) list: under SQLite's bound-parameter limit
_Row = TypeVar("_Row", bound="Base")


def rows_by_id(session: Session, model: type[_Row], ids: Sequence[int], *,
               lock: bool = False) -> dict[int, _Row]:
    """Rows of ``model`` by id, read in id order a chunk at a time (locked when asked, so
    concurrent batches lock in the same order; a locked read refreshes rows the session
    already holds, so their values are the ones the lock protects)."""
    found: dict[int, _Row] = {}
    ordered = sorted(set(ids))
    id_column = model.id  # type: ignore[attr-defined]  # every table given has an id
    for start in range(0, len(ordered), IN_CHUNK):
        query = select(model).where(id_column.in_(ordered[start:start + IN_CHUNK])) \
            .order_by(id_column)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        for row in session.execute(query).scalars():
            found[row.id] = row  # type: ignore[attr-defined]
    return found


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
                ) -> list[int]:
    """Table-level INSERTs of ``rows`` (each naming the same columns, no id) after what the
    session still holds; the new ids in the rows' order, the ids the ORM's one-row-at-a-time
    flush would have drawn, at a fraction of its cost."""
    if not rows:
        return []
    session.flush()  # rows the session holds go in first, as in one ORM flush
    connection = session.connection()
    table = cast(Table, model.__table__)
    if connection.dialect.name == "postgresql":
        # Ids drawn from the sequence first, then a plain executemany (psycopg pipelines it):
        # a multi-row INSERT … RETURNING is too long for psycopg's query cache and was
        # parsed again for every batch.
        ids = sorted(int(i) for i in connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}).scalars())
        connection.execute(insert(table), [{**row, "id": row_id}
                                           for row, row_id in zip(rows, ids, strict=True)])
        return ids
    # SQLite gives each row of a multi-row INSERT the next rowid in turn (max(rowid) + 1, as
    # single-row INSERTs get), but returns them in no set order: sorted, they follow the
    # rows. Asking SQLAlchemy to sort them (no sentinel column) inserts one row a statement.
    return sorted(int(i) for i in connection.execute(insert(table).returning(table.c.id),
                                                     list(rows)).scalars())


def insert_many(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """One table-level executemany INSERT of ``rows`` nobody reads back as objects (the
    ORM's bulk path costs more than the database does here); no ids returned."""
    if rows:
        session.connection().execute(insert(cast(Table, model.__table__)), list(rows))


def insert_objects(session: Session, objects: Sequence[Base]) -> None:
    """Insert new (transient) ORM objects of one model by :func:`insert_rows` and add them to
    the session as a flush leaves them: id set, every column loaded (unset ones, and ones
    set to None that have a default, at their default). An object whose id or a
    relationship is already set is refused (ValueError): the id would be drawn anew, the
    relationship's key not copied. tests/test_db.py holds it to what a flush leaves."""
    if not objects:
        return
    mapper = type(objects[0]).__mapper__
    keys = [(attr.key, attr.columns[0]) for attr in mapper.column_attrs
            if not attr.columns[0].primary_key]
    for obj in objects:
        if getattr(obj, "id", None) is not None:
            raise ValueError(f"{obj!r}: its id is set; insert_objects draws the ids")
        if any(obj.__dict__.get(rel.key) for rel in mapper.relationships):
            raise ValueError(f"{obj!r}: set the foreign key columns, not the relationships")
    for obj in objects:
        for key, column in keys:
            if key not in obj.__dict__ or (obj.__dict__[key] is None
                                           and column.default is not None):
                setattr(obj, key, _default(column))
    ids = insert_rows(session, type(objects[0]), [
        {column.key: obj.__dict__[key] for key, column in keys} for obj in objects])
    for obj, row_id in zip(objects, ids, strict=True):
        obj.id = row_id  # type: ignore[attr-defined]  # every model given has an id
    session.add_all(objects)
    # What a flush does with the rows it inserted (no public call does it): the objects are
    # persistent, loaded and unchanged, and a rollback of this transaction expunges them.
    session._register_persistent({inspect(obj) for obj in objects})


def _default(column: Any) -> Any:
    """A column's client-side default (scalar, or called without a context), else None."""
    if column.server_default is not None:
        raise ValueError(f"{column}: a server default is unknown until read back")
    default = column.default
    if default is None:
        if isinstance(column.type, JSON):  # None would be stored as JSON null, not NULL
            raise ValueError(f"{column}: give the JSON column a value or a default")
        return None
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps a no-argument callable to take a context
    if not default.is_scalar:
        raise ValueError(f"{column}: only scalar and callable defaults are known up front")
    return default.arg
