"""Database fixtures: every database test runs on SQLite, and on PostgreSQL when
COMMUNITAS_TEST_DATABASE_URL is set. The schema comes from the Alembic migrations, and
each test runs inside a transaction that is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from communitas.api.app import create_app
from communitas.config import Settings
from communitas.db import make_engine, migrate

PG_URL = os.environ.get("COMMUNITAS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
TEST_SECRET = "test-secret-" + "x" * 40


def fresh_database_url(backend: str, tmp_dir: Path) -> tuple[str, object]:
    """A new, empty database; returns its URL and a callable that drops it."""
    if backend == "sqlite":
        path = tmp_dir / f"communitas-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: None
    assert PG_URL
    name = f"communitas_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Engine]:
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("db"))
    eng = make_engine(url)
    migrate(eng)
    yield eng
    eng.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                        expire_on_commit=False)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    # Inline triage: the test's one connection must not be used by the intake writer after
    # it answers. Deferred triage (the default) is tested on its own database.
    return Settings(environment="test", secret_key=TEST_SECRET, intake_triage="inline",
                    database_url=engine.url.render_as_string(hide_password=False))


@pytest.fixture
def client(engine: Engine, settings: Settings, session_factory: sessionmaker[Session]
           ) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine, run_migrations=False)
    app.state.session_factory = session_factory
    with TestClient(app) as test_client:
        yield test_client
