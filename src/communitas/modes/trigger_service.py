"""Trigger use cases: rule configuration, proposals, and indicator readings. Callers commit.

A trigger either proposes a switch (a pending proposal a commander confirms or dismisses)
or performs it at once as :data:`communitas.modes.service.TRIGGERS`, as its rule says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, PermissionDenied
from communitas.events import record_event
from communitas.i18n import _
from communitas.modes import service as modes
from communitas.modes.levels import Mode, severity
from communitas.modes.machine import ROLE_CEILING
from communitas.modes.models import (
    IndicatorReading,
    ModeProposal,
    ModeWarning,
    ProposalStatus,
    TriggerRule,
)
from communitas.modes.schemas import (
    IndicatorPost,
    IndicatorReceipt,
    IndicatorRuleIn,
    ModeSet,
    ModeSwitchRead,
    ProposalRead,
    TriggerOutcome,
    TriggerRules,
    WarningRuleIn,
)
from communitas.modes.triggers import (
    Indicator,
    IndicatorRule,
    TriggerAction,
    WarningRule,
    crossed_rule,
    indicator_rules_for,
)
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = [
    "apply_trigger", "configured_indicator_rules", "configured_warning_rules",
    "confirm_proposal", "dismiss_proposal", "get_proposal", "get_trigger_rules", "list_proposals",
    "post_indicator", "proposal_reads", "replace_trigger_rules",
]


# --- rules ----------------------------------------------------------------------------------

def configured_warning_rules(session: Session) -> list[WarningRule]:
    rows = session.execute(select(TriggerRule).where(TriggerRule.source == "warning")).scalars()
    return [WarningRule(r.subject, r.colour, r.action, r.target, r.escalate_after_minutes)
            for r in rows if r.colour is not None]


def configured_indicator_rules(session: Session) -> list[IndicatorRule]:
    rows = session.execute(select(TriggerRule, Area.code).outerjoin(
        Area, Area.id == TriggerRule.area_id).where(TriggerRule.source == "indicator")).all()
    return [IndicatorRule(Indicator(r.subject), r.threshold or 0.0, r.action, r.target,
                          r.hazard, code) for r, code in rows]


def get_trigger_rules(session: Session, *, principal: Principal) -> TriggerRules:
    """The configured rules (empty lists mean the defaults of modes/triggers.py apply)."""
    require(principal, Permission.MODE_SET)
    return TriggerRules(
        warning_rules=[WarningRuleIn(hazard=r.hazard, colour=r.colour, action=r.action,
                                     target=r.target,
                                     escalate_after_minutes=r.escalate_after_minutes)
                       for r in configured_warning_rules(session)],
        indicator_rules=[IndicatorRuleIn(indicator=r.indicator, threshold=r.threshold,
                                         action=r.action, target=r.target, hazard=r.hazard,
                                         area_code=r.area_code)
                         for r in configured_indicator_rules(session)])


def replace_trigger_rules(session: Session, *, principal: Principal, data: TriggerRules,
                          clock: Clock | None = None) -> TriggerRules:
    """Replace the whole configured rule set (platform admin)."""
    require(principal, Permission.TRIGGER_CONFIGURE)
    now = (clock or SystemClock()).now()
    codes = sorted({r.area_code for r in data.indicator_rules if r.area_code})
    known = {code: areas.get_area(session, code=code).id for code in codes}
    session.execute(delete(TriggerRule))
    session.add_all([TriggerRule(source="warning", subject=r.hazard, colour=r.colour,
                                 action=r.action, target=r.target,
                                 escalate_after_minutes=r.escalate_after_minutes,
                                 set_by=principal.actor, set_at=now)
                     for r in data.warning_rules])
    session.add_all([TriggerRule(source="indicator", subject=r.indicator.value,
                                 threshold=r.threshold, action=r.action, target=r.target,
                                 hazard=r.hazard, area_id=known.get(r.area_code or ""),
                                 set_by=principal.actor, set_at=now)
                     for r in data.indicator_rules])
    session.flush()
    record_event(session, actor=principal.actor, action="trigger_rules.replaced",
                 subject_type="trigger_rules", subject_id="all", clock=clock,
                 payload=data.model_dump(mode="json"))
    return get_trigger_rules(session, principal=principal)


# --- proposals ------------------------------------------------------------------------------

def apply_trigger(
    session: Session, *, area: Area, target: Mode, action: TriggerAction, hazard: str | None,
    source: str, reason: str, now: datetime, clock: Clock | None = None,
    warning_id: int | None = None, indicator: str | None = None, value: float | None = None,
) -> TriggerOutcome:
    """Propose or perform ``target`` on ``area`` unless it is already at least that severe."""
    outcome = TriggerOutcome()
    current = modes.get_effective_mode(session, code=area.code).mode
    if action is TriggerAction.IGNORE or severity(current) >= severity(target):
        return outcome
    trigger = f"{source}:{indicator or warning_id or ''}"
    if action is TriggerAction.PERFORM:
        outcome.switches.append(modes.set_mode(
            session, principal=modes.TRIGGERS, code=area.code, clock=clock, trigger=trigger,
            data=ModeSet(level=target, reason=reason, hazard=hazard)))
        return outcome
    pending = session.execute(select(ModeProposal).where(
        ModeProposal.area_id == area.id,
        ModeProposal.status == ProposalStatus.PENDING)).scalars().all()
    if any(severity(p.target) >= severity(target) for p in pending):
        return outcome
    for older in pending:
        older.status, older.decided_at = ProposalStatus.SUPERSEDED, now
    proposal = ModeProposal(area_id=area.id, target=target, hazard=hazard, source=source,
                            warning_id=warning_id, indicator=indicator, indicator_value=value,
                            reason=reason, status=ProposalStatus.PENDING, created_at=now)
    session.add(proposal)
    session.flush()
    record_event(session, actor=modes.TRIGGERS.actor, action="mode.proposed",
                 subject_type="mode_proposal", subject_id=proposal.id, area_code=area.code,
                 clock=clock, payload={"target": target.value, "hazard": hazard,
                                       "source": source, "reason": reason})
    outcome.proposals.extend(proposal_reads(session, [proposal]))
    return outcome


def proposal_reads(session: Session, rows: list[ModeProposal]) -> list[ProposalRead]:
    codes = dict(session.execute(select(Area.id, Area.code).where(
        Area.id.in_({p.area_id for p in rows}))).all()) if rows else {}
    warning_ids = {p.warning_id for p in rows if p.warning_id}
    identifiers = dict(session.execute(select(ModeWarning.id, ModeWarning.identifier).where(
        ModeWarning.id.in_(warning_ids))).all()) if warning_ids else {}
    return [ProposalRead(
        id=p.id, area_code=codes[p.area_id], target=p.target, hazard=p.hazard, source=p.source,
        warning_identifier=identifiers.get(p.warning_id or 0), indicator=p.indicator,
        indicator_value=p.indicator_value, reason=p.reason, status=p.status,
        created_at=p.created_at, decided_by=p.decided_by, decided_at=p.decided_at,
        decision_reason=p.decision_reason) for p in rows]


def list_proposals(
    session: Session, *, principal: Principal, status: ProposalStatus | None = None,
    within: str | None = None, page: int = 1, page_size: int = 50,
) -> Page[ProposalRead]:
    """Proposals for areas in the principal's scope, newest first."""
    require(principal, Permission.MODE_SET)
    query = (select(ModeProposal).join(Area, Area.id == ModeProposal.area_id)
             .order_by(ModeProposal.id.desc()))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if status is not None:
        query = query.where(ModeProposal.status == status)
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=proposal_reads(session, rows), total=total, page=page,
                page_size=page_size)


