"""CAP files in: through the API and the command line, idempotent by identifier; a broken
or hostile file is refused naming the element, and changes nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from communitas.alerts.cap import MAX_CAP_BYTES
from communitas.alerts.models import Notice, NoticeState
from communitas.auth.roles import Role
from communitas.cli import app
from communitas.db import make_engine, make_session_factory, unit_of_work
from tests.alerts.helpers import build_notice_world, counts
from tests.alerts.test_cap_cli import city_database, locale  # noqa: F401 (fixtures)
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, DISTRICT, login, make_user

SAMPLES = Path(__file__).parent / "samples"
runner = CliRunner()


def _post(client: TestClient, name: str, headers: dict[str, str]) -> tuple[int, dict]:
    response = client.post("/api/cap/import", content=(SAMPLES / name).read_bytes(),
                           headers={**headers, "Content-Type": "application/cap+xml"})
    return response.status_code, response.json()


def _district(db: Session, client: TestClient) -> dict[str, str]:
    build_notice_world(db)
    make_user(db, "district", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    db.commit()
    return login(client, "district")


def test_importing_the_same_file_twice_changes_nothing(db: Session, client: TestClient) -> None:
    headers = _district(db, client)
    status, first = _post(client, "red_rainstorm_actual.xml", headers)
    assert status == 201, first
    notice = first["notice"]
    assert (notice["state"], notice["source"], notice["msg_type"]) == ("received", "imported",
                                                                        "Alert")
    assert notice["title_zh"] == "暴雨红色预警信号" and notice["title_en"]
    assert notice["covered_area_codes"] == [COMMUNITY_A1, COMMUNITY_A2]
    before = counts(db)
    status, again = _post(client, "red_rainstorm_actual.xml", headers)
    assert (status, again["created"], again["notice"]["id"]) == (200, False, notice["id"])
    db.expire_all()
    assert counts(db) == before
    exported = client.get(f"/api/notices/{notice['id']}/cap")
    assert exported.content == (SAMPLES / "red_rainstorm_actual.xml").read_bytes()


def test_imported_update_and_cancel_close_the_earlier_alerts(
        db: Session, client: TestClient) -> None:
    headers = _district(db, client)
    ids = [_post(client, name, headers)[1]["notice"]["id"] for name in (
        "red_rainstorm_actual.xml", "red_rainstorm_update.xml", "red_rainstorm_cancel.xml")]
    db.expire_all()
    states = [db.get_one(Notice, i).state for i in ids]
    assert states == [NoticeState.SUPERSEDED, NoticeState.CANCELLED, NoticeState.RECEIVED]
    assert db.get_one(Notice, ids[2]).references_notice_id == ids[1]
    listed = client.get(f"/api/areas/{COMMUNITY_A1}/notices", params={"active": True}).json()
    assert [n["id"] for n in listed["items"]] == [ids[2]]


def test_a_broken_file_is_refused_naming_the_element(db: Session, client: TestClient) -> None:
    headers = _district(db, client)
    before = counts(db)
    status, body = _post(client, "broken_unclosed_polygon.xml", headers)
    assert status == 422 and body["error"]["code"] == "invalid_cap"
    assert body["error"]["details"][0]["element"].endswith("polygon[0]")
    hostile = client.post("/api/cap/import", headers=headers, content=(
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&x;</alert>'))
    assert hostile.status_code == 422 and hostile.json()["error"]["code"] == "hostile_xml"
    huge = client.post("/api/cap/import", headers=headers, content=b" " * (MAX_CAP_BYTES + 5))
    assert huge.status_code == 422 and huge.json()["error"]["code"] == "hostile_xml"
    db.expire_all()
    assert counts(db) == before


def test_only_roles_with_the_import_permission_import(db: Session, client: TestClient) -> None:
    _district(db, client)
    status, _body = _post(client, "red_rainstorm_actual.xml", login(client, "author"))
    assert status == 403


def test_cap_import_on_the_command_line(city_database: str) -> None:  # noqa: F811
    path = str(SAMPLES / "red_rainstorm_actual.xml")
    first = runner.invoke(app, ["cap", "import", path])
    assert first.exit_code == 0, first.output
    assert "Imported 31011541600000_20240720080000_0 as notice 1" in first.output
    again = runner.invoke(app, ["cap", "import", path])
    assert again.exit_code == 0 and "nothing changed" in again.output
    broken = runner.invoke(app, ["cap", "import", str(SAMPLES / "broken_unclosed_polygon.xml")])
    assert broken.exit_code == 2 and "polygon[0]" in broken.output
    engine = make_engine(city_database)
    with unit_of_work(make_session_factory(engine)) as session:
        assert len(session.execute(select(Notice)).scalars().all()) == 1
    engine.dispose()


def test_a_received_alert_is_relayed_to_residents_as_our_own_notice(
        db: Session, client: TestClient) -> None:
    headers = _district(db, client)
    make_user(db, "district2", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    db.commit()
    xml = (SAMPLES / "red_rainstorm_actual.xml").read_bytes().replace(b"2024-07-20",
                                                                      b"2099-07-20")
    received = client.post("/api/cap/import", content=xml, headers=headers).json()["notice"]
    relayed = client.post(f"/api/notices/{received['id']}/relay", json={}, headers=headers)
    assert relayed.status_code == 201, relayed.text
    notice = relayed.json()
    assert (notice["state"], notice["source"], notice["sender"]) == (
        "draft", "relayed", "communitas.local")
    assert notice["references"][0].startswith(f"{received['sender']},{received['identifier']},")
    assert notice["covered_area_codes"] == received["covered_area_codes"]
    second = login(client, "district2")
    assert client.post(f"/api/notices/{notice['id']}/approve", headers=second).status_code == 200
    sent = client.post(f"/api/notices/{notice['id']}/send", headers=headers).json()
    assert {(c["channel"], c["count"]) for c in sent["counts"]} == {("in_app", 2)}
    assert client.get(f"/api/notices/{received['id']}").json()["state"] == "received"
    old = _post(client, "red_rainstorm_update.xml", headers)[1]["notice"]  # expired in 2024
    stale = client.post(f"/api/notices/{old['id']}/relay", json={}, headers=headers)
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "notice_expired"
