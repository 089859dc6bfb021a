"""``communitas tasks sweep`` and ``communitas tasks list`` against a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from tests.factories import COMMUNITY_A1, build_city

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    monkeypatch.setenv("COMMUNITAS_SWEEP_HOLD_MINUTES", "45")
    monkeypatch.setenv("COLUMNS", "200")  # room for whole area codes in the table
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        build_city(session)
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_sweep_a_community_then_list_its_tasks(database: str) -> None:
    result = runner.invoke(app, ["tasks", "sweep", COMMUNITY_A1, "--title", "Fever check"])
    assert result.exit_code == 0, result.output
    assert "2 buildings" in result.output and "45 minutes" in result.output
    listed = runner.invoke(app, ["tasks", "list", "--within", COMMUNITY_A1,
                                 "--status", "open"])
    assert listed.exit_code == 0, listed.output
    assert "2 of 2 tasks" in listed.output and f"{COMMUNITY_A1}-B002" in listed.output
    assert "Open" in listed.output


def test_a_refused_sweep_exits_2_with_its_code(database: str) -> None:
    result = runner.invoke(app, ["tasks", "sweep", f"{COMMUNITY_A1}-B001", "--title", "X"])
    assert result.exit_code == 2
    assert "sweep_area_kind" in result.output