def get_proposal(session: Session, *, principal: Principal, proposal_id: int) -> ProposalRead:
    proposal = session.get(ModeProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Unknown proposal {value}"), code="unknown_proposal",
                       value=str(proposal_id))
    area = areas.get_area_by_id(session, area_id=proposal.area_id)
    require(principal, Permission.MODE_SET, area_path=area.path)
    return proposal_reads(session, [proposal])[0]


def _decidable(session: Session, principal: Principal, proposal_id: int
               ) -> tuple[ModeProposal, Area]:
    proposal = session.get(ModeProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Unknown proposal {value}"), code="unknown_proposal",
                       value=str(proposal_id))
    area = areas.get_area_by_id(session, area_id=proposal.area_id)
    require(principal, Permission.MODE_SET, area_path=area.path)
    if proposal.status is not ProposalStatus.PENDING:
        raise Conflict(_("This proposal was already {status}"), code="proposal_decided",
                       status=proposal.status.value)
    return proposal, area


def _decide(session: Session, proposal: ModeProposal, principal: Principal,
            status: ProposalStatus, reason: str, now: datetime) -> None:
    proposal.status, proposal.decided_by, proposal.decided_at = status, principal.actor, now
    proposal.decision_reason = reason
    if proposal.warning_id is not None:
        warning = session.get_one(ModeWarning, proposal.warning_id)
        warning.responded_at = warning.responded_at or now


