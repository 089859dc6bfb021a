"""``communitas assess`` and GET /api/assessment, as an operator and a commander use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from communitas.auth.roles import Role
from communitas.cli import app
from communitas.config import get_settings
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from tests.factories import COMMUNITY_A1, DISTRICT, STREET_B, login, make_user
from tests.resources.helpers import build_world


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        build_world(session)
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_assess_prints_a_ranked_table_and_writes_a_map_layer(database: str,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "layer.geojson"
    result = CliRunner().invoke(app, ["assess", DISTRICT, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Resilience assessment" in result.output
    layer = json.loads(out.read_text(encoding="utf-8"))
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == 3
    assert layer["features"][0]["id"] == COMMUNITY_A1  # the flood-prone one
    assert layer["features"][0]["geometry"]["type"] == "Polygon"


def test_assess_an_unknown_area_fails_cleanly(database: str) -> None:
    result = CliRunner().invoke(app, ["assess", "999999"])
    assert result.exit_code == 2


def test_commander_reads_the_assessment_of_their_area_only(db: Session,
                                                           client: TestClient) -> None:
    build_world(db)
    make_user(db, "quzhang", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    make_user(db, "jiedao", Role.STREET_COMMANDER, area_code=STREET_B)
    db.commit()
    district = {**login(client, "quzhang"), "Accept-Language": "en"}
    page = client.get("/api/assessment", params={"within": DISTRICT}, headers=district)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 3 and body["items"][0]["code"] == COMMUNITY_A1
    assert [i["rank"] for i in body["items"]] == [1, 2, 3]
    layer = client.get("/api/assessment/map", params={"within": DISTRICT}, headers=district)
    assert layer.json()["features"][0]["properties"]["code"] == COMMUNITY_A1
    street = {**login(client, "jiedao"), "Accept-Language": "en"}
    refused = client.get("/api/assessment", params={"within": DISTRICT}, headers=street)
    assert refused.status_code == 403
    assert client.get("/api/assessment", params={"within": DISTRICT}).status_code == 401
