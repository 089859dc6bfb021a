"""Read-only queries that gather the facts of every community under an area, in bulk.

A few aggregate reads over other domains' tables (holdings, organisations, people, users,
shipments), joined on the area path like the scope filters; nothing here writes. A
community's *reach* is its own subtree and its ancestors (street, district, city): stock
there, organisations homed or serving there, capacity offers delivering there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from communitas.actors.models import Organisation, OrganisationArea, Person
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.models import User
from communitas.dispatch.models import ResourceRequest, Shipment
from communitas.resources.lookups import path_ids
from communitas.resources.models import (
    CapacityOfferArea,
    Holding,
    HoldingCondition,
    ResourceType,
)

__all__ = ["Reach", "gather"]


@dataclass
class Reach:
    """Facts per community id, before the pure indices turn them into scores."""

    communities: list[Area]
    ancestors: dict[int, list[int]]  # community id → ids of its street, district, city
    own_stock: dict[int, dict[str, int]] = field(default_factory=dict)
    ancestor_stock: dict[int, dict[str, int]] = field(default_factory=dict)  # by area id
    org_kinds: dict[int, set[str]] = field(default_factory=dict)  # by area id
    org_holders: dict[int, set[str]] = field(default_factory=dict)  # kind:/sector: by area id
    person_kinds: dict[int, dict[str, int]] = field(default_factory=dict)  # by community id
    user_roles: dict[int, set[str]] = field(default_factory=dict)  # by area id
    offers: dict[int, int] = field(default_factory=dict)  # by area id
    work: dict[int, dict[str, int]] = field(default_factory=dict)  # by community id


def _owner(path: str, communities: set[int]) -> int | None:
    return next((i for i in path_ids(path) if i in communities), None)


def gather(session: Session, *, root: Area, on: date) -> Reach:
    low, high = root.subtree_bounds()
    communities = list(session.execute(select(Area).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())
    ids = {c.id for c in communities}
    ancestors = {c.id: [i for i in path_ids(c.path) if i != c.id] for c in communities}
    upper = sorted({i for chain in ancestors.values() for i in chain})
    reach = Reach(communities, ancestors)
    if not communities:
        return reach
    bounds = (low, high)
    _stock(session, reach, bounds, upper, ids, on)
    _organisations(session, reach, bounds, upper, ids)
    _people_and_users(session, reach, bounds, upper, ids)
    _offers_and_work(session, reach, bounds, upper, ids)
    return reach


def _in_reach(bounds: tuple[str, str], upper: list[int]) -> ColumnElement[bool]:
    inside = (Area.path >= bounds[0]) & (Area.path < bounds[1])
    return or_(inside, Area.id.in_(upper)) if upper else inside


def _stock(session: Session, reach: Reach, bounds: tuple[str, str], upper: list[int],
           ids: set[int], on: date) -> None:
    rows = session.execute(
        select(Area.id, Area.path, ResourceType.code, func.sum(Holding.quantity))
        .join(Area, Area.id == Holding.area_id)
        .join(ResourceType, ResourceType.id == Holding.resource_type_id)
        .where(_in_reach(bounds, upper), Holding.condition == HoldingCondition.GOOD,
               Holding.quantity > 0,
               or_(Holding.expires_on.is_(None), Holding.expires_on >= on))
        .group_by(Area.id, Area.path, ResourceType.code)).all()
    for area_id, path, code, quantity in rows:
        owner = _owner(path, ids)
        target = reach.own_stock if owner is not None else reach.ancestor_stock
        bucket = target.setdefault(owner if owner is not None else area_id, {})
        bucket[code] = bucket.get(code, 0) + int(quantity)


def _organisations(session: Session, reach: Reach, bounds: tuple[str, str],
                   upper: list[int], ids: set[int]) -> None:
    home = select(Organisation.kind, Organisation.sector, Area.id, Area.path).join(
        Area, Area.id == Organisation.home_area_id).where(_in_reach(bounds, upper))
    served = select(Organisation.kind, Organisation.sector, Area.id, Area.path).join(
        OrganisationArea, OrganisationArea.organisation_id == Organisation.id).join(
        Area, Area.id == OrganisationArea.area_id).where(_in_reach(bounds, upper))
    for kind, sector, area_id, path in [*session.execute(home), *session.execute(served)]:
        key = _owner(path, ids) or area_id
        reach.org_kinds.setdefault(key, set()).add(str(kind))
        holders = reach.org_holders.setdefault(key, set())
        holders.add(f"organisation_kind:{kind}")
        if sector:
            holders.add(f"sector:{sector}")


def _people_and_users(session: Session, reach: Reach, bounds: tuple[str, str],
                      upper: list[int], ids: set[int]) -> None:
    rows = session.execute(
        select(Person.kind, Area.path, func.count())
        .join(Area, Area.id == Person.area_id)
        .where(Area.path >= bounds[0], Area.path < bounds[1])
        .group_by(Person.kind, Area.path)).all()
    for kind, path, count in rows:
        owner = _owner(path, ids)
        if owner is not None:
            counts = reach.person_kinds.setdefault(owner, defaultdict(int))
            counts[str(kind)] += int(count)
    users = session.execute(
        select(User.role, Area.id, Area.path).join(Area, Area.id == User.scope_area_id)
        .where(User.active.is_(True), _in_reach(bounds, upper))).all()
    for role, area_id, path in users:
        reach.user_roles.setdefault(_owner(path, ids) or area_id, set()).add(str(role))


def _offers_and_work(session: Session, reach: Reach, bounds: tuple[str, str],
                     upper: list[int], ids: set[int]) -> None:
    offers = session.execute(
        select(Area.id, Area.path, func.count()).join(
            CapacityOfferArea, CapacityOfferArea.area_id == Area.id)
        .where(_in_reach(bounds, upper)).group_by(Area.id, Area.path)).all()
    for area_id, path, count in offers:
        key = _owner(path, ids) or area_id
        reach.offers[key] = reach.offers.get(key, 0) + int(count)
    # Until tasks exist, "work" is the units committed to requests, by the holder's kind.
    work = session.execute(
        select(Area.path, Organisation.kind, func.sum(Shipment.quantity))
        .join(ResourceRequest, ResourceRequest.id == Shipment.request_id)
        .join(Area, Area.id == ResourceRequest.area_id)
        .join(Holding, Holding.id == Shipment.holding_id)
        .join(Organisation, Organisation.id == Holding.organisation_id)
        .where(Area.path >= bounds[0], Area.path < bounds[1])
        .group_by(Area.path, Organisation.kind)).all()
    for path, kind, units in work:
        owner = _owner(path, ids)
        if owner is not None and units:
            bucket = reach.work.setdefault(owner, {})
            bucket[str(kind)] = bucket.get(str(kind), 0) + int(units)
