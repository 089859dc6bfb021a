"""Resilience assessment of a community without a drill. Pure: plain facts in, scores out.

    hazard H         = 1 − Π (1 − w_h) over the community's hazards (w_h: HAZARD_WEIGHTS)
    exposure E       = P / (P + P₀)                 P residents, P₀ = 4,011 (the demo mean)
    vulnerability V  = s / (s + s₀)                 s weighted share of vulnerable residents
    risk             = 100 × (H × E × V)^(1/3)      geometric mean, as the INFORM index does
    endowment        = 100 × mean(supplies, organisations, volunteers, market reach)
    resilience index = (endowment + (100 − risk)) / 2

and three structural-tension indicators (MISSION.md): dislocated redundancy, actor
concentration and mode-switch friction. The weights are judgements, not statistics; they
are here, named, so that a city can set its own. docs/drills.md explains each term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HAZARD_NEEDS", "HAZARD_WEIGHTS", "Assessment", "CommunityFacts", "assess", "rank",
]

# How much each hazard weighs in H: a judgement of likelihood × severity for a large coastal
# Chinese city (floods and typhoons every few years, earthquakes rare but severe).
HAZARD_WEIGHTS: dict[str, float] = {
    "flood": 0.5, "typhoon": 0.5, "high_rise_fire": 0.4, "epidemic": 0.4,
    "heat_wave": 0.3, "gas_leak": 0.3, "earthquake": 0.2,
}
# Resource types each hazard calls for (from the shipped response plans and scenarios).
HAZARD_NEEDS: dict[str, tuple[str, ...]] = {
    "flood": ("rescue.sandbag", "rescue.drainage_pump", "rescue.life_jacket",
              "water.bottled", "food.instant_noodles", "power.flashlight"),
    "typhoon": ("rescue.sandbag", "power.flashlight", "power.generator", "water.bottled",
                "food.instant_noodles"),
    "high_rise_fire": ("rescue.fire_extinguisher", "medical.first_aid_kit", "shelter.blanket",
                       "comms.loudspeaker"),
    "earthquake": ("shelter.tent", "shelter.folding_bed", "medical.first_aid_kit",
                   "water.bottled", "food.ready_meal", "power.generator"),
    "epidemic": ("medical.masks", "medical.antigen_test", "sanitation.disinfectant",
                 "medical.chronic_medication"),
    "heat_wave": ("water.bottled", "medical.first_aid_kit"),
    "gas_leak": ("comms.loudspeaker", "medical.first_aid_kit", "rescue.fire_extinguisher"),
}
# Weights of vulnerable groups in s (people may count in several groups, as in the census).
VULNERABILITY_WEIGHTS: dict[str, float] = {
    "aged_65": 1.0, "aged_80": 2.0, "living_alone": 2.0, "disabled": 2.0, "infants": 1.0,
    "chronically_ill": 0.5,
}
REFERENCE_POPULATION = 4011  # demo mean residents per community (docs/demo-city.md)
REFERENCE_SHARE = 0.486  # s of a community with the city-wide shares of each group
# Organisation kinds whose presence in reach counts towards endowment.
ENDOWMENT_KINDS = ("neighbourhood_committee", "owners_committee", "property_company",
                   "social_organisation", "volunteer_team", "rescue_team",
                   "market_organisation")
VOLUNTEERS_PER_1000 = 1.0  # registered volunteers per 1,000 residents scoring one half
MARKET_OFFERS = 2  # market capacity offers in reach scoring one half
COMMITTEE = "neighbourhood_committee"


@dataclass(frozen=True)
class CommunityFacts:
    """What the database says about one community, gathered by assessment.py."""

    code: str
    name_zh: str
    name_en: str
    population: int
    groups: dict[str, int]  # aged_65, aged_80, living_alone, disabled, infants, chronically_ill
    hazards: tuple[str, ...]
    stock_in_reach: dict[str, float] = field(default_factory=dict)  # usable units by type
    own_stock: dict[str, int] = field(default_factory=dict)  # held in the community itself
    organisation_kinds: frozenset[str] = frozenset()
    volunteers: int = 0
    market_offers: int = 0
    shortfalls: dict[str, float] = field(default_factory=dict)  # reserve-norm gap shares
    work_by_kind: dict[str, int] = field(default_factory=dict)  # units committed, by kind
    plan_roles: int = 0
    unstaffed_roles: tuple[str, ...] = ()  # "hazard/level/role" at activation
    geometry: dict[str, Any] | None = None


@dataclass(frozen=True)
class Assessment:
    code: str
    name_zh: str
    name_en: str
    hazard: float
    exposure: float
    vulnerability: float
    risk: float
    endowment: float
    resilience: float
    reserve_shortfall: float | None  # mean share of norms unmet; None without norms
    uncovered_needs: tuple[str, ...]  # dislocated redundancy: needs with nothing in reach
    mismatched_stock: float  # share of own stock that serves none of its hazards
    committee_share: float | None  # actor concentration; None with no work yet
    unstaffed_roles: tuple[str, ...]
    friction: float | None  # unstaffed / all plan roles; None without plans
    geometry: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "geometry"}
        data["uncovered_needs"] = list(self.uncovered_needs)
        data["unstaffed_roles"] = list(self.unstaffed_roles)
        return data


def _ratio(x: float, reference: float) -> float:
    return x / (x + reference) if x + reference > 0 else 0.0


def hazard_score(hazards: tuple[str, ...]) -> float:
    survive = 1.0
    for hazard in sorted(set(hazards)):
        survive *= 1 - HAZARD_WEIGHTS.get(hazard, 0.0)
    return 1 - survive


def vulnerable_share(population: int, groups: dict[str, int]) -> float:
    if population <= 0:
        return 0.0
    return sum(w * groups.get(g, 0) for g, w in VULNERABILITY_WEIGHTS.items()) / population


def needs(hazards: tuple[str, ...]) -> list[str]:
    return sorted({code for h in hazards for code in HAZARD_NEEDS.get(h, ())})


def _supplies(facts: CommunityFacts, needed: list[str]) -> float:
    if facts.shortfalls:
        return 1 - sum(facts.shortfalls.values()) / len(facts.shortfalls)
    if not needed:
        return 1.0
    return sum(1 for code in needed if facts.stock_in_reach.get(code, 0) > 0) / len(needed)


def endowment_score(facts: CommunityFacts, needed: list[str]) -> float:
    organisations = len(facts.organisation_kinds & set(ENDOWMENT_KINDS)) / len(ENDOWMENT_KINDS)
    per_1000 = facts.volunteers * 1000 / facts.population if facts.population else 0.0
    parts = (_supplies(facts, needed), organisations, _ratio(per_1000, VOLUNTEERS_PER_1000),
             _ratio(facts.market_offers, MARKET_OFFERS))
    return 100 * sum(parts) / len(parts)


def _mismatch(own_stock: dict[str, int], needed: list[str]) -> float:
    total = sum(own_stock.values())
    if total == 0:
        return 0.0
    return sum(q for code, q in own_stock.items() if code not in needed) / total


def assess(facts: CommunityFacts) -> Assessment:
    """Risk, endowment, resilience and the tension indicators of one community."""
    h = hazard_score(facts.hazards)
    e = _ratio(facts.population, REFERENCE_POPULATION)
    v = _ratio(vulnerable_share(facts.population, facts.groups), REFERENCE_SHARE)
    risk = 100 * math.pow(h * e * v, 1 / 3)
    needed = needs(facts.hazards)
    endowment = endowment_score(facts, needed)
    work = sum(facts.work_by_kind.values())
    return Assessment(
        code=facts.code, name_zh=facts.name_zh, name_en=facts.name_en, hazard=round(h, 4),
        exposure=round(e, 4), vulnerability=round(v, 4), risk=round(risk, 2),
        endowment=round(endowment, 2), resilience=round((endowment + 100 - risk) / 2, 2),
        reserve_shortfall=(round(sum(facts.shortfalls.values()) / len(facts.shortfalls), 4)
                           if facts.shortfalls else None),
        uncovered_needs=tuple(c for c in needed if facts.stock_in_reach.get(c, 0) <= 0),
        mismatched_stock=round(_mismatch(facts.own_stock, needed), 4),
        committee_share=round(facts.work_by_kind.get(COMMITTEE, 0) / work, 4) if work else None,
        unstaffed_roles=facts.unstaffed_roles,
        friction=(round(len(facts.unstaffed_roles) / facts.plan_roles, 4)
                  if facts.plan_roles else None),
        geometry=facts.geometry)


def rank(items: list[Assessment]) -> list[Assessment]:
    """Least resilient first; ties by higher risk, then by code."""
    return sorted(items, key=lambda a: (a.resilience, -a.risk, a.code))
