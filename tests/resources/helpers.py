"""Builders for resource test data, on top of tests/factories.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import SECTORS, OrganisationKind
from communitas.actors.models import Organisation
from communitas.actors.schemas import OrganisationCreate
from communitas.auth.permissions import SYSTEM
from communitas.events import Event
from communitas.resources import service as resources
from communitas.resources.models import CapacityOffer, Holding
from communitas.resources.schemas import HoldingCreate
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, STREET_A, build_city

ON = date(2026, 6, 1)
STREET_OFFICE_A = "SO-A"
COMMITTEE_A1 = "NC-A1"
COMMITTEE_B1 = "NC-B1"
MARKET = "MK-1"
BUILDING_A1 = f"{COMMUNITY_A1}-B001"
BUILDING_B1 = f"{COMMUNITY_B1}-B001"


def make_org(db: Session, code: str, kind: OrganisationKind, home: str) -> Organisation:
    sector = sorted(SECTORS[kind])[0] if kind in SECTORS else None
    [org] = actors.create_organisations(db, principal=SYSTEM, items=[OrganisationCreate(
        code=code, kind=kind, sector=sector, name_zh=f"单位{code}", name_en=f"Unit {code}",
        home_area_code=home)])
    db.flush()
    return org


def build_world(db: Session) -> None:
    """The test city, the default catalogue, and a street office, two committees, a market."""
    build_city(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    make_org(db, STREET_OFFICE_A, OrganisationKind.STREET_OFFICE, STREET_A)
    make_org(db, COMMITTEE_A1, OrganisationKind.NEIGHBOURHOOD_COMMITTEE, COMMUNITY_A1)
    make_org(db, COMMITTEE_B1, OrganisationKind.NEIGHBOURHOOD_COMMITTEE, COMMUNITY_B1)
    make_org(db, MARKET, OrganisationKind.MARKET_ORGANISATION, DISTRICT)
    db.flush()


def stock(db: Session, type_code: str, org: str, area: str, quantity: int,
          **extra: Any) -> Holding:
    """One holding, recorded by the platform itself."""
    [holding] = resources.create_holdings(db, principal=SYSTEM, items=[HoldingCreate(
        resource_type_code=type_code, organisation_code=org, area_code=area,
        quantity=quantity, **extra)])
    db.flush()
    return holding


def counts(db: Session) -> dict[str, int]:
    """Row counts of the tables resources write, and of the event log."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Holding, CapacityOffer, Event)}


def holding_body(type_code: str = "water.bottled", org: str = COMMITTEE_A1,
                 area: str = BUILDING_A1, quantity: int = 10, **extra: Any) -> dict[str, Any]:
    return {"resource_type_code": type_code, "organisation_code": org, "area_code": area,
            "quantity": quantity, **extra}
