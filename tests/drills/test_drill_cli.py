"""``communitas drill validate | run`` as an operator uses them, on a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from tests.drills.test_simulator import SCENARIO, _world

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        _world(session)
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_drill_run_writes_json_and_html_and_leaves_the_city_alone(
        database: str, tmp_path: Path) -> None:
    scenario = tmp_path / "test.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    before = (tmp_path / "city.db").read_bytes()
    out = tmp_path / "report"
    result = runner.invoke(app, ["drill", "run", str(scenario), "--seed", "4", "--out",
                                 str(out), "--hours", "2"])
    assert result.exit_code == 0, result.output
    assert "Drill finished" in result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["horizon_minutes"] == 120 and metrics["first_response"]["count"] > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "Test" in html
    assert (tmp_path / "city.db").read_bytes() == before  # played on a copy


def test_drill_validate_names_the_line_and_field(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("servers: 2", "servers: 0"), encoding="utf-8")
    result = runner.invoke(app, ["drill", "validate", str(bad)])
    assert result.exit_code == 2
    assert "service_points.0.servers" in result.output
    line = next(i for i, text in enumerate(SCENARIO.splitlines(), 1) if "servers: 2" in text)
    assert f"'line': {line}" in result.output
    good = tmp_path / "good.yaml"
    good.write_text(SCENARIO, encoding="utf-8")
    assert runner.invoke(app, ["drill", "validate", str(good)]).exit_code == 0


def test_a_scenario_naming_unknown_areas_is_refused(database: str, tmp_path: Path) -> None:
    scenario = tmp_path / "elsewhere.yaml"
    scenario.write_text(SCENARIO.replace('code: "310115001000"', 'code: "310115009000"'),
                        encoding="utf-8")
    result = runner.invoke(app, ["drill", "run", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown_area" in result.output and "310115009000" in result.output


def test_a_missing_database_is_not_created_by_a_drill(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "none.db"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", f"sqlite:///{missing}")
    get_settings.cache_clear()
    scenario = tmp_path / "test.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    try:
        result = runner.invoke(app, ["drill", "run", str(scenario)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "drill_source_missing" in result.output
    assert not missing.exists()
