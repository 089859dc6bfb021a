"""Notices and tasks in a real browser on the demo district: a committee member draws a
notice's area on the map and composes it, a second person (the street commander) approves
and sends it, and a resident reads it on their community's notices page; the tasks board,
a sweep and "my tasks". Screenshots go to tmp/artifacts; load times are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import (
    BROWSER_MARKS,
    COMMUNITY,
    demo_server,
    record_timing,
    shoot,
    sign_in,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("browser-notices")) as base:
        yield base


def _draw_square_inside(page: Any, code: str) -> None:
    """Click four points inside the community's outline (polygon mode)."""
    page.check("input[name=draw_mode][value=polygon]")
    outline = page.locator(f"path.community-{code}")
    box = outline.bounding_box()
    for fx, fy in ((0.35, 0.35), (0.65, 0.35), (0.65, 0.65), (0.35, 0.65)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    assert page.input_value("#polygon").count(";") == 3


def test_a_public_notice_from_the_map_to_the_residents_page(person: Any) -> None:
    author = person(1280, 900)
    sign_in(author, "committee")
    author.goto("/notices/new")
    author.wait_for_selector("#notice-map[data-ready='1']")
    record_timing(author, "compose a notice (committee)")
    author.fill("#title_zh", "暴雨蓝色预警")
    author.fill("#title_en", "Blue rainstorm warning")
    author.fill("#body_zh", "请居民减少外出，低洼处注意积水。")
    author.fill("#body_en", "Stay indoors; watch for water in low places.")
    author.select_option("#severity", "Moderate")
    _draw_square_inside(author, COMMUNITY)
    shoot(author, "11-notice-drawn")
    author.click("#notice-form button[type=submit].primary")
    assert author.get_attribute("#notice-state", "data-state") == "draft"
    assert int(author.get_attribute("#covered", "data-count")) >= 1
    record_timing(author, "notice (draft)")
    notice_path = author.url.split("/", 3)[-1]
    author.click("#approve")  # the author may not approve a public notice
    assert author.locator("#approve-error").count() == 1
    assert author.get_attribute("#notice-state", "data-state") == "draft"

    approver = person(1280, 900)
    sign_in(approver, "street")
    approver.goto(f"/{notice_path}")
    approver.click("#approve")
    assert approver.get_attribute("#notice-state", "data-state") == "approved"
    approver.click("#send")
    assert approver.get_attribute("#notice-state", "data-state") == "sent"
    assert approver.locator("#delivery-report").count() == 1
    shoot(approver, "12-notice-sent")
    approver.goto("/notices")
    record_timing(approver, "notices (street)")

    passer_by = person()  # no account: the public notices page of the community
    passer_by.goto(f"/area-notices/{COMMUNITY}")
    record_timing(passer_by, "area notices (public)")
    assert "暴雨蓝色预警" in passer_by.inner_text("#area-notices")
    resident = person()
    sign_in(resident, "resident")
    resident.goto("/area-notices")
    assert resident.url.endswith(f"/area-notices/{COMMUNITY}")
    assert "暴雨蓝色预警" in resident.inner_text("#area-notices")
    shoot(resident, "13-resident-reads-notice")
    resident.click("#lang-switch")
    assert "Blue rainstorm warning" in resident.inner_text("#area-notices")
    resident.click("#lang-switch")

    wall = person(1920, 1080)
    sign_in(wall, "district")
    wall.goto("/map")
    wall.check("input.layer-toggle[value=alerts]")
    wall.wait_for_function("Number(document.getElementById('total-alerts').textContent) >= 1",
                           timeout=15_000)
    shoot(wall, "14-map-active-alerts")


def test_the_tasks_board_a_sweep_and_my_tasks(person: Any) -> None:
    committee = person(1280, 900)
    sign_in(committee, "committee")
    committee.goto("/tasks")
    record_timing(committee, "tasks board (committee)")
    assert committee.locator(".board-column").count() == 7
    committee.goto("/sweeps")
    record_timing(committee, "sweeps (committee)")
    committee.click("#sweeps a")
    record_timing(committee, "a sweep (committee)")
    shoot(committee, "15-sweep")
    grid = person()
    sign_in(grid, "grid")
    grid.goto("/tasks/mine")
    record_timing(grid, "my tasks (grid worker)")
    assert grid.locator("#my-tasks li").count() >= 1
    shoot(grid, "16-my-tasks")


def test_district_page_load_times_are_recorded(person: Any) -> None:
    """The widest scope: every community of the district on the compose map and lists."""
    page = person(1280, 900)
    sign_in(page, "district")
    for path in ("/tasks", "/sweeps", "/notices", "/notices/new", "/notices/import"):
        page.goto(path)
        assert page.locator("main").count() == 1
        if path == "/notices/new":
            page.wait_for_selector("#notice-map[data-ready='1']")
        record_timing(page, f"{path} (district)")
    page.goto("/tasks")
    page.click(".board-column a")
    record_timing(page, "a task (district)")
