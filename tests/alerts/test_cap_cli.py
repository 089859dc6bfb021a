"""``communitas cap validate`` and ``communitas cap areas`` as an operator runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, build_city

SAMPLES = Path(__file__).parent / "samples"
runner = CliRunner()


@pytest.fixture
def locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield "en"
    get_settings.cache_clear()


@pytest.fixture
def city_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str) -> str:
    url = f"sqlite:///{tmp_path / 'cap.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        build_city(session)
    engine.dispose()
    return url


@pytest.mark.parametrize("name", ["red_rainstorm_exercise.xml", "red_rainstorm_actual.xml",
                                  "red_rainstorm_update.xml", "red_rainstorm_cancel.xml"])
def test_validate_says_ok_on_one_bilingual_line(name: str, locale: str) -> None:
    result = runner.invoke(app, ["cap", "validate", str(SAMPLES / name)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("OK ") and "CAP 1.2 文件有效" in lines[0]
    assert "CAP 1.2 file is valid" in lines[0] and name in lines[0]


@pytest.mark.parametrize("name,element", [
    ("broken_unclosed_polygon.xml", "alert/info[0]/area[0]/polygon[0]: A polygon must be closed"),
    ("broken_update_without_references.xml", "alert/references: Update messages must list"),
    ("broken_bad_status.xml", "alert/status: "),
    ("broken_missing_identifier.xml", "alert/identifier: "),
    ("broken_wrong_namespace.xml", "alert: "),
])
def test_validate_exits_2_naming_each_problem(name: str, element: str, locale: str) -> None:
    result = runner.invoke(app, ["cap", "validate", str(SAMPLES / name)])
    assert result.exit_code == 2
    assert "invalid_cap" in result.output and element in result.output
    assert "OK" not in result.stdout


def test_validate_speaks_chinese_in_a_chinese_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITAS_LOCALE", "zh_CN")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["cap", "validate",
                                     str(SAMPLES / "broken_unclosed_polygon.xml")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "CAP 消息无效" in result.output and "多边形必须闭合" in result.output


def test_validate_refuses_hostile_xml(tmp_path: Path, locale: str) -> None:
    hostile = tmp_path / "xxe.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM '
                       '"file:///etc/passwd">]><alert>&x;</alert>', encoding="utf-8")
    result = runner.invoke(app, ["cap", "validate", str(hostile)])
    assert result.exit_code == 2
    assert "hostile_xml" in result.output and "root:" not in result.output


def test_validate_warns_on_a_foreign_identifier_only_with_oasis(tmp_path: Path,
                                                                 locale: str) -> None:
    foreign = tmp_path / "foreign.xml"
    foreign.write_bytes((SAMPLES / "red_rainstorm_actual.xml").read_bytes().replace(
        b"31011541600000_20240720080000_0", b"NWS-1234"))
    assert runner.invoke(app, ["cap", "validate", str(foreign)]).exit_code == 2
    result = runner.invoke(app, ["cap", "validate", "--oasis", str(foreign)])
    assert result.exit_code == 0, result.output
    assert "warning  alert/identifier" in result.output


def test_areas_lists_the_covered_communities(city_database: str) -> None:
    result = runner.invoke(app, ["cap", "areas", str(SAMPLES / "red_rainstorm_actual.xml")])
    assert result.exit_code == 0, result.output
    assert COMMUNITY_A1 in result.output and COMMUNITY_A2 in result.output
    assert COMMUNITY_B1 not in result.output
    assert "Communities covered by 31011541600000_20240720080000_0: 2" in result.output


def test_areas_says_when_nothing_is_covered(city_database: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.xml"
    elsewhere.write_bytes((SAMPLES / "red_rainstorm_actual.xml").read_bytes()
                          .replace(b",121.4", b",122.4").replace(b",121.5", b",122.5"))
    result = runner.invoke(app, ["cap", "areas", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert "The alert covers no community in this database" in result.output


def test_areas_refuses_an_invalid_file(city_database: str) -> None:
    result = runner.invoke(app, ["cap", "areas", str(SAMPLES / "broken_bad_status.xml")])
    assert result.exit_code == 2 and "alert/status" in result.output
