"""Assess every community under an area: facts from the database, scores from indices.py."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock
from communitas.drills.assessment_data import Reach, gather
from communitas.drills.indices import Assessment, CommunityFacts, assess, rank
from communitas.modes.plan_service import LIBRARY_DIR
from communitas.modes.plans import PlanDocument, parse_plan_text
from communitas.resources import reserves
from communitas.resources.lookups import today

__all__ = ["assess_communities", "assessment_geojson", "unstaffed_roles"]


@lru_cache(maxsize=1)
def _community_plans() -> tuple[PlanDocument, ...]:
    """The community-level plans of the shipped library (every hazard and level)."""
    plans = []
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        parsed = parse_plan_text(path.read_text(encoding="utf-8"), file=path.name)
        plans += [p.document for p in parsed if p.document.area_kind == "community"]
    return tuple(plans)


def unstaffed_roles(hazards: list[str], holders: set[str]) -> tuple[int, tuple[str, ...]]:
    """Plan roles the community's plans name, and those no holder in reach could fill.

    A proxy until plan activation resolves holders itself: a role counts as staffed when
    something of its default holder's kind (a user role, a kind of person, a kind or sector
    of organisation) exists in the community's reach.
    """
    total, missing = 0, []
    for plan in _community_plans():
        if plan.hazard not in hazards:
            continue
        for role in plan.roles:
            total += 1
            if role.default_holder not in holders:
                missing.append(f"{plan.hazard}/{plan.level.value}/{role.key.value}")
    return total, tuple(missing)


def _holders(reach: Reach, community_id: int) -> set[str]:
    holders: set[str] = set()
    for area_id in [community_id, *reach.ancestors[community_id]]:
        holders |= reach.org_holders.get(area_id, set())
        holders |= {f"role:{r}" for r in reach.user_roles.get(area_id, set())}
    holders |= {f"person_kind:{k}" for k, n in reach.person_kinds.get(community_id, {}).items()
                if n > 0}
    return holders


def _facts(reach: Reach, shortfalls: dict[str, dict[str, float]]) -> list[CommunityFacts]:
    facts = []
    for community in reach.communities:
        chain = [community.id, *reach.ancestors[community.id]]
        in_reach: dict[str, float] = dict(reach.own_stock.get(community.id, {}))
        for area_id in chain[1:]:
            for code, quantity in reach.ancestor_stock.get(area_id, {}).items():
                in_reach[code] = in_reach.get(code, 0) + quantity
        hazards = list(community.hazards or [])
        plan_roles, missing = unstaffed_roles(hazards, _holders(reach, community.id))
        facts.append(CommunityFacts(
            code=community.code, name_zh=community.name_zh, name_en=community.name_en,
            population=community.population,
            groups={g: getattr(community, g) for g in ("aged_65", "aged_80", "living_alone",
                                                       "disabled", "infants",
                                                       "chronically_ill")},
            hazards=tuple(hazards), stock_in_reach=in_reach,
            own_stock=dict(reach.own_stock.get(community.id, {})),
            organisation_kinds=frozenset(k for a in chain for k in reach.org_kinds.get(a, ())),
            volunteers=reach.person_kinds.get(community.id, {}).get("volunteer", 0),
            market_offers=sum(reach.offers.get(a, 0) for a in chain),
            shortfalls=shortfalls.get(community.code, {}),
            work_by_kind=reach.work.get(community.id, {}), plan_roles=plan_roles,
            unstaffed_roles=missing, geometry=community.geometry))
    return facts


def assess_communities(session: Session, *, principal: Principal, within: str,
                       on: date | None = None, clock: Clock | None = None) -> list[Assessment]:
    """Every community under ``within``, least resilient first."""
    root = areas.get_area(session, code=within)
    require(principal, Permission.ASSESSMENT_READ, area_path=root.path)
    on = on or today(clock)
    shortfalls: dict[str, dict[str, float]] = {}
    for gap in reserves.reserve_gaps(session, principal=principal, within=within, on=on):
        shortfalls.setdefault(gap.community_code, {})[gap.resource_type_code] = gap.shortfall
    return rank([assess(f) for f in _facts(gather(session, root=root, on=on), shortfalls)])


def assessment_geojson(items: list[Assessment]) -> dict[str, Any]:
    """A FeatureCollection of the communities with their scores, for the map."""
    features = [{"type": "Feature", "id": a.code, "geometry": a.geometry,
                 "properties": {"rank": i + 1, **a.as_dict()}}
                for i, a in enumerate(items)]
    return {"type": "FeatureCollection", "features": features}
