"""Composing, approving, sending, updating and cancelling notices; CAP in and out; the
residents' notices; the active-alerts map layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts.delivery import drain
from communitas.alerts.models import Notice
from communitas.alerts.outbox import OutboxPolicy
from tests.factories import COMMUNITY_A1, COMMUNITY_B1
from tests.web.helpers import Visitor, field_error, text_of
from tests.web.work_helpers import add_workers, cheap_hashing

SAMPLES = Path(__file__).parents[1] / "alerts" / "samples"
NOTICE = {"title_zh": "暴雨红色预警", "title_en": "Red rainstorm warning",
          "body_zh": "低洼地区居民请立即转移。", "body_en": "Low-lying areas: move now.",
          "hazard": "flood", "category": "Met", "severity": "Extreme",
          "urgency": "Immediate", "certainty": "Likely", "status": "Actual",
          "scope": "Public", "channels": "in_app"}


@pytest.fixture(autouse=True)
def _quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def workers(world: Session) -> Session:
    add_workers(world)
    return world


def _notices(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Notice)).scalar_one())


def _compose(person: Visitor, **changes: Any) -> str:
    sent = person.post("/notices/new", {**NOTICE, "area_codes": COMMUNITY_A1, **changes})
    assert sent.status_code == 303, text_of(sent)[:600]
    return str(sent.headers["location"])


def test_bad_notices_are_refused_field_by_field_and_nothing_is_saved(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    author = visitor(language="en")
    author.sign_in("juwei")
    assert author.get("/notices/new").status_code == 200
    bad = author.post("/notices/new", {**NOTICE, "title_en": "", "body_zh": "请拨打13912345678",
                                       "expires_at": "tomorrow", "polygon": "31.2,121.5"})
    assert bad.status_code == 422
    assert field_error(bad, "title_en") == "This field is required"
    assert field_error(bad, "body_zh") == "A notice must not contain phone or identity numbers"
    assert field_error(bad, "expires_at") == "Enter a date and time"
    assert field_error(bad, "polygon") == "Click at least three points to draw an area"
    assert 'value="暴雨红色预警"' in bad.text  # what was typed is kept
    nowhere = author.post("/notices/new", NOTICE)
    assert field_error(nowhere, "area_codes") == \
        "Choose at least one area, or draw one on the map"
    outside = author.post("/notices/new", {**NOTICE, "area_codes": COMMUNITY_B1})
    assert outside.status_code == 403 and field_error(outside, "area_codes")
    assert _notices(workers) == 0


def test_a_drawn_polygon_covers_the_communities_under_it(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    author = visitor(language="en")
    author.sign_in("juwei")
    page = _compose(author, area_codes="",
                    polygon="31.201,121.501;31.201,121.509;31.209,121.509;31.209,121.501")
    notice = workers.get_one(Notice, int(page.rsplit("/", 1)[1]))
    assert notice.polygons and notice.polygons[0][0] == notice.polygons[0][-1]
    assert 'id="covered" data-count="1"' in author.get(page).text


def test_second_person_approves_then_residents_read_it(
        workers: Session, visitor: Callable[..., Visitor],
        session_factory: sessionmaker[Session]) -> None:
    author = visitor(language="en")
    author.sign_in("juwei")
    page = _compose(author)
    own = author.post(f"{page}/approve")
    assert own.status_code == 403 and field_error(own, "approve")
    assert "Draft, awaiting approval" in text_of(author.get(page))
    second = visitor(language="en")
    second.sign_in("juwei2")
    assert second.post(f"{page}/approve").status_code == 303
    assert second.post(f"{page}/send").status_code == 303
    sent = text_of(second.get(page))
    assert "Sent" in sent and "In-app feed" in sent  # the delivery report
    public = visitor(language="en").get(f"/area-notices/{COMMUNITY_A1}")
    assert public.status_code == 200 and "Red rainstorm warning" in text_of(public)
    assert "Red rainstorm" not in text_of(visitor().get(f"/area-notices/{COMMUNITY_B1}"))
    drain(session_factory, senders={}, policy=OutboxPolicy())
    resident = visitor()
    resident.sign_in("jumin")
    assert "暴雨红色预警" in text_of(resident.get("/feed"))
    assert resident.get("/area-notices").headers["location"] == f"/area-notices/{COMMUNITY_A1}"
    commander = visitor()
    commander.sign_in("quzhang")
    layer = commander.get("/map/status.json?layers=alerts").json()["layers"]["alerts"]
    assert layer == {COMMUNITY_A1: 1.0}
    cap = visitor().get(f"/api/notices/{page.rsplit('/', 1)[1]}/cap")
    assert cap.status_code == 200 and "Red rainstorm warning" in cap.text


def test_update_and_cancel_make_drafts_that_refer_to_the_notice(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    author, second = visitor(language="en"), visitor(language="en")
    author.sign_in("juwei")
    second.sign_in("juwei2")
    page = _compose(author)
    second.post(f"{page}/approve")
    author.post(f"{page}/send")
    before = _notices(workers)
    nothing = author.post(f"{page}/update", {})
    assert nothing.status_code == 422 and field_error(nothing, "note")
    blank = author.post(f"{page}/cancel", {"cancel_note": ""})
    assert field_error(blank, "cancel_note") == "This field is required"
    assert _notices(workers) == before
    update = author.post(f"{page}/update", {"title_en": "Red rainstorm: still raining",
                                            "note": "Extended"})
    assert update.status_code == 303
    assert "Red rainstorm: still raining" in text_of(author.get(update.headers["location"]))
    draft_cap = author.get(f"{update.headers['location']}/cap.xml")  # a draft, by cookie
    assert draft_cap.status_code == 200 and "<msgType>Update</msgType>" in draft_cap.text
    cancel = author.post(f"{page}/cancel", {"cancel_note": "The rain has stopped"})
    text = text_of(author.get(cancel.headers["location"]))
    assert "Cancellation" in text and "The rain has stopped" in text


def test_cap_import_by_upload(workers: Session, visitor: Callable[..., Visitor]) -> None:
    commander = visitor(language="en")
    commander.sign_in("quzhang")
    assert commander.get("/notices/import").status_code == 200
    broken = (SAMPLES / "broken_unclosed_polygon.xml").read_bytes()
    refused = commander.client.post("/notices/import", data={"csrf_token": commander.csrf()},
                                    files={"file": ("bad.xml", broken, "application/xml")})
    assert refused.status_code == 422 and field_error(refused, "file")
    assert "polygon" in refused.text
    assert _notices(workers) == 0
    good = (SAMPLES / "red_rainstorm_actual.xml").read_bytes()
    done = commander.client.post("/notices/import", data={"csrf_token": commander.csrf()},
                                 files={"file": ("alert.xml", good, "application/xml")})
    assert done.status_code == 303 and _notices(workers) == 1
    received = done.headers["location"]
    assert "Received from another issuer" in text_of(commander.get(received))
    again = commander.client.post("/notices/import", data={"csrf_token": commander.csrf()},
                                  files={"file": ("alert.xml", good, "application/xml")})
    assert again.headers["location"] == received and _notices(workers) == 1
    expired = commander.post(f"{received}/relay")  # the sample expired in 2024
    assert expired.status_code == 422 and field_error(expired, "relay")
    assert _notices(workers) == 1
    committee = visitor(language="en")
    committee.sign_in("juwei")
    assert committee.get("/notices/import").status_code == 403


def test_drafts_stay_within_the_authors_scope(
        workers: Session, visitor: Callable[..., Visitor]) -> None:
    author = visitor(language="en")
    author.sign_in("juwei")
    page = _compose(author)
    assert "Red rainstorm warning" in text_of(author.get("/notices"))
    outsider = visitor(language="en")
    outsider.sign_in("juweiB")
    assert "Red rainstorm" not in text_of(outsider.get("/notices"))
    assert outsider.get(page).status_code == 403
    assert outsider.get(f"{page}/cap.xml").status_code == 403
    assert outsider.post(f"{page}/approve").status_code == 403
    workers.expire_all()
    assert workers.execute(select(Notice.state)).scalar_one().value == "draft"
    assert "Red rainstorm" not in text_of(visitor().get(f"/area-notices/{COMMUNITY_A1}"))
