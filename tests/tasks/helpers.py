"""Builders for task tests: the two-street city, staff, sweepers and volunteers."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import Availability, PersonKind
from communitas.actors.schemas import QualificationIn
from communitas.auth.roles import Role
from communitas.events import Event
from communitas.tasks.models import CallOut, CallOutInvitation, ChecklistItem, Sweep, Task, TaskNote
from tests.actors.helpers import ID_NUMBER, PHONE, make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT, build_city, login, make_user

__all__ = [
    "BUILDING_A1", "BUILDING_A1_2", "BUILDING_B1", "FIRST_AID", "GRID_A1", "HEALTH", "ID_NUMBER",
    "PHONE", "PRIVATE",
    "SATURDAY_10", "build_task_world", "counts", "headers", "new_task",
]

BUILDING_A1 = f"{COMMUNITY_A1}-B001"
BUILDING_A1_2 = f"{COMMUNITY_A1}-B002"
BUILDING_B1 = f"{COMMUNITY_B1}-B001"
GRID_A1 = f"{COMMUNITY_A1}-G01"
HEALTH = "severe asthma"
SATURDAY_10 = "2026-11-28T10:00:00+08:00"  # a Saturday morning, Beijing time
FIRST_AID = "first aid certificate"
PRIVATE = {"phone": PHONE, "id_number": ID_NUMBER, "health_conditions": HEALTH,
           "disability": "uses a wheelchair"}


def _person_with_login(db: Session, code: str, area: str, kind: PersonKind, username: str | None,
                       role: Role, scope: str, **extra: Any) -> None:
    make_person(db, code, area, kind, **PRIVATE, **extra)
    if username is not None:
        make_user(db, username, role, area_code=scope, person_code=code)


def _volunteer(db: Session, code: str, area: str, availability: Availability,
               expires: date | None = date(2030, 1, 1), skills: tuple[str, ...] = ("first_aid",),
               ) -> None:
    scope = COMMUNITY_A1 if area.startswith(COMMUNITY_A1) else COMMUNITY_B1
    login_name = code.lower() if code in ("V-1", "V-2") else None  # hashing is slow
    _person_with_login(db, code, area, PersonKind.VOLUNTEER, login_name, Role.VOLUNTEER,
                       scope, skills=list(skills), availability=availability,
                       qualifications=[QualificationIn(name=FIRST_AID, expires_on=expires)])


def build_task_world(db: Session) -> None:
    """Committees of A1 and B1, a district commander, an auditor, two grid workers of A1
    (linked to people), a resident, and volunteers with every private field filled in."""
    build_city(db)
    make_user(db, "juwei", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    make_user(db, "juwei_b", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_B1)
    make_user(db, "district", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    make_user(db, "auditor", Role.AUDITOR, area_code=DISTRICT)
    for n in (1, 2):
        _person_with_login(db, f"GW-{n}", COMMUNITY_A1, PersonKind.GRID_WORKER, f"gw{n}",
                           Role.GRID_WORKER, COMMUNITY_A1)
    _person_with_login(db, "R-1", BUILDING_A1, PersonKind.RESIDENT, "resident", Role.RESIDENT,
                       COMMUNITY_A1)
    _volunteer(db, "V-1", BUILDING_A1, Availability.ANYTIME)  # nearest, always free
    _volunteer(db, "V-2", BUILDING_A1_2, Availability.WEEKENDS)
    _volunteer(db, "V-3", BUILDING_A1_2, Availability.WEEKDAY_DAYTIME)  # not on Saturday
    _volunteer(db, "V-4", BUILDING_A1_2, Availability.ANYTIME, expires=date(2025, 1, 1))
    _volunteer(db, "V-5", BUILDING_A1, Availability.ANYTIME, skills=("driving",))
    _volunteer(db, "V-6", BUILDING_B1, Availability.ANYTIME)  # another community, ~2 km
    db.flush()


def headers(client: TestClient, username: str) -> dict[str, str]:
    return {**login(client, username), "Accept-Language": "en"}


def new_task(client: TestClient, who: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Check the pumps", "area_code": BUILDING_A1, **fields}
    response = client.post("/api/tasks", json=body, headers=who)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def counts(db: Session) -> dict[str, int]:
    """Rows of every table the tasks domain writes, and of the event log."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Task, ChecklistItem, TaskNote, Sweep, CallOut, CallOutInvitation,
                          Event)}
