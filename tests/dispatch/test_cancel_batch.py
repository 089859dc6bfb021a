"""Cancelling many requests at once leaves what cancelling them one by one leaves: the same
statuses, counters, stock and events (hash for hash), and the same refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.dispatch import fulfilment, intake, suggestion, triage
from communitas.dispatch.batch_fulfilment import PlannedCommit, accept_plan
from communitas.dispatch.cancel_batch import RequestCancel, cancel_requests
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.dispatch.schemas import RequestCreate, ShipmentStep
from communitas.dispatch.triage_batch import verify_and_approve
from communitas.errors import Conflict
from communitas.events import Event
from communitas.resources.models import Holding
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    body,
    build_dispatch_world,
)
from tests.factories import DISTRICT
from tests.resources.helpers import COMMITTEE_B1, stock
from tests.sequences import each_way

WATER = "water.bottled"
CLOCK = FixedClock(datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
LATER = FixedClock(datetime(2026, 6, 1, 9, 30, tzinfo=UTC))


def _submitted(db: Session, quantities: list[tuple[str, int]]) -> list[str]:
    return [intake.submit_request(db, principal=None, client=f"c{i}", clock=CLOCK,
                                  data=RequestCreate.model_validate(body(WATER, q, area=area))
                                  ).row.reference for i, (area, q) in enumerate(quantities)]


def _world(db: Session) -> list[str]:
    """Requests in every open state: shipped and partly delivered, committed and shipped,
    approved with nothing committed, and only submitted."""
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 12)
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 9)
    refs = _submitted(db, [(BUILDING_A1, 5), (BUILDING_B1, 4), (BUILDING_A1, 3),
                           (BUILDING_B1, 2)])
    verify_and_approve(db, principal=SYSTEM, references=refs[:3], clock=CLOCK)
    plan = suggestion.suggest_plan(db, principal=SYSTEM, within=DISTRICT, clock=CLOCK)
    commits = [PlannedCommit(line.reference, line.line_id, s.holding_id, s.quantity)
               for line in plan.lines for s in line.shipments if line.reference in refs[:2]]
    made = accept_plan(db, principal=SYSTEM, commits=commits, ship=True, clock=CLOCK).shipments
    first = next(s for s in made if s.request_id == _id(db, refs[0]))
    fulfilment.deliver_shipment(db, principal=SYSTEM, reference=refs[0], clock=CLOCK,
                                step=ShipmentStep(shipment_id=first.id, quantity=2))
    db.flush()
    return refs


def _id(db: Session, reference: str) -> int:
    return db.execute(select(ResourceRequest.id).where(
        ResourceRequest.reference == reference)).scalar_one()


def _state(db: Session, since: int) -> dict[str, Any]:
    db.flush()
    db.expire_all()
    return {
        "requests": db.execute(select(ResourceRequest.reference, ResourceRequest.status,
                                      ResourceRequest.sla_due_at, ResourceRequest.updated_at)
                               .order_by(ResourceRequest.id)).all(),
        "lines": db.execute(select(RequestLine.id, RequestLine.committed)
                            .order_by(RequestLine.id)).all(),
        "holdings": db.execute(select(Holding.id, Holding.quantity, Holding.updated_at)
                               .order_by(Holding.id)).all(),
        "shipments": db.execute(select(Shipment.id, Shipment.quantity, Shipment.shipped,
                                       Shipment.delivered, Shipment.returned,
                                       Shipment.updated_at).order_by(Shipment.id)).all(),
        "events": db.execute(select(Event.seq, Event.at, Event.actor, Event.action,
                                    Event.subject_id, Event.area_code, Event.payload,
                                    Event.hash).where(Event.seq > since)
                             .order_by(Event.seq)).all(),
    }


def _both_ways(db: Session, one_by_one: Callable[[], Any], batched: Callable[[], Any]
               ) -> tuple[Any, Any]:
    one, batch = each_way(db, (one_by_one, batched), _state)
    return one, batch


def test_cancelling_many_equals_cancelling_one_by_one(db: Session) -> None:
    refs = _world(db)
    order = [refs[2], refs[0], refs[3], refs[1]]

    def one_by_one() -> list[str]:
        return [triage.cancel_request(db, principal=SYSTEM, reference=ref, token=None,
                                      reason=f"stood down {i}", clock=LATER).reference
                for i, ref in enumerate(order)]

    def batched() -> list[str]:
        return [r.reference for r in cancel_requests(db, principal=SYSTEM, clock=LATER, items=[
            RequestCancel(ref, f"stood down {i}") for i, ref in enumerate(order)])]

    (done_one, one), (done_batch, batch) = _both_ways(db, one_by_one, batched)
    assert done_batch == done_one == order
    assert batch == one
    assert {status.value for _r, status, *_rest in batch["requests"]} == {"cancelled"}
    returned = [e.payload for e in batch["events"] if e.action == "holding.adjusted"]
    assert len(returned) == 2  # the two shipments' undelivered units went back
    assert {s.delivered for s in batch["shipments"]} == {0, 2}
    assert all(s.quantity == s.delivered for s in batch["shipments"])


def test_a_request_that_cannot_be_cancelled_stops_the_batch_as_it_stops_the_loop(
        db: Session) -> None:
    refs = _world(db)
    triage.cancel_request(db, principal=SYSTEM, reference=refs[3], token=None, clock=CLOCK)
    with pytest.raises(Conflict) as refused:
        cancel_requests(db, principal=SYSTEM, clock=LATER,
                        items=[RequestCancel(refs[2]), RequestCancel(refs[3])])
    assert refused.value.code == "illegal_transition"
