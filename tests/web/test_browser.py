"""Journeys in a real browser (Debian's Chromium) against ``communitas serve`` on the demo
district: a resident asks for water and follows it, a dispatcher verifies, accepts the
suggested plan and commits, the resident confirms; a commander raises a street to level II
and watches the map change; the language switch. Each saves screenshots to tmp/artifacts
and records page load times (reported at the end of the run, not asserted)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from communitas.auth.roles import ROLE_PERMISSIONS, Role
from communitas.web import PAGE_MODULES
from communitas.web.nav import NAV
from tests.web.browser import (
    BROWSER_MARKS,
    COMMUNITY,
    STREET,
    demo_server,
    record_timing,
    shoot,
    sign_in,
)

pytestmark = BROWSER_MARKS



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("browser")) as base:
        yield base


def test_a_request_from_the_form_to_confirmed_delivery(person: Any) -> None:
    resident = person()  # a phone screen
    resident.goto("/")
    record_timing(resident, "home (resident)")
    resident.click("a[href='/help']")
    record_timing(resident, "ask for help")
    resident.select_option("#community", COMMUNITY)
    resident.select_option("#type_1", "water.bottled")
    resident.fill("#quantity_1", "6")
    resident.click("button[type=submit].primary")
    reference = resident.inner_text("#reference").strip()
    assert re.fullmatch(r"R\d{8}-[0-9A-Z]{8}", reference)
    assert resident.inner_text("#status") == "已受理，待核实"
    record_timing(resident, "receipt")
    shoot(resident, "01-resident-receipt")
    follower = person()  # following by reference from another phone
    follower.goto("/track")
    follower.fill("#reference", reference)
    follower.click("button[type=submit]")
    assert follower.inner_text("#status") == "已受理，待核实"
    assert follower.locator("#confirm").count() == 0  # only the asking browser confirms
    record_timing(follower, "follow a request")

    dispatcher = person(1280, 900)
    sign_in(dispatcher, "dispatcher")
    assert dispatcher.url.endswith("/queue")
    dispatcher.goto("/queue")  # measured on its own, not with the sign-in before it
    record_timing(dispatcher, "request queue")
    dispatcher.click(f"a.reference[href='/queue/{reference}']")
    record_timing(dispatcher, "request detail")
    dispatcher.click("#action-verify")
    assert dispatcher.inner_text("#status") == "已核实"
    dispatcher.click("#action-approve")
    assert dispatcher.inner_text("#status") == "已批准"
    assert dispatcher.locator(".suggestion").count() == 1
    shoot(dispatcher, "02-dispatcher-suggested-plan")
    dispatcher.click("button.accept")
    assert dispatcher.inner_text("#status") == "物资已调拨"
    dispatcher.click("button.ship")
    dispatcher.click("button.deliver")
    assert dispatcher.inner_text("#status") == "已送达"
    shoot(dispatcher, "03-dispatcher-delivered")

    resident.goto(f"/track/{reference}")
    assert resident.inner_text("#status") == "已送达"
    resident.click("#confirm")
    assert resident.inner_text("#status") == "已确认收到"
    resident.check("input[name=score][value='5']")
    resident.click("#rate-form button[type=submit]")
    assert "5" in resident.inner_text("#rating")
    shoot(resident, "04-resident-confirmed")


def test_a_commander_raises_a_street_to_level_ii_and_sees_tasks_and_alerts(
        person: Any) -> None:
    wall = person(1920, 1080)  # the command centre's wall display
    sign_in(wall, "district")
    assert wall.url.endswith("/map")
    wall.goto("/map")
    wall.wait_for_selector("body[data-map-ready='1']")
    record_timing(wall, "situation map (district)")
    assert wall.inner_text("#count-level_ii") == "0"
    for layer in ("tasks", "alerts"):  # the layers the plan's activation will fill
        wall.check(f"input.layer-toggle[value='{layer}']")
    wall.wait_for_timeout(1500)  # the layers' first poll
    before = {layer: int(wall.inner_text(f"#total-{layer}").replace(",", "") or 0)
              for layer in ("tasks", "alerts")}  # the demo has a few tasks already
    assert before["alerts"] == 0
    wall.check("input.layer-toggle[value='resilience']")  # the assessment: every community
    wall.wait_for_function(
        "document.getElementById('total-resilience').textContent === '300'", timeout=15_000)
    shoot(wall, "05-map-before")
    desk = wall.context.new_page()
    desk.goto("/modes")
    record_timing(desk, "modes")
    desk.select_option("#area", STREET)
    desk.select_option("#level", "level_ii")
    desk.select_option("#hazard", "flood")
    desk.fill("#reason", "红色暴雨预警")
    desk.click("#mode-form button[type=submit]")
    assert desk.locator("#switch-result").count() == 1
    assert desk.locator("#switch-result a[href^='/plans/flood/level_ii/street']").count() == 1
    # The map, left open, recolours itself at its next poll.
    wall.wait_for_function("document.getElementById('count-level_ii').textContent === '30'",
                           timeout=15_000)
    orange = wall.locator(f"path.community-{COMMUNITY}")
    assert orange.get_attribute("fill") == "#f07c00"
    orange.click()
    wall.wait_for_selector(f".community-card[data-code='{COMMUNITY}']")
    assert wall.get_attribute(".card-mode", "data-mode") == "level_ii"
    # The flood plan activated in the same step: its tasks and alerts are on the map.
    wall.wait_for_function(
        "([tasks, alerts]) => "
        "+document.getElementById('total-tasks').textContent.replace(/,/g, '') > tasks && "
        "+document.getElementById('total-alerts').textContent.replace(/,/g, '') > alerts",
        arg=[before["tasks"], before["alerts"]], timeout=15_000)
    shoot(wall, "06-map-level-ii")


def test_the_page_switches_to_english_and_back(person: Any) -> None:
    page = person()
    page.goto("/help")
    assert page.inner_text("h1") == "我要求助"
    page.click("#lang-switch")
    assert page.inner_text("h1") == "Ask for help"
    assert page.url.endswith("/help")
    shoot(page, "07-english")
    page.click("#lang-switch")
    assert page.inner_text("h1") == "我要求助"


# Every demo login, as the loader makes them (one per role).
DEMO_LOGINS = {"admin": Role.PLATFORM_ADMIN, "district": Role.DISTRICT_COMMANDER,
               "street": Role.STREET_COMMANDER, "dispatcher": Role.STREET_DISPATCHER,
               "committee": Role.COMMUNITY_COMMITTEE, "grid": Role.GRID_WORKER,
               "volunteer": Role.VOLUNTEER, "liaison": Role.ORG_LIAISON,
               "resident": Role.RESIDENT, "auditor": Role.AUDITOR}


def _menu_paths(role: Role) -> list[str]:
    """Every page in the role's menu (the page modules append their entries on import)."""
    for name in PAGE_MODULES:
        importlib.import_module(name)
    granted = ROLE_PERMISSIONS[role]
    return [item.path for item in NAV
            if (item.roles is None or role in item.roles)
            and (item.permission is None or item.permission in granted)]


@pytest.mark.parametrize("username", list(DEMO_LOGINS))
def test_page_load_times_are_recorded(person: Any, username: str) -> None:
    """Every menu page of every demo login, each opened once on the demo district.
    Measured, not asserted: the table is printed at the end of the run."""
    page = person(1280, 900)
    sign_in(page, username)
    paths = _menu_paths(DEMO_LOGINS[username])
    assert paths, "every role has a menu"
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert page.locator("main").count() == 1
        if path == "/map":
            page.wait_for_selector("body[data-map-ready='1']")
        record_timing(page, f"{path} ({username})")

