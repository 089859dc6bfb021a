"""Triaging a batch of submissions leaves what triaging them one at a time leaves."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.clock import FixedClock
from communitas.dispatch import intake
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.schemas import RequestCreate
from communitas.dispatch.service import DispatchPolicy
from communitas.dispatch.triage import RoutingMemo
from communitas.events import Event
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    PHONE,
    STREET_OFFICE_A,
    body,
    build_dispatch_world,
)
from tests.factories import STREET_A
from tests.resources.helpers import stock
from tests.sequences import sequences_rewound

POLICY = DispatchPolicy()
CLOCK = FixedClock(datetime(2026, 6, 1, 8, tzinfo=UTC))
WATER = "water.bottled"


def _state(db: Session, since: int) -> tuple[object, ...]:
    db.flush()
    db.expire_all()
    return (
        db.execute(select(ResourceRequest.reference, ResourceRequest.status,
                          ResourceRequest.queue_level, ResourceRequest.queue_area_id,
                          ResourceRequest.sla_due_at, ResourceRequest.merged_into_id,
                          ResourceRequest.triaged_at, ResourceRequest.updated_at)
                   .order_by(ResourceRequest.id)).all(),
        db.execute(select(Event.actor, Event.action, Event.subject_id, Event.area_code,
                          Event.payload, Event.hash).where(Event.seq > since)
                   .order_by(Event.seq)).all())


def _rows(db: Session, references: list[str]) -> list[ResourceRequest]:
    return list(db.execute(select(ResourceRequest).where(
        ResourceRequest.reference.in_(references)).order_by(ResourceRequest.id)).scalars())


def test_a_triaged_batch_equals_triage_one_at_a_time(db: Session) -> None:
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 6)  # the community meets small requests
    stock(db, WATER, STREET_OFFICE_A, STREET_A, 30)  # the street reserve meets larger ones
    bodies = [body(WATER, 4), body(WATER, 20), body(WATER, 3, area=BUILDING_B1),
              body(WATER, 2, phone=PHONE), body(WATER, 9, phone=PHONE, priority=2),
              body(WATER, 200), body("food.rice", 1)]
    references = [intake.submit_request(
        db, principal=None, client=f"c{i}", clock=CLOCK, policy=POLICY, triage=False,
        data=RequestCreate.model_validate(b)).row.reference for i, b in enumerate(bodies)]
    db.flush()
    since = db.execute(select(Event.seq).order_by(Event.seq.desc()).limit(1)).scalar_one()

    with sequences_rewound(db):
        nested = db.begin_nested()
        for row in _rows(db, references):  # the single path: a batch of one, a fresh memo
            intake.triage_requests(db, requests=[row], clock=CLOCK, policy=POLICY)
        one_by_one = _state(db, since)
        nested.rollback()

    intake.triage_requests(db, requests=_rows(db, references), clock=CLOCK, policy=POLICY,
                           memo=RoutingMemo())
    batch = _state(db, since)
    assert batch == one_by_one
    levels = {level for _ref, _st, level, *_rest in batch[0]}
    assert len(levels) >= 2  # the batch routed to more than one level
    assert "request.merged" in {action for _actor, action, *_rest in batch[1]}