def confirm_proposal(session: Session, *, principal: Principal, proposal_id: int,
                     reason: str = "", clock: Clock | None = None) -> ModeSwitchRead:
    """Switch as proposed, with the confirming principal's own scope and ceiling."""
    now = (clock or SystemClock()).now()
    proposal, area = _decidable(session, principal, proposal_id)
    switch = modes.set_mode(session, principal=principal, code=area.code, clock=clock,
                            trigger=f"proposal:{proposal.id}",
                            data=ModeSet(level=proposal.target, reason=reason or proposal.reason,
                                         hazard=proposal.hazard))
    _decide(session, proposal, principal, ProposalStatus.CONFIRMED, reason, now)
    record_event(session, actor=principal.actor, action="mode.proposal_confirmed",
                 subject_type="mode_proposal", subject_id=proposal.id, area_code=area.code,
                 clock=clock, payload={"target": proposal.target.value, "reason": reason})
    return switch


def dismiss_proposal(session: Session, *, principal: Principal, proposal_id: int,
                     reason: str = "", clock: Clock | None = None) -> ProposalRead:
    """Decline a proposal; only someone who could have confirmed it may."""
    now = (clock or SystemClock()).now()
    proposal, area = _decidable(session, principal, proposal_id)
    ceiling = ROLE_CEILING.get(principal.role)
    if ceiling is None or severity(proposal.target) > severity(ceiling):
        raise PermissionDenied(_("Your role may not set {mode} here"), code="level_not_allowed",
                               mode=proposal.target.value)
    _decide(session, proposal, principal, ProposalStatus.DISMISSED, reason, now)
    record_event(session, actor=principal.actor, action="mode.proposal_dismissed",
                 subject_type="mode_proposal", subject_id=proposal.id, area_code=area.code,
                 clock=clock, payload={"target": proposal.target.value, "reason": reason})
    return proposal_reads(session, [proposal])[0]


# --- indicators -----------------------------------------------------------------------------

def _latest(session: Session, area_id: int, name: str) -> IndicatorReading | None:
    return session.execute(select(IndicatorReading).where(and_(
        IndicatorReading.area_id == area_id, IndicatorReading.name == name))
        .order_by(IndicatorReading.at.desc(), IndicatorReading.id.desc()).limit(1)
    ).scalar_one_or_none()


def post_indicator(session: Session, *, principal: Principal, data: IndicatorPost,
                   clock: Clock | None = None) -> IndicatorReceipt:
    """Record a reading; if it crosses a threshold upwards, propose or perform the switch."""
    now = (clock or SystemClock()).now()
    area = areas.get_area(session, code=data.area_code)
    require(principal, Permission.INDICATOR_POST, area_path=area.path)
    at = data.at or now
    previous = _latest(session, area.id, data.name.value)
    session.add(IndicatorReading(area_id=area.id, name=data.name.value, value=data.value, at=at,
                                 posted_by=principal.actor, posted_at=now))
    session.flush()
    record_event(session, actor=principal.actor, action="indicator.posted",
                 subject_type="area", subject_id=area.code, area_code=area.code, clock=clock,
                 payload={"name": data.name.value, "value": data.value, "at": at.isoformat()})
    receipt = IndicatorReceipt(area_code=area.code, name=data.name, value=data.value, at=at,
                               previous=previous.value if previous else None)
    if previous is not None and previous.at > at:
        return receipt  # a late reading is kept but does not trigger
    target_area = modes.mode_area(session, area)
    path = _path_codes(session, area)  # a gauge's own rules may sit on its grid or building
    rule = crossed_rule(indicator_rules_for(configured_indicator_rules(session), data.name,
                                            path), receipt.previous, data.value)
    if rule is not None:
        outcome = apply_trigger(
            session, area=target_area, target=rule.target, action=rule.action,
            hazard=rule.hazard, source="indicator", now=now, clock=clock,
            indicator=data.name.value, value=data.value,
            reason=f"{data.name.value} {data.value:g} ≥ {rule.threshold:g} at {area.code}")
        receipt.switches, receipt.proposals = outcome.switches, outcome.proposals
    return receipt


def _path_codes(session: Session, area: Area) -> list[str]:
    ids = modes.path_ids(area)
    by_id: dict[int, Any] = dict(session.execute(
        select(Area.id, Area.code).where(Area.id.in_(ids))).all())
    return [by_id[i] for i in ids]
