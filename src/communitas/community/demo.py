"""Mutual aid in the demo city: consenting neighbours paired in one community, an offer,
a need, and a claim waiting for triage — so the pages and `start-checks` have data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.models import Person  # read-only: pick demo participants
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.community import claims, exchange, neighbours
from communitas.community.models import AidRole
from communitas.community.schemas import (
    ClaimReportIn,
    EnrolmentCreate,
    PairCreate,
    PostCreate,
)

__all__ = ["create_demo_mutual_aid"]

CONSENT = "演示数据 / demo data"


def _people(session: Session, community: str, kind: PersonKind, limit: int) -> list[str]:
    area = session.execute(select(Area).where(Area.code == community)).scalar_one()
    low, high = area.subtree_bounds()
    return list(session.execute(
        select(Person.code).join(Area, Area.id == Person.area_id)
        .where(Person.kind == kind, Area.kind == AreaKind.BUILDING, Area.path >= low,
               Area.path < high).order_by(Person.code).limit(limit)).scalars())


def create_demo_mutual_aid(session: Session, *, community: str) -> int:
    """Enrol, pair and accept neighbours of ``community``; the number of active pairs."""
    residents = _people(session, community, PersonKind.RESIDENT, 12)
    helpers = residents[6:] + _people(session, community, PersonKind.VOLUNTEER, 4)
    for code, role in [(c, AidRole.VULNERABLE) for c in residents[:6]] + [
            (c, AidRole.HELPER) for c in helpers]:
        neighbours.enrol(session, principal=SYSTEM, data=EnrolmentCreate(
            person_code=code, role=role, capacity=2, consent_statement=CONSENT))
    pairs = 0
    for s in neighbours.suggest(session, principal=SYSTEM, area_code=community):
        pair = neighbours.confirm_pair(session, principal=SYSTEM, data=PairCreate(
            vulnerable_person_code=s.vulnerable.person_code,
            helper_person_code=s.helper.person_code))
        neighbours.answer_pair(session, principal=SYSTEM, pair_id=pair.id, accept=True)
        pairs += 1
    if residents and helpers:
        for code, direction, text in ((helpers[0], "offer", "家用轿车，可送医 / a car for "
                                       "hospital runs"),
                                      (residents[0], "need", "需要有人开车送医 / a lift to "
                                       "hospital")):
            exchange.create_post(session, principal=SYSTEM, data=PostCreate.model_validate(
                {"direction": direction, "kind": "vehicle", "description": text,
                 "person_code": code}))
        claims.report_claim(session, principal=SYSTEM, data=ClaimReportIn(
            text="听说小区明天起停水三天", area_code=community))
    return pairs
