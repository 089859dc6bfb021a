"""Accepting a whole plan, delivering many shipments or taking many confirmations in one
batch gives what the one-by-one calls give: the same commitments, stock, counters, statuses
and events (hash for hash), refusals included."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.db import IN_CHUNK
from communitas.dispatch import dedupe, fulfilment, intake, request_rows, service, suggestion
from communitas.dispatch.batch_fulfilment import (
    PlannedCommit,
    accept_plan,
    confirm_many,
    deliver_many,
    locked_requests,
)
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.dispatch.schemas import CommitIn, RequestCreate, ShipmentStep
from communitas.dispatch.service import DispatchPolicy, requester_token
from communitas.dispatch.triage_batch import verify_and_approve
from communitas.errors import CommunitasError
from communitas.events import Event
from communitas.resources import service as resources
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
from tests.sequences import sequences_rewound

WATER = "water.bottled"
CLOCK = FixedClock(datetime(2026, 6, 1, 8, 0, tzinfo=UTC))


def _approved(db: Session, quantities: list[tuple[str, int]]) -> list[str]:
    refs = [intake.submit_request(db, principal=None, client=f"c{i}", clock=CLOCK,
                                  data=RequestCreate.model_validate(body(WATER, q, area=area))
                                  ).row.reference
            for i, (area, q) in enumerate(quantities)]
    verify_and_approve(db, principal=SYSTEM, references=refs, clock=CLOCK)
    db.flush()
    return refs


def _plan(db: Session) -> list[PlannedCommit]:
    plan = suggestion.suggest_plan(db, principal=SYSTEM, within=DISTRICT, clock=CLOCK)
    return [PlannedCommit(line.reference, line.line_id, s.holding_id, s.quantity)
            for line in plan.lines for s in line.shipments]


def _one_by_one(db: Session, commits: list[PlannedCommit]) -> dict[str, str]:
    """accept_suggestion per request, then ship_shipment per new shipment (the live path)."""
    refused: dict[str, str] = {}
    for reference in dict.fromkeys(c.reference for c in commits):
        mine = [c for c in commits if c.reference == reference]
        before = db.execute(select(func.max(Shipment.id))).scalar() or 0
        try:
            suggestion.accept_suggestion(db, principal=SYSTEM, reference=reference, clock=CLOCK,
                                         shipments=[CommitIn(line_id=c.line_id,
                                                             holding_id=c.holding_id,
                                                             quantity=c.quantity)
                                                    for c in mine])
        except CommunitasError as exc:
            refused[reference] = exc.code
            continue
        for shipment_id in db.execute(select(Shipment.id).where(Shipment.id > before)
                                      .order_by(Shipment.id)).scalars().all():
            fulfilment.ship_shipment(db, principal=SYSTEM, reference=reference, clock=CLOCK,
                                     step=ShipmentStep(shipment_id=shipment_id))
    return refused


def _batch(db: Session, commits: list[PlannedCommit]) -> dict[str, str]:
    return accept_plan(db, principal=SYSTEM, commits=commits, ship=True, clock=CLOCK).refused


def _state(db: Session, since: int) -> dict[str, Any]:
    db.flush()
    db.expire_all()
    return {
        "requests": db.execute(select(ResourceRequest.reference, ResourceRequest.status,
                                      ResourceRequest.sla_due_at)
                               .order_by(ResourceRequest.id)).all(),
        "lines": db.execute(select(RequestLine.id, RequestLine.committed)
                            .order_by(RequestLine.id)).all(),
        "holdings": db.execute(select(Holding.id, Holding.quantity)
                               .order_by(Holding.id)).all(),
        "shipments": db.execute(select(Shipment.id, Shipment.line_id, Shipment.holding_id,
                                       Shipment.quantity, Shipment.shipped)
                                .order_by(Shipment.id)).all(),
        "events": db.execute(select(Event.seq, Event.action, Event.subject_id, Event.area_code,
                                    Event.payload, Event.hash).where(Event.seq > since)
                             .order_by(Event.seq)).all(),
    }


def _without_shipment_ids(state: dict[str, Any]) -> dict[str, Any]:
    """The state with shipment ids (and the event hashes over them) left out."""
    def payload(text: str) -> dict[str, Any]:
        return {k: v for k, v in json.loads(text).items() if k != "shipment_id"}

    return {**state,
            "shipments": [tuple(row[1:]) for row in state["shipments"]],
            "events": [(seq, action, subject, area, payload(data))
                       for seq, action, subject, area, data, _hash in state["events"]]}


def _both(db: Session, commits: list[PlannedCommit]
          ) -> tuple[tuple[dict[str, str], dict[str, Any]], tuple[dict[str, str], dict[str, Any]]]:
    since = db.execute(select(func.max(Event.seq))).scalar_one()
    outcomes = []
    path: Callable[[Session, list[PlannedCommit]], dict[str, str]]
    for path in (_one_by_one, _batch):
        with sequences_rewound(db):
            nested = db.begin_nested()
            refused = path(db, commits)
            outcomes.append((refused, _state(db, since)))
            nested.rollback()
    return outcomes[0], outcomes[1]


def test_a_batch_acceptance_equals_acceptance_request_by_request(db: Session) -> None:
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 7)
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 9)
    _approved(db, [(BUILDING_A1, 5), (BUILDING_A1, 4), (BUILDING_B1, 6), (BUILDING_B1, 3)])
    commits = _plan(db)
    assert len({c.reference for c in commits}) >= 3
    (refused_one, one), (refused_batch, batch) = _both(db, commits)
    assert refused_one == refused_batch == {}
    assert one == batch
    assert {action for _s, action, *_rest in batch["events"]} == {
        "holding.adjusted", "request.committed", "request.shipped"}
    assert all(shipped == quantity for *_ids, quantity, shipped in batch["shipments"])


def test_a_stale_request_is_refused_alone_as_one_by_one(db: Session) -> None:
    build_dispatch_world(db)
    holding = stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 10)
    first, second, third = _approved(db, [(BUILDING_A1, 4), (BUILDING_A1, 3),
                                          (BUILDING_A1, 3)])
    commits = _plan(db)
    # Stock moves after the plan was made: only 7 of the 10 units are left.
    resources.adjust_holding(db, principal=SYSTEM, holding_id=holding.id, delta=-3,
                             reason="spoilt", clock=CLOCK)
    # A line named twice would commit past its quantity: refused whole, as one by one.
    extra = next(c for c in commits if c.reference == first)
    (refused_one, one), (refused_batch, batch) = _both(db, [*commits, extra])
    assert refused_one == {first: "suggestion_stale"}
    assert refused_batch == refused_one
    if db.get_bind().dialect.name == "postgresql":
        # One by one, the refused request inserted a shipment before its savepoint rolled
        # back; PostgreSQL's sequence keeps that id spent, so later ids differ by one.
        assert _without_shipment_ids(one) == _without_shipment_ids(batch)
    else:
        assert one == batch
    left = next(q for i, q in batch["holdings"] if i == holding.id)
    assert left == 1  # second and third took 6 of the 7; stock never went below zero
    assert {s[1] for s in batch["shipments"]} == {
        line_id for c in commits if c.reference in (second, third) for line_id in [c.line_id]}


# --- deliveries and confirmations -------------------------------------------------------------

def _in_transit(db: Session) -> tuple[list[str], dict[str, list[int]]]:
    """Four approved requests whose plan was accepted and shipped: references, and each
    reference's shipment ids."""
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 7)
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 9)
    refs = _approved(db, [(BUILDING_A1, 5), (BUILDING_A1, 4), (BUILDING_B1, 6),
                          (BUILDING_B1, 3)])
    outcome = accept_plan(db, principal=SYSTEM, commits=_plan(db), ship=True, clock=CLOCK)
    assert outcome.refused == {}
    db.flush()
    shipments: dict[str, list[int]] = {ref: [] for ref in refs}
    for shipment in sorted(outcome.shipments, key=lambda s: s.id):
        reference = db.get_one(ResourceRequest, shipment.request_id).reference
        shipments[reference].append(shipment.id)
    return refs, shipments


