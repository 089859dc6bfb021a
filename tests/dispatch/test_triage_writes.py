"""Triage writes the requests' changes itself (one UPDATE per set of changed columns): the
rows and events are those the session's flush would leave, and the session is left clean.
Acceptance may leave its events to triage to append: the same events, in the same order."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from communitas.dispatch import acceptance, intake
from communitas.dispatch.acceptance import Pending
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.schemas import RequestCreate
from communitas.events import Event, EventDraft
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    PHONE,
    body,
    build_dispatch_world,
)
from tests.dispatch.test_triage_requests import CLOCK, POLICY, WATER, _rows, _state
from tests.resources.helpers import stock
from tests.sequences import sequences_rewound


def _submitted(db: Session) -> tuple[list[str], int]:
    build_dispatch_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 6)
    # The merge first: after it no query flushes, and triage writes the rest itself.
    bodies = [body(WATER, 2, phone=PHONE), body(WATER, 9, phone=PHONE, priority=2),
              body(WATER, 4), body(WATER, 20), body(WATER, 3, area=BUILDING_B1),
              body("food.rice", 1)]
    references = [intake.submit_request(
        db, principal=None, client=f"c{i}", clock=CLOCK, policy=POLICY, triage=False,
        data=RequestCreate.model_validate(b)).row.reference for i, b in enumerate(bodies)]
    db.flush()
    since = db.execute(select(Event.seq).order_by(Event.seq.desc()).limit(1)).scalar_one()
    return references, since


def test_triage_leaves_the_rows_and_events_the_flush_would(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    references, since = _submitted(db)
    with sequences_rewound(db):
        nested = db.begin_nested()
        with monkeypatch.context() as patched:  # every change left to the session's flush
            patched.setattr(intake, "_write_changes", lambda session, requests: None)
            intake.triage_requests(db, requests=_rows(db, references), clock=CLOCK,
                                   policy=POLICY)
            flushed = _state(db, since)
        nested.rollback()

    rows = _rows(db, references)
    intake.triage_requests(db, requests=rows, clock=CLOCK, policy=POLICY)
    assert not any(row in db.dirty for row in rows)  # written, and known to be
    assert _state(db, since) == flushed
    assert "request.merged" in {action for _actor, action, *_rest in flushed[1]}


def test_accepted_requests_come_with_their_lines_in_id_order(db: Session) -> None:
    references, _since = _submitted(db)
    db.expunge_all()
    ids = sorted(db.execute(select(ResourceRequest.id).where(
        ResourceRequest.reference.in_(references))).scalars(), reverse=True)
    rows = intake.accepted_requests(db, ids)
    assert [row.id for row in rows] == sorted(ids)
    assert all("lines" not in inspect(row).unloaded for row in rows)
    assert [line.resource_type.code for row in rows for line in row.lines][-1] == "food.rice"
    assert intake.accepted_requests(db, []) == []



def _accept_and_triage(db: Session, monkeypatch: pytest.MonkeyPatch, bodies: list[dict[str, Any]],
                       *, since: int, together: bool) -> tuple[object, ...]:
    numbers = itertools.count(1)  # the same references both ways
    monkeypatch.setattr(acceptance, "new_reference",
                        lambda now: f"R20260601-{next(numbers):08d}")
    items = [Pending(data=RequestCreate.model_validate(b), principal=None, client=f"c{i}")
             for i, b in enumerate(bodies)]
    events: list[EventDraft] | None = [] if together else None
    outcomes = acceptance.accept_submissions(db, items=items, now=CLOCK.now(), policy=POLICY,
                                             lookups=IntakeLookups(ttl=0), events=events)
    ids = [outcome.id for outcome in outcomes if isinstance(outcome, acceptance.Accepted)]
    intake.triage_requests(db, requests=intake.accepted_requests(db, ids), clock=CLOCK,
                           policy=POLICY, first=events or ())
    return _state(db, since)


def test_submitted_events_left_to_triage_are_those_acceptance_appends(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _references, since = _submitted(db)  # an open request with PHONE to merge into
    bodies = [body(WATER, 1), body(WATER, 5, phone=PHONE), body(WATER, 3, area=BUILDING_B1),
              body(WATER, 7, phone=PHONE), body(WATER, 2)]
    with sequences_rewound(db):
        nested = db.begin_nested()
        apart = _accept_and_triage(db, monkeypatch, bodies, since=since, together=False)
        nested.rollback()
    together = _accept_and_triage(db, monkeypatch, bodies, since=since, together=True)
    assert together == apart
    actions = [action for _actor, action, *_rest in together[1]]
    assert actions[:5] == ["request.submitted"] * 5 and "request.merged" in actions
