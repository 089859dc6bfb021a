"""Supervision, activations with their after-action report, and participation metrics:
what each role sees, scope refusals, forms that refuse bad input and save nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.models import Organisation
from communitas.auth.roles import Role
from communitas.modes.models import AreaMode
from communitas.supervision.models import CadreAssignment
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task
from communitas.web import charts
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, STREET_A, make_user
from tests.resources.helpers import COMMITTEE_A1
from tests.web.helpers import Visitor, field_error, text_of
from tests.web.work_helpers import cheap_hashing, new_task

CADRE = "C-1"


@pytest.fixture(autouse=True)
def _quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


def _signed_in(visitor: Callable[..., Visitor], username: str, language: str = "en"
               ) -> Visitor:
    person = visitor(language=language)
    person.sign_in(username)
    return person


def _menu(response: object) -> list[str]:
    tree = lxml_html.fromstring(response.text)  # type: ignore[attr-defined]
    return [str(a) for a in tree.xpath('//nav[@class="menu"]/a/@href')]


def _raise_street_a(commander: Visitor) -> str:
    """The district commander raises street A to level II for a flood; the switch result
    lists what it activated. Returns that page's HTML."""
    switched = commander.post("/modes", {"area": STREET_A, "level": "level_ii",
                                         "reason": "heavy rain", "hazard": "flood"})
    assert switched.status_code == 200, switched.text[:500]
    return switched.text


def _activation_links(page_html: str, block: str) -> dict[str, str]:
    tree = lxml_html.fromstring(page_html)
    return {li.get("data-area"): li.xpath(".//a/@href")[0]
            for li in tree.xpath(f'//*[@id="{block}"]/li')}


# --- activations ----------------------------------------------------------------------------

def test_a_switch_shows_what_it_activated_and_each_step_of_it(
        visitor: Callable[..., Visitor]) -> None:
    commander = _signed_in(visitor, "quzhang")
    started = _activation_links(_raise_street_a(commander), "switch-activated")
    assert COMMUNITY_A1 in started, started
    # The modes page keeps listing the latest activation of each raised area.
    modes = lxml_html.fromstring(commander.get("/modes").text)
    assert modes.xpath(f'//tr[@data-code="{COMMUNITY_A1}"]//td[@class="activated"]/a/@href') \
        == [started[COMMUNITY_A1]]
    page = commander.get(started[COMMUNITY_A1])
    assert page.status_code == 200
    text = text_of(page)
    assert "Emergency level II (orange)" in text and "Flood" in text
    tree = lxml_html.fromstring(page.text)
    steps = {row.xpath("string(td[1])"): re.sub(r"\s+", " ", row.xpath("string(td[3])"))
             for row in tree.xpath('//table[@id="steps"]/tbody/tr')}
    assert list(steps) == ["Roles assigned", "Tasks issued", "Pre-positioning requests",
                           "Alerts", "Neighbour checks"]
    assert "Sent: 1" in steps["Alerts"], steps
    assert tree.xpath('//table[@id="tasks"]//a[starts-with(@href, "/tasks/")]')
    assert tree.xpath('//ul[@id="alerts"]//a[starts-with(@href, "/notices/")]')
    assert "Sent" in tree.xpath('string(//ul[@id="alerts"])')
    # The after-action report draws its charts inline: no image fetched from anywhere.
    assert tree.xpath('//figure[@id="chart-tasks"]//svg') and tree.xpath(
        '//figure[@id="chart-timeline"]//svg')
    assert not tree.xpath("//img|//script[@src]")
    printable = commander.get(f"{started[COMMUNITY_A1]}/report.html")
    assert printable.status_code == 200 and "data:image/png;base64," in printable.text
    assert f"After-action report: activation {started[COMMUNITY_A1].split('/')[-1]}" \
        in printable.text
    # Newest first in the list, the commander's whole district.
    listed = lxml_html.fromstring(commander.get("/activations").text)
    ids = [int(i) for i in listed.xpath('//table[@id="activations"]/tbody/tr/@data-id')]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(started)
    # An area's mode history leads to the activations there.
    history = lxml_html.fromstring(commander.get(f"/modes/{COMMUNITY_A1}").text)
    [link] = history.xpath('//a[@id="area-activations"]/@href')
    here = lxml_html.fromstring(commander.get(link).text)
    assert here.xpath('//table[@id="activations"]/tbody/tr/@data-area') == [COMMUNITY_A1]


