"""Batch triage verifies and approves as the one-by-one actions do, skipping what it may not."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.clock import FixedClock
from communitas.dispatch import intake, triage
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.schemas import RequestCreate
from communitas.dispatch.service import get_request
from communitas.dispatch.triage_batch import verify_and_approve
from communitas.events import Event
from tests.dispatch.helpers import BUILDING_A1, BUILDING_B1, body, build_dispatch_world


def _submit(db: Session, area: str, client: str) -> str:
    data = RequestCreate.model_validate(body(area=area))
    return intake.submit_request(db, principal=None, data=data, client=client).row.reference


def _staff(db: Session, username: str) -> Principal:
    return auth.principal_for_user(db, auth.get_user(db, username=username))


def _steps(db: Session, reference: str) -> list[tuple[str, str, str]]:
    rows = db.execute(select(Event.action, Event.actor, Event.payload).where(
        Event.subject_id == reference, Event.action.in_(
            ["request.verified", "request.approved"])).order_by(Event.seq)).all()
    return [(action, actor, payload) for action, actor, payload in rows]


def test_batch_triage_matches_the_one_by_one_actions(db: Session) -> None:
    build_dispatch_world(db)
    chief = _staff(db, "quzhang")
    alone, first, second = (_submit(db, BUILDING_A1, c) for c in ("a", "b", "c"))
    triage.verify_request(db, principal=chief, reference=alone)
    triage.approve_request(db, principal=chief, reference=alone)
    approved = verify_and_approve(db, principal=chief, references=[first, second, first])
    assert approved == [first, second]
    for reference in (first, second):
        assert get_request(db, reference=reference).status is RequestStatus.APPROVED
        assert _steps(db, reference) == _steps(db, alone)


def test_batch_triage_leaves_what_the_principal_may_not_do(db: Session) -> None:
    build_dispatch_world(db)
    here, elsewhere = _submit(db, BUILDING_A1, "a"), _submit(db, BUILDING_B1, "b")
    grid = _staff(db, "wangge")  # may verify in community A1, may not approve
    assert verify_and_approve(db, principal=grid, references=[here, elsewhere]) == []
    assert get_request(db, reference=here).status is RequestStatus.VERIFIED
    assert get_request(db, reference=elsewhere).status is RequestStatus.SUBMITTED
    assert [step[0] for step in _steps(db, here)] == ["request.verified"]


def test_batch_triage_writes_the_columns_the_one_by_one_actions_write(db: Session) -> None:
    """Status, SLA clock and update time, as verifying and approving one at a time leaves
    them, at the same drill times; a request the batch reads was held by the session."""
    build_dispatch_world(db)
    chief = _staff(db, "quzhang")
    submitted, later = FixedClock(datetime(2026, 7, 20, 8, tzinfo=UTC)), \
        FixedClock(datetime(2026, 7, 20, 11, 30, tzinfo=UTC))
    alone, batched = (intake.submit_request(
        db, principal=None, data=RequestCreate.model_validate(body(area=BUILDING_A1)),
        client=c, clock=submitted).row.reference for c in ("a", "b"))
    triage.verify_request(db, principal=chief, reference=alone, clock=later)
    triage.approve_request(db, principal=chief, reference=alone, clock=later)
    held = get_request(db, reference=batched)  # the session holds it: it must not go stale
    verify_and_approve(db, principal=chief, references=[batched], clock=later)
    one, many = get_request(db, reference=alone), get_request(db, reference=batched)
    assert held.status is RequestStatus.APPROVED
    columns = ("status", "sla_due_at", "updated_at", "queue_level", "queue_area_id")
    assert [getattr(many, c) for c in columns] == [getattr(one, c) for c in columns]
    assert many.updated_at == later.now()
