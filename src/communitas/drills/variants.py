"""Governance variants a what-if comparison plays: changes made to the drill's copy first.

Each variant changes the copy through the same services an operator would use, so the
event log of the drill's database shows what the variant did.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import OrganisationKind, PersonKind
from communitas.actors.models import Organisation, Person
from communitas.actors.schemas import PersonUpdate
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock
from communitas.drills.variants_rules import (
    by_hand,
    flat_reserves,
    norm_reserves,
    self_activating,
)
from communitas.resources import service as resources
from communitas.resources.models import Holding

__all__ = ["VARIANTS"]


def _baseline(session: Session, clock: Clock) -> None:
    """The city as it is."""


def _withdraw(session: Session, clock: Clock, kinds: tuple[OrganisationKind, ...],
              reason: str) -> None:
    rows = session.execute(
        select(Holding.id, Holding.quantity)
        .join(Organisation, Organisation.id == Holding.organisation_id)
        .where(Organisation.kind.in_(kinds), Holding.quantity > 0)
        .order_by(Holding.id)).all()
    for holding_id, quantity in rows:
        resources.adjust_holding(session, principal=SYSTEM, holding_id=holding_id,
                                 delta=-quantity, reason=reason, clock=clock)


def _no_market(session: Session, clock: Clock) -> None:
    """Market organisations keep their stock out of the pool (they are not in the platform)."""
    _withdraw(session, clock, (OrganisationKind.MARKET_ORGANISATION,),
              "drill variant: no market")


def _no_volunteers(session: Session, clock: Clock) -> None:
    """Volunteers are not mobilised: nobody states availability, so call-outs find nobody
    (nothing to answer), and volunteer teams' and social organisations' stock stays out."""
    codes = session.execute(select(Person.code).where(
        Person.kind == PersonKind.VOLUNTEER, Person.availability.is_not(None))
        .order_by(Person.code)).scalars().all()
    for code in codes:
        actors.update_person(session, principal=SYSTEM, code=code, clock=clock,
                             data=PersonUpdate(availability=None))
    _withdraw(session, clock, (OrganisationKind.VOLUNTEER_TEAM,
                               OrganisationKind.SOCIAL_ORGANISATION),
              "drill variant: no volunteers")


VARIANTS: dict[str, Callable[[Session, Clock], None]] = {
    "baseline": _baseline,
    "no_market": _no_market,
    "no_volunteers": _no_volunteers,
    "flat_reserves": flat_reserves,
    "norm_reserves": norm_reserves,
    "self_activating": self_activating,
    "by_hand": by_hand,
}