def test_activations_are_scoped_like_the_api(visitor: Callable[..., Visitor]) -> None:
    commander = _signed_in(visitor, "quzhang")
    started = _activation_links(_raise_street_a(commander), "switch-activated")
    committee_b = _signed_in(visitor, "juweiB")
    assert "/activations" in _menu(committee_b.get("/queue"))
    listed = committee_b.get("/activations")
    assert listed.status_code == 200 and "No activation yet." in text_of(listed)
    refused = committee_b.get(started[COMMUNITY_A1])
    assert refused.status_code == 403
    committee_a = _signed_in(visitor, "juwei")
    rows = lxml_html.fromstring(committee_a.get("/activations").text).xpath(
        '//table[@id="activations"]/tbody/tr/@data-area')
    assert rows == [COMMUNITY_A1]
    resident = _signed_in(visitor, "jumin")
    assert "/activations" not in _menu(resident.get("/my"))
    assert resident.get("/activations").status_code == 403
    assert commander.get("/activations/999999").status_code == 404
    assert visitor().get("/activations").headers["location"].startswith("/login")


def test_the_activation_pages_speak_chinese_by_default(visitor: Callable[..., Visitor]) -> None:
    commander = _signed_in(visitor, "quzhang", language="zh_CN")
    started = _activation_links(_raise_street_a(commander), "switch-activated")
    text = text_of(commander.get(started[COMMUNITY_A1]))
    assert "事后评估报告" in text and "此次切换启动的内容" in text
    assert "After-action report" not in text


# --- supervision ----------------------------------------------------------------------------

def _assign_form(**fields: str) -> dict[str, str]:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    return {"person_code": CADRE, "community_code": COMMUNITY_A1, "role": "grid_support",
            "starts_on": yesterday, "ends_on": "", "sending_unit_code": "",
            "street": STREET_A, **fields}


def _assignments(db: Session) -> int:
    return db.execute(select(func.count()).select_from(CadreAssignment)).scalar_one()


