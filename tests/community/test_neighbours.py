"""Opting in to mutual aid (consent, who may do it) and pairing with able neighbours."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.community import neighbours
from communitas.community.models import AidPair, AidRole, PairStatus
from communitas.community.schemas import EnrolmentCreate, PairCreate
from communitas.errors import Conflict, PermissionDenied, ValidationFailed
from communitas.events import Event
from tests.community.helpers import CLOCK, active_pair, build_world, counts, enrol


def test_a_resident_opts_in_themself_and_staff_record_consent_for_others(db: Session) -> None:
    who = build_world(db)
    own = enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE, shared_note="lives alone")
    assert (own.consent_basis, own.consent_by) == ("self", "user:old1")
    for_them = enrol(db, who["gw"], "OLD-2", AidRole.VULNERABLE)
    assert (for_them.consent_basis, for_them.consent_statement) == ("on_behalf", "home visit")
    actions = db.execute(select(Event.action).where(Event.action == "aid.enrolled")).all()
    assert len(actions) == 2


def test_staff_must_say_how_consent_was_given(db: Session) -> None:
    who = build_world(db)
    before = counts(db)
    with pytest.raises(ValidationFailed) as refused:
        neighbours.enrol(db, principal=who["juwei"], clock=CLOCK, data=EnrolmentCreate(
            person_code="OLD-1", role=AidRole.VULNERABLE))
    assert refused.value.code == "consent_statement_required"
    assert counts(db) == before


@pytest.mark.parametrize("actor", ["juwei_b", "helper1", "auditor"])
def test_nobody_else_may_opt_a_resident_in(db: Session, actor: str) -> None:
    who = build_world(db)
    before = counts(db)
    with pytest.raises(PermissionDenied):
        enrol(db, who[actor], "OLD-1", AidRole.VULNERABLE, consent_statement="said yes")
    assert counts(db) == before


def test_only_residents_in_buildings_take_part_and_only_once(db: Session) -> None:
    who = build_world(db)
    with pytest.raises(ValidationFailed) as refused:
        enrol(db, who["juwei"], "GW-1", AidRole.HELPER)  # lives nowhere: a community worker
    assert refused.value.code == "not_eligible"
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    with pytest.raises(Conflict):
        enrol(db, who["helper1"], "H-1", AidRole.HELPER)


def test_suggestions_pair_same_building_first_within_capacity(db: Session) -> None:
    who = build_world(db)
    for code in ("OLD-1", "OLD-2", "OLD-B"):
        enrol(db, who["district"], code, AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER, capacity=1)
    enrol(db, who["helper2"], "H-2", AidRole.HELPER, capacity=1)
    enrol(db, who["district"], "H-B", AidRole.HELPER)
    got = neighbours.suggest(db, principal=who["juwei"], area_code="310115001001")
    assert {(s.vulnerable.person_code, s.helper.person_code, s.basis) for s in got} == {
        ("OLD-1", "H-1", "building"), ("OLD-2", "H-2", "building")}
    city = neighbours.suggest(db, principal=who["district"], area_code="310115")
    assert ("OLD-B", "H-B") in {(s.vulnerable.person_code, s.helper.person_code)
                                for s in city}


def test_a_full_building_falls_back_to_the_grid_and_capacity_holds(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["old2"], "OLD-2", AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER, capacity=2)  # building B001 only
    got = neighbours.suggest(db, principal=who["juwei"], area_code="310115001001-G01")
    assert {(s.vulnerable.person_code, s.basis) for s in got} == {
        ("OLD-1", "building"), ("OLD-2", "grid")}
    active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    active_pair(db, who["juwei"], who["helper1"], "OLD-2", "H-1")
    enrol(db, who["district"], "OLD-B", AidRole.VULNERABLE)  # another community
    assert neighbours.suggest(db, principal=who["juwei"], area_code="310115001001") == []


def test_pairs_need_staff_then_the_helpers_consent(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    with pytest.raises(PermissionDenied):  # a resident cannot pair themselves
        neighbours.confirm_pair(db, principal=who["helper1"], data=PairCreate(
            vulnerable_person_code="OLD-1", helper_person_code="H-1"))
    pair = neighbours.confirm_pair(db, principal=who["juwei"], clock=CLOCK, data=PairCreate(
        vulnerable_person_code="OLD-1", helper_person_code="H-1"))
    assert pair.status is PairStatus.AWAITING_HELPER
    with pytest.raises(PermissionDenied):  # only the helper (or staff) answers
        neighbours.answer_pair(db, principal=who["old1"], pair_id=pair.id, accept=True)
    neighbours.answer_pair(db, principal=who["helper1"], pair_id=pair.id, accept=False)
    assert pair.status is PairStatus.DECLINED
    again = neighbours.confirm_pair(db, principal=who["juwei"], data=PairCreate(
        vulnerable_person_code="OLD-1", helper_person_code="H-1"))
    neighbours.answer_pair(db, principal=who["helper1"], pair_id=again.id, accept=True)
    assert again.status is PairStatus.ACTIVE
    with pytest.raises(Conflict) as twice:
        neighbours.confirm_pair(db, principal=who["juwei"], data=PairCreate(
            vulnerable_person_code="OLD-1", helper_person_code="H-1"))
    assert twice.value.code == "already_paired"


def test_pairs_are_between_neighbours_and_enrolled_people_only(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["district"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["district"], "H-B", AidRole.HELPER)
    with pytest.raises(ValidationFailed) as far:
        neighbours.confirm_pair(db, principal=who["district"], data=PairCreate(
            vulnerable_person_code="OLD-1", helper_person_code="H-B"))
    assert far.value.code == "not_neighbours"
    with pytest.raises(ValidationFailed) as not_enrolled:
        neighbours.confirm_pair(db, principal=who["district"], data=PairCreate(
            vulnerable_person_code="OLD-1", helper_person_code="H-1"))
    assert not_enrolled.value.code == "not_enrolled"


def test_a_full_helper_is_refused_and_withdrawal_ends_pairs(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["old2"], "OLD-2", AidRole.VULNERABLE)
    helper = enrol(db, who["helper1"], "H-1", AidRole.HELPER, capacity=1)
    pair = active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    with pytest.raises(Conflict) as full:
        neighbours.confirm_pair(db, principal=who["juwei"], data=PairCreate(
            vulnerable_person_code="OLD-2", helper_person_code="H-1"))
    assert full.value.code == "helper_full"
    neighbours.withdraw(db, principal=who["helper1"], enrolment_id=helper.id, clock=CLOCK)
    assert db.get(AidPair, pair.id).status is PairStatus.ENDED  # type: ignore[union-attr]


def test_a_partner_or_staff_may_end_a_pair_and_others_may_not(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    pair = active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    for outsider in ("helper2", "juwei_b"):
        with pytest.raises(PermissionDenied):
            neighbours.end_pair(db, principal=who[outsider], pair_id=pair.id)
    neighbours.end_pair(db, principal=who["old1"], pair_id=pair.id, clock=CLOCK)
    assert pair.status is PairStatus.ENDED
    with pytest.raises(Conflict):
        neighbours.end_pair(db, principal=who["juwei"], pair_id=pair.id)
