"""Reports in a real browser on the demo district: the district commander raises a street
to level II, follows what the switch activated to one activation and its after-action
report (inline-SVG charts), sends a cadre down from the supervision page on a phone, and
reads the participation metrics in Chinese and in English. Screenshots go to tmp/artifacts;
load times are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.schemas import PersonCreate
from communitas.auth.permissions import SYSTEM
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

CADRE = "WEB-CADRE-1"


def _add_cadre(session: Session) -> None:
    actors.create_people(session, principal=SYSTEM, items=[PersonCreate(
        code=CADRE, kind="cadre", name_zh="下沉干部甲", name_en="Cadre A",
        area_code=COMMUNITY)])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("browser-reports"), _add_cadre) as base:
        yield base


def test_a_switch_its_report_a_cadre_sent_down_and_the_participation(person: Any) -> None:
    commander = person(1280, 900)
    sign_in(commander, "district")
    commander.goto("/modes")
    commander.select_option("#area", STREET)
    commander.select_option("#level", "level_ii")
    commander.select_option("#hazard", "flood")
    commander.fill("#reason", "暴雨，低洼处积水")
    commander.click("#mode-form button[type=submit]")
    activated = commander.locator(f"#switch-activated li[data-area='{COMMUNITY}'] a")
    assert activated.count() == 1
    shoot(commander, "21-switch-activated")
    activated.click()
    commander.wait_for_selector("#chart-tasks svg")
    record_timing(commander, "an activation and its report (district)")
    assert commander.locator("#tasks a").count() >= 1
    assert commander.locator("#alerts a").count() >= 1
    assert "事后评估报告" in commander.inner_text("main")
    shoot(commander, "22-activation-report")
    commander.goto("/activations")
    record_timing(commander, "activations (district)")

    street = person()  # a phone screen
    sign_in(street, "street")
    street.goto("/supervision")
    record_timing(street, "supervision (street, phone)")
    street.fill("#person_code", CADRE)
    street.select_option("#community_code", COMMUNITY)
    street.select_option("#role", "community_liaison")
    street.click("#assign-form button[type=submit]")  # no first day yet
    assert street.locator("#starts_on-error").count() == 1
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    street.fill("#starts_on", yesterday)
    street.click("#assign-form button[type=submit]")
    assert street.locator("#assigned").count() == 1
    street.goto("/supervision")
    assert street.locator(f"tr[data-person='{CADRE}']").count() == 1
    shoot(street, "23-supervision-phone")

    committee = person()
    sign_in(committee, "committee")
    committee.goto("/metrics")
    record_timing(committee, "participation (committee, phone)")
    assert committee.locator("#figures").count() == 1
    committee.click("#lang-switch")
    assert "Volunteers per 1,000 residents" in committee.inner_text("#figures")
    shoot(committee, "24-participation-english")
    committee.click("#lang-switch")
    assert "每千名居民志愿者数" in committee.inner_text("#figures")
