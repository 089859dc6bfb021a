"""The after-action report from a scripted activation, and the activation API and CLI with
their permission and scope refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.cli import app
from communitas.clock import FixedClock
from communitas.config import get_settings
from communitas.dispatch import fulfilment, intake, triage
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.schemas import CommitIn, RatingIn, RequestCreate, ShipmentStep
from communitas.dispatch.service import DispatchPolicy, requester_token
from communitas.modes import service as modes
from communitas.modes.activation_models import Activation
from communitas.modes.activation_report import build_report
from communitas.modes.activation_report_html import render_html
from communitas.modes.levels import Mode
from communitas.modes.schemas import ModeSet
from communitas.resources.models import Holding
from communitas.tasks import service as tasks
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskTransition
from tests.factories import COMMUNITY_A1, STREET_A, login, make_user
from tests.modes import T0
from tests.modes.activation_helpers import BUILDING_A1, build_activation_world


def _finish(db: Session, task: Task, clock: FixedClock) -> None:
    if task.status.value == "open":
        tasks.transition(db, principal=SYSTEM, task_id=task.id, clock=clock,
                         data=TaskTransition(action="assign", assignee_person_code="P-GRID"))
    for action in ("accept", "start", "complete"):
        tasks.transition(db, principal=SYSTEM, task_id=task.id, clock=clock,
                         data=TaskTransition(action=action))


def _deliver(db: Session, reference: str, holding: int, quantity: int, line: int,
             clock: FixedClock) -> None:
    triage.approve_request(db, principal=SYSTEM, reference=reference, clock=clock)
    shipment = fulfilment.commit_line(db, principal=SYSTEM, reference=reference, clock=clock,
                                      data=CommitIn(line_id=line, holding_id=holding,
                                                    quantity=quantity))
    for step in (fulfilment.ship_shipment, fulfilment.deliver_shipment):
        step(db, principal=SYSTEM, reference=reference, clock=clock,
             step=ShipmentStep(shipment_id=shipment.id))


def _scripted(db: Session) -> int:
    """Level IV on A1: one task on time, one late, sandbags delivered, a resident's
    request delivered and rated 4."""
    build_activation_world(db)
    clock = FixedClock(T0)
    modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=clock,
                   data=ModeSet(level=Mode.LEVEL_IV, reason="drill", hazard="flood"))
    act = db.execute(select(Activation)).scalar_one()
    by_title = {t.title.split(" / ")[1]: t for t in db.execute(select(Task)).scalars()}
    clock.advance(timedelta(minutes=10))
    _finish(db, by_title["Patrol low-lying spots and basements"], clock)  # due +30m
    sandbags = next(r for r in db.execute(select(ResourceRequest)).scalars()
                    if len(r.lines) == 2)
    holding = db.execute(select(Holding.id).where(Holding.quantity == 1000)).scalars().first()
    assert holding is not None
    line = next(x.id for x in sandbags.lines if x.quantity == 200)
    _deliver(db, sandbags.reference, holding, 200, line, clock)
    clock.advance(timedelta(hours=2))
    _finish(db, by_title["Stage sandbags and flood boards"], clock)  # due +1h: late
    asked = intake.submit_request(db, principal=None, client="ip:test", clock=clock,
                                  data=RequestCreate.model_validate({
                                      "area_code": BUILDING_A1, "lines": [{
                                          "resource_type_code": "water.bottled",
                                          "quantity": 5}]}))
    reference = asked.request.reference
    triage.verify_request(db, principal=SYSTEM, reference=reference, clock=clock)
    _deliver(db, reference, holding + 1, 5, asked.request.lines[0].id, clock)
    fulfilment.rate_request(db, principal=None, reference=reference, clock=clock,
                            token=requester_token(DispatchPolicy(), reference),
                            data=RatingIn(score=4))
    return act.id


def test_the_report_tells_what_happened(db: Session) -> None:
    activation_id = _scripted(db)
    report = build_report(db, principal=SYSTEM, activation_id=activation_id,
                          clock=FixedClock(T0 + timedelta(hours=3)))
    assert report["latency"]["latency_ms"] == 0 and report["latency"]["ready_at"]
    assert report["roles"]["filled"] == 4 and report["roles"]["unstaffed"] == 1
    assert report["tasks"] == {"total": 4, "on_time": 1, "late": 1, "overdue": 2, "open": 0,
                               "closed_undone": 0}
    requests = report["requests"]
    assert requests["total"] == 3 and requests["fulfilled"] == 2
    assert requests["by_status"] == {"verified": 1, "delivered": 2}
    # sandbags asked at activation and delivered 10 minutes on; water asked and delivered at
    # once: the (upper) median of [0, 10]
    assert requests["median_minutes_to_fulfil"] == 10
    assert requests["resources_used"] == {"rescue.sandbag": 200, "water.bottled": 5}
    assert requests["ratings"] == {"count": 1, "mean": 4.0, "scores": {4: 1}}
    assert report["work_by_actor_kind"]["platform"] > 0
    assert report["work_by_actor_kind"]["resident"] == 1
    actions = [e["action"] for e in report["timeline"]]
    assert actions[0] == "mode.switched" and "activation.started" in actions
    assert "P-CADRE" in json.dumps(report)  # people by code, never by phone or name
    assert "居民P-CADRE" not in json.dumps(report) and "Person P-CADRE" not in json.dumps(report)
    html = render_html(report, lang="zh_CN")
    assert "事后评估报告" in html and html.count("data:image/png;base64,") == 4
    assert "After-action report" in render_html(report, lang="en")


@pytest.fixture
def logins(db: Session, client: TestClient) -> dict[str, dict[str, str]]:
    build_activation_world(db)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=FixedClock(T0),
                   data=ModeSet(level=Mode.LEVEL_II, reason="test", hazard="flood"))
    make_user(db, "auditor-b", Role.AUDITOR, area_code="310115002000")
    make_user(db, "resident", Role.RESIDENT, person_code="P-RES")
    db.commit()
    return {name: {**login(client, name), "Accept-Language": "en"}
            for name in ("committee", "street", "auditor-b", "resident")}


def test_activations_are_read_within_scope(client: TestClient, db: Session,
                                           logins: dict[str, dict[str, str]]) -> None:
    ids = {a.area_code: a.id for a in db.execute(select(Activation)).scalars()}
    mine = client.get("/api/activations", headers=logins["committee"]).json()
    assert [a["area_code"] for a in mine["items"]] == [COMMUNITY_A1]
    street = client.get("/api/activations", headers=logins["street"]).json()
    assert street["total"] == 3
    detail = client.get(f"/api/activations/{ids[COMMUNITY_A1]}", headers=logins["committee"])
    assert detail.status_code == 200 and len(detail.json()["roles"]) >= 5
    refused = client.get(f"/api/activations/{ids[STREET_A]}", headers=logins["committee"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "out_of_scope"
    assert client.get("/api/activations", headers=logins["auditor-b"]).json()["total"] == 0
    assert client.get("/api/activations", headers=logins["resident"]).status_code == 403
    assert client.get("/api/activations").status_code == 401
    report = client.get(f"/api/activations/{ids[COMMUNITY_A1]}/report",
                        headers=logins["committee"])
    assert report.status_code == 200 and report.json()["tasks"]["total"] == 5
    assert client.get("/api/activations/999", headers=logins["street"]).status_code == 404


def test_a_committee_cannot_start_a_plan_above_its_ceiling(
        client: TestClient, db: Session, logins: dict[str, dict[str, str]]) -> None:
    before = db.execute(select(Activation)).scalars().all()
    refused = client.post(f"/api/areas/{COMMUNITY_A1}/mode", headers=logins["committee"],
                          json={"level": "level_i", "reason": "x", "hazard": "flood"})
    assert refused.status_code == 403
    assert len(db.execute(select(Activation)).scalars().all()) == len(before)


runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMUNITAS_DATABASE_URL", url)
    monkeypatch.setenv("COMMUNITAS_LOCALE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_activations_and_report_on_the_command_line(cli_database: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--admin-password", "admin-password-1"]).exit_code == 0
    areas = tmp_path / "areas.csv"
    areas.write_text("kind,code,parent_code,name_zh,name_en\n"
                     "city,310100,,市,City\n"
                     "district,310115,310100,区,District\n"
                     "street,310115001000,310115,街道,Street\n"
                     "community,310115001001,310115001000,社区,Community\n", encoding="utf-8")
    loaded = runner.invoke(app, ["import", "areas", str(areas)])
    assert loaded.exit_code == 0, loaded.output
    switched = runner.invoke(app, ["modes", "set", "310115001001", "level_ii", "--reason",
                                   "drill", "--hazard", "flood"])
    assert switched.exit_code == 0, switched.output
    listed = runner.invoke(app, ["activations", "list"])
    assert listed.exit_code == 0 and "1 of 1 activations" in listed.output
    out = tmp_path / "reports"
    written = runner.invoke(app, ["report", "activation", "1", "--out", str(out), "--lang",
                                  "zh_CN"])
    assert written.exit_code == 0, written.output
    assert "data:image/png;base64," in (out / "activation-1.html").read_text(encoding="utf-8")
    data = json.loads((out / "activation-1.json").read_text(encoding="utf-8"))
    assert data["activation"]["area_code"] == "310115001001" and data["roles"]["unstaffed"]
