"""Governance variants a what-if comparison plays: changes made to the drill's copy first.

Each variant changes the copy through the same services an operator would use, so the
event log of the drill's database shows what the variant did.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Organisation
from communitas.auth.permissions import SYSTEM
from communitas.clock import Clock
from communitas.resources import service as resources
from communitas.resources.models import Holding

__all__ = ["VARIANTS"]


def _baseline(session: Session, clock: Clock) -> None:
    """The city as it is."""


def _no_market(session: Session, clock: Clock) -> None:
    """Market organisations keep their stock out of the pool (they are not in the platform)."""
    rows = session.execute(
        select(Holding.id, Holding.quantity)
        .join(Organisation, Organisation.id == Holding.organisation_id)
        .where(Organisation.kind == OrganisationKind.MARKET_ORGANISATION, Holding.quantity > 0)
        .order_by(Holding.id)).all()
    for holding_id, quantity in rows:
        resources.adjust_holding(session, principal=SYSTEM, holding_id=holding_id,
                                 delta=-quantity, reason="drill variant: no market", clock=clock)


# Still to come (issue 7): reserves by norm or flat, volunteers and mutual aid mobilised or
# not, plans self-activating or by hand — they need tasks, call-outs and trigger settings.
VARIANTS: dict[str, Callable[[Session, Clock], None]] = {
    "baseline": _baseline,
    "no_market": _no_market,
}