def _flow_state(db: Session, since: int) -> dict[str, Any]:
    db.flush()
    db.expire_all()
    return {
        "requests": db.execute(select(ResourceRequest.reference, ResourceRequest.status,
                                      ResourceRequest.sla_due_at, ResourceRequest.updated_at)
                               .order_by(ResourceRequest.id)).all(),
        "shipments": db.execute(select(Shipment.id, Shipment.quantity, Shipment.shipped,
                                       Shipment.delivered, Shipment.updated_at)
                                .order_by(Shipment.id)).all(),
        "events": db.execute(select(Event.seq, Event.at, Event.actor, Event.action,
                                    Event.subject_id, Event.area_code, Event.payload,
                                    Event.hash).where(Event.seq > since)
                             .order_by(Event.seq)).all(),
    }


def _each(db: Session, items: list[Any], call: Callable[[Any], object]) -> dict[int, str]:
    """The single path for each item, each in its own savepoint; refusals by position."""
    refused: dict[int, str] = {}
    for position, item in enumerate(items):
        nested = db.begin_nested()
        try:
            call(item)
        except CommunitasError as exc:
            nested.rollback()
            refused[position] = exc.code
        else:
            nested.commit()
    return refused


_Outcome = tuple[dict[int, str], dict[str, Any]]  # refusals by position, the state left


