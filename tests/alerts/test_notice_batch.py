"""Composing, approving, sending and cancelling many notices at once leaves what the
one-by-one services leave: the same notices (identifiers included), covered areas,
deliveries and events (hash for hash), and the same refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.alerts import notice_batch
from communitas.alerts import notice_service as notices
from communitas.alerts.models import Notice, NoticeArea, NoticeState, OutboxMessage
from communitas.alerts.notice_batch import Cancelling, Composing
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import NoticeCancel, SubscriptionCreate
from communitas.alerts.subscriptions import create_subscription
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.errors import Conflict, NotFound, PermissionDenied
from communitas.events import Event
from tests.alerts.helpers import ISSUER, START, build_notice_world, notice_body
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A
from tests.sequences import each_way

CHECKER = Principal(username="checker", role=Role.PLATFORM_ADMIN, scope_path="/")
OTHER = Issuer(sender=ISSUER.sender, unit_code="31011541600100")
CLOCK = FixedClock(START + timedelta(hours=1))


def _state(db: Session, since: int) -> dict[str, Any]:
    db.flush()
    db.expire_all()
    columns = Notice.__table__.columns.keys()
    return {
        "notices": [{c: getattr(n, c) for c in columns} for n in db.execute(
            select(Notice).order_by(Notice.id)).scalars()],
        "areas": db.execute(select(NoticeArea.notice_id, NoticeArea.area_id)
                            .order_by(NoticeArea.notice_id, NoticeArea.area_id)).all(),
        # Outbox ids follow the order rows are inserted in, which the batch does not promise.
        "outbox": sorted(db.execute(select(
            OutboxMessage.notice_id, OutboxMessage.channel, OutboxMessage.person_id,
            OutboxMessage.subscription_id, OutboxMessage.status, OutboxMessage.attempts,
            OutboxMessage.next_attempt_at)).all(), key=repr),
        "events": db.execute(select(Event.seq, Event.at, Event.actor, Event.action,
                                    Event.subject_type, Event.subject_id, Event.area_code,
                                    Event.payload, Event.hash).where(Event.seq > since)
                             .order_by(Event.seq)).all(),
    }


def _both_ways(db: Session, one_by_one: Callable[[], Any], batched: Callable[[], Any]
               ) -> tuple[Any, Any]:
    one, batch = each_way(db, (one_by_one, batched), _state)
    return one, batch


def _world(db: Session) -> None:
    build_notice_world(db)
    create_subscription(db, principal=SYSTEM, data=SubscriptionCreate(
        channel="webhook", address="https://example.org/hook", area_code=STREET_A))
    create_subscription(db, principal=SYSTEM, data=SubscriptionCreate(
        channel="email", address="duty@example.org", area_code=COMMUNITY_B1))
    db.flush()


def _items() -> list[Composing]:
    return [
        Composing(notice_body(channels=["in_app", "sms"]), ISSUER),
        Composing(notice_body(area_codes=[STREET_A, COMMUNITY_A1, STREET_A]), ISSUER),
        Composing(notice_body(area_codes=[COMMUNITY_B1], scope="Restricted"), OTHER),
        Composing(notice_body(area_codes=[COMMUNITY_A2, COMMUNITY_B1],
                              expires_at=(START + timedelta(days=1)).isoformat()), OTHER),
        Composing(notice_body(title_en="Second in the same second"), ISSUER),
    ]


def _compose_approve_send_one_by_one(db: Session) -> list[dict[str, int]]:
    made = [notices.compose_notice(db, principal=SYSTEM, data=i.data, issuer=i.issuer,
                                   clock=CLOCK) for i in _items()]
    for notice in made:
        notices.approve_notice(db, principal=CHECKER, notice_id=notice.id, clock=CLOCK)
    return [notices.send_notice(db, principal=SYSTEM, notice_id=n.id, clock=CLOCK)
            for n in made[:4]]


def _compose_approve_send_batched(db: Session) -> list[dict[str, int]]:
    made = notice_batch.compose_notices(db, principal=SYSTEM, items=_items(), clock=CLOCK)
    notice_batch.approve_notices(db, approvals=[(n.id, CHECKER) for n in made], clock=CLOCK)
    return notice_batch.send_notices(db, principal=SYSTEM, notice_ids=[n.id for n in made[:4]],
                                     clock=CLOCK)


def test_compose_approve_and_send_many_equal_one_by_one(db: Session) -> None:
    _world(db)
    # A notice of ISSUER already took this second's first number.
    notices.compose_notice(db, principal=SYSTEM, data=notice_body(), issuer=ISSUER,
                           clock=CLOCK)
    (queued_one, one), (queued_batch, batch) = _both_ways(
        db, lambda: _compose_approve_send_one_by_one(db),
        lambda: _compose_approve_send_batched(db))
    assert queued_batch == queued_one
    assert batch == one
    assert [n["identifier"][-1] for n in batch["notices"]] == ["0", "1", "2", "0", "1", "3"]
    assert [n["state"] for n in batch["notices"]][1:] == [NoticeState.SENT] * 4 + [
        NoticeState.APPROVED]
    assert queued_batch[0] == {"in_app": 2, "sms": 2, "webhook": 1}
    assert queued_batch[2] == {"email": 1}  # restricted: subscribers only
    assert {row[2] for row in batch["outbox"]} >= {None}


def _sent(db: Session) -> list[int]:
    made = notice_batch.compose_notices(db, principal=SYSTEM, items=_items()[:4], clock=CLOCK)
    notice_batch.approve_notices(db, approvals=[(n.id, CHECKER) for n in made], clock=CLOCK)
    notice_batch.send_notices(db, principal=SYSTEM, notice_ids=[n.id for n in made],
                              clock=CLOCK)
    db.flush()
    return [n.id for n in made]


def test_cancelling_many_equals_one_by_one(db: Session) -> None:
    _world(db)
    ids = _sent(db)
    later = FixedClock(CLOCK.now() + timedelta(minutes=30))
    issuers = [ISSUER, ISSUER, OTHER, OTHER]

    def one_by_one() -> list[int]:
        made = [notices.cancel_notice(db, principal=SYSTEM, notice_id=i, issuer=issuer,
                                      data=NoticeCancel(note=f"over {i}"), clock=later)
                for i, issuer in zip(ids, issuers, strict=True)]
        for cancel in made:
            notices.approve_notice(db, principal=CHECKER, notice_id=cancel.id, clock=later)
        for cancel in made:
            notices.send_notice(db, principal=SYSTEM, notice_id=cancel.id, clock=later)
        return [c.id for c in made]

    def batched() -> list[int]:
        made = notice_batch.cancel_notices(db, principal=SYSTEM, clock=later, items=[
            Cancelling(i, NoticeCancel(note=f"over {i}"), issuer)
            for i, issuer in zip(ids, issuers, strict=True)])
        notice_batch.approve_notices(db, approvals=[(c.id, CHECKER) for c in made],
                                     clock=later)
        notice_batch.send_notices(db, principal=SYSTEM, notice_ids=[c.id for c in made],
                                  clock=later)
        return [c.id for c in made]

    (made_one, one), (made_batch, batch) = _both_ways(db, one_by_one, batched)
    assert made_batch == made_one
    assert batch == one
    states = {n["id"]: (n["msg_type"], n["state"]) for n in batch["notices"]}
    assert {states[i] for i in ids} == {("Alert", NoticeState.CANCELLED)}
    assert {states[i] for i in made_batch} == {("Cancel", NoticeState.SENT)}
    assert "notice.cancelled" in {e.action for e in batch["events"]}


def test_the_batch_refuses_as_the_single_steps_do(db: Session) -> None:
    _world(db)
    with pytest.raises(NotFound) as unknown:
        notice_batch.compose_notices(db, principal=SYSTEM, clock=CLOCK, items=[
            Composing(notice_body(), ISSUER),
            Composing(notice_body(area_codes=["310115009999"]), ISSUER)])
    assert unknown.value.details == {"field": "area_codes", "code": "310115009999"}
    made = notice_batch.compose_notices(db, principal=SYSTEM, clock=CLOCK,
                                        items=_items()[:2])
    with pytest.raises(PermissionDenied) as same_person:
        notice_batch.approve_notices(db, clock=CLOCK, approvals=[(made[0].id, CHECKER),
                                                                 (made[1].id, SYSTEM)])
    assert same_person.value.code == "two_person_rule"
    with pytest.raises(Conflict) as draft:
        notice_batch.send_notices(db, principal=SYSTEM, notice_ids=[made[1].id],
                                  clock=CLOCK)
    assert draft.value.code == "notice_state"
    with pytest.raises(Conflict) as not_ours:
        notice_batch.cancel_notices(db, principal=SYSTEM, clock=CLOCK, items=[
            Cancelling(made[1].id, NoticeCancel(note="x"), ISSUER)])
    assert not_ours.value.code == "notice_state"


def test_ten_in_one_second_is_the_limit_for_a_unit(db: Session) -> None:
    _world(db)
    clock = FixedClock(datetime(2026, 7, 20, 3, 0, tzinfo=UTC))
    notice_batch.compose_notices(db, principal=SYSTEM, clock=clock,
                                 items=[Composing(notice_body(), ISSUER)] * 10)
    with pytest.raises(Conflict) as full:
        notice_batch.compose_notices(db, principal=SYSTEM, clock=clock,
                                     items=[Composing(notice_body(), ISSUER)])
    assert full.value.code == "identifier_exhausted"
