"""Staff pages: each role's home and scope, the queue from verification to delivery, modes
and plans."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.drills.assessment import assess_communities
from communitas.modes import service as modes
from communitas.modes.levels import Mode
from communitas.modes.models import ResponsePlan
from tests.dispatch.helpers import BUILDING_A1, BUILDING_B1, counts, stock_total
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_A2,
    COMMUNITY_B1,
    DISTRICT,
    STREET_A,
    make_user,
)
from tests.web.helpers import Visitor, field_error, text_of


def _ask(person: Visitor, place: str, quantity: int = 6, **extra: str) -> str:
    sent = person.post("/help", {"community": place.split("-")[0], "place": place,
                                 "type_1": "water.bottled", "quantity_1": str(quantity),
                                 "priority": "3", **extra})
    assert sent.status_code == 303, sent.text
    return sent.headers["location"].split("/")[2].split("?")[0]


@pytest.mark.parametrize(("username", "home"), [
    ("quzhang", "/map"), ("jiedao", "/map"), ("diaodu", "/queue"), ("juwei", "/queue"),
    ("wangge", "/queue"), ("jumin", "/my"),
])
def test_each_role_lands_on_its_own_home(visitor: Callable[..., Visitor], username: str,
                                         home: str) -> None:
    person = visitor()
    assert person.sign_in(username).headers["location"] == home
    assert person.get(home).status_code == 200
    assert person.get("/").headers["location"] == home


def test_pages_need_a_sign_in_and_a_wrong_password_is_refused_at_the_field(
        visitor: Callable[..., Visitor]) -> None:
    person = visitor(language="en")
    assert person.get("/queue").headers["location"] == "/login?next=/queue"
    refused = person.post("/login", {"username": "diaodu", "password": "wrong"})
    assert refused.status_code == 422
    assert field_error(refused, "password") == "Wrong username or password"
    assert "communitas_session" not in person.client.cookies
    person.sign_in("diaodu")
    signed_out = person.post("/logout")
    assert signed_out.headers["location"] == "/"
    assert person.get("/queue").status_code == 303


def test_staff_see_only_their_scope(visitor: Callable[..., Visitor]) -> None:
    resident = visitor()
    in_a = _ask(resident, BUILDING_A1, phone="13912345678")
    in_b = _ask(resident, BUILDING_B1)
    street_a = visitor()
    street_a.sign_in("diaodu")
    queue = text_of(street_a.get("/queue"))
    assert in_a in queue and in_b not in queue
    # Another street's request: the public view only, no phone.
    assert street_a.get(f"/queue/{in_b}").headers["location"] == f"/track/{in_b}"
    assert "13912345678" in street_a.get(f"/queue/{in_a}").text
    status = street_a.get("/map/status.json").json()
    assert set(status["communities"]) == {COMMUNITY_A1, COMMUNITY_A2}
    assert status["layers"]["requests"] == {COMMUNITY_A1: 1.0}
    assert street_a.get(f"/map/community/{COMMUNITY_B1}").status_code == 403
    committee_b = visitor()
    committee_b.sign_in("juweiB")
    assert in_a not in text_of(committee_b.get("/queue"))
    citizen = visitor()
    citizen.sign_in("jumin")
    assert citizen.get("/map").status_code == 403


def test_a_request_goes_from_the_form_to_delivery_through_the_pages(
        visitor: Callable[..., Visitor], world: Session) -> None:
    resident = visitor(language="en")
    reference = _ask(resident, BUILDING_A1)
    stock_before = stock_total(world)
    dispatcher = visitor(language="en")
    dispatcher.sign_in("diaodu")
    for action in ("verify", "approve"):
        done = dispatcher.post(f"/queue/{reference}/{action}")
        assert done.status_code == 303, done.text
    detail = dispatcher.get(f"/queue/{reference}")
    assert "Suggested plan" in text_of(detail)
    queue = dispatcher.get("/queue")
    assert "Accept the plan and commit" in text_of(queue)
    shipments = [value for value in _hidden(detail.text, "shipment")]
    assert shipments and shipments[0].endswith(":6")
    accepted = dispatcher.post(f"/queue/{reference}/accept", {"shipment": shipments})
    assert accepted.status_code == 303, accepted.text
    assert stock_total(world) == stock_before - 6
    detail = dispatcher.get(f"/queue/{reference}")
    [shipment_id] = _hidden(detail.text, "shipment_id")[:1]
    for step in ("ship", "deliver"):
        moved = dispatcher.post(f"/queue/{reference}/shipment/{step}",
                                {"shipment_id": shipment_id})
        assert moved.status_code == 303, moved.text
    tracked = text_of(resident.get(f"/track/{reference}"))
    assert "Status: Delivered" in tracked
    assert resident.post(f"/track/{reference}/confirm").status_code == 303
    bad = resident.post(f"/track/{reference}/rate", {"score": "9"})
    assert bad.status_code == 422
    assert field_error(bad, "score") == "Must be at most 5"
    assert resident.post(f"/track/{reference}/rate", {"score": "5"}).status_code == 303
    final = text_of(resident.get(f"/track/{reference}"))
    assert "Status: Receipt confirmed" in final and "Your rating: 5 of 5" in final


def _hidden(page: str, name: str) -> list[str]:
    from lxml import html as lxml_html

    return [str(v) for v in lxml_html.fromstring(page).xpath(
        f'//input[@name="{name}"]/@value')]


def test_duplicates_are_merged_and_refusals_show_on_the_page(
        visitor: Callable[..., Visitor], world: Session) -> None:
    resident = visitor()
    first = _ask(resident, BUILDING_A1, quantity=4)
    second = _ask(visitor(), BUILDING_A1, quantity=9)
    grid = visitor(language="en")
    grid.sign_in("wangge")
    itself = grid.post(f"/queue/{second}/merge", {"into": second})
    assert itself.status_code == 422
    assert field_error(itself, "into") == "A request cannot be merged into itself"
    merged = grid.post(f"/queue/{second}/merge", {"into": first})
    assert merged.headers["location"] == f"/queue/{first}"
    survivor = text_of(grid.get(f"/queue/{first}"))
    assert second in survivor and "9 box" in survivor
    rejected = grid.post(f"/queue/{first}/reject", {"reason": "prank"})
    assert rejected.status_code == 303
    again = grid.post(f"/queue/{first}/verify")
    assert again.status_code == 409
    assert "it cannot take the action verify" in text_of(again)


def test_a_commander_switches_a_level_with_a_reason(visitor: Callable[..., Visitor],
                                                    world: Session) -> None:
    commander = visitor(language="en")
    commander.sign_in("quzhang")
    before = counts(world)
    no_reason = commander.post("/modes", {"area": STREET_A, "level": "level_ii",
                                          "reason": "", "hazard": "flood"})
    assert no_reason.status_code == 422
    assert field_error(no_reason, "reason") == "This field is required"
    assert counts(world) == before
    street = visitor(language="en")
    street.sign_in("jiedao")
    too_high = street.post("/modes", {"area": STREET_A, "level": "level_ii",
                                      "reason": "rain", "hazard": "flood"})
    assert too_high.status_code == 403
    assert "Your role may not set level_ii here" in text_of(too_high)
    switched = commander.post("/modes", {"area": STREET_A, "level": "level_ii",
                                         "reason": "red rainstorm warning",
                                         "hazard": "flood"})
    assert switched.status_code == 200
    assert "switched from Normal to Emergency level II (orange)" in text_of(switched)
    assert "Plan that applies" in text_of(switched)
    assert modes.get_effective_mode(world, code=COMMUNITY_A1).mode is Mode.LEVEL_II
    status = commander.get("/map/status.json").json()
    assert status["communities"][COMMUNITY_A1]["mode"] == "level_ii"
    assert status["communities"][COMMUNITY_B1]["mode"] == "normal"
    assert status["counts"]["level_ii"] == 2
    history = text_of(commander.get(f"/modes/{STREET_A}"))
    assert "Normal → Emergency level II (orange) red rainstorm warning" in history


def test_plan_edits_show_errors_by_line_and_save_nothing(
        visitor: Callable[..., Visitor], world: Session) -> None:
    commander = visitor(language="en")
    commander.sign_in("quzhang")
    editor = commander.get("/plans/edit?hazard=flood&level=level_ii&kind=community")
    text = _textarea(editor.text)
    assert text.startswith("schema_version")
    versions = world.execute(select(func.count()).select_from(ResponsePlan)).scalar_one()
    broken = text.replace("  role: ", "  role: nobody_", 1)
    refused = commander.post("/plans/edit", {"text": broken})
    assert refused.status_code == 422
    bad_line = next(n for n, line in enumerate(broken.splitlines(), start=1)
                    if "nobody_" in line)
    assert f"Line {bad_line}" in text_of(refused)
    assert f'id="line-{bad_line}" value="{bad_line}" class="bad"' in refused.text
    assert world.execute(select(func.count()).select_from(ResponsePlan)).scalar_one() \
        == versions
    uploaded = commander.post("/plans/edit", {"text": ""},
                              files={"file": ("flood.yaml", broken.encode(), "text/yaml")})
    assert uploaded.status_code == 422
    assert f"Line {bad_line}" in text_of(uploaded)
    saved = commander.post("/plans/edit", {"text": text.replace("schema_version: 1",
                                                                "schema_version: 1\n", 1)})
    assert saved.status_code == 200
    assert "Nothing changed" in text_of(saved)


def _textarea(page: str) -> str:
    from lxml import html as lxml_html

    return str(lxml_html.fromstring(page).xpath('//textarea[@name="text"]')[0].text or "")


def test_live_warnings_are_a_map_layer(visitor: Callable[..., Visitor],
                                       world: Session) -> None:
    from datetime import UTC, datetime, timedelta

    from communitas.auth.permissions import SYSTEM
    from communitas.modes import warning_service
    from communitas.modes.schemas import WarningCreate

    warning_service.receive_warning(world, principal=SYSTEM, data=WarningCreate(
        identifier="test-warning-1", hazard="flood", colour="orange",
        area_codes=[STREET_A], expires_at=datetime.now(UTC) + timedelta(days=1)))
    world.commit()
    commander = visitor()
    commander.sign_in("quzhang")
    status = commander.get("/map/status.json?layers=warnings").json()
    assert status["layers"] == {"warnings": {COMMUNITY_A1: 1.0, COMMUNITY_A2: 1.0}}
    assert "生效中的预警" in text_of(commander.get("/map"))


def test_the_map_shows_the_assessment_to_those_who_may_read_it(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    """The layer of ``communitas assess``: 100 − each community's resilience index, for the
    commander; a grid worker (who may not read assessments) sees it empty."""
    ranked = assess_communities(world, principal=SYSTEM, within=DISTRICT)
    commander = visitor(language="en")
    commander.sign_in("quzhang")
    layer = commander.get("/map/status.json?layers=resilience").json()["layers"]["resilience"]
    assert layer == {a.code: round(100 - a.resilience, 2) for a in ranked}
    assert {COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1} <= set(layer)
    assert "Low resilience (100 − index)" in text_of(commander.get("/map"))
    make_user(world, "wangge2", Role.GRID_WORKER, area_code=f"{COMMUNITY_A1}-G01")
    world.commit()
    grid = visitor()
    grid.sign_in("wangge2")
    assert grid.get("/map/status.json?layers=resilience").json()["layers"] == {"resilience": {}}
    assert "韧性不足（100 − 指数）" in text_of(grid.get("/map"))
