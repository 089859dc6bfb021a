"""Triggers: warning and indicator rules (pure), and warnings, readings, proposals and the
no-response timer through the services on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.clock import FixedClock
from communitas.errors import Conflict
from communitas.modes import service as modes
from communitas.modes import trigger_service as triggers
from communitas.modes import warning_service as warnings
from communitas.modes.levels import CapSeverity, Colour, Mode
from communitas.modes.models import ModeNotification, ModeProposal, ProposalStatus
from communitas.modes.schemas import IndicatorPost, ModeSet, TriggerRules, WarningCreate
from communitas.modes.triggers import (
    DEFAULT_INDICATOR_RULES,
    Indicator,
    IndicatorRule,
    TriggerAction,
    WarningRule,
    covers,
    crossed_rule,
    escalation_index,
    indicator_rules_for,
    normalise_hazard,
    warning_colour,
    warning_rule_for,
)
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, DISTRICT, STREET_A, square
from tests.modes import T0, build_world, counts, warning_body

# --- pure rules -----------------------------------------------------------------------------


def test_colours_severities_and_hazard_aliases() -> None:
    assert warning_colour(Colour.RED, CapSeverity.MINOR) is Colour.RED
    assert warning_colour(None, CapSeverity.SEVERE) is Colour.ORANGE
    assert warning_colour(None, CapSeverity.UNKNOWN) is None
    assert normalise_hazard(" Rainstorm ") == "flood"


def test_warning_rule_prefers_configured_hazard_then_any_then_default() -> None:
    assert warning_rule_for([], "flood", Colour.RED).target is Mode.LEVEL_I
    assert warning_rule_for([], "flood", Colour.ORANGE).escalate_after_minutes == 30
    general = WarningRule("*", Colour.RED, TriggerAction.PERFORM, Mode.LEVEL_II)
    specific = WarningRule("flood", Colour.RED, TriggerAction.PERFORM, Mode.LEVEL_I, 10)
    assert warning_rule_for([general, specific], "flood", Colour.RED) is specific
    assert warning_rule_for([general, specific], "typhoon", Colour.RED) is general


def test_indicator_crossing_fires_once_and_the_most_severe_rule_wins() -> None:
    rules = [r for r in DEFAULT_INDICATOR_RULES if r.indicator is Indicator.RAINFALL_MM_H]
    assert crossed_rule(rules, None, 10) is None
    first = crossed_rule(rules, None, 60)
    assert first is not None and first.target is Mode.LEVEL_IV
    assert crossed_rule(rules, 60, 70) is None  # still above, not crossed again
    jump = crossed_rule(rules, 10, 120)
    assert jump is not None and jump.target is Mode.LEVEL_II


def test_nearest_area_rules_replace_the_defaults() -> None:
    local = IndicatorRule(Indicator.WATER_LEVEL_M, 2.0, TriggerAction.PERFORM, Mode.WATCH,
                          "flood", STREET_A)
    everywhere = IndicatorRule(Indicator.WATER_LEVEL_M, 3.0, TriggerAction.PROPOSE,
                               Mode.LEVEL_IV)
    path = [DISTRICT, STREET_A, COMMUNITY_A1]
    assert indicator_rules_for([local, everywhere], Indicator.WATER_LEVEL_M, path) == [local]
    assert indicator_rules_for([local, everywhere], Indicator.WATER_LEVEL_M,
                               [DISTRICT]) == [everywhere]
    assert indicator_rules_for([], Indicator.CASE_COUNT, path)[0].target is Mode.WATCH


def test_polygon_covers_interiors_not_shared_edges() -> None:
    polygon = shape(square(121.5, 31.2))
    assert covers(polygon, square(121.505, 31.205), None)
    assert not covers(polygon, square(121.51, 31.2), None)  # only the edge is shared
    assert covers(polygon, None, (121.505, 31.205))
    assert not covers(polygon, None, None)


def test_escalation_climbs_one_level_at_a_time_and_stops_at_the_root() -> None:
    assert [escalation_index(4, n) for n in range(5)] == [3, 2, 1, 0, None]


# --- warnings through the services ----------------------------------------------------------


def _warning(identifier: str = "W1", **extra: object) -> WarningCreate:
    return WarningCreate.model_validate(warning_body(identifier, **extra))


def test_redelivering_a_warning_changes_nothing(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    first = warnings.receive_warning(db, principal=SYSTEM, data=_warning(), clock=clock)
    assert first.created and [p.target for p in first.proposals] == [Mode.LEVEL_II]
    before = counts(db)
    again = warnings.receive_warning(db, principal=SYSTEM, clock=clock,
                                     data=_warning(colour="red", area_codes=[STREET_A]))
    assert not again.created and again.proposals == [] and again.switches == []
    assert again.warning == first.warning
    assert counts(db) == before


def test_a_polygon_maps_onto_the_communities_it_covers(db: Session) -> None:
    build_world(db)
    data = _warning(area_codes=[], polygon=square(121.505, 31.2, 0.012))
    receipt = warnings.receive_warning(db, principal=SYSTEM, data=data, clock=FixedClock(T0))
    assert receipt.warning.covered_area_codes == [COMMUNITY_A1, COMMUNITY_A2]
    assert COMMUNITY_B1 not in receipt.warning.covered_area_codes


def test_a_perform_rule_switches_at_once_and_stops_the_timer(db: Session) -> None:
    build_world(db)
    triggers.replace_trigger_rules(db, principal=SYSTEM, data=TriggerRules.model_validate(
        {"warning_rules": [{"hazard": "flood", "colour": "red", "action": "perform",
                            "target": "level_i", "escalate_after_minutes": 10}]}))
    receipt = warnings.receive_warning(db, principal=SYSTEM, data=_warning(colour="red"),
                                       clock=FixedClock(T0))
    assert [s.to_mode for s in receipt.switches] == [Mode.LEVEL_I]
    assert receipt.warning.responded_at is not None
    assert modes.get_effective_mode(db, code=COMMUNITY_A1).hazard == "flood"


def test_an_unanswered_red_warning_escalates_one_level_up_each_time(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    receipt = warnings.receive_warning(db, principal=SYSTEM, data=_warning(colour="red"),
                                       clock=clock)
    clock.advance(timedelta(minutes=14))
    assert warnings.escalate_unanswered_warnings(db, clock=clock) == []
    clock.advance(timedelta(minutes=1))
    [escalated] = warnings.escalate_unanswered_warnings(db, clock=clock)
    assert escalated.escalations == 1
    note = db.execute(select(ModeNotification)).scalar_one()
    assert (note.audience_role, note.kind) == ("street_commander", "unanswered_warning")
    street_proposal = db.get_one(ModeProposal, note.proposal_id)
    assert (street_proposal.target, street_proposal.source) == (Mode.LEVEL_I, "escalation")
    clock.advance(timedelta(minutes=15))
    [again] = warnings.escalate_unanswered_warnings(db, clock=clock)
    assert again.escalations == 2
    roles = {n.audience_role for n in db.execute(select(ModeNotification)).scalars()}
    assert roles == {"street_commander", "district_commander"}
    assert receipt.warning.id == again.id


def test_acknowledgement_or_a_switch_stops_the_timer(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    warnings.receive_warning(db, principal=SYSTEM, data=_warning("A", colour="orange"),
                             clock=clock)
    other = warnings.receive_warning(db, principal=SYSTEM, clock=clock,
                                     data=_warning("B", colour="red",
                                                   area_codes=[COMMUNITY_B1]))
    acked = warnings.receive_warning(db, principal=SYSTEM, clock=clock,
                                     data=_warning("C", colour="red",
                                                   area_codes=[COMMUNITY_B1]))
    warnings.acknowledge_warning(db, principal=SYSTEM, warning_id=acked.warning.id,
                                 clock=clock)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=clock,
                   data=ModeSet(level=Mode.LEVEL_III, reason="rain", hazard="flood"))
    clock.advance(timedelta(hours=1))
    escalated = warnings.escalate_unanswered_warnings(db, clock=clock)
    assert [w.identifier for w in escalated] == [other.warning.identifier]


def test_confirming_a_proposal_switches_with_the_confirmers_limits(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    receipt = warnings.receive_warning(db, principal=SYSTEM, data=_warning(colour="yellow"),
                                       clock=clock)
    [proposal] = receipt.proposals
    switch = triggers.confirm_proposal(db, principal=SYSTEM, proposal_id=proposal.id,
                                       clock=clock)
    assert (switch.to_mode, switch.trigger) == (Mode.LEVEL_III, f"proposal:{proposal.id}")
    with pytest.raises(Conflict) as refused:
        triggers.dismiss_proposal(db, principal=SYSTEM, proposal_id=proposal.id)
    assert refused.value.code == "proposal_decided"


def test_a_more_severe_proposal_supersedes_a_pending_one(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    low = warnings.receive_warning(db, principal=SYSTEM, data=_warning("Y", colour="yellow"),
                                   clock=clock).proposals[0]
    high = warnings.receive_warning(db, principal=SYSTEM, data=_warning("O", colour="orange"),
                                    clock=clock).proposals[0]
    repeat = warnings.receive_warning(db, principal=SYSTEM, clock=clock,
                                      data=_warning("O2", colour="yellow"))
    assert repeat.proposals == []
    assert db.get_one(ModeProposal, low.id).status is ProposalStatus.SUPERSEDED
    assert db.get_one(ModeProposal, high.id).status is ProposalStatus.PENDING


# --- indicators -----------------------------------------------------------------------------


def test_rainfall_performs_watch_then_proposes_level_iv(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)

    def post(value: float) -> object:
        clock.advance(timedelta(minutes=10))
        return triggers.post_indicator(db, principal=SYSTEM, clock=clock, data=IndicatorPost(
            area_code=f"{COMMUNITY_A1}-G01", name=Indicator.RAINFALL_MM_H, value=value))

    post(5)
    watch = post(25)
    assert [s.to_mode for s in watch.switches] == [Mode.WATCH]  # type: ignore[attr-defined]
    assert modes.get_effective_mode(db, code=COMMUNITY_A1).mode is Mode.WATCH
    assert post(30).proposals == []  # type: ignore[attr-defined]
    level = post(55)
    assert [p.target for p in level.proposals] == [Mode.LEVEL_IV]  # type: ignore[attr-defined]


def test_exit_criteria_read_the_latest_readings_and_live_warnings(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    for level in (Mode.LEVEL_IV, Mode.RECOVERY):
        modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=clock,
                       data=ModeSet(level=level, reason="storm"))
    triggers.post_indicator(db, principal=SYSTEM, clock=clock, data=IndicatorPost(
        area_code=COMMUNITY_A1, name=Indicator.OPEN_URGENT_REQUESTS, value=3))
    warnings.receive_warning(db, principal=SYSTEM, data=_warning(colour="blue"), clock=clock)
    with pytest.raises(Conflict) as refused:
        modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=clock,
                       data=ModeSet(level=Mode.NORMAL, reason="over"))
    assert refused.value.code == "exit_criteria_unmet"
    assert refused.value.details["observed"]["open_urgent_requests"] == 3
    clock.advance(timedelta(days=1))  # the warning expires
    triggers.post_indicator(db, principal=SYSTEM, clock=clock, data=IndicatorPost(
        area_code=COMMUNITY_A1, name=Indicator.OPEN_URGENT_REQUESTS, value=0))
    back = modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=clock,
                          data=ModeSet(level=Mode.NORMAL, reason="over"))
    assert back.effective_after is Mode.NORMAL
    assert modes.get_effective_mode(db, code=COMMUNITY_A1).own_mode is None


def test_a_warning_already_answered_by_the_current_mode_starts_no_timer(db: Session) -> None:
    build_world(db)
    clock = FixedClock(T0)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, clock=clock,
                   data=ModeSet(level=Mode.LEVEL_II, reason="already responding"))
    receipt = warnings.receive_warning(db, principal=SYSTEM, data=_warning(colour="orange"),
                                       clock=clock)
    assert receipt.proposals == [] and receipt.warning.responded_at == T0
    clock.advance(timedelta(hours=1))
    assert warnings.escalate_unanswered_warnings(db, clock=clock) == []
