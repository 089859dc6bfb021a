"""A neighbourhood for community tests: the two-street city, vulnerable residents and able
neighbours with every private field filled in, and staff of communities A1 and B1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.community import neighbours
from communitas.community.models import (
    AidEnrolment,
    AidMatch,
    AidPair,
    AidPost,
    AidRole,
    ClaimCluster,
    ClaimReport,
    NeighbourCheck,
)
from communitas.community.schemas import EnrolmentCreate, PairCreate
from communitas.events import Event
from communitas.tasks.models import Task
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, build_city, make_user

BUILDING_A1 = f"{COMMUNITY_A1}-B001"
BUILDING_A1_2 = f"{COMMUNITY_A1}-B002"
BUILDING_B1 = f"{COMMUNITY_B1}-B001"
GRID_A1 = f"{COMMUNITY_A1}-G01"
START = datetime(2026, 7, 20, 1, 0, tzinfo=UTC)
CLOCK = FixedClock(START)
PHONE, ID_NUMBER = "13812345678", "31011519800101123X"
HEALTH, DISABILITY = "severe asthma", "uses a wheelchair"
SECRETS = (PHONE, ID_NUMBER, HEALTH, DISABILITY)
PRIVATE = {"phone": PHONE, "id_number": ID_NUMBER, "health_conditions": HEALTH,
           "disability": DISABILITY}

# code: (home, kind, login)
PEOPLE: dict[str, tuple[str, PersonKind, str | None]] = {
    "OLD-1": (BUILDING_A1, PersonKind.RESIDENT, "old1"),
    "OLD-2": (BUILDING_A1_2, PersonKind.RESIDENT, "old2"),
    "OLD-B": (BUILDING_B1, PersonKind.RESIDENT, None),
    "H-1": (BUILDING_A1, PersonKind.RESIDENT, "helper1"),
    "H-2": (BUILDING_A1_2, PersonKind.VOLUNTEER, "helper2"),
    "H-B": (BUILDING_B1, PersonKind.RESIDENT, None),
    "GW-1": (COMMUNITY_A1, PersonKind.GRID_WORKER, "gw"),
}


def build_world(db: Session) -> dict[str, Principal]:
    """The city, the people above, committees of A1 ('juwei', 'juwei2') and B1 ('juwei_b'),
    a district commander and an auditor; returns every account's principal."""
    build_city(db)
    for code, (home, kind, username) in PEOPLE.items():
        make_person(db, code, home, kind, **PRIVATE)
        if username is not None:
            role = Role.GRID_WORKER if kind is PersonKind.GRID_WORKER else Role.RESIDENT
            make_user(db, username, role, area_code=COMMUNITY_A1, person_code=code)
    for name, role, area in (("juwei", Role.COMMUNITY_COMMITTEE, COMMUNITY_A1),
                             ("juwei2", Role.COMMUNITY_COMMITTEE, COMMUNITY_A1),
                             ("juwei_b", Role.COMMUNITY_COMMITTEE, COMMUNITY_B1),
                             ("district", Role.DISTRICT_COMMANDER, DISTRICT),
                             ("auditor", Role.AUDITOR, DISTRICT)):
        make_user(db, name, role, area_code=area)
    names = [u for *_x, u in PEOPLE.values() if u] + ["juwei", "juwei2", "juwei_b", "district",
                                                      "auditor"]
    return {n: auth.principal_for_user(db, auth.get_user(db, username=n)) for n in names}


def enrol(db: Session, who: Principal, code: str, role: AidRole, **extra: Any) -> AidEnrolment:
    own = PEOPLE[code][2] == who.username
    statement = {} if own else {"consent_statement": "home visit"}
    return neighbours.enrol(db, principal=who, clock=CLOCK, data=EnrolmentCreate(
        person_code=code, role=role, **{**statement, **extra}))


def active_pair(db: Session, staff: Principal, helper: Principal, vulnerable: str,
                helper_code: str) -> AidPair:
    """A pair confirmed by staff and accepted by the helper."""
    pair = neighbours.confirm_pair(db, principal=staff, clock=CLOCK, data=PairCreate(
        vulnerable_person_code=vulnerable, helper_person_code=helper_code))
    return neighbours.answer_pair(db, principal=helper, pair_id=pair.id, accept=True,
                                  clock=CLOCK)


def counts(db: Session) -> dict[str, int]:
    return {m.__tablename__: db.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (AidEnrolment, AidPair, NeighbourCheck, AidPost, AidMatch, ClaimCluster,
                      ClaimReport, Task, Event)}
