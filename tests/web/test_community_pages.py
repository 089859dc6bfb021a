"""Mutual-aid pairs, residents offering help, rumour triage and the verified-information
feed: what each role sees, the whole journeys, refusals by scope, both languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.alerts.models import Notice, NoticeState
from communitas.auth.roles import Role
from communitas.community.models import (
    AidEnrolment,
    AidMatch,
    AidPair,
    AidPost,
    ClaimCluster,
    ClaimReport,
)
from communitas.i18n import _catalogue
from communitas.tasks.models import Task
from tests.actors.helpers import make_person
from tests.dispatch.helpers import BUILDING_A1, BUILDING_B1
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, make_user
from tests.web.helpers import Visitor, field_error, text_of
from tests.web.test_language import CJK
from tests.web.work_helpers import add_workers, cheap_hashing

PHONE, ID_NUMBER, HEALTH = "13812345678", "31011519800101123X", "severe asthma"
BUILDING_A1_2 = f"{COMMUNITY_A1}-B002"
RUMOUR = "听说自来水被污染了，千万不能喝！"
VERDICT_ZH = "水质检测合格，可以放心饮用。"
VERDICT_EN = "The water was tested and is safe to drink."


@pytest.fixture(autouse=True)
def _quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def street(world: Session) -> Session:
    """Workers of A1, an old resident and an able neighbour in A1 (private fields filled
    in), and a resident of B1."""
    add_workers(world)
    for code, home, username in (("OLD-1", BUILDING_A1, "old1"), ("H-1", BUILDING_A1_2, "helper1"),
                                 ("R-B1", BUILDING_B1, "residentb")):
        make_person(world, code, home, PersonKind.RESIDENT, phone=PHONE, id_number=ID_NUMBER,
                    health_conditions=HEALTH, disability="wheelchair")
        make_user(world, username, Role.RESIDENT, person_code=code)
    world.commit()
    return world


def _count(db: Session, model: type) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def _signed_in(visitor: Callable[..., Visitor], username: str, language: str = "en") -> Visitor:
    person = visitor(language=language)
    person.sign_in(username)
    return person


def _no_private_data(*pages: str) -> None:
    for page in pages:
        assert not any(s in page for s in (PHONE, ID_NUMBER, HEALTH, "wheelchair")), page[:300]


# --- mutual-aid pairs ---------------------------------------------------------------------

def test_staff_record_consent_confirm_a_pair_and_the_helper_sees_it_on_the_check_task(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    committee = _signed_in(visitor, "juwei")
    page = committee.get("/mutual-aid")
    assert page.status_code == 200 and "Nobody in this area has opted in yet." in text_of(page)
    bad = committee.post("/mutual-aid/enrolments", {
        "person_code": "OLD-1", "role": "vulnerable", "capacity": "9",
        "shared_note": f"call {PHONE}", "consent_statement": ""})
    assert bad.status_code == 422
    assert field_error(committee.post("/mutual-aid/enrolments", {
        "person_code": "OLD-1", "role": "helper", "capacity": "0",
        "consent_statement": "phone call"}), "capacity") == "Must be at least 1"
    assert field_error(bad, "consent_statement") == "Say how the resident gave consent"
    assert field_error(bad, "shared_note") == "This value is not valid"
    assert field_error(bad, "capacity") == "Must be at most 5"
    unknown = committee.post("/mutual-aid/enrolments", {
        "person_code": "NOBODY", "role": "vulnerable", "consent_statement": "phone call"})
    assert unknown.status_code == 404 and field_error(unknown, "person_code")
    assert _count(street, AidEnrolment) == 0
    done = committee.post("/mutual-aid/enrolments", {
        "person_code": "OLD-1", "role": "vulnerable", "shared_note": "knock hard",
        "consent_statement": "signed form at home visit"})
    assert done.status_code == 303
    # The able neighbour opts in with their own consent (the box must be ticked).
    helper = _signed_in(visitor, "helper1")
    unticked = helper.post("/offer/aid", {"aid_role": "helper", "aid_capacity": "2"})
    assert field_error(unticked, "aid_consent") == "Tick the box to give your consent"
    assert helper.post("/offer/aid", {"aid_role": "helper", "aid_capacity": "2",
                                      "aid_consent": "1"}).status_code == 303
    page = committee.get("/mutual-aid")
    tree = lxml_html.fromstring(page.text)
    assert tree.xpath('//li[@data-vulnerable="OLD-1"][@data-helper="H-1"]')
    assert committee.post("/mutual-aid/pairs", {"vulnerable_person_code": "OLD-1",
                                                "helper_person_code": "H-1"}).status_code == 303
    again = committee.post("/mutual-aid/pairs", {"vulnerable_person_code": "OLD-1",
                                                 "helper_person_code": "H-1"})
    assert again.status_code == 409
    assert "This resident already has a helper" in text_of(again)
    # The helper agrees on their own page; the pair turns active.
    mine = helper.get("/offer")
    assert "You check on: Person OLD-1" in text_of(mine) and "knock hard" in mine.text
    [pair_id] = street.execute(select(AidPair.id)).scalars().all()
    assert helper.post(f"/offer/pairs/{pair_id}", {"accept": "1"}).status_code == 303
    page = committee.get("/mutual-aid")
    assert lxml_html.fromstring(page.text).xpath(f'//tr[@data-pair="{pair_id}"]/@data-status') \
        == ["active"]
    started = committee.post("/mutual-aid/checks", {"area": COMMUNITY_A1})
    assert "started=1-0" in started.headers["location"]
    assert "1 check tasks issued" in text_of(committee.get(started.headers["location"]))
    [task_id] = street.execute(select(Task.id)).scalars().all()
    task = helper.get(f"/tasks/{task_id}")
    assert task.status_code == 200
    panel = lxml_html.fromstring(task.text).xpath('//*[@id="aid-pair"]')[0].text_content()
    assert "Person OLD-1" in panel and "knock hard" in panel and BUILDING_A1 in panel
    staff_view = committee.get(f"/tasks/{task_id}").text
    assert "knock hard" in staff_view
    make_user(street, "shenji", Role.AUDITOR, area_code=COMMUNITY_A1)
    street.commit()
    audit = _signed_in(visitor, "shenji").get(f"/tasks/{task_id}")
    assert "Person OLD-1" in text_of(audit) and "knock hard" not in audit.text
    _no_private_data(task.text, page.text, mine.text, staff_view, audit.text)


def test_each_role_sees_the_pages_its_work_needs_and_nothing_outside_its_area(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    def menu(username: str) -> list[str]:
        page = _signed_in(visitor, username).get("/tasks/mine")
        return [str(a) for a in lxml_html.fromstring(page.text).xpath('//nav//a/@href')]

    assert {"/mutual-aid", "/claims"} <= set(menu("juwei"))
    assert "/mutual-aid" in menu("wangge") and "/claims" not in menu("wangge")
    assert {"/offer", "/claims/report", "/verified"} <= set(menu("jumin"))
    assert not {"/mutual-aid", "/claims"} & set(menu("jumin"))
    assert not {"/mutual-aid", "/claims", "/offer"} & set(menu("diaodu"))
    assert "/offer" in menu("v1")
    other = _signed_in(visitor, "juweiB")
    assert other.get(f"/mutual-aid?area={COMMUNITY_A1}").status_code == 403
    assert other.get(f"/claims?area={COMMUNITY_A1}").status_code == 403
    assert other.get("/claims").status_code == 200  # their own community
    grid = _signed_in(visitor, "wangge")
    assert grid.get("/claims").status_code == 403
    resident = _signed_in(visitor, "jumin")
    assert resident.get("/mutual-aid").status_code == 403
    assert resident.get("/claims").status_code == 403
    staff_only = _signed_in(visitor, "diaodu").get("/offer")
    assert staff_only.status_code == 403
    anonymous = visitor()
    for path in ("/offer", "/claims/report", "/mutual-aid", "/claims"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login?next="), path
    assert anonymous.get(f"/verified/{COMMUNITY_A1}").status_code == 200
    # A committee cannot enrol a resident of another community.
    refused = other.post("/mutual-aid/enrolments", {
        "person_code": "OLD-1", "role": "vulnerable", "consent_statement": "phone call"})
    assert refused.status_code == 403 and field_error(refused, "person_code")
    assert _count(street, AidEnrolment) == 0


# --- offers and needs ---------------------------------------------------------------------

def test_an_offer_meets_a_need_and_contacts_show_only_after_both_accept(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    needy = _signed_in(visitor, "jumin")
    bad = needy.post("/offer", {"direction": "need", "kind": "spaceship", "description": "",
                                "place": COMMUNITY_B1, "display_name": f"Li {PHONE}"})
    assert bad.status_code == 422
    assert field_error(bad, "kind") == "Choose one of the options"
    assert field_error(bad, "description") == "This field is required"
    assert field_error(bad, "place") == "Choose one of the options"
    assert field_error(bad, "display_name") == "This value is not valid"
    assert _count(street, AidPost) == 0
    assert needy.post("/offer", {"direction": "need", "kind": "vehicle", "place": BUILDING_A1,
                                 "description": "A lift to hospital on Monday",
                                 "display_name": "Grandma Li",
                                 "contact_note": "Room 301, knock twice"}).status_code == 303
    assert "No match yet" in text_of(needy.get("/offer"))
    driver = _signed_in(visitor, "helper1")
    assert driver.post("/offer", {"direction": "offer", "kind": "vehicle",
                                  "place": f"{COMMUNITY_A1}-G01",
                                  "description": "Car, weekdays", "display_name": "Mr Wang",
                                  "contact_note": "Call me on 13900001111"}).status_code == 303
    [match_id] = street.execute(select(AidMatch.id)).scalars().all()
    seen_by_needy = needy.get("/offer")
    assert "Car, weekdays" in seen_by_needy.text and "Mr Wang" in seen_by_needy.text
    assert "13900001111" not in seen_by_needy.text
    assert "Room 301" not in driver.get("/offer").text
    needy.post(f"/offer/matches/{match_id}", {"accept": "1"})
    waiting = needy.get("/offer")
    assert lxml_html.fromstring(waiting.text).xpath(f'//*[@id="waiting-{match_id}"]')
    assert "13900001111" not in waiting.text
    stranger = _signed_in(visitor, "old1")
    refused = stranger.post(f"/offer/matches/{match_id}", {"accept": "1"})
    assert refused.status_code == 403
    assert "Only the two residents of a match can answer it" in text_of(refused)
    driver.post(f"/offer/matches/{match_id}", {"accept": "1"})
    assert "Call me on 13900001111" in text_of(needy.get("/offer"))
    assert "Room 301, knock twice" in text_of(driver.get("/offer"))
    assert street.get_one(AidMatch, match_id).status.value == "accepted"
    _no_private_data(needy.get("/offer").text, driver.get("/offer").text)


# --- rumours ------------------------------------------------------------------------------

def test_a_claim_is_grouped_rebutted_by_two_people_and_reaches_the_area_feed(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    resident = _signed_in(visitor, "jumin")
    empty = resident.post("/claims/report", {"text": ""})
    assert field_error(empty, "text") == "This field is required"
    private = resident.post("/claims/report", {"text": f"骗子电话 {PHONE} 冒充居委会"})
    assert field_error(private, "text") == "Must not contain a phone or identity number"
    assert _count(street, ClaimReport) == 0
    sent = resident.post("/claims/report", {"text": RUMOUR})
    assert sent.status_code == 303
    assert "Thank you" in text_of(resident.get(sent.headers["location"]))
    neighbour = _signed_in(visitor, "old1")
    neighbour.post("/claims/report", {"text": "听说 自来水被污染了 不能喝",
                                      "area": COMMUNITY_A1})
    [cluster_id] = street.execute(select(ClaimCluster.id)).scalars().all()
    author, second = _signed_in(visitor, "juwei"), _signed_in(visitor, "juwei2")
    queue = author.get("/claims")
    item = lxml_html.fromstring(queue.text).xpath(f'//li[@data-claim="{cluster_id}"]')[0]
    assert item.xpath('.//*[@data-count]/@data-count') == ["2"]
    assert "听说 自来水被污染了 不能喝" in item.text_content()  # the wordings, no names
    assert "jumin" not in item.text_content() and "OLD-1" not in item.text_content()
    missing = author.post(f"/claims/{cluster_id}/triage", {"verdict": "rebut",
                                                           "verdict_en": VERDICT_EN})
    assert missing.status_code == 422
    assert field_error(missing, f"verdict_zh-{cluster_id}") == \
        "Write the verdict in Chinese and English"
    nothing = author.post(f"/claims/{cluster_id}/triage", {"verdict_zh": VERDICT_ZH})
    assert field_error(nothing, f"verdict-{cluster_id}") == "Choose one of the options"
    outsider = _signed_in(visitor, "juweiB").post(f"/claims/{cluster_id}/triage", {
        "verdict": "rebut", "verdict_zh": VERDICT_ZH, "verdict_en": VERDICT_EN})
    assert outsider.status_code == 403  # not their claim: said on top of their own list
    assert lxml_html.fromstring(outsider.text).xpath('//p[@role="alert"]')
    forged = author.post(f"/claims/{cluster_id}/triage", {"verdict": "ignore"}, csrf=False)
    assert forged.status_code == 403
    assert street.get_one(ClaimCluster, cluster_id).status.value == "open"
    assert _count(street, Notice) == 0
    assert author.post(f"/claims/{cluster_id}/triage", {
        "verdict": "rebut", "verdict_zh": VERDICT_ZH, "verdict_en": VERDICT_EN}).status_code \
        == 303
    own = author.post(f"/claims/{cluster_id}/approve")
    assert own.status_code == 403
    error = lxml_html.fromstring(own.text).xpath(f'//*[@id="approve-{cluster_id}-error"]')[0]
    assert error.get("data-code") == "two_person_rule"
    assert "second person" in error.text_content()
    assert second.post(f"/claims/{cluster_id}/approve").status_code == 303
    assert author.post(f"/claims/{cluster_id}/send").status_code == 303
    notice = street.execute(select(Notice)).scalar_one()
    street.refresh(notice)
    assert notice.state is NoticeState.SENT
    # Anyone reads it on the community's page, linked from the official notices.
    passer_by = visitor(language="en")
    assert f'href="/verified/{COMMUNITY_A1}"' in passer_by.get(
        f"/area-notices/{COMMUNITY_A1}").text
    feed = passer_by.get(f"/verified/{COMMUNITY_A1}")
    claim = lxml_html.fromstring(feed.text).xpath(f'//*[@data-claim="{cluster_id}"]')[0]
    assert claim.get("data-status") == "rebutted"
    assert VERDICT_EN in claim.text_content() and RUMOUR in claim.text_content()
    assert lxml_html.fromstring(feed.text).xpath(f'//*[@data-notice="{notice.id}"]')
    assert VERDICT_ZH in text_of(visitor().get(f"/verified/{COMMUNITY_A1}"))
    assert "Rumour rebuttal" not in text_of(visitor().get(f"/verified/{COMMUNITY_B1}"))
    # A later report of the same claim gets the verdict at once.
    again = resident.post("/claims/report", {"text": "听说自来水被污染了"})
    assert VERDICT_EN in text_of(resident.get(again.headers["location"]))
    _no_private_data(feed.text, queue.text)


def test_staff_report_a_claim_phoned_in_and_must_say_where(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    committee = _signed_in(visitor, "juwei")
    nowhere = committee.post("/claims/report", {"text": RUMOUR})
    assert nowhere.status_code == 422 and field_error(nowhere, "area") == \
        "Say where the claim was heard"
    assert committee.post("/claims/report", {"text": RUMOUR, "area": COMMUNITY_A1}
                          ).status_code == 303
    outside = _signed_in(visitor, "juweiB").post("/claims/report", {"text": RUMOUR,
                                                                    "area": COMMUNITY_A1})
    assert outside.status_code == 403 and field_error(outside, "area")
    assert _count(street, ClaimReport) == 1


# --- languages ----------------------------------------------------------------------------

def _pages(db: Session, visitor: Callable[..., Visitor], language: str) -> dict[str, str]:
    committee = _signed_in(visitor, "juwei", language)
    committee.post("/mutual-aid/enrolments", {"person_code": "OLD-1", "role": "vulnerable",
                                              "consent_statement": "form"})
    committee.post("/mutual-aid/enrolments", {"person_code": "H-1", "role": "helper",
                                              "consent_statement": "form"})
    pages = {"/mutual-aid (suggestion)": committee.get("/mutual-aid").text}
    committee.post("/mutual-aid/pairs", {"vulnerable_person_code": "OLD-1",
                                         "helper_person_code": "H-1"})
    helper, needy = _signed_in(visitor, "helper1", language), _signed_in(visitor, "jumin",
                                                                         language)
    pages["/offer (pair to answer)"] = helper.get("/offer").text
    pair_id = db.execute(select(AidPair.id)).scalar_one()
    helper.post(f"/offer/pairs/{pair_id}", {"accept": "1"})
    started = committee.post("/mutual-aid/checks", {"area": COMMUNITY_A1})
    pages["/mutual-aid"] = committee.get(started.headers["location"]).text
    pages["/mutual-aid refused"] = committee.post("/mutual-aid/enrolments",
                                                  {"capacity": "x"}).text
    task_id = db.execute(select(Task.id)).scalar_one()
    task = lxml_html.fromstring(helper.get(f"/tasks/{task_id}").text)  # its title is data
    pages["the pair on its check task"] = lxml_html.tostring(
        task.xpath('//*[@id="aid-pair"]')[0], encoding="unicode")
    needy.post("/offer", {"direction": "need", "kind": "vehicle", "place": BUILDING_A1,
                          "description": "lift", "contact_note": "301"})
    helper.post("/offer", {"direction": "offer", "kind": "vehicle", "place": BUILDING_A1_2,
                           "description": "car", "contact_note": "302"})
    match_id = db.execute(select(AidMatch.id)).scalar_one()
    pages["/offer (proposed)"] = needy.get("/offer").text
    needy.post(f"/offer/matches/{match_id}", {"accept": "1"})
    pages["/offer (waiting)"] = needy.get("/offer").text
    helper.post(f"/offer/matches/{match_id}", {"accept": "1"})
    pages["/offer (accepted)"] = needy.get("/offer").text
    pages["/offer refused"] = needy.post("/offer", {"kind": "x"}).text
    needy.post("/claims/report", {"text": "rumour one two"})
    pages["/claims/report"] = needy.get("/claims/report").text
    pages["/claims/report refused"] = needy.post("/claims/report", {"text": ""}).text
    cluster_id = db.execute(select(ClaimCluster.id)).scalar_one()
    pages["/claims"] = committee.get("/claims").text
    pages["/claims refused"] = committee.post(f"/claims/{cluster_id}/triage",
                                              {"verdict": "rebut"}).text
    committee.post(f"/claims/{cluster_id}/triage", {"verdict": "rebut", "verdict_zh": "假的",
                                                    "verdict_en": "false"})
    pages["/claims two-person refusal"] = committee.post(f"/claims/{cluster_id}/approve").text
    anonymous = visitor(language=language)
    pages["/verified"] = anonymous.get("/verified").text
    pages["/verified/A1"] = anonymous.get(f"/verified/{COMMUNITY_A1}").text
    pages["/"] = anonymous.get("/").text
    return pages


def _texts(page: str) -> list[str]:
    """Visible texts, leaving out what people typed (claims, notes) and other-language
    fields."""
    tree = lxml_html.fromstring(page)
    for bad in tree.xpath("//script|//style|//textarea|//*[@lang and not(self::html)]"
                          "|//*[contains(@class, 'user-text')]"):
        bad.getparent().remove(bad)
    texts = [t.strip() for t in tree.itertext() if t.strip()]
    texts += [str(v).strip() for v in tree.xpath("//@aria-label|//@title|//@placeholder")]
    return texts


def test_no_english_string_is_left_on_a_chinese_page(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    english = {msgid for msgid, text in _catalogue("zh_CN").items()
               if text != msgid and "{" not in msgid and CJK.search(text)}
    for path, page in _pages(street, visitor, "zh_CN").items():
        left = [t for t in _texts(page) if t in english or (
            t.isascii() and any(c.isalpha() for c in t) and " " in t)]
        assert not left, (path, left)


def test_an_english_page_holds_no_chinese(
        street: Session, visitor: Callable[..., Visitor]) -> None:
    for path, page in _pages(street, visitor, "en").items():
        chinese = [t for t in _texts(page) if CJK.search(t) and t != "中文"]
        assert not chinese, (path, chinese[:5])
