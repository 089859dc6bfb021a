"""Plan activation: one step, all or nothing, idempotent, and de-escalation, on a real
database (SQLite by default, PostgreSQL with COMMUNITAS_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.alerts.models import Notice, NoticeState, OutboxMessage
from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.standing_memo import StandingMemo
from communitas.errors import ValidationFailed
from communitas.events import Event
from communitas.modes import activation_service as activations
from communitas.modes import activation_steps
from communitas.modes import service as modes
from communitas.modes import trigger_service as triggers
from communitas.modes import warning_service as warnings
from communitas.modes.activation_models import (
    Activation,
    ActivationItem,
    ActivationRole,
    ActivationStatus,
    ItemKind,
)
from communitas.modes.activation_steps import route_prepositioning
from communitas.modes.levels import Mode
from communitas.modes.models import ResponsePlan
from communitas.modes.schemas import ModeSet, TriggerRules, WarningCreate
from communitas.tasks.models import Task
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, STREET_A
from tests.modes import T0, warning_body
from tests.modes.activation_helpers import GRID_A1, activation_counts, build_activation_world
from tests.resources.helpers import make_org, stock
from tests.sequences import each_way


def _switch(db: Session, code: str, level: Mode, clock: FixedClock,
            hazard: str | None = "rainstorm") -> None:
    modes.set_mode(db, principal=SYSTEM, code=code, clock=clock,
                   data=ModeSet(level=level, reason="test", hazard=hazard))


def _active(db: Session) -> list[Activation]:
    return list(db.execute(select(Activation).where(
        Activation.status == ActivationStatus.ACTIVE).order_by(Activation.id)).scalars())


def test_a_switch_activates_the_matching_plan_in_one_step(db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_I, clock)
    [act] = _active(db)
    assert (act.area_code, act.hazard, act.level, act.plan_level) == \
        (COMMUNITY_A1, "flood", Mode.LEVEL_I, Mode.LEVEL_I)
    holders = {(r.role_key, r.slot_code): r.holder_code for r in db.execute(
        select(ActivationRole).where(ActivationRole.activation_id == act.id)).scalars()}
    assert holders == {("commander", COMMUNITY_A1): "committee",
                       ("deputy", COMMUNITY_A1): "P-CADRE", ("liaison", COMMUNITY_A1): "P-CADRE",
                       ("logistics", COMMUNITY_A1): "PC-A1", ("grid_lead", GRID_A1): "grid",
                       ("volunteer_lead", COMMUNITY_A1): "VT-A",
                       ("medical", COMMUNITY_A1): "HEALTH"}
    tasks = list(db.execute(select(Task).where(Task.source_kind == "activation",
                                               Task.source_id == str(act.id))).scalars())
    assert len(tasks) == 5 and {t.due_at for t in tasks} == {
        T0 + timedelta(minutes=15), T0 + timedelta(minutes=30), T0 + timedelta(hours=1)}
    requests = list(db.execute(select(ResourceRequest)).scalars())
    assert len(requests) == 3 and {r.status.value for r in requests} == {"verified"}
    assert len(route_prepositioning(db, clock=clock)) == 3
    assert all(r.triaged_at is not None for r in requests)
    [notice] = db.execute(select(Notice)).scalars()
    assert notice.state is NoticeState.SENT and notice.approved_by != notice.author
    assert "Area 310115001001" in notice.title_en and "区域310115001001" in notice.title_zh
    assert db.execute(select(OutboxMessage)).scalars().first() is not None  # P-RES's feed
    assert act.counts == {"roles_filled": 7, "roles_unstaffed": 0, "tasks": 5, "requests": 3,
                          "alerts": 1, "neighbour_checks": 0}  # nobody has paired up here
    assert act.ready_at == T0 and act.latency_ms == 0
    started = db.execute(select(Event).where(Event.action == "activation.started")).scalar_one()
    assert started.area_code == COMMUNITY_A1


def test_unfilled_roles_are_recorded_as_unstaffed(db: Session) -> None:
    build_activation_world(db)
    _switch(db, COMMUNITY_A2, Mode.LEVEL_I, FixedClock(T0))
    [act] = _active(db)
    unstaffed = {r.role_key for r in db.execute(select(ActivationRole).where(
        ActivationRole.activation_id == act.id, ActivationRole.holder_code.is_(None))).scalars()}
    assert unstaffed == {"commander", "deputy", "liaison", "logistics", "grid_lead"}
    assert act.counts["roles_unstaffed"] == 5 and act.counts["roles_filled"] == 2


def test_a_street_switch_activates_the_street_and_each_community(db: Session) -> None:
    build_activation_world(db)
    _switch(db, STREET_A, Mode.LEVEL_II, FixedClock(T0))
    assert [(a.area_code, a.plan_level) for a in _active(db)] == [
        (STREET_A, Mode.LEVEL_II), (COMMUNITY_A1, Mode.LEVEL_II), (COMMUNITY_A2, Mode.LEVEL_II)]


def test_level_iii_falls_back_to_the_level_iv_plan_and_no_hazard_activates_nothing(
        db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A2, Mode.WATCH, clock, hazard=None)
    assert _active(db) == []
    _switch(db, COMMUNITY_A1, Mode.LEVEL_III, clock)
    [act] = _active(db)
    assert (act.level, act.plan_level) == (Mode.LEVEL_III, Mode.LEVEL_IV)


def _break_plan(db: Session) -> None:
    """A new version of the community level I flood plan naming a resource type that does
    not exist (bypassing import validation, as a catalogue change after import would)."""
    good = db.execute(select(ResponsePlan).where(
        ResponsePlan.hazard == "flood", ResponsePlan.level == Mode.LEVEL_I,
        ResponsePlan.area_kind == "community")).scalar_one()
    content = dict(good.content)
    content["prepositioning"] = [*content["prepositioning"], {
        "resource_type": "rescue.unicorn", "quantity": 1, "to": "command_post",
        "deadline": "+1h"}]
    db.add(ResponsePlan(hazard="flood", level=Mode.LEVEL_I, area_kind="community", version=2,
                        name_zh=good.name_zh, name_en=good.name_en, content=content,
                        content_hash="broken", created_by="test", created_at=T0))
    db.flush()


def test_a_failure_halfway_leaves_nothing_behind(db: Session) -> None:
    build_activation_world(db)
    _break_plan(db)
    before = activation_counts(db)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_I, FixedClock(T0))
    after = activation_counts(db)
    assert after == {**before, "activations": before["activations"] + 1}
    act = db.execute(select(Activation)).scalar_one()
    assert act.status is ActivationStatus.FAILED and "rescue.unicorn" in (act.error or "")
    assert modes.get_effective_mode(db, code=COMMUNITY_A1).mode is Mode.LEVEL_I
    assert db.execute(select(Event).where(Event.action == "activation.failed")).scalar_one()


def test_one_broken_plan_does_not_sink_the_others_of_a_batch(db: Session) -> None:
    build_activation_world(db)
    _break_plan(db)
    _switch(db, STREET_A, Mode.LEVEL_I, FixedClock(T0))
    rows = {a.area_code: a for a in db.execute(select(Activation)).scalars()}
    assert rows[STREET_A].status is ActivationStatus.ACTIVE
    assert rows[COMMUNITY_A1].status is rows[COMMUNITY_A2].status is ActivationStatus.FAILED
    sources = {t.source_id for t in db.execute(select(Task)).scalars()}
    assert sources == {str(rows[STREET_A].id)}


def _perform_red(db: Session) -> None:
    triggers.replace_trigger_rules(db, principal=SYSTEM, data=TriggerRules.model_validate(
        {"warning_rules": [{"hazard": "flood", "colour": "red", "action": "perform",
                            "target": "level_i", "escalate_after_minutes": 15}]}))


def test_redelivering_the_same_warning_changes_nothing(db: Session) -> None:
    build_activation_world(db)
    _perform_red(db)
    clock = FixedClock(T0)
    data = WarningCreate.model_validate(warning_body(
        "31000041600000_20260720080000_1", colour="red", area_codes=[COMMUNITY_A1,
                                                                      COMMUNITY_A2]))
    warnings.receive_warning(db, principal=SYSTEM, data=data, clock=clock)
    acts = _active(db)
    assert [a.area_code for a in acts] == [COMMUNITY_A1, COMMUNITY_A2]
    assert {a.warning_id for a in acts} != {None} and {a.trigger for a in acts} == {
        f"warning:{acts[0].warning_id}"}
    before = activation_counts(db)
    clock.advance(timedelta(minutes=5))
    again = warnings.receive_warning(db, principal=SYSTEM, data=data, clock=clock)
    assert not again.created and activation_counts(db) == before


def test_latency_counts_from_the_warnings_arrival(db: Session) -> None:
    build_activation_world(db)
    _perform_red(db)
    data = WarningCreate.model_validate(warning_body("31000041600000_20260720080000_2",
                                                     colour="red"))
    warnings.receive_warning(db, principal=SYSTEM, data=data, clock=FixedClock(T0))
    [act] = _active(db)
    assert act.requested_at == T0 and act.hazard == "flood"


def test_stepping_down_closes_tasks_cancels_requests_and_alerts(db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_I, clock)
    [act] = _active(db)
    clock.advance(timedelta(hours=2))
    _switch(db, COMMUNITY_A1, Mode.RECOVERY, clock, hazard=None)
    db.refresh(act)
    assert act.status is ActivationStatus.STOOD_DOWN and _active(db) == []
    assert {t.status.value for t in db.execute(select(Task)).scalars()} == {"cannot_complete"}
    assert {r.status.value for r in db.execute(select(ResourceRequest)).scalars()} == \
        {"cancelled"}
    notices = list(db.execute(select(Notice).order_by(Notice.id)).scalars())
    assert [(n.msg_type, n.state) for n in notices] == [
        ("Alert", NoticeState.CANCELLED), ("Cancel", NoticeState.SENT)]
    roles = db.execute(select(ActivationRole)).scalars().all()
    assert all(r.released_at == T0 + timedelta(hours=2) for r in roles)
    assert act.counts["tasks_closed"] == 5 and act.counts["requests_cancelled"] == 3


def test_a_new_level_supersedes_the_old_plan(db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_IV, clock)
    [old] = _active(db)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_I, clock)
    [new] = _active(db)
    db.refresh(old)
    assert old.status is ActivationStatus.SUPERSEDED and old.successor_id == new.id
    assert new.plan_level is Mode.LEVEL_I
    assert activations.send_due_alerts(db, clock=clock) == []  # level I's alert went at once


def test_scheduled_alerts_go_out_when_due(db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_II, clock)  # its second alert is for +15m
    assert activations.send_due_alerts(db, clock=clock) == []
    clock.advance(timedelta(minutes=15))
    assert len(activations.send_due_alerts(db, clock=clock)) == 1
    assert {n.state for n in db.execute(select(Notice)).scalars()} == {NoticeState.SENT}


def test_without_an_account_a_role_falls_to_whom_it_stands_for(db: Session) -> None:
    build_activation_world(db)
    make_org(db, "NC-A2", OrganisationKind.NEIGHBOURHOOD_COMMITTEE, COMMUNITY_A2)
    _switch(db, COMMUNITY_A2, Mode.LEVEL_I, FixedClock(T0))
    [act] = _active(db)
    commander = db.execute(select(ActivationRole).where(
        ActivationRole.activation_id == act.id, ActivationRole.role_key == "commander")
    ).scalar_one()
    assert (commander.holder_kind, commander.holder_code) == ("organisation", "NC-A2")
    task = db.execute(select(Task).where(Task.title.like("请求水域救援队%"))).scalar_one()
    assert task.status.value == "open"  # the liaison (a cadre) is unstaffed in A2


def test_confirming_a_proposal_activates_with_the_warnings_hazard(db: Session) -> None:
    build_activation_world(db)
    clock = FixedClock(T0)
    receipt = warnings.receive_warning(db, clock=clock, principal=SYSTEM,
                                       data=WarningCreate.model_validate(warning_body(
                                           "31000041600000_20260720080000_3")))
    assert _active(db) == []  # an orange warning proposes level II by default
    clock.advance(timedelta(minutes=7))
    triggers.confirm_proposal(db, principal=SYSTEM, proposal_id=receipt.proposals[0].id,
                              clock=clock)
    [act] = _active(db)
    assert (act.hazard, act.plan_level, act.warning_id) == \
        ("flood", Mode.LEVEL_II, receipt.warning.id)
    assert act.requested_at == T0 + timedelta(minutes=7)  # the commander's confirmation
    assert act.trigger == f"proposal:{receipt.proposals[0].id}"


def test_prepositioning_routed_with_a_standing_memo_equals_a_fresh_memo(db: Session) -> None:
    """The scheduler keeps one routing memo between runs; stock that arrived since its last
    look is read again, so the queues and events are those a fresh memo gives."""
    build_activation_world(db)
    clock = FixedClock(T0)
    _switch(db, COMMUNITY_A1, Mode.LEVEL_I, clock)
    requests = list(db.execute(select(ResourceRequest).order_by(ResourceRequest.id)).scalars())
    standing = StandingMemo()
    standing.current(db).prepare(db, requests, T0.date())  # before the stock below came
    for code in sorted({line.resource_type.code for r in requests for line in r.lines}):
        stock(db, code, "NC-A1", COMMUNITY_A1, 500)
    since = db.execute(select(func.max(Event.seq))).scalar_one()

    def state() -> tuple[object, ...]:
        db.flush()
        db.expire_all()
        return (db.execute(select(ResourceRequest.reference, ResourceRequest.queue_level,
                                  ResourceRequest.queue_area_id, ResourceRequest.triaged_at)
                           .order_by(ResourceRequest.id)).all(),
                db.execute(select(Event.action, Event.payload, Event.hash)
                           .where(Event.seq > since).order_by(Event.seq)).all())

    nested = db.begin_nested()
    assert len(route_prepositioning(db, clock=clock)) == 3
    fresh = state()
    nested.rollback()
    assert len(route_prepositioning(db, clock=clock, memo=standing.current)) == 3
    assert state() == fresh
    assert {level for _ref, level, *_rest in fresh[0]} == {"community"}  # the stock counted


def _outcome(db: Session, _since: int) -> dict[str, Any]:
    """Per activated area: its status, counts, and items with the notices they name (rows
    compared by content: the retried path's ids may differ on PostgreSQL)."""
    db.flush()
    db.expire_all()
    columns = [c.key for c in Notice.__table__.columns if c.key != "id"]
    notices = {n.id: {c: getattr(n, c) for c in columns}
               for n in db.execute(select(Notice)).scalars()}
    out: dict[str, Any] = {"notices": len(notices)}
    for act in db.execute(select(Activation)).scalars():
        items = db.execute(select(ActivationItem).where(
            ActivationItem.activation_id == act.id)).scalars()
        out[act.area_code] = (act.status, act.counts, sorted((
            (i.kind, i.code, i.state, i.due_at, notices.get(i.ref_id)
             if i.kind is ItemKind.ALERT else None) for i in items), key=repr))
    return out


def test_a_batch_retried_one_by_one_after_its_alerts_leaves_what_the_batch_leaves(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step after the alerts fails for the batch but not for each activation alone: the
    notices the batch inserted are rolled back and inserted again, one activation at a time."""
    build_activation_world(db)
    sizes: list[int] = []

    def refuse_batches(_session: Session, batch: list[Any], _clock: Any) -> None:
        sizes.append(len(batch))
        if len(batch) > 1:
            raise ValidationFailed("a batch of more than one", code="test_refusal")

    def retried() -> None:
        steps = list(activations.ACTIVATION_STEPS)
        steps.insert(steps.index(activation_steps.queue_alerts) + 1, refuse_batches)
        monkeypatch.setattr(activations, "ACTIVATION_STEPS", steps)
        _switch(db, STREET_A, Mode.LEVEL_I, FixedClock(T0))

    (_a, batched), (_b, one_by_one) = each_way(db, (
        lambda: _switch(db, STREET_A, Mode.LEVEL_I, FixedClock(T0)), retried), _outcome)
    assert sizes == [3, 1, 1, 1]
    assert one_by_one == batched and batched["notices"] == 3
    assert {batched[code][0] for code in (STREET_A, COMMUNITY_A1, COMMUNITY_A2)} == {
        ActivationStatus.ACTIVE}
