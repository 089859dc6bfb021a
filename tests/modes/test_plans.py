"""Response plans: the file schema, errors by line and field, versions, the shipped library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from communitas.areas.schemas import HAZARDS
from communitas.auth.permissions import SYSTEM
from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine
from communitas.errors import ImportRejected
from communitas.modes import plan_service
from communitas.modes.levels import Mode
from communitas.modes.plans import dump_plans, offset_minutes, parse_plan_text
from tests.modes import build_world, counts

PLAN = """\
hazard: flood
level: level_iv
area_kind: community
name: {zh: 测试预案, en: Test plan}
roles:
  - key: commander
    title: {zh: 指挥, en: Commander}
    default_holder: "role:community_committee"
tasks:
  - code: patrol
    title: {zh: 巡查, en: Patrol}
    role: commander
    deadline: "+30m"
prepositioning:
  - {resource_type: rescue.sandbag, quantity: 50, to: low_lying_roads, deadline: "+1h"}
alerts:
  - code: advice
    audience: residents
    channels: [in_app]
    send_at: "+0m"
    title: {zh: "{area_name}暴雨", en: "{area_name}: rain"}
    body: {zh: 请注意, en: Take care}
services:
  pause: [community_events]
  continue: [waste_collection]
"""


def _errors(text_: str) -> list[dict[str, object]]:
    with pytest.raises(ImportRejected) as refused:
        parse_plan_text(text_, file="bad.yaml")
    assert refused.value.code == "import_rejected"
    return refused.value.details["errors"]  # type: ignore[no-any-return]


def test_a_good_plan_parses_and_round_trips_through_yaml() -> None:
    [plan] = parse_plan_text(PLAN, file="ok.yaml")
    assert plan.document.key == ("flood", Mode.LEVEL_IV, "community")
    [again] = parse_plan_text(dump_plans([plan.document]), file="again.yaml")
    assert again.document == plan.document
    assert again.document.content_hash() == plan.document.content_hash()


@pytest.mark.parametrize(("broken", "replacement", "line", "field"), [
    ('deadline: "+30m"', 'deadline: "soon"', 13, "tasks.0.deadline"),
    ("role: commander\n", "role: medical\n", 12, "tasks.0.role"),
    ("quantity: 50", "quantity: -5", 15, "prepositioning.0.quantity"),
    ("to: low_lying_roads", "to: the_moon", 15, "prepositioning.0.to"),
    ('"role:community_committee"', '"role:king"', 8, "roles.0.default_holder"),
    ("{area_name}: rain", "{area}: rain", 21, "alerts.0.title.en"),
    ("continue: [waste_collection]", "continue: [community_events]", 25, "services.continue.0"),
    ("level: level_iv", "level: normal", 2, "level"),
    ("area_kind: community", "area_kind: community\ncolour: red", 4, "colour"),
])
def test_each_mistake_is_named_by_line_and_field(broken: str, replacement: str, line: int,
                                                 field: str) -> None:
    [error] = _errors(PLAN.replace(broken, replacement, 1))
    assert (error["line"], error["field"], error["file"]) == (line, field, "bad.yaml")


def test_yaml_syntax_errors_duplicate_keys_and_missing_fields_have_lines() -> None:
    [syntax] = _errors(PLAN.replace("  - code: patrol", "  - code: [patrol", 1))
    assert syntax["line"] and "not valid YAML" in str(syntax["message"])
    [duplicate] = _errors(PLAN.replace("level: level_iv\n", "level: level_iv\nlevel: watch\n"))
    assert (duplicate["line"], duplicate["field"]) == (3, "level")
    [missing] = _errors(PLAN.replace("name: {zh: 测试预案, en: Test plan}\n", ""))
    assert (missing["field"], missing["line"]) == ("name", 1)
    twice = _errors(PLAN + "---\n" + PLAN)
    assert [e["line"] for e in twice] == [27]  # the second document's hazard


def test_relative_deadlines() -> None:
    assert [offset_minutes(t) for t in ("+0m", "+30m", "+2h", "+1d", "+1d2h5m")] == [
        0, 30, 120, 1440, 1565]
    for bad in ("+", "30m", "+1w", "-5m"):
        with pytest.raises(ValueError):
            offset_minutes(bad)


def test_the_library_covers_every_hazard_for_communities_and_streets() -> None:
    keys = set()
    for path in plan_service.LIBRARY_DIR.glob("*.yaml"):
        keys |= {p.document.key for p in parse_plan_text(path.read_text(), file=path.name)}
    assert {hazard for hazard, _level, _kind in keys} == set(HAZARDS)
    for hazard in HAZARDS:
        for kind in ("community", "street"):
            assert (hazard, Mode.LEVEL_IV, kind) in keys
            assert {(hazard, Mode.LEVEL_II, kind), (hazard, Mode.LEVEL_I, kind)} & keys


def test_library_install_is_idempotent_and_keeps_edits(db: Session) -> None:
    build_world(db)
    report = plan_service.install_plan_library(db, principal=SYSTEM)
    assert len(report.created) >= 28 and report.unchanged == []
    edited = PLAN.replace("Test plan", "Edited").replace("测试预案", "改过的预案")
    plan_service.import_plan_text(db, principal=SYSTEM, text=edited, file="edit.yaml")
    before = counts(db)
    again = plan_service.install_plan_library(db, principal=SYSTEM)
    assert again.created == [] and len(again.unchanged) == len(report.created)
    assert counts(db) == before
    latest = plan_service.get_plan(db, principal=SYSTEM, hazard="flood", level=Mode.LEVEL_IV,
                                   area_kind="community")
    assert (latest.version, latest.name_en) == (2, "Edited")


def test_a_changed_plan_is_a_new_version_and_the_same_plan_is_nothing(db: Session) -> None:
    build_world(db)
    first = plan_service.import_plan_text(db, principal=SYSTEM, text=PLAN, file="a.yaml")
    same = plan_service.import_plan_text(db, principal=SYSTEM, text=PLAN, file="a.yaml")
    changed = plan_service.import_plan_text(db, principal=SYSTEM, file="a.yaml",
                                            text=PLAN.replace("quantity: 50", "quantity: 80"))
    assert [r.version for r in first.created] == [1]
    assert (same.created, [r.version for r in same.unchanged]) == ([], [1])
    assert [r.version for r in changed.created] == [2]
    old = plan_service.get_plan(db, principal=SYSTEM, hazard="flood", level=Mode.LEVEL_IV,
                                area_kind="community", version=1)
    assert old.content["prepositioning"][0]["quantity"] == 50


def test_a_malformed_file_is_refused_and_the_library_is_unchanged(db: Session) -> None:
    build_world(db)
    plan_service.install_plan_library(db, principal=SYSTEM)
    before = counts(db)
    good_then_bad = PLAN.replace("level_iv", "watch") + "---\n" + PLAN.replace(
        "rescue.sandbag", "rescue.unicorn")
    with pytest.raises(ImportRejected) as refused:
        plan_service.import_plan_text(db, principal=SYSTEM, text=good_then_bad, file="x.yaml")
    [error] = refused.value.details["errors"]
    assert (error["line"], error["field"]) == (41, "prepositioning.0.resource_type")
    assert counts(db) == before


def test_export_then_import_changes_nothing(db: Session, tmp_path: Path) -> None:
    build_world(db)
    plan_service.install_plan_library(db, principal=SYSTEM)
    written = plan_service.export_plan_dir(db, principal=SYSTEM, directory=tmp_path)
    assert {p.name for p in written} == {f"{h}.yaml" for h in HAZARDS}
    before = counts(db)
    for path in written:
        report = plan_service.import_plan_text(db, principal=SYSTEM, text=path.read_text(),
                                               file=path.name)
        assert report.created == []
    assert counts(db) == before


runner = CliRunner()


def _flat(output: str) -> str:
    """Rich wraps long lines; compare text regardless of where it wrapped."""
    return " ".join(output.split())


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _plan_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM response_plans")).scalar()
    engine.dispose()
    return int(count or 0)


def test_plans_on_the_command_line(cli_database: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--admin-password", "admin-password-1"]).exit_code == 0
    library = _plan_rows(cli_database)
    assert library >= 14  # init installs the shipped library: 7 hazards x 2 area kinds
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(PLAN, encoding="utf-8")
    bad.write_text(PLAN.replace('"+30m"', '"later"'), encoding="utf-8")
    checked = runner.invoke(app, ["plans", "validate", str(good)])
    assert checked.exit_code == 0 and "1 plans are valid" in _flat(checked.output)
    refused = runner.invoke(app, ["plans", "import", str(bad)])
    assert refused.exit_code == 2
    assert "'line': 13" in refused.output and "'field': 'tasks.0.deadline'" in refused.output
    imported = runner.invoke(app, ["plans", "import", str(good)])
    assert imported.exit_code == 0 and "Imported 1 plans" in _flat(imported.output)
    exported = runner.invoke(app, ["plans", "export", str(tmp_path / "out")])
    assert exported.exit_code == 0 and (tmp_path / "out" / "flood.yaml").exists()
    assert _plan_rows(cli_database) == library + 1  # one new version; the refused file left none