def test_a_street_commander_sends_a_cadre_down_and_reads_the_record(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    make_person(world, CADRE, COMMUNITY_A1, PersonKind.CADRE)
    make_person(world, "R-9", f"{COMMUNITY_A1}-B001")
    world.commit()
    street = _signed_in(visitor, "jiedao")
    overview = street.get("/supervision")
    assert overview.status_code == 200
    assert "Supervision of street 310115001000" in text_of(overview)
    assert "/supervision" in _menu(overview)
    # Bad input: each message next to its field, nothing saved.
    refused = street.post("/supervision/assignments", _assign_form(
        person_code="", role="boss", starts_on="yesterday"))
    assert refused.status_code == 422
    assert field_error(refused, "person_code") == "This field is required"
    assert field_error(refused, "role") == "Choose one of the options"
    assert field_error(refused, "starts_on")
    backwards = street.post("/supervision/assignments", _assign_form(ends_on="2020-01-01"))
    assert field_error(backwards, "ends_on") == "The period ends before it starts"
    resident = street.post("/supervision/assignments", _assign_form(person_code="R-9"))
    assert field_error(resident, "person_code") == \
        "Only cadres and party members are sent down"
    assert 'value="R-9"' in resident.text  # what was typed is kept
    assert _assignments(world) == 0
    # Sent down: the record page, then the street view lists them with their results.
    sent = street.post("/supervision/assignments", _assign_form())
    assert sent.status_code == 303, sent.text[:500]
    record = street.get(sent.headers["location"])
    assert "Sent down to Area 310115001001." in text_of(record)
    again = street.post("/supervision/assignments", _assign_form())
    assert field_error(again, "person_code") == \
        "This person is already assigned for part of that period"
    assert _assignments(world) == 1
    view = lxml_html.fromstring(street.get("/supervision").text)
    assert view.xpath(f'//table[@id="records-{COMMUNITY_A1}"]//tr[@data-person="{CADRE}"]')
    # Ending it: a reason is needed; then the assignment ends.
    path = sent.headers["location"].split("?")[0]
    no_reason = street.post(f"{path}/end", {"ends_on": "2099-01-01", "reason": ""})
    assert no_reason.status_code == 422
    assert field_error(no_reason, "reason") == "This field is required"
    ended = street.post(f"{path}/end", {"ends_on": datetime.now(UTC).date().isoformat(),
                                        "reason": "back to the office"})
    assert ended.status_code == 303
    assert "back to the office" in text_of(street.get(path))


def test_supervision_is_scoped_and_only_supervisors_assign(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    make_person(world, CADRE, COMMUNITY_A1, PersonKind.CADRE)
    world.commit()
    street = _signed_in(visitor, "jiedao")
    path = street.post("/supervision/assignments", _assign_form()).headers["location"]
    # The committee of A1 reads its own community's people, and cannot send anyone down.
    committee = _signed_in(visitor, "juwei")
    own = committee.get("/supervision")
    assert own.status_code == 200 and CADRE in text_of(own)
    assert not lxml_html.fromstring(own.text).xpath('//form[@id="assign-form"]')
    refused = committee.post("/supervision/assignments", _assign_form(
        starts_on="2030-01-01"))
    assert refused.status_code == 403
    assert _assignments(world) == 1
    assert committee.post(f"{path.split('?')[0]}/end", {
        "ends_on": "2030-01-01", "reason": "not mine to end"}).status_code == 403
    # An auditor of the district reads any street of it, and sends nobody down.
    make_user(world, "shenji", Role.AUDITOR, area_code=DISTRICT)
    world.commit()
    auditor = _signed_in(visitor, "shenji")
    audited = auditor.get(f"/supervision?street={STREET_A}")
    assert audited.status_code == 200 and CADRE in text_of(audited)
    assert not lxml_html.fromstring(audited.text).xpath('//form[@id="assign-form"]')
    # Another street's committee sees nobody and may not open the record.
    other = _signed_in(visitor, "juweiB")
    assert CADRE not in text_of(other.get("/supervision"))
    assert other.get(path).status_code == 403
    # A dispatcher holds no supervision permission.
    dispatcher = _signed_in(visitor, "diaodu")
    assert "/supervision" not in _menu(dispatcher.get("/queue"))
    assert dispatcher.get("/supervision").status_code == 403


def test_an_idle_cadre_is_flagged_in_an_emergency(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    make_person(world, CADRE, COMMUNITY_A1, PersonKind.CADRE)
    world.commit()
    street = _signed_in(visitor, "jiedao")
    path = street.post("/supervision/assignments", _assign_form()).headers["location"]
    normal = lxml_html.fromstring(street.get("/supervision").text)
    assert not normal.xpath('//tr[@class="flagged"]')  # in normal times, never a flag
    _raise_street_a(_signed_in(visitor, "quzhang"))
    # The street has been at level II for five hours, and the cadre did nothing since.
    world.execute(update(AreaMode).values(set_at=datetime.now(UTC) - timedelta(hours=5)))
    world.commit()
    view = street.get("/supervision")
    tree = lxml_html.fromstring(view.text)
    assert tree.xpath(f'//tr[@class="flagged"][@data-person="{CADRE}"]')
    assert tree.xpath('string(//*[@id="flagged-count"])').strip().startswith("1 flagged")
    assert street.get(path.split("?")[0]).text.count('id="inaction"') == 1


# --- participation metrics ------------------------------------------------------------------

def _finish(db: Session, count: int) -> None:
    """``count`` tasks of community A1 finished by its neighbourhood committee."""
    org = db.execute(select(Organisation.id).where(Organisation.code == COMMITTEE_A1)
                     ).scalar_one()
    ids = [new_task(db, f"Task {i}") for i in range(count)]
    db.execute(update(Task).where(Task.id.in_(ids)).values(
        status=TaskStatus.DONE, assignee_org_id=org, done_at=datetime.now(UTC)))
    db.commit()


def test_participation_shows_the_api_figures_and_the_overload_flag(
        world: Session, visitor: Callable[..., Visitor]) -> None:
    _finish(world, 6)
    committee = _signed_in(visitor, "juwei")
    page = committee.get("/metrics")
    assert page.status_code == 200
    token = committee.client.post("/api/auth/login", json={
        "username": "juwei", "password": "correct-horse-battery"}).json()["access_token"]
    api = committee.client.get(f"/api/metrics/participation?area={COMMUNITY_A1}",
                               headers={"Authorization": f"Bearer {token}"}).json()
    tree = lxml_html.fromstring(page.text)
    assert tree.xpath('string(//*[@id="tasks-done"])').strip() == str(api["tasks_done"]) == "6"
    per_1000 = tree.xpath('string(//*[@id="volunteers-per-1000"])').strip()
    assert per_1000 == str(api["volunteers_per_1000"] if api["volunteers_per_1000"] is not None
                           else "—")
    assert api["overloaded"] and tree.xpath('//*[@id="overloaded"]')
    assert "Neighbourhood committee" in tree.xpath('string(//figure[@id="chart-shares"])')
    # Another community is out of scope; a bad date is refused next to its field.
    assert committee.get(f"/metrics?area={COMMUNITY_B1}").status_code == 403
    bad = committee.get("/metrics?since=yesterday")
    assert bad.status_code == 422
    assert field_error(bad, "since") == "Enter a date as YYYY-MM-DD"
    backwards = committee.get("/metrics?since=2026-07-02&until=2026-07-01")
    assert field_error(backwards, "until") == "The period ends before it starts"
    # A district commander may choose any area of the district.
    district = _signed_in(visitor, "quzhang")
    assert district.get(f"/metrics?area={COMMUNITY_B1}").status_code == 200
    resident = _signed_in(visitor, "jumin")
    assert resident.get("/metrics").status_code == 403


# --- chart geometry (pure) ------------------------------------------------------------------

def test_bars_scale_to_the_largest_value_or_a_given_scale() -> None:
    drawn = charts.bars([("a", 2, "2"), ("b", 4, "4"), ("c", 0, "0")],
                        highlight={"b": "#b3261e"})
    assert [b.percent for b in drawn] == [50.0, 100.0, 0.0]
    assert drawn[1].colour == "#b3261e" and drawn[0].colour == charts.COLOUR
    assert [b.percent for b in charts.bars([("a", 0.25, "25%")], scale=1.0)] == [25.0]
    assert [b.percent for b in charts.bars([("a", 0, "0")])] == [0.0]


def test_events_per_minute_fold_long_spans_into_at_most_sixty_columns() -> None:
    start = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    columns, width = charts.per_minute([start, start + timedelta(seconds=30),
                                        start + timedelta(minutes=2)])
    assert width == 1 and [c.count for c in columns] == [2, 0, 1]
    assert columns[0].height == 100.0 and columns[2].height == 50.0
    hours, wide = charts.per_minute([start + timedelta(minutes=m) for m in range(0, 600, 7)])
    assert len(hours) <= 60 and wide == 10 and sum(c.count for c in hours) == 86
    assert charts.per_minute([]) == ([], 1)
