"""The demo city's routine: its first street's cadres and party members sent down to the
communities they serve, and a flood drill on the calendar of its first community."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.models import Person  # read-only: who serves where
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock, SystemClock
from communitas.resources.lookups import today
from communitas.routine.drills import schedule_drill
from communitas.routine.schemas import DrillCreate
from communitas.supervision.models import AssignmentRole, CadreAssignment
from communitas.supervision.schemas import AssignmentCreate
from communitas.supervision.service import assign

__all__ = ["create_demo_routine"]

ROLE = {PersonKind.CADRE: AssignmentRole.COMMUNITY_LIAISON,
        PersonKind.PARTY_MEMBER: AssignmentRole.PARTY_VANGUARD}


def create_demo_routine(session: Session, *, street: str, per_community: int = 2,
                        clock: Clock | None = None) -> list[CadreAssignment]:
    """Up to ``per_community`` sent-down people per community of ``street``, from today."""
    clock = clock or SystemClock()
    root = session.execute(select(Area).where(Area.code == street)).scalar_one()
    communities = list(session.execute(select(Area).where(
        Area.parent_id == root.id, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())
    made = []
    for community in communities:
        low, high = community.subtree_bounds()
        people = session.execute(
            select(Person.code, Person.kind).join(Area, Area.id == Person.area_id)
            .where(Person.kind.in_(list(ROLE)), Area.path >= low, Area.path < high)
            .order_by(Person.code).limit(per_community)).all()
        made += [assign(session, principal=SYSTEM, clock=clock, data=AssignmentCreate(
            person_code=code, community_code=community.code, role=ROLE[kind],
            starts_on=today(clock))) for code, kind in people]
    if communities:
        schedule_drill(session, principal=SYSTEM, clock=clock, data=DrillCreate(
            area_code=communities[0].code, hazard="flood", title="地下车库进水疏散演练",
            scheduled_at=clock.now() + timedelta(days=14), duration_minutes=90))
    return made
