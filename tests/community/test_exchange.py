"""Offers and needs between residents: matched by place and kind, accepted by both sides."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from communitas.auth.permissions import Principal
from communitas.community import exchange
from communitas.community.models import AidMatch, AidPost, MatchStatus, PostStatus
from communitas.community.schemas import PostCreate
from communitas.errors import PermissionDenied
from tests.community.helpers import CLOCK, SECRETS, build_world


def post(db: Session, who: Principal, direction: str, kind: str, **extra: Any
         ) -> tuple[AidPost, AidMatch | None]:
    data = PostCreate.model_validate({"direction": direction, "kind": kind,
                                      "description": f"{direction} {kind}", **extra})
    return exchange.create_post(db, principal=who, data=data, clock=CLOCK)


def test_a_need_is_matched_with_the_nearest_offer_of_its_kind(db: Session) -> None:
    who = build_world(db)
    grid_offer, _none = post(db, who["helper2"], "offer", "vehicle")  # building B002
    food, _none = post(db, who["helper1"], "offer", "food")
    same_building, _none = post(db, who["helper1"], "offer", "vehicle")  # building B001
    _need, match = post(db, who["old1"], "need", "vehicle")  # building B001
    assert match is not None
    assert (match.offer_id, match.basis) == (same_building.id, "building")
    _need2, second = post(db, who["old2"], "need", "vehicle")  # B002; B001's offer is busy
    assert second is not None and (second.offer_id, second.basis) == (grid_offer.id,
                                                                      "building")
    assert food.status is PostStatus.OPEN


def test_no_match_across_communities_or_kinds(db: Session) -> None:
    who = build_world(db)
    post(db, who["district"], "offer", "generator", person_code="H-B")  # community B1
    _need, match = post(db, who["old1"], "need", "generator")
    assert match is None
    _need, match = post(db, who["old1"], "need", "shelter")
    assert match is None


def test_both_accept_then_each_sees_the_others_contact_note(db: Session) -> None:
    who = build_world(db)
    post(db, who["helper1"], "offer", "first_aid", contact_note="ring flat 301",
         display_name="Lao Wang")
    _need, match = post(db, who["old1"], "need", "first_aid", contact_note="door code 12")
    assert match is not None
    [before] = exchange.my_matches(db, principal=who["old1"])
    assert before.their_contact_note is None and before.theirs.display_name == "Lao Wang"
    exchange.answer_match(db, principal=who["old1"], match_id=match.id, accept=True)
    assert match.status is MatchStatus.PROPOSED
    with pytest.raises(PermissionDenied):
        exchange.answer_match(db, principal=who["juwei"], match_id=match.id, accept=True)
    exchange.answer_match(db, principal=who["helper1"], match_id=match.id, accept=True)
    assert match.status is MatchStatus.ACCEPTED
    [mine] = exchange.my_matches(db, principal=who["old1"])
    [theirs] = exchange.my_matches(db, principal=who["helper1"])
    assert (mine.their_contact_note, theirs.their_contact_note) == ("ring flat 301",
                                                                    "door code 12")
    assert {mine.mine.status, mine.theirs.status} == {PostStatus.MATCHED}
    text = mine.model_dump_json() + theirs.model_dump_json()
    assert not any(secret in text for secret in SECRETS)


def test_a_decline_proposes_the_next_offer(db: Session) -> None:
    who = build_world(db)
    near, _m = post(db, who["helper1"], "offer", "food")
    far, _m = post(db, who["helper2"], "offer", "food")
    _need, match = post(db, who["old1"], "need", "food")
    assert match is not None and match.offer_id == near.id
    exchange.answer_match(db, principal=who["old1"], match_id=match.id, accept=False)
    [declined, proposed] = exchange.my_matches(db, principal=who["old1"])
    assert declined.status is MatchStatus.DECLINED
    assert (proposed.status, proposed.theirs.id, proposed.basis) == (
        MatchStatus.PROPOSED, far.id, "grid")


def test_posting_needs_a_person_and_refuses_phone_numbers(db: Session) -> None:
    who = build_world(db)
    with pytest.raises(PermissionDenied):
        post(db, who["juwei"], "offer", "food")  # staff, no person named
    with pytest.raises(ValueError):
        post(db, who["old1"], "need", "food", description="call 13812345678")
    with pytest.raises(PermissionDenied):  # staff of another community for a resident
        post(db, who["juwei_b"], "need", "food", person_code="OLD-1")
