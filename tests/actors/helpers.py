"""Builders for actor test data, on top of tests/factories.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import PersonKind
from communitas.actors.models import Organisation, OrganisationArea, Person, Qualification
from communitas.actors.schemas import PersonCreate
from communitas.auth.permissions import SYSTEM
from communitas.events import Event
from tests.factories import COMMUNITY_A1, COMMUNITY_B1

BUILDING_A1 = f"{COMMUNITY_A1}-B001"
BUILDING_A1_2 = f"{COMMUNITY_A1}-B002"
BUILDING_B1 = f"{COMMUNITY_B1}-B001"
GRID_A1 = f"{COMMUNITY_A1}-G01"
PHONE = "13812345678"
ID_NUMBER = "31011519800101123X"


def make_person(db: Session, code: str, area_code: str,
                kind: PersonKind = PersonKind.RESIDENT, **extra: Any) -> Person:
    """One person, created by the platform itself."""
    [person] = actors.create_people(db, principal=SYSTEM, items=[PersonCreate(
        code=code, kind=kind, name_zh=f"居民{code}", name_en=f"Person {code}",
        area_code=area_code, **extra)])
    db.flush()
    return person


def make_resident(db: Session, code: str, area_code: str = BUILDING_A1) -> Person:
    """A resident with every sensitive field filled in."""
    return make_person(db, code, area_code, phone=PHONE, id_number=ID_NUMBER,
                       health_conditions="diabetes", disability="wheelchair user")


def counts(db: Session) -> dict[str, int]:
    """Row counts of every table the actors domain writes, and of the event log."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Organisation, OrganisationArea, Person, Qualification, Event)}
