"""The task, sweep, call-out and notice pages in Chinese and in English, with no string
left untranslated (user data such as a notice's other-language text aside)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import html as lxml_html
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.i18n import _catalogue
from communitas.tasks.models import Task
from tests.factories import COMMUNITY_A1
from tests.web.helpers import Visitor
from tests.web.test_language import CJK
from tests.web.test_notice_pages import NOTICE
from tests.web.work_helpers import add_workers, cheap_hashing, new_task


@pytest.fixture(autouse=True)
def _quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


def _pages(db: Session, visitor: Callable[..., Visitor], language: str) -> dict[str, str]:
    """Every new page as the people who use it see it, refused forms included."""
    add_workers(db)
    task_id = new_task(db, "Check the pumps")
    committee, second = visitor(language=language), visitor(language=language)
    committee.sign_in("juwei")
    second.sign_in("juwei2")
    committee.post(f"/tasks/{task_id}/callouts", {"head_count": "1", "invite": "1"})
    sweep = committee.post("/sweeps", {"area": COMMUNITY_A1, "title": "Door to door"})
    building = db.execute(select(Task.id).where(Task.sweep_id.is_not(None))).scalars().first()
    notice = committee.post("/notices/new", {**NOTICE, "area_codes": COMMUNITY_A1})
    path = notice.headers["location"]
    second.post(f"{path}/approve")
    second.post(f"{path}/send")
    pages = {p: committee.get(p).text for p in (
        "/tasks", f"/tasks/{task_id}", "/sweeps", sweep.headers["location"], "/notices",
        "/notices/new", path)}
    pages["task refused"] = committee.post(f"/tasks/{task_id}/transition",
                                           {"action": "cannot_complete"}).text
    pages["callout refused"] = committee.post(f"/tasks/{task_id}/callouts",
                                              {"head_count": "x", "invite": ""}).text
    pages["new task refused"] = committee.post("/tasks", {"title": "", "due_at": "x"}).text
    pages["sweep refused"] = committee.post("/sweeps", {"title": ""}).text
    pages["notice refused"] = committee.post("/notices/new", {"title_zh": "x"}).text
    pages["update refused"] = committee.post(f"{path}/update", {}).text
    worker = visitor(language=language)
    worker.sign_in("gw1")
    worker.post(f"{sweep.headers['location']}/buildings/{building}/claim")
    pages["sweep held"] = worker.get(sweep.headers["location"]).text
    volunteer = visitor(language=language)
    volunteer.sign_in("v1")
    pages["/tasks/mine"] = volunteer.get("/tasks/mine").text
    pages["hours refused"] = volunteer.post("/invitations/1/hours", {"hours": "x"}).text
    commander = visitor(language=language)
    commander.sign_in("quzhang")
    pages["/notices/import"] = commander.get("/notices/import").text
    pages["/map"] = commander.get("/map").text
    resident = visitor(language=language)
    pages["/area-notices"] = resident.get("/area-notices").text
    pages["/area-notices/A1"] = resident.get(f"/area-notices/{COMMUNITY_A1}?all=true").text
    resident.sign_in("jumin")
    pages["/feed"] = resident.get("/feed").text
    return pages


def _texts(page: str) -> list[str]:
    tree = lxml_html.fromstring(page)
    for bad in tree.xpath("//script|//style|//textarea|//*[@lang and not(self::html)]"):
        bad.getparent().remove(bad)
    texts = [t.strip() for t in tree.itertext() if t.strip()]
    texts += [str(v).strip() for v in tree.xpath("//@aria-label|//@title")]
    return texts


def test_no_english_string_is_left_on_a_chinese_page(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    english = {msgid for msgid, text in _catalogue("zh_CN").items()
               if text != msgid and "{" not in msgid and CJK.search(text)}
    for path, page in _pages(world, visitor, "zh_CN").items():
        left = [t for t in _texts(page) if t in english]
        assert not left, (path, left)


def test_an_english_page_holds_no_chinese(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    for path, page in _pages(world, visitor, "en").items():
        chinese = [t for t in _texts(page) if CJK.search(t)]
        assert not chinese, (path, chinese[:5])
