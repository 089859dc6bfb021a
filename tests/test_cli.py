"""The command line as an operator uses it, against a real SQLite file."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _write_areas(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "code", "parent_code", "name_zh", "name_en", "population"])
        writer.writerows(rows)
    return path


CITY_ROWS = [
    ["city", "310100", "", "上海市", "Shanghai", ""],
    ["district", "310115", "310100", "浦东新区", "Pudong", ""],
    ["street", "310115001000", "310115", "一街道", "First Street", ""],
    ["community", "310115001001", "310115001000", "一社区", "First Community", "4000"],
]


def test_init_import_export_and_users(database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--admin-password", "admin-password-1"])
    assert result.exit_code == 0, result.output
    assert "admin / admin-password-1" in result.output
    source = _write_areas(tmp_path / "areas.csv", CITY_ROWS)
    result = runner.invoke(app, ["import", "areas", str(source)])
    assert result.exit_code == 0, result.output
    assert "Imported 4 rows" in result.output
    out = tmp_path / "out.geojson"
    result = runner.invoke(app, ["export", "areas", str(out), "--within", "310115001000"])
    assert result.exit_code == 0 and "Exported 2 rows" in result.output
    result = runner.invoke(app, ["users", "create", "wang", "--role", "street_commander",
                                 "--area", "310115001000", "--password", "street-pass-1"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["users", "list"]).output
    assert "wang" in listed and "310115001000" in listed


def test_bad_import_names_file_line_and_field_and_imports_nothing(database: str,
                                                                  tmp_path: Path) -> None:
    runner.invoke(app, ["import", "areas", str(_write_areas(tmp_path / "a.csv",
                                                            CITY_ROWS[:3]))])
    bad = _write_areas(tmp_path / "bad.csv", [
        ["community", "310115001001", "310115001000", "一社区", "One", "4000"],
        ["community", "310115001002", "310115001000", "二社区", "Two", "-1"],
    ])
    result = runner.invoke(app, ["import", "areas", str(bad)])
    assert result.exit_code == 2
    assert "import_rejected" in result.output
    assert "'line': 3" in result.output and "'field': 'population'" in result.output
    engine = make_engine(database)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM areas")).scalar()
    engine.dispose()
    assert count == 3


def test_audit_verify_names_the_edited_row(database: str, tmp_path: Path) -> None:
    runner.invoke(app, ["import", "areas", str(_write_areas(tmp_path / "a.csv", CITY_ROWS))])
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "4 events verified" in result.output
    engine = make_engine(database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'mallory' WHERE seq = 3"))
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 3" in result.output


def test_messages_follow_the_locale(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITAS_LOCALE", "zh_CN")
    get_settings.cache_clear()
    result = runner.invoke(app, ["audit", "verify"])
    assert "事件链完整" in result.output
