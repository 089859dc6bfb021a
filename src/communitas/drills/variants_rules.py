"""Variants that move reserves between communities or change how plans activate.

Reserves: the neighbourhood committees' stock of each type keeps its city-wide total and is
shared out again among the communities that hold that type — equally (``flat_reserves``) or
in proportion to each community's reserve norm (``norm_reserves``, resources.reserves),
always through ``adjust_holding``. Plans: every trigger rule, configured or default, either
switches the mode at once (``self_activating``) or proposes it for a commander to confirm
(``by_hand``; the drill's dispatcher confirms at the next planning round).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Organisation
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock
from communitas.modes import trigger_service
from communitas.modes.schemas import TriggerRules
from communitas.modes.triggers import (
    DEFAULT_INDICATOR_RULES,
    DEFAULT_WARNING_RULES,
    TriggerAction,
)
from communitas.resources import reserves
from communitas.resources import service as resources
from communitas.resources.models import Holding, HoldingCondition, ResourceType

__all__ = ["by_hand", "flat_reserves", "norm_reserves", "self_activating"]

Weights = Callable[[str, str], float]  # (type code, community code) → weight


def _committee_stock(session: Session) -> dict[str, list[tuple[int, int, str]]]:
    """Type code → (holding id, quantity, community code) of committees' good stock."""
    rows = session.execute(
        select(ResourceType.code, Holding.id, Holding.quantity, Area.code)
        .join(Holding, Holding.resource_type_id == ResourceType.id)
        .join(Organisation, Organisation.id == Holding.organisation_id)
        .join(Area, Area.id == Holding.area_id)
        .where(Organisation.kind == OrganisationKind.NEIGHBOURHOOD_COMMITTEE,
               Area.kind == AreaKind.COMMUNITY, Holding.condition == HoldingCondition.GOOD)
        .order_by(ResourceType.code, Holding.id)).all()
    stock: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for code, holding_id, quantity, community in rows:
        stock[code].append((holding_id, quantity, community))
    return stock


def apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` in whole units (largest remainder; ties by position)."""
    whole = sum(weights)
    if whole <= 0:
        return []
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[:total - sum(shares)]:
        shares[i] += 1
    return shares


def _redistribute(session: Session, clock: Clock, weight: Weights, reason: str) -> None:
    moves: list[tuple[int, int]] = []
    for code, holdings in _committee_stock(session).items():
        per_community: dict[str, int] = defaultdict(int)
        for _h, _q, community in holdings:
            per_community[community] += 1
        targets = apportion(sum(q for _h, q, _c in holdings),
                            [weight(code, c) / per_community[c] for _h, _q, c in holdings])
        moves += [(h, target - q) for (h, q, _c), target in zip(holdings, targets,
                                                                strict=True) if target != q]
    for holding_id, delta in sorted(moves, key=lambda m: (m[1] > 0, m[0])):  # take, then give
        resources.adjust_holding(session, principal=SYSTEM, holding_id=holding_id, delta=delta,
                                 reason=reason, clock=clock)


def flat_reserves(session: Session, clock: Clock) -> None:
    """Every community holding a type gets an equal share of the committees' total."""
    _redistribute(session, clock, lambda _t, _c: 1.0, "drill variant: flat reserves")


def norm_reserves(session: Session, clock: Clock) -> None:
    """Committees' stock shared in proportion to each community's reserve norm."""
    roots = session.execute(select(Area.code).where(Area.parent_id.is_(None))
                            .order_by(Area.code)).scalars().all()
    required: dict[tuple[str, str], float] = {}
    for root in roots:
        for gap in reserves.reserve_gaps(session, principal=SYSTEM, within=root, clock=clock):
            required[gap.resource_type_code, gap.community_code] = float(gap.required)
    ruled = {t for t, _c in required}
    _redistribute(session, clock,
                  lambda t, c: required.get((t, c), 0.0) if t in ruled else 1.0,
                  "drill variant: reserves by norm")


def _plans(session: Session, clock: Clock, action: TriggerAction) -> None:
    configured = trigger_service.get_trigger_rules(session, principal=SYSTEM)
    warning = [r.model_dump(mode="json") for r in configured.warning_rules] or [
        {"hazard": r.hazard, "colour": r.colour, "action": r.action, "target": r.target,
         "escalate_after_minutes": r.escalate_after_minutes} for r in DEFAULT_WARNING_RULES]
    indicator = [r.model_dump(mode="json") for r in configured.indicator_rules] or [
        {"indicator": r.indicator, "threshold": r.threshold, "action": r.action,
         "target": r.target, "hazard": r.hazard, "area_code": r.area_code}
        for r in DEFAULT_INDICATOR_RULES]
    for rule in warning + indicator:
        if rule["action"] != TriggerAction.IGNORE:
            rule["action"] = action
    rules = TriggerRules.model_validate_json(json.dumps(
        {"warning_rules": warning, "indicator_rules": indicator}))
    trigger_service.replace_trigger_rules(session, principal=SYSTEM, data=rules, clock=clock)


def self_activating(session: Session, clock: Clock) -> None:
    """Warnings and indicators switch the mode (and so activate plans) at once."""
    _plans(session, clock, TriggerAction.PERFORM)


def by_hand(session: Session, clock: Clock) -> None:
    """Every trigger only proposes; a commander confirms before plans activate."""
    _plans(session, clock, TriggerAction.PROPOSE)
