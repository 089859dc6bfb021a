"""Capacity offers: what market organisations can deliver, and where."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Organisation
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound, ValidationFailed
from communitas.events import EventDraft, record_event, record_events
from communitas.i18n import _
from communitas.resources.lookups import (
    Lookup,
    codes_by_id,
    get_resource_type,
    organisation_by_code,
    path_ids,
    scope_clause,
)
from communitas.resources.models import (
    CapacityOffer,
    CapacityOfferArea,
)
from communitas.resources.schemas import (
    CapacityOfferCreate,
    CapacityOfferRead,
    CapacityOfferUpdate,
)

__all__ = [
    "capacity_offer_reads",
    "create_capacity_offers",
    "list_capacity_offers",
    "update_capacity_offer",
]

# --- Capacity offers ------------------------------------------------------------------------

def _market_organisation(session: Session, principal: Principal, org: Organisation) -> None:
    home = areas.get_area_by_id(session, area_id=org.home_area_id)
    require(principal, Permission.RESOURCE_WRITE, area_path=home.path, org_id=org.id)
    if org.kind is not OrganisationKind.MARKET_ORGANISATION:
        raise ValidationFailed(
            _("Only a market organisation can offer capacity; {value} is not one"),
            code="not_a_market_organisation", value=org.code,
            details={"organisation": org.code, "kind": org.kind.value})


def create_capacity_offers(
    session: Session, *, principal: Principal, items: Iterable[CapacityOfferCreate],
    clock: Clock | None = None,
) -> list[CapacityOffer]:
    """Publish what market organisations can deliver, and where; all or nothing."""
    clock = clock or SystemClock()
    items, lookup, now = list(items), Lookup(session), clock.now()
    planned: list[tuple[CapacityOffer, list[Area]]] = []
    for item in items:
        org = lookup.organisation(item.organisation_code)
        _market_organisation(session, principal, org)
        rtype = lookup.resource_type(item.resource_type_code)
        served = [lookup.area(code) for code in dict.fromkeys(item.area_codes)]
        offer = CapacityOffer(
            organisation_id=org.id, resource_type_id=rtype.id, updated_at=now,
            **item.model_dump(exclude={"organisation_code", "resource_type_code", "area_codes"}))
        planned.append((offer, served))
    session.add_all([offer for offer, _served in planned])
    session.flush()
    session.add_all([CapacityOfferArea(offer_id=offer.id, area_id=area.id)
                     for offer, served in planned for area in served])
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("capacity_offer.created", "capacity_offer", offer.id, None,
                   {"organisation": item.organisation_code, "type": item.resource_type_code,
                    "units_per_period": offer.units_per_period, "period": offer.period.value,
                    "lead_time_minutes": offer.lead_time_minutes,
                    "areas": [a.code for a in served]})
        for (offer, served), item in zip(planned, items, strict=True)
    ])
    return [offer for offer, _served in planned]


def update_capacity_offer(
    session: Session, *, principal: Principal, offer_id: int, data: CapacityOfferUpdate,
    clock: Clock | None = None,
) -> CapacityOffer:
    clock = clock or SystemClock()
    offer = session.get(CapacityOffer, offer_id)
    if offer is None:
        raise NotFound(_("Unknown capacity offer {value}"), code="unknown_capacity_offer",
                       value=offer_id)
    org = session.get(Organisation, offer.organisation_id)
    assert org is not None  # a foreign key guarantees it
    _market_organisation(session, principal, org)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    area_codes = changes.pop("area_codes", None)
    if area_codes is not None:
        served = [areas.get_area(session, code=code) for code in dict.fromkeys(area_codes)]
        for link in session.execute(select(CapacityOfferArea).where(
                CapacityOfferArea.offer_id == offer.id)).scalars():
            session.delete(link)
        session.flush()
        session.add_all([CapacityOfferArea(offer_id=offer.id, area_id=a.id) for a in served])
    for key, value in changes.items():
        setattr(offer, key, value)
    offer.updated_at = clock.now()
    session.flush()
    record_event(session, actor=principal.actor, action="capacity_offer.updated", clock=clock,
                 subject_type="capacity_offer", subject_id=offer.id,
                 payload={"changes": changes, "areas": area_codes})
    return offer


def list_capacity_offers(
    session: Session, *, principal: Principal, within: str | None = None,
    type_code: str | None = None, organisation_code: str | None = None,
    active: bool | None = None,
) -> Select[Any]:
    """Offers the principal may see; ``within`` keeps offers that reach into that area.

    An offer reaches an area when it serves the area, a descendant or an ancestor of it (a
    district-wide wholesaler reaches every community of the district).
    """
    require(principal, Permission.RESOURCE_READ)
    query = select(CapacityOffer).order_by(CapacityOffer.id)
    if principal.role is Role.ORG_LIAISON:
        query = query.where(scope_clause(principal, CapacityOffer.organisation_id))
    elif (bounds := area_range(principal)) is not None:
        query = query.where(_reaches(bounds[0], bounds[1]))
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(_reaches(low, high))
    if type_code is not None:
        query = query.where(
            CapacityOffer.resource_type_id == get_resource_type(session, code=type_code).id)
    if organisation_code is not None:
        query = query.where(
            CapacityOffer.organisation_id == organisation_by_code(session, organisation_code).id)
    if active is not None:
        query = query.where(CapacityOffer.active == active)
    return query


def _reaches(low: str, high: str) -> ColumnElement[bool]:
    """The offer serves an area inside [low, high) or an ancestor of that subtree's root."""
    served = select(CapacityOfferArea.offer_id).join(
        Area, Area.id == CapacityOfferArea.area_id).where(
        CapacityOfferArea.offer_id == CapacityOffer.id,
        or_(and_(Area.path >= low, Area.path < high), Area.id.in_(path_ids(low))))
    return exists(served)


def capacity_offer_reads(session: Session, rows: Iterable[CapacityOffer]
                         ) -> list[CapacityOfferRead]:
    rows = list(rows)
    orgs = codes_by_id(session, Organisation.code, [o.organisation_id for o in rows])
    served: dict[int, list[str]] = defaultdict(list)
    if rows:
        for offer_id, code in session.execute(
                select(CapacityOfferArea.offer_id, Area.code)
                .join(Area, Area.id == CapacityOfferArea.area_id)
                .where(CapacityOfferArea.offer_id.in_([o.id for o in rows]))
                .order_by(Area.code)).all():
            served[offer_id].append(code)
    return [CapacityOfferRead(
        id=o.id, organisation_code=orgs[o.organisation_id],
        resource_type_code=o.resource_type.code, units_per_period=o.units_per_period,
        period=o.period, lead_time_minutes=o.lead_time_minutes, area_codes=served[o.id],
        active=o.active, note=o.note, updated_at=o.updated_at) for o in rows]
