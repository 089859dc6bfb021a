"""The demo city as plain, frozen data: areas, actors, resources and people.

A `CityPlan` is what `communitas.demo.generator.generate_city` returns. It has no database
or I/O of its own; loaders turn it into rows. Sequences are tuples so a plan cannot be
changed by accident; geometries are GeoJSON dicts and are left out of hashing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, NamedTuple

__all__ = [
    "AREA_KINDS",
    "AVAILABILITIES",
    "GOVERNMENT_SECTORS",
    "HAZARDS",
    "MARKET_SECTORS",
    "ORGANISATION_KINDS",
    "PERSON_KINDS",
    "RESOURCE_KINDS",
    "SKILLS",
    "Area",
    "AreaKind",
    "CapacityOffer",
    "CityPlan",
    "Holding",
    "Organisation",
    "Person",
    "Qualification",
    "ResourceCategory",
    "ResourceType",
    "Scale",
    "plan_digest",
]

Scale = Literal["district", "city"]
AreaKind = Literal["city", "district", "street", "community", "grid", "building"]

AREA_KINDS: tuple[str, ...] = ("city", "district", "street", "community", "grid", "building")
HAZARDS: tuple[str, ...] = (
    "flood",
    "high_rise_fire",
    "earthquake",
    "epidemic",
    "typhoon",
    "heat_wave",
    "gas_leak",
)
ORGANISATION_KINDS: tuple[str, ...] = (
    "government_department",
    "street_office",
    "neighbourhood_committee",
    "owners_committee",
    "property_company",
    "social_organisation",
    "rescue_team",
    "market_organisation",
    "volunteer_team",
)
GOVERNMENT_SECTORS: tuple[str, ...] = (
    "emergency_management",
    "public_security",
    "health",
    "civil_affairs",
    "fire_and_rescue",
    "comprehensive_governance",
    "housing",
)
MARKET_SECTORS: tuple[str, ...] = (
    "delivery_platform",
    "express_courier",
    "wholesale_market",
    "supermarket",
    "pharmacy",
)
RESOURCE_KINDS: tuple[str, ...] = ("supply", "equipment", "team", "facility")
PERSON_KINDS: tuple[str, ...] = ("resident", "volunteer", "grid_worker", "cadre", "party_member")
SKILLS: tuple[str, ...] = (
    "first_aid",
    "driving",
    "medical",
    "counselling",
    "rescue",
    "logistics",
    "translation",
    "electrician",
)
AVAILABILITIES: tuple[str, ...] = ("anytime", "weekday_daytime", "weekday_evenings", "weekends")


@dataclass(frozen=True, slots=True)
class Area:
    """One administrative or physical area; counts are zero above the community level."""

    kind: AreaKind
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    geometry: dict[str, Any] = field(hash=False)
    population: int = 0
    households: int = 0
    aged_65: int = 0
    aged_80: int = 0
    living_alone: int = 0
    disabled: int = 0
    infants: int = 0
    chronically_ill: int = 0
    hazards: tuple[str, ...] = ()
    floors: int | None = None
    built_year: int | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    code: str
    kind: str
    sector: str | None
    name_zh: str
    name_en: str
    area_codes: tuple[str, ...]
    contact_name: str
    contact_phone: str


@dataclass(frozen=True, slots=True)
class ResourceCategory:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ResourceType:
    code: str
    name_zh: str
    name_en: str
    category_code: str
    kind: str
    unit: str
    shelf_life_days: int | None


@dataclass(frozen=True, slots=True)
class Holding:
    """Stock of one resource type held by an organisation at an area."""

    org_code: str
    resource_type_code: str
    area_code: str
    quantity: int
    expires_on: date | None
    condition: str = "good"


@dataclass(frozen=True, slots=True)
class CapacityOffer:
    """What a market organisation can supply; exactly one of the two rates is set."""

    org_code: str
    resource_type_code: str
    units_per_hour: int | None
    units_per_day: int | None
    lead_time_minutes: int
    area_codes: tuple[str, ...]


class Qualification(NamedTuple):
    name: str
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class Person:
    """A registered person (a sample, not every resident); the last five fields are sensitive."""

    code: str
    kind: str
    name_zh: str
    name_en: str
    area_code: str
    household_code: str | None
    skills: tuple[str, ...]
    qualifications: tuple[Qualification, ...]
    availability: str | None
    phone: str | None
    id_number: str | None
    health_conditions: str | None
    disability: str | None
    birth_date: date | None
    lives_alone: bool = False


@dataclass(frozen=True, slots=True)
class CityPlan:
    """A whole synthetic city; areas are ordered parents before children."""

    seed: int
    scale: Scale
    reference_date: date
    areas: tuple[Area, ...]
    organisations: tuple[Organisation, ...]
    resource_categories: tuple[ResourceCategory, ...]
    resource_types: tuple[ResourceType, ...]
    holdings: tuple[Holding, ...]
    capacity_offers: tuple[CapacityOffer, ...]
    people: tuple[Person, ...]

    def areas_of_kind(self, kind: AreaKind) -> tuple[Area, ...]:
        return tuple(a for a in self.areas if a.kind == kind)


def plan_digest(plan: CityPlan) -> str:
    """SHA-256 of the plan's full repr: equal digests mean identical plans."""
    digest = hashlib.sha256()
    for part in (
        repr((plan.seed, plan.scale, plan.reference_date)),
        *map(repr, plan.areas),
        *map(repr, plan.organisations),
        *map(repr, plan.resource_categories),
        *map(repr, plan.resource_types),
        *map(repr, plan.holdings),
        *map(repr, plan.capacity_offers),
        *map(repr, plan.people),
    ):
        digest.update(part.encode())
        digest.update(b"\n")
    return digest.hexdigest()