def _compare(db: Session, one_by_one: Callable[[], dict[int, str]],
             batch: Callable[[], dict[int, str]]) -> tuple[_Outcome, _Outcome]:
    since = db.execute(select(func.max(Event.seq))).scalar_one()
    outcomes = []
    for path in (one_by_one, batch):
        with sequences_rewound(db):
            nested = db.begin_nested()
            refused = path()
            outcomes.append((refused, _flow_state(db, since)))
            nested.rollback()
    return outcomes[0], outcomes[1]


def test_a_batch_of_deliveries_equals_deliveries_one_by_one(db: Session) -> None:
    refs, shipments = _in_transit(db)
    first, second, third, fourth = refs
    a, b = shipments[first][0], shipments[third][0]
    steps = [
        (first, ShipmentStep(shipment_id=a, quantity=2, reason="part")),  # partial
        (third, ShipmentStep(shipment_id=b)),
        (first, ShipmentStep(shipment_id=a)),  # the rest of it
        (first, ShipmentStep(shipment_id=a)),  # already delivered: the request is done
        (second, ShipmentStep(shipment_id=b)),  # another request's shipment
        ("R-NOPE", ShipmentStep(shipment_id=a)),
        (second, ShipmentStep(shipment_id=shipments[second][0], quantity=99)),  # too many
        *[(ref, ShipmentStep(shipment_id=s)) for ref in (second, fourth)
          for s in shipments[ref]],
        *[(ref, ShipmentStep(shipment_id=s)) for ref in (first, third)
          for s in shipments[ref][1:]],
    ]

    def one_by_one() -> dict[int, str]:
        return _each(db, steps, lambda item: fulfilment.deliver_shipment(
            db, principal=SYSTEM, reference=item[0], step=item[1], clock=CLOCK))

    def batch() -> dict[int, str]:
        return deliver_many(db, principal=SYSTEM, steps=steps, clock=CLOCK).refused

    (refused_one, one), (refused_batch, batched) = _compare(db, one_by_one, batch)
    assert refused_one == {3: "illegal_transition", 4: "unknown_shipment",
                           5: "unknown_request", 6: "quantity_unavailable"}
    assert refused_batch == refused_one
    assert one == batched
    assert {status for _ref, status, *_rest in batched["requests"]} == {
        RequestStatus.DELIVERED}
    assert [e[3] for e in batched["events"]] == ["request.delivered"] * (len(steps) - 4)


def test_a_batch_of_confirmations_equals_confirmations_one_by_one(db: Session) -> None:
    refs, shipments = _in_transit(db)
    first, second, third, fourth = refs
    # A duplicate merged into the first: its own token confirms the survivor.
    duplicate = intake.submit_request(db, principal=None, client="dup", clock=CLOCK,
                                      data=RequestCreate.model_validate(
                                          body(WATER, 5, area=BUILDING_A1))).row.reference
    dedupe.merge_duplicate(db, principal=SYSTEM, reference=duplicate, into=first, clock=CLOCK)
    deliver_many(db, principal=SYSTEM, clock=CLOCK, steps=[
        (ref, ShipmentStep(shipment_id=s)) for ref in (first, second, third)
        for s in shipments[ref]])
    policy = DispatchPolicy()
    items: list[tuple[str, str | None]] = [
        (duplicate, requester_token(policy, duplicate)),
        (second, requester_token(policy, first)),  # another request's token
        (second, None),
        (third, requester_token(policy, third)),
        (third, requester_token(policy, third)),  # confirmed already
        (fourth, requester_token(policy, fourth)),  # still in transit
        ("R-NOPE", "x"),
        (second, requester_token(policy, second)),
    ]

    def one_by_one() -> dict[int, str]:
        return _each(db, items, lambda item: fulfilment.confirm_request(
            db, principal=None, reference=item[0], token=item[1], clock=CLOCK))

    def batch() -> dict[int, str]:
        return confirm_many(db, items=items, clock=CLOCK).refused

    (refused_one, one), (refused_batch, batched) = _compare(db, one_by_one, batch)
    assert refused_one == {1: "not_requester", 2: "not_requester", 4: "illegal_transition",
                           5: "illegal_transition", 6: "unknown_request"}
    assert refused_batch == refused_one
    assert one == batched
    statuses = {ref: status for ref, status, *_rest in batched["requests"]}
    assert [statuses[r] for r in refs] == [RequestStatus.CONFIRMED] * 3 + [
        RequestStatus.IN_TRANSIT]
    confirmed = [(actor, json.loads(payload)) for _s, _at, actor, action, _id, _area, payload,
                 _h in batched["events"] if action == "request.confirmed"]
    assert [actor for actor, _p in confirmed] == [
        f"requester:{first}", f"requester:{third}", f"requester:{second}"]
    # 7 units at A1 for 5 + 4 asked, 9 at B1 for 6 + 3: two requests confirm a shortfall.
    assert [p for _a, p in confirmed] == [
        {"by": "requester", "status": "confirmed", "unmet": unmet}
        for unmet in ({"1": 1}, {}, {"1": 1})]


