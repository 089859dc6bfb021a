"""Modes, warnings, proposals, indicators, trigger rules and plans through the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from communitas.auth.roles import Role
from communitas.cli import app
from communitas.config import get_settings
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_A2,
    COMMUNITY_B1,
    DISTRICT,
    STREET_A,
    STREET_B,
    login,
    make_user,
)
from tests.modes import build_world, counts, warning_body
from tests.modes.test_plans import PLAN


@pytest.fixture
def staff(db: Session, client: TestClient) -> dict[str, dict[str, str]]:
    """Headers for each role of the test city (English error messages)."""
    build_world(db, staff=True)
    make_user(db, "admin", Role.PLATFORM_ADMIN)
    make_user(db, "resident-less", Role.AUDITOR, area_code=DISTRICT)
    return {name: {**login(client, name), "Accept-Language": "en"}
            for name in ("district", "street", "committee", "grid", "admin", "resident-less")}


def _set(client: TestClient, headers: dict[str, str], code: str, level: str,
         **extra: Any) -> Any:
    return client.post(f"/api/areas/{code}/mode", headers=headers,
                       json={"level": level, "reason": "test", **extra})


def _live(identifier: str, **extra: Any) -> dict[str, Any]:
    expires = datetime.now(UTC) + timedelta(hours=6)
    return warning_body(identifier, expires_at=expires.isoformat(), **extra)


def test_each_role_sets_only_its_levels_in_its_area(
    db: Session, client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    before = counts(db)
    done = _set(client, staff["committee"], COMMUNITY_A1, "level_iv", hazard="rainstorm")
    assert done.status_code == 200, done.text
    assert (done.json()["from_mode"], done.json()["to_mode"]) == ("normal", "level_iv")
    assert counts(db)["events"] == before["events"] + 1
    for headers, code, level, error in [
        (staff["committee"], COMMUNITY_A1, "level_iii", (403, "level_not_allowed")),
        (staff["committee"], COMMUNITY_A2, "watch", (403, "out_of_scope")),
        (staff["street"], COMMUNITY_B1, "watch", (403, "out_of_scope")),
        (staff["grid"], COMMUNITY_A1, "watch", (403, "forbidden")),
        (staff["committee"], COMMUNITY_A1, "level_iv", (409, "mode_unchanged")),
        (staff["committee"], COMMUNITY_A1, "normal", (409, "illegal_transition")),
        (staff["admin"], f"{COMMUNITY_A1}-G01", "watch", (422, "mode_not_settable")),
    ]:
        response = _set(client, headers, code, level)
        assert (response.status_code, response.json()["error"]["code"]) == error
    assert counts(db)["events"] == before["events"] + 1
    assert _set(client, staff["district"], COMMUNITY_A1, "level_i").status_code == 200


def test_a_parent_mode_covers_its_subtree_unless_a_child_is_set_higher(
    client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    assert _set(client, staff["street"], STREET_A, "level_iii").status_code == 200
    inherited = client.get(f"/api/areas/{COMMUNITY_A1}-B001/mode").json()
    assert (inherited["mode"], inherited["source_code"], inherited["own_mode"]) == (
        "level_iii", STREET_A, None)
    below = _set(client, staff["committee"], COMMUNITY_A1, "level_iv")
    assert (below.status_code, below.json()["error"]["code"]) == (409, "below_parent_mode")
    assert _set(client, staff["district"], COMMUNITY_A2, "level_ii").status_code == 200
    board = {m["area_code"]: (m["mode"], m["source_code"])
             for m in client.get("/api/modes", params={"within": DISTRICT}).json()}
    assert board == {DISTRICT: ("normal", None), STREET_A: ("level_iii", STREET_A),
                     STREET_B: ("normal", None), COMMUNITY_A1: ("level_iii", STREET_A),
                     COMMUNITY_A2: ("level_ii", COMMUNITY_A2),
                     COMMUNITY_B1: ("normal", None)}
    assert client.get("/api/modes", params={"within": STREET_A,
                                            "kind": "community"}).json()[0]["colour"]


def test_recovery_returns_to_normal_only_when_its_exit_criteria_hold(
    client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    street = staff["street"]
    assert _set(client, street, COMMUNITY_A1, "level_iii").status_code == 200
    assert _set(client, street, COMMUNITY_A1, "recovery",
                exit_criteria={"max_open_urgent_requests": 1}).status_code == 200
    reading = client.post("/api/indicators", headers=staff["grid"], json={
        "area_code": COMMUNITY_A1, "name": "open_urgent_requests", "value": 4})
    assert reading.status_code == 201, reading.text
    refused = _set(client, street, COMMUNITY_A1, "normal")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409,
                                                                      "exit_criteria_unmet")
    assert "open_urgent_requests" in refused.json()["error"]["message"]
    client.post("/api/indicators", headers=staff["grid"], json={
        "area_code": COMMUNITY_A1, "name": "open_urgent_requests", "value": 1})
    assert _set(client, street, COMMUNITY_A1, "normal").status_code == 200
    history = client.get(f"/api/areas/{COMMUNITY_A1}/mode/history").json()["items"]
    assert [(h["payload"]["from_mode"], h["payload"]["to_mode"]) for h in history] == [
        ("recovery", "normal"), ("level_iii", "recovery"), ("normal", "level_iii")]
    assert {h["actor"] for h in history} == {"user:street"}


def test_a_warning_delivered_twice_changes_nothing_the_second_time(
    db: Session, client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    body = _live("CAP-1", colour="orange")
    first = client.post("/api/warnings", headers=staff["district"], json=body)
    assert first.status_code == 201, first.text
    assert first.json()["warning"]["level"] == "level_ii"
    [proposal] = first.json()["proposals"]
    before = counts(db)
    again = client.post("/api/warnings", headers=staff["district"], json=body)
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["proposals"] == []
    assert counts(db) == before
    listed = client.get("/api/warnings", params={"active": True, "within": STREET_A}).json()
    assert [w["identifier"] for w in listed["items"]] == ["CAP-1"]
    # Level II is above the street commander's ceiling; the district commander confirms.
    too_high = client.post(f"/api/mode-proposals/{proposal['id']}/confirm",
                           headers=staff["street"], json={"reason": "rain"})
    assert too_high.json()["error"]["code"] == "level_not_allowed"
    confirmed = client.post(f"/api/mode-proposals/{proposal['id']}/confirm",
                            headers=staff["district"])
    assert confirmed.status_code == 200 and confirmed.json()["to_mode"] == "level_ii"
    read = client.get(f"/api/mode-proposals/{proposal['id']}", headers=staff["street"]).json()
    assert (read["status"], read["decided_by"]) == ("confirmed", "user:district")


def test_bad_warnings_are_refused_and_change_nothing(
    db: Session, client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    before = counts(db)
    for headers, body, expected in [
        (staff["district"], _live("X1", colour=None), (422, "validation_error")),
        (staff["district"], _live("X2", area_codes=[]), (422, "validation_error")),
        (staff["district"], _live("X3", hazard="meteor"), (422, "validation_error")),
        (staff["district"], _live("X4", area_codes=["310115009001"]), (404, "unknown_area")),
        (staff["street"], _live("X5"), (403, "forbidden")),
        (staff["admin"], _live("X6", polygon={"type": "Point", "coordinates": [1, 2]},
                               area_codes=[]), (422, "validation_error")),
    ]:
        response = client.post("/api/warnings", headers=headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == expected
    assert counts(db) == before
    by_severity = client.post("/api/warnings", headers=staff["district"],
                              json=_live("X7", colour=None, severity="Extreme"))
    assert by_severity.json()["warning"]["colour"] == "red"


def test_commanders_acknowledge_and_decline_within_their_scope(
    client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    posted = client.post("/api/warnings", headers=staff["district"],
                         json=_live("ACK", colour="blue")).json()
    warning_id, [proposal] = posted["warning"]["id"], posted["proposals"]
    other = client.post(f"/api/warnings/{warning_id}/acknowledge", headers=staff["grid"])
    assert other.json()["error"]["code"] == "forbidden"
    acked = client.post(f"/api/warnings/{warning_id}/acknowledge", headers=staff["committee"])
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "user:committee"
    assert client.get(f"/api/warnings/{warning_id}").json()["responded_at"]
    dismissed = client.post(f"/api/mode-proposals/{proposal['id']}/dismiss",
                            headers=staff["committee"], json={"reason": "drains clear"})
    assert dismissed.json()["status"] == "dismissed"
    pending = client.get("/api/mode-proposals", headers=staff["committee"],
                         params={"status": "pending"}).json()
    assert pending["total"] == 0


def test_indicators_cross_thresholds_within_scope(
    client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    grid = staff["grid"]
    watch = client.post("/api/indicators", headers=grid, json={
        "area_code": f"{COMMUNITY_A1}-B001", "name": "rainfall_mm_h", "value": 25})
    assert watch.status_code == 201
    assert [s["to_mode"] for s in watch.json()["switches"]] == ["watch"]
    assert client.get(f"/api/areas/{COMMUNITY_A1}/mode").json()["mode"] == "watch"
    for body, expected in [
        ({"area_code": COMMUNITY_A1, "name": "case_count", "value": -1}, 422),
        ({"area_code": COMMUNITY_A1, "name": "unmet_demand", "value": 1.5}, 422),
        ({"area_code": COMMUNITY_A1, "name": "wind_speed", "value": 3}, 422),
        ({"area_code": COMMUNITY_B1, "name": "case_count", "value": 3}, 403),
    ]:
        assert client.post("/api/indicators", headers=grid, json=body).status_code == expected


def test_trigger_rules_are_the_platform_admins(
    client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    assert client.get("/api/trigger-rules", headers=staff["district"]).json() == {
        "warning_rules": [], "indicator_rules": []}
    rules = {"warning_rules": [{"hazard": "rainstorm", "colour": "red", "action": "perform",
                                "target": "level_i"}],
             "indicator_rules": [{"indicator": "water_level_m", "threshold": 2.5,
                                  "action": "propose", "target": "level_iv",
                                  "area_code": STREET_A}]}
    refused = client.put("/api/trigger-rules", headers=staff["district"], json=rules)
    assert refused.status_code == 403
    saved = client.put("/api/trigger-rules", headers=staff["admin"], json=rules)
    assert saved.status_code == 200, saved.text
    assert saved.json()["warning_rules"][0]["hazard"] == "flood"
    red = client.post("/api/warnings", headers=staff["district"],
                      json=_live("RED", colour="red")).json()
    assert [s["to_mode"] for s in red["switches"]] == ["level_i"]
    gauge = client.post("/api/indicators", headers=staff["grid"], json={
        "area_code": COMMUNITY_A1, "name": "water_level_m", "value": 2.6}).json()
    assert gauge["proposals"] == []  # the community is already at level I


def test_plans_over_http(client: TestClient, staff: dict[str, dict[str, str]]) -> None:
    yaml_headers = {**staff["district"], "Content-Type": "application/yaml"}
    created = client.post("/api/plans", headers=yaml_headers, content=PLAN.encode(),
                          params={"file": "test.yaml"})
    assert created.status_code == 200, created.text
    assert created.json()["created"][0]["version"] == 1
    bad = client.post("/api/plans", headers=yaml_headers,
                      content=PLAN.replace("quantity: 50", "quantity: lots").encode())
    error = bad.json()["error"]
    assert (bad.status_code, error["code"]) == (422, "import_rejected")
    assert (error["details"]["errors"][0]["line"],
            error["details"]["errors"][0]["field"]) == (15, "prepositioning.0.quantity")
    as_json = {**staff["district"], "Content-Type": "application/json"}
    doc = client.get("/api/plans/flood/level_iv/community", headers=staff["committee"]).json()
    changed = {**doc["content"], "name": {"zh": "新版", "en": "New version"}}
    v2 = client.post("/api/plans", headers=as_json, json=changed)
    assert v2.json()["created"][0]["version"] == 2
    broken = client.post("/api/plans", headers=as_json, content=b"{not json")
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "malformed_json")
    old = client.get("/api/plans/flood/level_iv/community", headers=staff["committee"],
                     params={"version": 1}).json()
    assert old["name_en"] == "Test plan"
    assert client.post("/api/plans", headers={**staff["committee"],
                                              "Content-Type": "application/yaml"},
                       content=PLAN.encode()).status_code == 403
    listed = client.get("/api/plans", headers=staff["street"]).json()
    assert [(p["hazard"], p["version"]) for p in listed] == [("flood", 2)]
    exported = client.get("/api/plans/export", headers=staff["street"])
    assert exported.headers["content-type"].startswith("application/yaml")
    assert "New version" in exported.text
    missing = client.get("/api/plans/flood/level_i/street", headers=staff["street"])
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_plan")


def test_escalation_notifies_the_commanders_above(
    db: Session, client: TestClient, staff: dict[str, dict[str, str]],
) -> None:
    from communitas.clock import FixedClock
    from communitas.modes import warning_service

    client.post("/api/warnings", headers=staff["district"], json=_live("Z", colour="red"))
    later = FixedClock(datetime.now(UTC) + timedelta(minutes=20))
    assert len(warning_service.escalate_unanswered_warnings(db, clock=later)) == 1
    db.flush()
    notes = client.get("/api/mode-notifications", headers=staff["street"]).json()
    assert [(n["area_code"], n["audience_role"], n["warning_identifier"])
            for n in notes["items"]] == [(STREET_A, "street_commander", "Z")]
    assert client.get("/api/mode-notifications", headers=staff["committee"]).json()[
        "total"] == 0


runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield "cli.db"
    get_settings.cache_clear()


def test_modes_on_the_command_line(cli_database: str, tmp_path: Path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text("kind,code,parent_code,name_zh,name_en\n"
                     "city,310100,,上海市,Shanghai\ndistrict,310115,310100,浦东新区,Pudong\n",
                     encoding="utf-8")
    assert runner.invoke(app, ["import", "areas", str(areas)]).exit_code == 0
    result = runner.invoke(app, ["modes", "set", "310115", "level_ii", "--reason", "flood",
                                 "--hazard", "flood"])
    assert result.exit_code == 0, result.output
    assert "Normal → Emergency level II (orange)" in result.output
    shown = runner.invoke(app, ["modes", "show", "310115"])
    assert shown.exit_code == 0 and "flood" in shown.output
    refused = runner.invoke(app, ["modes", "set", "310115", "normal", "--reason", "done"])
    assert refused.exit_code == 2 and "illegal_transition" in refused.output
