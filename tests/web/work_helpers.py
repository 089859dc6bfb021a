"""People for the task, sweep and notice pages: a grid worker and a volunteer linked to
people of community A1, and a second committee member of A1 (the second person)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from communitas.actors.kinds import Availability, PersonKind
from communitas.actors.schemas import QualificationIn
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.tasks import service as tasks
from communitas.tasks.schemas import TaskCreate
from tests.actors.helpers import make_person
from tests.dispatch.helpers import BUILDING_A1
from tests.factories import COMMUNITY_A1, make_user

__all__ = ["add_workers", "cheap_hashing", "new_task"]


def add_workers(db: Session) -> None:
    make_person(db, "GW-1", COMMUNITY_A1, PersonKind.GRID_WORKER)
    make_user(db, "gw1", Role.GRID_WORKER, area_code=COMMUNITY_A1, person_code="GW-1")
    make_person(db, "V-1", BUILDING_A1, PersonKind.VOLUNTEER, skills=["first_aid"],
                availability=Availability.ANYTIME,
                qualifications=[QualificationIn(name="first aid", expires_on=date(2030, 1, 1))])
    make_user(db, "v1", Role.VOLUNTEER, area_code=COMMUNITY_A1, person_code="V-1")
    make_user(db, "juwei2", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    db.commit()


def new_task(db: Session, title: str = "Check the pumps", area: str = COMMUNITY_A1,
             **fields: object) -> int:
    [task] = tasks.create_tasks(db, principal=SYSTEM, items=[TaskCreate.model_validate(
        {"title": title, "area_code": area, "checklist": ["Pump 1", "Pump 2"], **fields})])
    db.commit()
    return task.id


def cheap_hashing(monkeypatch: object) -> None:
    """The same hashing code with cheap Argon2 costs, so building the world stays quick."""
    from argon2 import PasswordHasher

    from communitas.auth import service as auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(  # type: ignore[attr-defined]
        time_cost=1, memory_cost=1024, parallelism=1))