# --- requests read as row copies --------------------------------------------------------------

@pytest.mark.parametrize("chunk", [IN_CHUNK, 2])
def test_request_copies_hold_what_the_orm_objects_hold(db: Session, chunk: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    refs, shipments = _in_transit(db)
    two_lines = intake.submit_request(db, principal=None, client="two", clock=CLOCK,
                                      data=RequestCreate.model_validate({
                                          "area_code": BUILDING_B1, "lines": [
                                              {"resource_type_code": WATER, "quantity": 2},
                                              {"resource_type_code": "food.rice",
                                               "quantity": 3}]})).row.reference
    duplicate = intake.submit_request(db, principal=None, client="dup", clock=CLOCK,
                                      data=RequestCreate.model_validate(
                                          body(WATER, 5, area=BUILDING_A1))).row.reference
    dedupe.merge_duplicate(db, principal=SYSTEM, reference=duplicate, into=refs[0], clock=CLOCK)
    fulfilment.deliver_shipment(db, principal=SYSTEM, reference=refs[0], clock=CLOCK,
                                step=ShipmentStep(shipment_id=shipments[refs[0]][0], quantity=1))
    named = [duplicate, *refs, two_lines, "R-NOPE", refs[0]]
    # Two references a chunk: the references are resolved first and read in id order.
    monkeypatch.setattr(request_rows, "IN_CHUNK", chunk)
    found = request_rows.locked_request_rows(db, named)
    held = locked_requests(db, named)
    assert set(found.requests) == set(held) == set(named) - {"R-NOPE"}
    assert found.requests[duplicate] is found.requests[refs[0]]
    for reference, request in held.items():
        copy = found.requests[reference]
        assert {k: getattr(copy, k) for k in copy.keys} == {
            k: getattr(request, k) for k in copy.keys}
        assert [({k: getattr(ln, k) for k in ln.keys}, ln.resource_type.code)
                for ln in copy.lines] == [({k: getattr(ln, k) for k in copy.lines[0].keys},
                                           ln.resource_type.code) for ln in request.lines]
        assert (copy.area_code, copy.queue_path) == (
            db.get_one(Area, request.area_id).code, db.get_one(Area, request.queue_area_id).path)
        assert {ln.id: found.moved[ln.id] for ln in copy.lines} == {
            line_id: [p.shipped, p.delivered]
            for line_id, p in service.progress(db, request).items()}
    assert len(found.requests[two_lines].lines) == 2
    assert sum(found.moved[ln.id][1] for ln in found.requests[refs[0]].lines) == 1


def test_the_objects_a_session_holds_read_what_the_batches_wrote(db: Session) -> None:
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 7)
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 9)
    refs = _approved(db, [(BUILDING_A1, 5), (BUILDING_B1, 6)])
    held = [service.get_request(db, reference=ref) for ref in refs]
    lines = [request.lines[0] for request in held]
    assert [line.committed for line in lines] == [0, 0]
    outcome = accept_plan(db, principal=SYSTEM, commits=_plan(db), ship=True, clock=CLOCK)
    assert outcome.refused == {}
    written = db.execute(select(Shipment.id, Shipment.request_id, Shipment.line_id,
                                Shipment.holding_id, Shipment.quantity, Shipment.shipped)
                         .order_by(Shipment.id)).all()
    assert [(s.id, s.request_id, s.line_id, s.holding_id, s.quantity, s.shipped)
            for s in outcome.shipments] == [tuple(row) for row in written]
    assert [line.committed for line in lines] == [5, 6]
    assert [request.status for request in held] == [RequestStatus.IN_TRANSIT] * 2
    shipment = db.get_one(Shipment, outcome.shipments[0].id)
    delivered = deliver_many(db, principal=SYSTEM, clock=CLOCK, steps=[
        (refs[0], ShipmentStep(shipment_id=s.id)) for s in outcome.shipments
        if s.request_id == held[0].id])
    assert shipment.delivered == shipment.shipped == delivered.shipments[0].delivered
    assert held[0].status is RequestStatus.DELIVERED
    confirm_many(db, clock=CLOCK, items=[(refs[0], requester_token(DispatchPolicy(), refs[0]))])
    assert held[0].status is RequestStatus.CONFIRMED
