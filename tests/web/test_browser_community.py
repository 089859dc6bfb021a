"""Residents and staff on the community pages in a real browser on the demo district: a
resident offers help and reports a rumour from a phone; the committee rebuts it and is
refused its own approval; the street commander approves and sends; the resident reads the
rebuttal in Chinese and English. Mutual-aid pairs for the committee and the district.
Screenshots go to tmp/artifacts (21-… to 27-…); load times are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import (
    BROWSER_MARKS,
    demo_server,
    record_timing,
    shoot,
    sign_in,
)

pytestmark = BROWSER_MARKS

RUMOUR = "听说超市的大米都被抢光了，快去囤货"
VERDICT_ZH, VERDICT_EN = "各超市大米供应充足，请勿抢购。", "Supermarkets have plenty of rice."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("browser-community")) as base:
        yield base


def test_a_rumour_from_a_phone_to_a_rebuttal_approved_by_a_second_person(
        person: Any) -> None:
    resident = person()  # a phone screen
    sign_in(resident, "resident")
    resident.goto("/offer")
    record_timing(resident, "offer help (resident)")
    resident.check("input[name=direction][value=offer]")
    resident.select_option("#kind", "first_aid")
    resident.fill("#description", "护士，可以帮忙包扎")
    resident.click("#post-form button[type=submit]")
    assert resident.locator("#posted").is_visible()
    shoot(resident, "21-offer-help")
    resident.goto("/claims/report")
    record_timing(resident, "report a rumour (resident)")
    resident.click("#report-form button[type=submit]")  # empty: refused by the field
    assert resident.locator("#text-error").is_visible()
    resident.fill("#text", RUMOUR)
    resident.click("#report-form button[type=submit]")
    assert resident.locator("#reported").is_visible()
    shoot(resident, "22-rumour-reported")

    committee = person(1280, 900)
    sign_in(committee, "committee")
    committee.goto("/claims")
    record_timing(committee, "rumours (committee)")
    item = committee.locator("li.request", has_text=RUMOUR)
    item.locator("input[name=verdict][value=rebut]").check()
    item.locator("textarea[name=verdict_zh]").fill(VERDICT_ZH)
    item.locator("textarea[name=verdict_en]").fill(VERDICT_EN)
    item.locator("form[action$='/triage'] button[type=submit]").click()
    committee.wait_for_load_state("load")
    item = committee.locator("li.request", has_text=RUMOUR)
    item.locator("form[action$='/approve'] button").click()
    refusal = committee.locator("[data-code=two_person_rule]")
    assert refusal.is_visible() and "第二人" in refusal.inner_text()
    shoot(committee, "23-own-approval-refused")

    street = person(1280, 900)
    sign_in(street, "street")
    street.goto("/claims?status=all")
    record_timing(street, "rumours, every status (street)")
    item = street.locator("li.request", has_text=RUMOUR)
    item.locator("form[action$='/approve'] button").click()
    street.wait_for_load_state("load")
    street.locator("li.request", has_text=RUMOUR).locator(
        "form[action$='/send'] button").click()
    street.wait_for_load_state("load")
    assert street.locator("li.request", has_text=RUMOUR).locator(
        "[data-notice-state=sent]").count() == 1

    resident.goto("/verified")
    record_timing(resident, "verified information (resident)")
    claim = resident.locator("[data-status=rebutted]", has_text=RUMOUR)
    assert VERDICT_ZH in claim.inner_text()
    shoot(resident, "24-rebuttal-zh")
    resident.click("#lang-switch")
    assert VERDICT_EN in resident.locator("[data-status=rebutted]", has_text=RUMOUR
                                          ).inner_text()
    shoot(resident, "25-rebuttal-en")
    resident.click("#lang-switch")
    assert resident.locator("html").get_attribute("lang") == "zh-CN"


def test_mutual_aid_pairs_for_the_committee_and_the_district(person: Any) -> None:
    committee = person(1280, 900)
    sign_in(committee, "committee")
    committee.goto("/mutual-aid")
    record_timing(committee, "mutual aid (committee)")
    assert committee.locator("#pair-list tr[data-status=active]").count() >= 1
    assert committee.locator("#enrolment-list tr").count() >= 2
    shoot(committee, "26-mutual-aid")
    district = person(1280, 900)
    sign_in(district, "district")
    district.goto("/mutual-aid")
    record_timing(district, "mutual aid (district, 300 communities)")
    assert district.locator("#pair-list tr[data-status=active]").count() >= 1
    district.goto("/claims")
    record_timing(district, "rumours (district)")
    shoot(district, "27-rumours-district")
