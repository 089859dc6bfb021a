"""Reserve norms (editable rules) and the gaps against stock within reach."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.events import record_event
from communitas.resources import norms
from communitas.resources.lookups import (
    get_resource_type,
    path_ids,
    require_catalogue_editor,
    today,
)
from communitas.resources.models import (
    Holding,
    HoldingCondition,
    ReserveNormRule,
    ResourceType,
)
from communitas.resources.schemas import (
    ReserveGapRead,
    ReserveNormRead,
    ReserveNormSet,
)

__all__ = [
    "list_norm_rules",
    "norm_rule_read",
    "reserve_gaps",
    "set_norm_rule",
]

# --- Reserve norms --------------------------------------------------------------------------

def set_norm_rule(
    session: Session, *, principal: Principal, type_code: str, data: ReserveNormSet,
    clock: Clock | None = None,
) -> ReserveNormRule:
    """Create or replace the reserve norm of one resource type."""
    clock = clock or SystemClock()
    require_catalogue_editor(principal)
    rtype = get_resource_type(session, code=type_code)
    rule = session.execute(select(ReserveNormRule).where(
        ReserveNormRule.resource_type_id == rtype.id)).scalar_one_or_none()
    action = "reserve_norm.updated" if rule else "reserve_norm.created"
    if rule is None:
        rule = ReserveNormRule(resource_type_id=rtype.id)
        session.add(rule)
    for key, value in data.model_dump().items():
        setattr(rule, key, value)
    rule.updated_at = clock.now()
    session.flush()
    record_event(session, actor=principal.actor, action=action, clock=clock,
                 subject_type="resource_type", subject_id=rtype.code,
                 payload=data.model_dump(exclude={"note", "source"}))
    return rule


def list_norm_rules(session: Session) -> Select[Any]:
    """Every reserve norm rule, by resource type code; the caller pages it."""
    return (select(ReserveNormRule)
            .join(ResourceType, ResourceType.id == ReserveNormRule.resource_type_id)
            .order_by(ResourceType.code))


def norm_rule_read(rule: ReserveNormRule) -> ReserveNormRead:
    return ReserveNormRead.model_validate(rule)


def _norm(rule: ReserveNormRule) -> norms.NormRule:
    return norms.NormRule(
        per_1000_residents=rule.per_1000_residents, per_100_aged_65=rule.per_100_aged_65,
        per_100_aged_80=rule.per_100_aged_80, per_100_living_alone=rule.per_100_living_alone,
        per_100_disabled=rule.per_100_disabled, per_100_infants=rule.per_100_infants,
        per_100_chronically_ill=rule.per_100_chronically_ill,
        hazard_multipliers=dict(rule.hazard_multipliers or {}),
        hazard_specific=rule.hazard_specific, days_of_cover=rule.days_of_cover)


def _stats(community: Area) -> norms.CommunityStats:
    return norms.CommunityStats(
        population=community.population, aged_65=community.aged_65,
        aged_80=community.aged_80, living_alone=community.living_alone,
        disabled=community.disabled, infants=community.infants,
        chronically_ill=community.chronically_ill)


# --- Reserve gaps ---------------------------------------------------------------------------

def reserve_gaps(
    session: Session, *, principal: Principal, within: str, on: date | None = None,
    type_code: str | None = None, clock: Clock | None = None,
    skip: Collection[str] = frozenset(),
) -> list[ReserveGapRead]:
    """Per community in ``within`` (but those whose codes are in ``skip``) and per ruled
    resource type: need, reach and gap.

    Within reach = usable stock located in the community's subtree, plus a
    population-proportional share of usable stock located at its street. Usable = in good
    condition and not expired on ``on`` (default: today in China).
    """
    root = areas.get_area(session, code=within)
    require(principal, Permission.RESOURCE_READ, area_path=root.path)
    on = on or today(clock)
    low, high = root.subtree_bounds()
    communities = list(session.execute(select(Area).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())
    rules = _rules(session, type_code)
    if not communities or not rules:
        return []
    streets = {c.parent_id for c in communities if c.parent_id is not None}
    street_population = _street_populations(session, streets)
    own, at_street = _usable_stock(session, _reach_bounds(session, root), communities,
                                   streets, on)
    # Plain values, read once: the loop below runs communities × rules (7,200 in a district).
    ruled = [(_norm(rule), rtype.id, rtype.code, rtype.unit) for rule, rtype in rules]
    gaps = []
    for community in communities:
        if community.code in skip:
            continue
        stats, hazards = _stats(community), list(community.hazards or [])
        street_id, population = community.parent_id or 0, community.population
        share_base = street_population.get(street_id, 0)
        names = {"community_code": community.code, "community_name_zh": community.name_zh,
                 "community_name_en": community.name_en}
        for rule, type_id, type_code, unit in ruled:
            required = norms.required_quantity(rule, stats, hazards)
            if required == 0:
                continue
            held = own.get((community.id, type_id), 0)
            share = norms.street_share(at_street.get((street_id, type_id), 0),
                                       population, share_base)
            gap = norms.reserve_gap(required=required, held=held + share)
            gaps.append(ReserveGapRead(
                **names, resource_type_code=type_code, unit=unit, required=required,
                held_in_community=held, street_share=round(share, 2),
                held_within_reach=gap.held, gap=gap.gap, shortfall=gap.shortfall))
    return gaps


def _rules(session: Session, type_code: str | None) -> list[tuple[ReserveNormRule, ResourceType]]:
    query = (select(ReserveNormRule, ResourceType)
             .join(ResourceType, ResourceType.id == ReserveNormRule.resource_type_id)
             .order_by(ResourceType.code))
    if type_code is not None:
        query = query.where(ResourceType.id == get_resource_type(session, code=type_code).id)
    return [(rule, rtype) for rule, rtype in session.execute(query).all()]


def _reach_bounds(session: Session, root: Area) -> tuple[str, str]:
    """Path range holding every community's stock and its street's: the street at least."""
    if root.kind in (AreaKind.CITY, AreaKind.DISTRICT, AreaKind.STREET) or root.parent_id is None:
        return root.subtree_bounds()
    return areas.get_area_by_id(session, area_id=root.parent_id).subtree_bounds()


def _street_populations(session: Session, streets: set[int]) -> dict[int, int]:
    """Residents per street, summed over *all* its communities (the share's denominator)."""
    rows = session.execute(
        select(Area.parent_id, func.coalesce(func.sum(Area.population), 0))
        .where(Area.kind == AreaKind.COMMUNITY, Area.parent_id.in_(sorted(streets)))
        .group_by(Area.parent_id)).all()
    return {int(parent): int(total) for parent, total in rows if parent is not None}


def _usable_stock(
    session: Session, bounds: tuple[str, str], communities: list[Area], streets: set[int],
    on: date,
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Usable units per (community id, type id) and per (street id, type id)."""
    rows = session.execute(
        select(Area.id, Area.path, Holding.resource_type_id, func.sum(Holding.quantity))
        .join(Area, Area.id == Holding.area_id)
        .where(Area.path >= bounds[0], Area.path < bounds[1],
               Holding.condition == HoldingCondition.GOOD,
               or_(Holding.expires_on.is_(None), Holding.expires_on >= on))
        .group_by(Area.id, Area.path, Holding.resource_type_id)).all()
    community_ids = {c.id for c in communities}
    own: dict[tuple[int, int], int] = defaultdict(int)
    at_street: dict[tuple[int, int], int] = defaultdict(int)
    for area_id, path, type_id, quantity in rows:
        if area_id in streets:
            at_street[(area_id, type_id)] += int(quantity)
            continue
        owner = next((i for i in path_ids(path) if i in community_ids), None)
        if owner is not None:
            own[(owner, type_id)] += int(quantity)
    return own, at_street
