"""The drill's view of its city copy: who is affected, who holds what, where things are.

Reads the drill's own database (areas, organisations, holdings, shipments: the simulator's
private copy) and sends injects to the services that handle them live (modes warnings and
indicators, resource adjustments).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.models import Organisation
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock
from communitas.dispatch.models import Shipment
from communitas.drills.conditions import Conditions
from communitas.drills.demand import DemandArea, Outage
from communitas.drills.records import RequestRecord
from communitas.drills.scenario import (
    IndicatorInject,
    Inject,
    PowerLossInject,
    Scenario,
    StockLostInject,
    WarningInject,
    duration_minutes,
    unknown_areas,
)
from communitas.errors import ValidationFailed
from communitas.i18n import _
from communitas.modes import trigger_service, warning_service
from communitas.modes.schemas import IndicatorPost, WarningCreate
from communitas.resources import service as resources
from communitas.resources.lookups import path_ids
from communitas.resources.models import Holding, ResourceType

__all__ = ["City", "InjectOutcome", "apply_inject", "load"]

_GROUPS = ("aged_65", "aged_80", "living_alone", "disabled", "infants", "chronically_ill")


@dataclass
class City:
    root: str  # the top area: dispatchers plan over all of it
    demand_areas: list[DemandArea]
    org_kind: dict[str, str]
    org_sector: dict[str, str | None]
    initial_stock: dict[str, int]
    outages: list[Outage] = field(default_factory=list)
    _codes: dict[int, str] = field(default_factory=dict)
    _paths: dict[str, str] = field(default_factory=dict)

    def lineage(self, code: str) -> set[str]:
        """The codes of an area and of its ancestors."""
        return {self._codes[i] for i in path_ids(self._paths[code]) if i in self._codes}

    def arrival_minute(self, conditions: Conditions, suggested: Any, target_code: str,
                       minute: float) -> float:
        """When a shipment leaving now for ``target_code`` arrives, after road cuts and
        market capacity."""
        origin, target = self.lineage(suggested.area_code), self.lineage(target_code)
        road, depart = conditions.road(origin, target, minute)
        factor = road * conditions.stairs(target, minute)
        if self.org_kind.get(suggested.organisation_code) == "market_organisation":
            market, later = conditions.market(self.org_sector.get(suggested.organisation_code),
                                              target, minute)
            factor, depart = factor * market, max(depart, later)
        return depart + max(1.0, float(suggested.minutes)) * factor


def _units(session: Session, code: str) -> list[Area]:
    """Where the residents of an area are counted: itself if a community, grid or
    building, else every community below it."""
    area = session.execute(select(Area).where(Area.code == code)).scalar_one()
    if area.kind in (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING):
        return [area]
    low, high = area.subtree_bounds()
    return list(session.execute(select(Area).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())


def _resident(unit: Area, severity: float) -> DemandArea:
    return DemandArea(unit.code, unit.population, {g: getattr(unit, g) for g in _GROUPS},
                      severity)


def _outages(session: Session, scenario: Scenario) -> list[Outage]:
    """Power-loss injects that bring requests of their own, with their residents."""
    found = []
    for inject in scenario.injects:
        if isinstance(inject, PowerLossInject) and inject.demand is not None:
            until = duration_minutes(inject.until) if inject.until else scenario.minutes
            units = {u.code: u for code in inject.areas for u in _units(session, code)}
            found.append(Outage(float(duration_minutes(inject.at)), float(until),
                                tuple(_resident(u, 1.0) for _c, u in sorted(units.items())),
                                inject.demand))
    return found


def _demand_areas(session: Session, scenario: Scenario) -> list[DemandArea]:
    """Affected communities and buildings with their residents (most severe entry wins)."""
    found: dict[str, DemandArea] = {}
    for affected in scenario.affected:
        for unit in _units(session, affected.code):
            old = found.get(unit.code)
            if old is None or old.severity < affected.severity:
                found[unit.code] = _resident(unit, affected.severity)
    return sorted(found.values(), key=lambda a: a.code)


def _stock_by_type(session: Session) -> dict[str, int]:
    rows = session.execute(select(ResourceType.code, func.coalesce(func.sum(Holding.quantity), 0))
                           .join(Holding, Holding.resource_type_id == ResourceType.id)
                           .group_by(ResourceType.code)).all()
    return {code: int(total) for code, total in rows}


def load(session: Session, scenario: Scenario) -> City:
    """The city as the drill needs it; refuses a scenario naming areas the city lacks."""
    unknown = unknown_areas(scenario, session.execute(select(Area.code)).scalars())
    if unknown:
        raise ValidationFailed(_("The scenario names areas this city does not have: {codes}"),
                               code="unknown_area", codes=", ".join(unknown[:20]),
                               details={"codes": unknown[:200]})
    roots = list(session.execute(select(Area.code).where(Area.parent_id.is_(None))
                                 .order_by(Area.code)).scalars())
    orgs = session.execute(select(Organisation.code, Organisation.kind,
                                  Organisation.sector)).all()
    areas = session.execute(select(Area.id, Area.code, Area.path)).all()
    return City(root=roots[0], demand_areas=_demand_areas(session, scenario),
                org_kind={c: str(k) for c, k, _s in orgs},
                org_sector={c: s for c, _k, s in orgs},
                initial_stock=_stock_by_type(session), outages=_outages(session, scenario),
                _codes={i: c for i, c, _p in areas}, _paths={c: p for _i, c, p in areas})


@dataclass
class InjectOutcome:
    switched: list[str] = field(default_factory=list)
    proposals: list[int] = field(default_factory=list)
    lost: dict[str, int] = field(default_factory=dict)


def apply_inject(session: Session, scenario: Scenario, inject: Inject, *, index: int,
                 seed: int, clock: Clock) -> InjectOutcome:
    """Send an inject to the service that handles it live; road, market and power injects
    act through Conditions instead."""
    outcome = InjectOutcome()
    if isinstance(inject, WarningInject):
        until = duration_minutes(inject.until) if inject.until else scenario.minutes
        receipt = warning_service.receive_warning(session, principal=SYSTEM, clock=clock,
                                                  data=WarningCreate(
            identifier=f"drill-{seed}-{index}", sender="drill",
            hazard=inject.hazard or scenario.hazard, colour=inject.colour,
            area_codes=list(inject.areas),
            expires_at=scenario.start + timedelta(minutes=until)))
        _outcome(outcome, receipt)
    elif isinstance(inject, IndicatorInject):
        for code in inject.areas:
            _outcome(outcome, trigger_service.post_indicator(
                session, principal=SYSTEM, clock=clock,
                data=IndicatorPost(area_code=code, name=inject.indicator, value=inject.value)))
    elif isinstance(inject, StockLostInject):
        outcome.lost = _lose_stock(session, inject, clock)
    return outcome


def _outcome(outcome: InjectOutcome, receipt: Any) -> None:
    outcome.switched += [s.area_code for s in receipt.switches]
    outcome.proposals += [p.id for p in receipt.proposals]


def _lose_stock(session: Session, inject: StockLostInject, clock: Clock) -> dict[str, int]:
    lost: dict[str, int] = defaultdict(int)
    for code in inject.areas:
        area = session.execute(select(Area).where(Area.code == code)).scalar_one()
        low, high = area.subtree_bounds()
        query = (select(Holding.id, Holding.quantity, ResourceType.code)
                 .join(Area, Area.id == Holding.area_id)
                 .join(ResourceType, ResourceType.id == Holding.resource_type_id)
                 .where(Area.path >= low, Area.path < high, Holding.quantity > 0)
                 .order_by(Holding.id))
        if inject.resource_types:
            query = query.where(ResourceType.code.in_(inject.resource_types))
        for holding_id, quantity, type_code in session.execute(query).all():
            units = math.floor(quantity * inject.share)
            if units:
                resources.adjust_holding(session, principal=SYSTEM, holding_id=holding_id,
                                         delta=-units, reason="drill: stock lost",
                                         clock=clock)
                lost[type_code] += units
    return dict(lost)


def confirm_proposal(session: Session, proposal_id: int, *, clock: Clock) -> str | None:
    """The commander confirms a pending proposal; the area's code, or None if refused."""
    try:
        switch = trigger_service.confirm_proposal(session, principal=SYSTEM,
                                                  proposal_id=proposal_id, clock=clock,
                                                  reason="drill")
    except Exception:  # already decided or superseded: nothing switched
        return None
    return switch.area_code


def stock_balance(session: Session, city: City, lost: dict[str, int],
                  requests: list[RequestRecord]) -> dict[str, dict[str, int]]:
    """Per type: initial = held + committed-not-delivered + delivered + lost (checked)."""
    held = _stock_by_type(session)
    pending = dict(session.execute(
        select(ResourceType.code, func.sum(Shipment.quantity - Shipment.delivered))
        .join(Holding, Holding.id == Shipment.holding_id)
        .join(ResourceType, ResourceType.id == Holding.resource_type_id)
        .group_by(ResourceType.code)).all())
    delivered: dict[str, int] = defaultdict(int)
    for request in requests:
        delivered[request.resource_type] += request.delivered
    balance = {}
    for code in sorted(set(city.initial_stock) | set(held)):
        row = {"initial": city.initial_stock.get(code, 0), "held": held.get(code, 0),
               "pending": int(pending.get(code) or 0), "delivered": delivered.get(code, 0),
               "lost": lost.get(code, 0)}
        row["unaccounted"] = row["initial"] - row["held"] - row["pending"] - \
            row["delivered"] - row["lost"]
        balance[code] = row
    return balance
