"""``communitas mutual-aid start-checks`` and ``communitas metrics participation`` against a
real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from communitas.auth.permissions import SYSTEM
from communitas.cli import app
from communitas.community.models import AidRole
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskCreate
from tests.community.helpers import BUILDING_A1, START, active_pair, build_world, enrol
from tests.factories import COMMUNITY_A1

runner = CliRunner()


def _seed(locale: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", locale)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        who = build_world(session)
        enrol(session, who["old1"], "OLD-1", AidRole.VULNERABLE)
        enrol(session, who["helper1"], "H-1", AidRole.HELPER)
        active_pair(session, who["juwei"], who["helper1"], "OLD-1", "H-1")
        for _n in range(5):
            [task] = tasks.create_tasks(session, principal=SYSTEM, items=[TaskCreate(
                title="Deliver", area_code=BUILDING_A1, assignee_person_code="GW-1")])
            task.status, task.done_at = TaskStatus.DONE, START + timedelta(hours=1)
    engine.dispose()
    return url


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield _seed("en", tmp_path, monkeypatch)
    get_settings.cache_clear()


def test_start_checks_by_hand_once_per_origin(database: str) -> None:
    first = runner.invoke(app, ["mutual-aid", "start-checks", COMMUNITY_A1,
                                "--source-id", "storm-1"])
    assert first.exit_code == 0, first.output
    assert "1 tasks created" in first.output
    again = runner.invoke(app, ["mutual-aid", "start-checks", COMMUNITY_A1,
                                "--source-id", "storm-1"])
    assert "0 tasks created, 1 pairs already had one" in again.output
    engine = make_engine(database)
    with unit_of_work(make_session_factory(engine)) as session:
        kinds = session.execute(select(Task.source_kind, Task.source_id).where(
            Task.source_kind == "manual")).all()
    engine.dispose()
    assert kinds == [("manual", "storm-1")]


def test_participation_metrics_flag_the_overloaded_actor(database: str) -> None:
    result = runner.invoke(app, ["metrics", "participation", COMMUNITY_A1,
                                 "--since", "2026-07-20T00:00:00", "--until",
                                 "2026-07-21T00:00:00"])
    assert result.exit_code == 0, result.output
    assert "Tasks done in 310115001001: 5" in result.output
    assert "网格员 / Grid workers" in result.output and "100.0%" in result.output
    assert "One overloaded actor: grid_worker" in result.output
    assert "Active mutual-aid pairs" in result.output


def test_chinese_output_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed("zh_CN", tmp_path, monkeypatch)
    try:
        result = runner.invoke(app, ["metrics", "participation", COMMUNITY_A1])
        assert result.exit_code == 0, result.output
        assert "完成的任务：5" in result.output and "每千名居民志愿者数" in result.output
        assert "有效的邻里互助结对" in result.output
        unknown = runner.invoke(app, ["metrics", "participation", "999999"])
        assert unknown.exit_code == 2 and "unknown_area" in unknown.output
    finally:
        get_settings.cache_clear()
