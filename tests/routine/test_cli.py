"""``communitas routine run | status`` and ``communitas supervision street`` on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from communitas.actors.kinds import PersonKind
from communitas.auth.permissions import SYSTEM
from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.supervision import service
from communitas.supervision.models import AssignmentRole
from communitas.supervision.schemas import AssignmentCreate
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, STREET_A
from tests.resources.helpers import build_world

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    monkeypatch.setenv("COLUMNS", "220")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        build_world(session)
        make_person(session, "C-1", COMMUNITY_A1, PersonKind.CADRE)
        service.assign(session, principal=SYSTEM, data=AssignmentCreate(
            person_code="C-1", community_code=COMMUNITY_A1,
            role=AssignmentRole.COMMUNITY_LIAISON,
            starts_on=(datetime.now(UTC) - timedelta(days=1)).date()))
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_run_twice_then_status(database: str) -> None:
    first = runner.invoke(app, ["routine", "run"])
    assert first.exit_code == 0, first.output
    assert "Reserve top-ups" in first.output and " 3 " in first.output
    second = runner.invoke(app, ["routine", "run", "--job", "topup"])
    assert second.exit_code == 0 and " 0 " in second.output
    status = runner.invoke(app, ["routine", "status", STREET_A])
    assert status.exit_code == 0, status.output
    assert "1 of 2 communities have nobody sent down" in status.output


def test_unknown_job_and_unknown_area_exit_2(database: str) -> None:
    assert runner.invoke(app, ["routine", "run", "--job", "dance"]).exit_code == 2
    result = runner.invoke(app, ["routine", "status", "999999999999"])
    assert result.exit_code == 2 and "unknown_area" in result.output


def test_supervision_street(database: str) -> None:
    result = runner.invoke(app, ["supervision", "street", STREET_A])
    assert result.exit_code == 0, result.output
    assert "C-1" in result.output and "nobody sent down" in result.output
    assert "0 flagged for inaction" in result.output
    refused = runner.invoke(app, ["supervision", "street", COMMUNITY_A1])
    assert refused.exit_code == 2 and "wrong_area_kind" in refused.output
