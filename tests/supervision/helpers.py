"""Builders for supervision tests: the test city, supervisors and people sent down."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.events import Event
from communitas.supervision.models import CadreAssignment
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, DISTRICT, STREET_A, make_user
from tests.resources.helpers import BUILDING_A1, build_world

# 10:00 in Beijing on 1 July 2026.
START = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
CADRE, PARTY_MEMBER, RESIDENT = "C-1", "PM-1", "R-1"


def build_supervision_world(db: Session) -> None:
    """A street commander of street A, a district commander, the committee of A1, a cadre of
    A1 with a grid worker's login, a party member of A2 and a resident."""
    build_world(db)
    make_user(db, "jiedao", Role.STREET_COMMANDER, area_code=STREET_A)
    make_user(db, "quzhang", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    make_user(db, "juwei", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    make_person(db, CADRE, COMMUNITY_A1, PersonKind.CADRE, phone="13800000000")
    make_user(db, "ganbu", Role.GRID_WORKER, area_code=COMMUNITY_A1, person_code=CADRE)
    make_person(db, PARTY_MEMBER, COMMUNITY_A2, PersonKind.PARTY_MEMBER)
    make_person(db, RESIDENT, BUILDING_A1)


def principal(db: Session, username: str) -> Principal:
    return auth.principal_for_user(db, auth.get_user(db, username=username))


def counts(db: Session) -> dict[str, int]:
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (CadreAssignment, Event)}
