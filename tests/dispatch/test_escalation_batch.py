"""Escalating every overdue request at once appends what escalating them one by one does."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.dispatch import intake, triage
from communitas.dispatch.models import Notification, ResourceRequest
from communitas.dispatch.schemas import RequestCreate
from communitas.dispatch.service import DispatchPolicy
from communitas.dispatch.standing_memo import StandingMemo
from communitas.events import Event
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    body,
    build_dispatch_world,
)
from tests.resources.helpers import COMMITTEE_B1, stock

POLICY = DispatchPolicy()


def _state(db: Session, since: int) -> tuple[object, ...]:
    db.flush()
    db.expire_all()
    return (
        db.execute(select(ResourceRequest.reference, ResourceRequest.queue_level,
                          ResourceRequest.queue_area_id, ResourceRequest.sla_due_at)
                   .order_by(ResourceRequest.id)).all(),
        db.execute(select(Notification.recipient_role, Notification.request_id,
                          Notification.payload).order_by(Notification.id)).all(),
        db.execute(select(Event.action, Event.subject_id, Event.area_code, Event.payload,
                          Event.hash).where(Event.seq > since).order_by(Event.seq)).all())


def test_escalating_overdue_requests_in_one_batch_equals_one_by_one(db: Session) -> None:
    build_dispatch_world(db)
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)  # routed to the community
    stock(db, "water.bottled", COMMITTEE_B1, BUILDING_B1, 50)
    for i, (area, priority) in enumerate([(BUILDING_A1, 2), (BUILDING_B1, 1),
                                          (BUILDING_A1, 1)]):
        intake.submit_request(db, principal=None, client=f"c{i}", policy=POLICY,
                              data=RequestCreate.model_validate(
                                  body("water.bottled", 2, area=area, priority=priority)))
    db.flush()
    latest = db.execute(select(func.max(ResourceRequest.sla_due_at))).scalar_one()
    late = FixedClock(latest + timedelta(minutes=1))
    since = db.execute(select(func.max(Event.seq))).scalar_one()

    nested = db.begin_nested()
    overdue = db.execute(select(ResourceRequest).where(
        ResourceRequest.sla_due_at <= late.now()).order_by(
        ResourceRequest.priority, ResourceRequest.sla_due_at, ResourceRequest.id)).scalars().all()
    for request in overdue:  # the single path: one event appended per request
        triage._escalate(db, request, actor=SYSTEM.actor, by="system", reason="sla",
                         clock=late, policy=POLICY)
    one_by_one = _state(db, since)
    nested.rollback()

    escalated = triage.escalate_overdue(db, clock=late, policy=POLICY)
    assert escalated == [r.reference for r in overdue] and len(escalated) == 3
    batch = _state(db, since)
    assert batch == one_by_one
    assert [action for action, *_rest in batch[2]] == ["request.escalated"] * 3


def test_escalating_with_a_standing_memo_equals_a_fresh_memo(db: Session) -> None:
    """The scheduler keeps one memo between runs; stock that moved since its last look is
    read again, so the queues and events are those a fresh memo gives."""
    build_dispatch_world(db)
    stock(db, "water.bottled", COMMITTEE_B1, BUILDING_B1, 1)
    for i, area in enumerate([BUILDING_A1, BUILDING_B1]):
        intake.submit_request(db, principal=None, client=f"c{i}", policy=POLICY,
                              data=RequestCreate.model_validate(
                                  body("water.bottled", 2, area=area, priority=2)))
    db.flush()
    latest = db.execute(select(func.max(ResourceRequest.sla_due_at))).scalar_one()
    late = FixedClock(latest + timedelta(minutes=1))
    standing = StandingMemo()
    warm = db.execute(select(ResourceRequest)).scalars().all()
    standing.current(db).prepare(db, warm, late.now().date())  # little stock yet
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 50)  # then stock arrives
    since = db.execute(select(func.max(Event.seq))).scalar_one()

    nested = db.begin_nested()
    triage.escalate_overdue(db, clock=late, policy=POLICY)
    fresh = _state(db, since)
    nested.rollback()

    assert triage.escalate_overdue(db, clock=late, policy=POLICY, memo=standing.current)
    assert _state(db, since) == fresh
