"""Staff merge a duplicate the intake did not catch (dedupe.merge_duplicate)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.dispatch import dedupe, intake, triage
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.schemas import RequestCreate
from communitas.errors import CommunitasError
from tests.dispatch.helpers import BUILDING_B1, body, build_dispatch_world, counts


def _submit(db: Session, data: dict[str, object], client: str) -> str:
    result = intake.submit_request(db, principal=None, data=RequestCreate.model_validate(data),
                                   client=client)
    return result.row.reference


def _staff(db: Session, username: str) -> Principal:
    return auth.principal_for_user(db, auth.get_user(db, username=username))


def test_a_duplicate_is_merged_into_the_request_it_repeats(db: Session) -> None:
    build_dispatch_world(db)
    first = _submit(db, body(quantity=4), "a")
    second = _submit(db, body(quantity=9, priority=2), "b")
    grid = _staff(db, "wangge")
    survivor = dedupe.merge_duplicate(db, principal=grid, reference=second, into=first)
    assert survivor.reference == first
    assert survivor.lines[0].quantity == 9 and survivor.priority == 2
    assert dedupe.get_request(db, reference=second).reference == first


@pytest.mark.parametrize(("case", "code"), [
    ("itself", "merge_into_self"), ("other items", "merge_different_items"),
    ("closed", "merge_target_closed"), ("out of scope", "out_of_scope"),
])
def test_a_merge_that_cannot_be_is_refused_and_changes_nothing(db: Session, case: str,
                                                               code: str) -> None:
    build_dispatch_world(db)
    first = _submit(db, body(quantity=4), "a")
    second = _submit(db, body("food.instant_noodles" if case == "other items" else
                              "water.bottled", 3), "b")
    grid = _staff(db, "wangge")
    if case == "closed":
        triage.reject_request(db, principal=grid, reference=first)
    if case == "out of scope":
        first = _submit(db, body(area=BUILDING_B1), "c")
    before = counts(db)
    with pytest.raises(CommunitasError) as refused:
        dedupe.merge_duplicate(db, principal=grid, reference=second,
                               into=second if case == "itself" else first)
    assert refused.value.code == code
    assert counts(db) == before
    assert dedupe.get_request(db, reference=second).status is RequestStatus.SUBMITTED
