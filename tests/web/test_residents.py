"""Residents' pages: the public form, following a request, confirming and rating."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from tests.dispatch.helpers import BUILDING_A1, counts
from tests.factories import COMMUNITY_A1
from tests.web.helpers import Visitor, field_error, text_of


def _ask(person: Visitor, **fields: Any) -> Any:
    form = {"community": COMMUNITY_A1, "type_1": "water.bottled", "quantity_1": "6",
            "priority": "3", "key": "", **fields}
    return person.post("/help", form)


def test_a_resident_asks_for_water_and_follows_the_reference(
        visitor: Callable[..., Visitor], world: Session) -> None:
    resident = visitor()
    form = resident.get("/help")
    assert form.status_code == 200
    assert "我要求助" in text_of(form)
    sent = _ask(resident, place=BUILDING_A1, phone="13912345678")
    assert sent.status_code == 303
    reference = sent.headers["location"].split("/")[2].split("?")[0]
    receipt = resident.get(sent.headers["location"])
    assert reference in text_of(receipt)
    assert "已受理，待核实" in text_of(receipt)
    # Anyone with the reference sees the status, never the phone.
    stranger = visitor().get(f"/track/{reference}")
    assert stranger.status_code == 200
    assert "13912345678" not in stranger.text
    assert "已受理，待核实" in text_of(stranger)


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(
        visitor: Callable[..., Visitor], world: Session) -> None:
    before = counts(world)
    resident = visitor(language="en")
    refused = _ask(resident, community="", quantity_1="0", phone="call me")
    assert refused.status_code == 422
    assert field_error(refused, "community") == "Choose your community"
    assert field_error(refused, "quantity_1") == "Must be at least 1"
    assert field_error(refused, "phone")
    # What was typed stays in the form.
    assert 'value="call me"' in refused.text
    unknown_place = _ask(resident, place="310115001001-G09-B999")
    assert unknown_place.status_code == 404
    assert field_error(unknown_place, "place")
    assert counts(world) == before


def test_a_form_without_its_csrf_token_is_refused(visitor: Callable[..., Visitor],
                                                  world: Session) -> None:
    before = counts(world)
    resident = visitor()
    resident.csrf()
    refused = resident.post("/help", {"community": COMMUNITY_A1, "type_1": "water.bottled",
                                      "quantity_1": "2"}, csrf=False)
    assert refused.status_code == 403
    forged = resident.post("/help", {"community": COMMUNITY_A1, "csrf_token": "x" * 43,
                                     "type_1": "water.bottled", "quantity_1": "2"},
                           csrf=False)
    assert forged.status_code == 403
    assert counts(world) == before


def test_following_an_unknown_reference_says_so(visitor: Callable[..., Visitor],
                                                world: Session) -> None:
    page = visitor(language="en").get("/track/R20260101-00000000")
    assert page.status_code == 404
    assert "Unknown request R20260101-00000000" in text_of(page)
    empty = visitor(language="en").get("/track?reference=")
    assert field_error(empty, "reference") == "This field is required"


def test_only_the_asking_browser_may_confirm(visitor: Callable[..., Visitor],
                                             world: Session) -> None:
    resident = visitor()
    sent = _ask(resident)
    reference = sent.headers["location"].split("/")[2].split("?")[0]
    other = visitor(language="en")
    refused = other.post(f"/track/{reference}/confirm")
    assert refused.status_code == 403
    assert "Only the requester can do this" in text_of(refused)
