"""Builders for activation tests: the test city with plans, staff, holders and stock."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.actors.schemas import OrganisationCreate
from communitas.alerts.models import Notice, OutboxMessage
from communitas.auth.permissions import SYSTEM
from communitas.dispatch.models import ResourceRequest
from communitas.modes import plan_service
from communitas.modes.activation_models import Activation, ActivationItem, ActivationRole
from communitas.tasks.models import Task
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, DISTRICT, STREET_A
from tests.modes import build_world
from tests.resources.helpers import make_org, stock

GRID_A1 = f"{COMMUNITY_A1}-G01"
BUILDING_A1 = f"{COMMUNITY_A1}-B001"


def build_activation_world(db: Session) -> None:
    """Test city, catalogue, plan library, staff accounts, a few holders and some stock."""
    build_world(db, staff=True)
    plan_service.install_plan_library(db, principal=SYSTEM)
    make_org(db, "NC-A1", OrganisationKind.NEIGHBOURHOOD_COMMITTEE, COMMUNITY_A1)
    make_org(db, "PC-A1", OrganisationKind.PROPERTY_COMPANY, COMMUNITY_A1)
    make_org(db, "VT-A", OrganisationKind.VOLUNTEER_TEAM, STREET_A)
    actors.create_organisations(db, principal=SYSTEM, items=[OrganisationCreate(
        code="HEALTH", kind=OrganisationKind.GOVERNMENT_DEPARTMENT, sector="health",
        name_zh="卫健委", name_en="Health commission", home_area_code=DISTRICT)])
    make_person(db, "P-CADRE", COMMUNITY_A1, kind=PersonKind.CADRE)
    make_person(db, "P-GRID", COMMUNITY_A1, kind=PersonKind.GRID_WORKER)
    make_person(db, "P-RES", BUILDING_A1)
    stock(db, "rescue.sandbag", "NC-A1", COMMUNITY_A1, 1000)
    stock(db, "water.bottled", "NC-A1", COMMUNITY_A1, 1000)
    db.flush()


def activation_counts(db: Session) -> dict[str, int]:
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Activation, ActivationRole, ActivationItem, Task, ResourceRequest,
                          Notice, OutboxMessage)}
