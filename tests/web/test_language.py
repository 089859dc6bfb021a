"""Chinese by default, English on request, on every page; no string left untranslated."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import html as lxml_html

from communitas.i18n import _catalogue
from tests.dispatch.helpers import BUILDING_A1
from tests.factories import COMMUNITY_A1
from tests.web.helpers import Visitor, text_of

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_chinese_by_default_and_the_switch_is_remembered(
        visitor: Callable[..., Visitor]) -> None:
    person = visitor()
    home = person.get("/")
    assert '<html lang="zh-CN">' in home.text and "我要求助" in text_of(home)
    switched = person.get("/lang/en?next=/help")
    assert switched.headers["location"] == "/help"
    assert "Ask for help" in text_of(person.get("/help"))
    assert 'href="/lang/zh_CN?next=/help"' in person.get("/help").text
    person.get("/lang/zh_CN?next=/")
    assert "我要求助" in text_of(person.get("/"))
    # Accept-Language counts when nobody chose; the choice wins over it.
    browser = visitor()
    assert "Ask for help" in text_of(browser.get("/", headers={"Accept-Language": "en-GB"}))
    browser.get("/lang/zh_CN")
    assert "我要求助" in text_of(browser.get("/", headers={"Accept-Language": "en-GB"}))


def test_the_switch_never_redirects_off_site(visitor: Callable[..., Visitor]) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert visitor().get(f"/lang/en?next={target}").headers["location"] == "/"


def _pages(visitor: Callable[..., Visitor], language: str) -> dict[str, str]:
    """Every page as the people who use it see it, in ``language``."""
    resident = visitor(language=language)
    sent = resident.post("/help", {"community": COMMUNITY_A1, "place": BUILDING_A1,
                                   "type_1": "water.bottled", "quantity_1": "3",
                                   "priority": "2", "flags": "aged_80"})
    reference = sent.headers["location"].split("/")[2].split("?")[0]
    pages = {path: resident.get(path).text for path in
             ("/", "/help", "/track", "/login", f"/track/{reference}?new=1")}
    pages["/help (refused)"] = resident.post("/help", {"quantity_1": "x"}).text
    commander = visitor(language=language)
    commander.sign_in("quzhang")
    commander.post("/modes", {"area": "310115001000", "level": "level_ii", "reason": "rain",
                              "hazard": "flood"})
    for path in ("/queue", f"/queue/{reference}", "/map", f"/map/community/{COMMUNITY_A1}",
                 "/resources", f"/resources?area={COMMUNITY_A1}", "/modes", "/modes/310115001000",
                 "/plans",
                 "/plans/flood/level_ii/community", "/plans/edit"):
        response = commander.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        pages[path] = response.text
    pages["/plans/edit (refused)"] = commander.post("/plans/edit", {"text": "a: [1"}).text
    for path in ("/mutual-aid", "/claims"):  # more in tests/web/test_community_pages.py
        pages[path] = commander.get(path).text
    for path in ("/activations", "/supervision", "/metrics", "/metrics?since=x"):
        pages[path] = commander.get(path).text
    activation = re.findall(r'href="(/activations/\d+)"', pages["/activations"])[0]
    pages["/activations/{id}"] = commander.get(activation).text
    pages["/supervision (refused)"] = commander.post("/supervision/assignments", {}).text
    citizen = visitor(language=language)
    citizen.sign_in("jumin")
    pages["/my"] = citizen.get("/my").text
    for path in ("/offer", "/claims/report", f"/verified/{COMMUNITY_A1}"):
        pages[path] = citizen.get(path).text
    return pages


def _texts(page: str) -> list[str]:
    tree = lxml_html.fromstring(page)
    for bad in tree.xpath("//script|//style|//pre|//textarea|//ol[contains(@class, 'code')]"):
        bad.getparent().remove(bad)
    texts = [t.strip() for t in tree.itertext() if t.strip()]
    texts += [str(v).strip() for v in tree.xpath("//@aria-label|//@title")]
    return texts


def test_no_english_string_is_left_on_a_chinese_page(visitor: Callable[..., Visitor]) -> None:
    english = {msgid for msgid, text in _catalogue("zh_CN").items()
               if text != msgid and "{" not in msgid and CJK.search(text)}
    for path, page in _pages(visitor, "zh_CN").items():
        left = [t for t in _texts(page) if t in english]
        assert not left, (path, left)


def test_an_english_page_holds_no_chinese_but_the_switch(
        visitor: Callable[..., Visitor]) -> None:
    for path, page in _pages(visitor, "en").items():
        chinese = [t for t in _texts(page) if CJK.search(t) and t != "中文"]
        assert not chinese, (path, chinese[:5])
