"""Kinds of organisations and people (MISSION.md, "Who uses it")."""

from __future__ import annotations

from enum import StrEnum

from communitas.areas.codes import AreaKind


class OrganisationKind(StrEnum):
    GOVERNMENT_DEPARTMENT = "government_department"
    STREET_OFFICE = "street_office"
    NEIGHBOURHOOD_COMMITTEE = "neighbourhood_committee"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"
    SOCIAL_ORGANISATION = "social_organisation"
    RESCUE_TEAM = "rescue_team"
    MARKET_ORGANISATION = "market_organisation"
    VOLUNTEER_TEAM = "volunteer_team"


class GovernmentSector(StrEnum):
    EMERGENCY_MANAGEMENT = "emergency_management"
    PUBLIC_SECURITY = "public_security"
    HEALTH = "health"
    CIVIL_AFFAIRS = "civil_affairs"
    FIRE_AND_RESCUE = "fire_and_rescue"
    COMPREHENSIVE_GOVERNANCE = "comprehensive_governance"
    HOUSING = "housing"


class MarketSector(StrEnum):
    DELIVERY_PLATFORM = "delivery_platform"
    EXPRESS_COURIER = "express_courier"
    WHOLESALE_MARKET = "wholesale_market"
    SUPERMARKET = "supermarket"
    PHARMACY = "pharmacy"


SECTORS: dict[OrganisationKind, frozenset[str]] = {
    OrganisationKind.GOVERNMENT_DEPARTMENT: frozenset(s.value for s in GovernmentSector),
    OrganisationKind.MARKET_ORGANISATION: frozenset(s.value for s in MarketSector),
}


class PersonKind(StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    CADRE = "cadre"
    PARTY_MEMBER = "party_member"


class Availability(StrEnum):
    """When a person can take tasks (volunteers, workers, cadres)."""

    ANYTIME = "anytime"
    WEEKDAY_DAYTIME = "weekday_daytime"
    WEEKDAY_EVENINGS = "weekday_evenings"
    WEEKENDS = "weekends"
    UNAVAILABLE = "unavailable"


# Where each kind of person is registered: residents live in a building; workers, cadres
# and party members serve a community (or a grid or building in it).
PERSON_AREA_KINDS: dict[PersonKind, frozenset[AreaKind]] = {
    PersonKind.RESIDENT: frozenset({AreaKind.BUILDING}),
    PersonKind.VOLUNTEER: frozenset({AreaKind.BUILDING, AreaKind.COMMUNITY}),
    PersonKind.GRID_WORKER: frozenset({AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING}),
    PersonKind.CADRE: frozenset({AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING}),
    PersonKind.PARTY_MEMBER: frozenset({AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING}),
}
