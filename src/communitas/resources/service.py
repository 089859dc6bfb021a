"""Resource use cases: catalogue, holdings, capacity offers, reserve norms and gaps.

Callers own the transaction; each write appends its events. A holding or offer is in a
principal's scope when its area lies in the principal's area subtree or, for an organisation
liaison, when it belongs to the liaison's organisation (see auth.permissions.can).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Organisation
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import EventDraft, record_event, record_events
from communitas.i18n import _
from communitas.resources import catalogue, norms
from communitas.resources.models import (
    MAX_QUANTITY,
    CapacityOffer,
    CapacityOfferArea,
    Holding,
    HoldingCondition,
    ReserveNormRule,
    ResourceCategory,
    ResourceKind,
    ResourceType,
)
from communitas.resources.schemas import (
    CapacityOfferCreate,
    CapacityOfferRead,
    CapacityOfferUpdate,
    CatalogueInstallReport,
    HoldingCreate,
    HoldingRead,
    HoldingUpdate,
    ReserveGapRead,
    ReserveNormRead,
    ReserveNormSet,
    ResourceCategoryCreate,
    ResourceCategoryRead,
    ResourceTypeCreate,
    ResourceTypeUpdate,
)
from communitas.uniqueness import refuse_duplicate_codes

__all__ = [
    "adjust_holding", "capacity_offer_reads", "category_reads", "create_capacity_offers",
    "create_categories", "create_holdings", "create_resource_types", "get_category",
    "get_holding", "get_resource_type", "holding_reads", "install_default_catalogue",
    "list_capacity_offers", "list_categories", "list_holdings", "list_norm_rules",
    "list_resource_types", "norm_rule_read", "reserve_gaps", "set_norm_rule", "today",
    "update_capacity_offer", "update_holding", "update_resource_type",
]

# Expiry dates are local dates; China keeps one time zone and no daylight saving.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
# The catalogue and the norms are shared city-wide, so only city-wide roles edit them.
CATALOGUE_EDITORS = frozenset({Role.PLATFORM_ADMIN, Role.DISTRICT_COMMANDER})


def today(clock: Clock | None = None) -> date:
    """The current date in China, by ``clock``."""
    return (clock or SystemClock()).now().astimezone(CHINA_TZ).date()


# --- Lookups --------------------------------------------------------------------------------

def get_category(session: Session, *, code: str) -> ResourceCategory:
    row = session.execute(
        select(ResourceCategory).where(ResourceCategory.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("Unknown resource category {value}"), code="unknown_resource_category",
                       value=code)
    return row


def get_resource_type(session: Session, *, code: str) -> ResourceType:
    row = session.execute(
        select(ResourceType).where(ResourceType.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("Unknown resource type {value}"), code="unknown_resource_type",
                       value=code)
    return row


def _get_organisation(session: Session, code: str) -> Organisation:
    return actors.get_organisation(session, code=code)


class _Lookup:
    """Resolves codes once per batch, so a bulk call makes one query per distinct code."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._types: dict[str, ResourceType] = {}
        self._orgs: dict[str, Organisation] = {}
        self._areas: dict[str, Area] = {}

    def resource_type(self, code: str) -> ResourceType:
        if code not in self._types:
            self._types[code] = get_resource_type(self.session, code=code)
        return self._types[code]

    def organisation(self, code: str) -> Organisation:
        if code not in self._orgs:
            self._orgs[code] = _get_organisation(self.session, code)
        return self._orgs[code]

    def area(self, code: str) -> Area:
        if code not in self._areas:
            self._areas[code] = areas.get_area(self.session, code=code)
        return self._areas[code]


def _codes(session: Session, column: Any, ids: Iterable[int]) -> dict[int, str]:
    """id → code for the table of ``column`` (an ``id``-keyed ``code`` column)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    table = column.class_
    rows = session.execute(select(table.id, column).where(table.id.in_(wanted))).all()
    return {row_id: code for row_id, code in rows}


def _path_ids(path: str) -> list[int]:
    """The ids of an area and its ancestors, from its materialised path."""
    return [int(part) for part in path.strip("/").split("/") if part]


# --- Catalogue ------------------------------------------------------------------------------

def _require_catalogue_editor(principal: Principal) -> None:
    require(principal, Permission.RESOURCE_WRITE)
    if principal.role not in CATALOGUE_EDITORS:
        raise PermissionDenied(
            _("Only a platform admin or a district commander can change the catalogue"),
            details={"permission": Permission.RESOURCE_WRITE.value})


def create_categories(
    session: Session, *, principal: Principal, items: Iterable[ResourceCategoryCreate],
    clock: Clock | None = None,
) -> list[ResourceCategory]:
    """Create categories in order (a parent may come earlier in the batch), all or nothing."""
    _require_catalogue_editor(principal)
    items = list(items)
    codes = [item.code for item in items]
    refuse_duplicate_codes(session, ResourceCategory.code, codes)
    existing = {c.code: c for c in session.execute(select(ResourceCategory)).scalars()}
    for index, item in enumerate(items):
        if item.parent_code is not None and item.parent_code not in existing \
                and item.parent_code not in codes[:index]:
            raise NotFound(_("Unknown resource category {value}"),
                           code="unknown_resource_category", value=item.parent_code,
                           details={"field": "parent_code", "index": index})
    created: list[ResourceCategory] = []
    for item in items:
        parent = existing.get(item.parent_code) if item.parent_code else None
        row = ResourceCategory(code=item.code, name_zh=item.name_zh, name_en=item.name_en,
                               parent_id=parent.id if parent else None)
        session.add(row)
        session.flush()  # children later in the batch need this row's id
        existing[row.code] = row
        created.append(row)
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("resource_category.created", "resource_category", row.code, None,
                   {"parent": item.parent_code, "name_zh": row.name_zh, "name_en": row.name_en})
        for row, item in zip(created, items, strict=True)
    ])
    return created


def list_categories(session: Session) -> Select[Any]:
    """A select of every category, in code order; the caller pages it."""
    return select(ResourceCategory).order_by(ResourceCategory.code)


def category_reads(session: Session, rows: Iterable[ResourceCategory]
                   ) -> list[ResourceCategoryRead]:
    rows = list(rows)
    parents = _codes(session, ResourceCategory.code, [r.parent_id for r in rows if r.parent_id])
    return [ResourceCategoryRead(code=r.code, name_zh=r.name_zh, name_en=r.name_en,
                                 parent_code=parents.get(r.parent_id or 0)) for r in rows]


def create_resource_types(
    session: Session, *, principal: Principal, items: Iterable[ResourceTypeCreate],
    clock: Clock | None = None,
) -> list[ResourceType]:
    """Create resource types, all or nothing."""
    _require_catalogue_editor(principal)
    items = list(items)
    codes = [item.code for item in items]
    refuse_duplicate_codes(session, ResourceType.code, codes)
    categories = {c: get_category(session, code=c) for c in {i.category_code for i in items}}
    rows = [ResourceType(**item.model_dump(exclude={"category_code"}),
                         category_id=categories[item.category_code].id) for item in items]
    session.add_all(rows)
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("resource_type.created", "resource_type", row.code, None,
                   {"category": item.category_code, "kind": row.kind.value, "unit": row.unit})
        for row, item in zip(rows, items, strict=True)
    ])
    return rows


def update_resource_type(
    session: Session, *, principal: Principal, code: str, data: ResourceTypeUpdate,
    clock: Clock | None = None,
) -> ResourceType:
    _require_catalogue_editor(principal)
    row = get_resource_type(session, code=code)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
               if v is not None or k == "shelf_life_days"}
    before = {k: row.category_code if k == "category_code" else getattr(row, k)
              for k in changes}
    for key, value in changes.items():
        if key == "category_code":
            row.category = get_category(session, code=value)
        else:
            setattr(row, key, value)
    session.flush()
    record_event(session, actor=principal.actor, action="resource_type.updated",
                 subject_type="resource_type", subject_id=row.code, clock=clock,
                 payload={"changes": {k: {"from": before[k], "to": v}
                                      for k, v in changes.items()}})
    return row


def _category_subtree(session: Session, code: str) -> list[int]:
    root = get_category(session, code=code)
    children: dict[int, list[int]] = defaultdict(list)
    for row_id, parent_id in session.execute(
            select(ResourceCategory.id, ResourceCategory.parent_id)).all():
        if parent_id is not None:
            children[parent_id].append(row_id)
    found, frontier = [root.id], [root.id]
    while frontier:
        frontier = [child for parent in frontier for child in children[parent]]
        found.extend(frontier)
    return found


def list_resource_types(
    session: Session, *, category: str | None = None, kind: ResourceKind | None = None,
    q: str | None = None,
) -> Select[Any]:
    """Resource types in a category subtree, of a kind, matching a name or code prefix."""
    query = select(ResourceType).order_by(ResourceType.code)
    if category is not None:
        query = query.where(ResourceType.category_id.in_(_category_subtree(session, category)))
    if kind is not None:
        query = query.where(ResourceType.kind == kind)
    if q:
        pattern = f"%{q}%"
        query = query.where(ResourceType.name_zh.like(pattern)
                            | ResourceType.name_en.ilike(pattern)
                            | ResourceType.code.like(f"{q}%"))
    return query


def install_default_catalogue(
    session: Session, *, principal: Principal, clock: Clock | None = None,
) -> CatalogueInstallReport:
    """Create whatever of the default catalogue and norms is missing; edits are kept."""
    _require_catalogue_editor(principal)
    have = set(session.execute(select(ResourceCategory.code)).scalars())
    categories = create_categories(session, principal=principal, clock=clock, items=[
        c for c in catalogue.DEFAULT_CATEGORIES if c.code not in have])
    have = set(session.execute(select(ResourceType.code)).scalars())
    types = create_resource_types(session, principal=principal, clock=clock, items=[
        t for t in catalogue.DEFAULT_TYPES if t.code not in have])
    ruled = set(session.execute(select(ResourceType.code).join(
        ReserveNormRule, ReserveNormRule.resource_type_id == ResourceType.id)).scalars())
    missing = [code for code in catalogue.DEFAULT_NORMS if code not in ruled]
    for code in missing:
        set_norm_rule(session, principal=principal, type_code=code,
                      data=catalogue.DEFAULT_NORMS[code], clock=clock)
    return CatalogueInstallReport(categories_created=len(categories), types_created=len(types),
                                  norms_created=len(missing))


# --- Holdings -------------------------------------------------------------------------------

def _check_quantity(quantity: int, *, index: int | None = None) -> None:
    if quantity < 0:
        raise ValidationFailed(
            _("Quantity cannot be negative (got {value})"), code="negative_quantity",
            value=quantity, details={"field": "quantity", "index": index, "value": quantity})


def _scope_clause(principal: Principal, org_column: Any) -> ColumnElement[bool]:
    """SQL twin of permissions.can for listings; queries must join ``Area`` (the location)."""
    if principal.role is Role.ORG_LIAISON:
        return org_column == principal.org_id if principal.org_id is not None else false()
    bounds = area_range(principal)
    if bounds is None:
        return true()
    return and_(Area.path >= bounds[0], Area.path < bounds[1])


def _holding(session: Session, principal: Principal, holding_id: int,
             permission: Permission) -> tuple[Holding, Area]:
    holding = session.get(Holding, holding_id)
    if holding is None:
        raise NotFound(_("Unknown holding {value}"), code="unknown_holding", value=holding_id)
    area = areas.get_area_by_id(session, area_id=holding.area_id)
    require(principal, permission, area_path=area.path, org_id=holding.organisation_id)
    return holding, area


def get_holding(session: Session, *, principal: Principal, holding_id: int) -> Holding:
    return _holding(session, principal, holding_id, Permission.RESOURCE_READ)[0]


def create_holdings(
    session: Session, *, principal: Principal, items: Iterable[HoldingCreate],
    clock: Clock | None = None,
) -> list[Holding]:
    """Record stock, all or nothing: every item is checked before any row is written."""
    clock = clock or SystemClock()
    items, lookup, now = list(items), _Lookup(session), clock.now()
    rows: list[tuple[Holding, Area]] = []
    for index, item in enumerate(items):
        _check_quantity(item.quantity, index=index)
        rtype = lookup.resource_type(item.resource_type_code)
        org = lookup.organisation(item.organisation_code)
        area = lookup.area(item.area_code)
        require(principal, Permission.RESOURCE_WRITE, area_path=area.path, org_id=org.id)
        rows.append((Holding(resource_type_id=rtype.id, organisation_id=org.id, area_id=area.id,
                             quantity=item.quantity, expires_on=item.expires_on,
                             condition=item.condition, note=item.note, updated_at=now), area))
    session.add_all([holding for holding, _area in rows])
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("holding.created", "holding", holding.id, area.code,
                   {"type": item.resource_type_code, "organisation": item.organisation_code,
                    "quantity": holding.quantity, "expires_on": holding.expires_on,
                    "condition": holding.condition.value})
        for (holding, area), item in zip(rows, items, strict=True)
    ])
    return [holding for holding, _area in rows]


def update_holding(
    session: Session, *, principal: Principal, holding_id: int, data: HoldingUpdate,
    clock: Clock | None = None,
) -> Holding:
    """Correct a holding (stocktake, expiry, condition); fields left out are kept."""
    clock = clock or SystemClock()
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
               if v is not None or k == "expires_on"}
    if "quantity" in changes:
        _check_quantity(changes["quantity"])
    holding, area = _holding(session, principal, holding_id, Permission.RESOURCE_WRITE)
    before = {k: getattr(holding, k) for k in changes}
    for key, value in changes.items():
        setattr(holding, key, value)
    holding.updated_at = clock.now()
    session.flush()
    record_event(session, actor=principal.actor, action="holding.updated", clock=clock,
                 subject_type="holding", subject_id=holding.id, area_code=area.code,
                 payload={"changes": {k: {"from": before[k], "to": v}
                                      for k, v in changes.items()}})
    return holding


def adjust_holding(
    session: Session, *, principal: Principal, holding_id: int, delta: int, reason: str,
    clock: Clock | None = None,
) -> Holding:
    """Receive (+) or issue (−) stock; refuses to go below zero and changes nothing then."""
    clock = clock or SystemClock()
    if delta == 0:
        raise ValidationFailed(_("An adjustment must change the quantity"),
                               code="zero_adjustment", details={"field": "delta"})
    holding, area = _holding(session, principal, holding_id, Permission.RESOURCE_WRITE)
    # One conditional UPDATE: concurrent issues cannot both pass a check made in Python.
    after = session.execute(
        update(Holding)
        .where(Holding.id == holding.id, Holding.quantity + delta >= 0,
               Holding.quantity + delta <= MAX_QUANTITY)
        .values(quantity=Holding.quantity + delta, updated_at=clock.now())
        .returning(Holding.quantity)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(holding)
    if after is None:
        _refuse_adjustment(holding, delta)
    record_event(session, actor=principal.actor, action="holding.adjusted", clock=clock,
                 subject_type="holding", subject_id=holding.id, area_code=area.code,
                 payload={"delta": delta, "reason": reason, "from": holding.quantity - delta,
                          "to": holding.quantity})
    return holding


def _refuse_adjustment(holding: Holding, delta: int) -> None:
    if holding.quantity + delta < 0:
        raise Conflict(_("Not enough stock: {available} held, {requested} requested"),
                       code="insufficient_stock", available=holding.quantity, requested=-delta,
                       details={"available": holding.quantity, "requested": -delta})
    raise ValidationFailed(_("Quantity cannot exceed {value}"), code="quantity_too_large",
                           value=MAX_QUANTITY, details={"field": "delta"})


def list_holdings(
    session: Session, *, principal: Principal, within: str | None = None,
    type_code: str | None = None, organisation_code: str | None = None,
    expiring_before: date | None = None, condition: HoldingCondition | None = None,
) -> Select[Any]:
    """A select of the holdings the principal may see, filtered; the caller pages it."""
    require(principal, Permission.RESOURCE_READ)
    query = (select(Holding).join(Area, Area.id == Holding.area_id)
             .where(_scope_clause(principal, Holding.organisation_id))
             .order_by(Holding.id))
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if type_code is not None:
        query = query.where(
            Holding.resource_type_id == get_resource_type(session, code=type_code).id)
    if organisation_code is not None:
        query = query.where(
            Holding.organisation_id == _get_organisation(session, organisation_code).id)
    if expiring_before is not None:
        query = query.where(Holding.expires_on < expiring_before)
    if condition is not None:
        query = query.where(Holding.condition == condition)
    return query


def holding_reads(session: Session, rows: Iterable[Holding]) -> list[HoldingRead]:
    rows = list(rows)
    orgs = _codes(session, Organisation.code, [h.organisation_id for h in rows])
    places = _codes(session, Area.code, [h.area_id for h in rows])
    return [HoldingRead(
        id=h.id, resource_type_code=h.resource_type.code,
        organisation_code=orgs[h.organisation_id], area_code=places[h.area_id],
        quantity=h.quantity, expires_on=h.expires_on, condition=h.condition, note=h.note,
        updated_at=h.updated_at) for h in rows]


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
    items, lookup, now = list(items), _Lookup(session), clock.now()
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
        query = query.where(_scope_clause(principal, CapacityOffer.organisation_id))
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
            CapacityOffer.organisation_id == _get_organisation(session, organisation_code).id)
    if active is not None:
        query = query.where(CapacityOffer.active == active)
    return query


def _reaches(low: str, high: str) -> ColumnElement[bool]:
    """The offer serves an area inside [low, high) or an ancestor of that subtree's root."""
    served = select(CapacityOfferArea.offer_id).join(
        Area, Area.id == CapacityOfferArea.area_id).where(
        CapacityOfferArea.offer_id == CapacityOffer.id,
        or_(and_(Area.path >= low, Area.path < high), Area.id.in_(_path_ids(low))))
    return exists(served)


def capacity_offer_reads(session: Session, rows: Iterable[CapacityOffer]
                         ) -> list[CapacityOfferRead]:
    rows = list(rows)
    orgs = _codes(session, Organisation.code, [o.organisation_id for o in rows])
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


# --- Reserve norms --------------------------------------------------------------------------

def set_norm_rule(
    session: Session, *, principal: Principal, type_code: str, data: ReserveNormSet,
    clock: Clock | None = None,
) -> ReserveNormRule:
    """Create or replace the reserve norm of one resource type."""
    clock = clock or SystemClock()
    _require_catalogue_editor(principal)
    rtype = get_resource_type(session, code=type_code)
    rule = session.execute(select(ReserveNormRule).where(
        ReserveNormRule.resource_type_id == rtype.id)).scalar_one_or_none()
    action = "reserve_norm.updated" if rule else "reserve_norm.created"
    if rule is None:
        rule = ReserveNormRule(resource_type_id=rtype.id)
        session.add(rule)
    for key, value in data.model_dump().items():
        setattr(rule, key, value)
    rule.updated_at = clock.now()
    session.flush()
    record_event(session, actor=principal.actor, action=action, clock=clock,
                 subject_type="resource_type", subject_id=rtype.code,
                 payload=data.model_dump(exclude={"note", "source"}))
    return rule


def list_norm_rules(session: Session) -> Select[Any]:
    """Every reserve norm rule, by resource type code; the caller pages it."""
    return (select(ReserveNormRule)
            .join(ResourceType, ResourceType.id == ReserveNormRule.resource_type_id)
            .order_by(ResourceType.code))


def norm_rule_read(rule: ReserveNormRule) -> ReserveNormRead:
    return ReserveNormRead.model_validate(rule)


def _norm(rule: ReserveNormRule) -> norms.NormRule:
    return norms.NormRule(
        per_1000_residents=rule.per_1000_residents, per_100_aged_65=rule.per_100_aged_65,
        per_100_aged_80=rule.per_100_aged_80, per_100_living_alone=rule.per_100_living_alone,
        per_100_disabled=rule.per_100_disabled, per_100_infants=rule.per_100_infants,
        per_100_chronically_ill=rule.per_100_chronically_ill,
        hazard_multipliers=dict(rule.hazard_multipliers or {}),
        hazard_specific=rule.hazard_specific, days_of_cover=rule.days_of_cover)


def _stats(community: Area) -> norms.CommunityStats:
    return norms.CommunityStats(
        population=community.population, aged_65=community.aged_65,
        aged_80=community.aged_80, living_alone=community.living_alone,
        disabled=community.disabled, infants=community.infants,
        chronically_ill=community.chronically_ill)


# --- Reserve gaps ---------------------------------------------------------------------------

def reserve_gaps(
    session: Session, *, principal: Principal, within: str, on: date | None = None,
    type_code: str | None = None, clock: Clock | None = None,
) -> list[ReserveGapRead]:
    """Per community in ``within`` and per ruled resource type: need, reach and gap.

    Within reach = usable stock located in the community's subtree, plus a
    population-proportional share of usable stock located at its street. Usable = in good
    condition and not expired on ``on`` (default: today in China).
    """
    root = areas.get_area(session, code=within)
    require(principal, Permission.RESOURCE_READ, area_path=root.path)
    on = on or today(clock)
    low, high = root.subtree_bounds()
    communities = list(session.execute(select(Area).where(
        Area.path >= low, Area.path < high, Area.kind == AreaKind.COMMUNITY)
        .order_by(Area.code)).scalars())
    rules = _rules(session, type_code)
    if not communities or not rules:
        return []
    streets = {c.parent_id for c in communities if c.parent_id is not None}
    street_population = _street_populations(session, streets)
    own, at_street = _usable_stock(session, _reach_bounds(session, root), communities,
                                   streets, on)
    ruled = [(_norm(rule), rtype) for rule, rtype in rules]
    gaps = []
    for community in communities:
        stats, hazards = _stats(community), list(community.hazards or [])
        share_base = street_population.get(community.parent_id or 0, 0)
        for rule, rtype in ruled:
            required = norms.required_quantity(rule, stats, hazards)
            if required == 0:
                continue
            held = own.get((community.id, rtype.id), 0)
            share = norms.street_share(at_street.get((community.parent_id or 0, rtype.id), 0),
                                       community.population, share_base)
            gap = norms.reserve_gap(required=required, held=held + share)
            gaps.append(ReserveGapRead(
                community_code=community.code, community_name_zh=community.name_zh,
                community_name_en=community.name_en, resource_type_code=rtype.code,
                unit=rtype.unit, required=required, held_in_community=held,
                street_share=round(share, 2), held_within_reach=gap.held, gap=gap.gap,
                shortfall=gap.shortfall))
    return gaps


def _rules(session: Session, type_code: str | None) -> list[tuple[ReserveNormRule, ResourceType]]:
    query = (select(ReserveNormRule, ResourceType)
             .join(ResourceType, ResourceType.id == ReserveNormRule.resource_type_id)
             .order_by(ResourceType.code))
    if type_code is not None:
        query = query.where(ResourceType.id == get_resource_type(session, code=type_code).id)
    return [(rule, rtype) for rule, rtype in session.execute(query).all()]


def _reach_bounds(session: Session, root: Area) -> tuple[str, str]:
    """Path range holding every community's stock and its street's: the street at least."""
    if root.kind in (AreaKind.CITY, AreaKind.DISTRICT, AreaKind.STREET) or root.parent_id is None:
        return root.subtree_bounds()
    return areas.get_area_by_id(session, area_id=root.parent_id).subtree_bounds()


def _street_populations(session: Session, streets: set[int]) -> dict[int, int]:
    """Residents per street, summed over *all* its communities (the share's denominator)."""
    rows = session.execute(
        select(Area.parent_id, func.coalesce(func.sum(Area.population), 0))
        .where(Area.kind == AreaKind.COMMUNITY, Area.parent_id.in_(sorted(streets)))
        .group_by(Area.parent_id)).all()
    return {int(parent): int(total) for parent, total in rows if parent is not None}


def _usable_stock(
    session: Session, bounds: tuple[str, str], communities: list[Area], streets: set[int],
    on: date,
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Usable units per (community id, type id) and per (street id, type id)."""
    rows = session.execute(
        select(Area.id, Area.path, Holding.resource_type_id, func.sum(Holding.quantity))
        .join(Area, Area.id == Holding.area_id)
        .where(Area.path >= bounds[0], Area.path < bounds[1],
               Holding.condition == HoldingCondition.GOOD,
               or_(Holding.expires_on.is_(None), Holding.expires_on >= on))
        .group_by(Area.id, Area.path, Holding.resource_type_id)).all()
    community_ids = {c.id for c in communities}
    own: dict[tuple[int, int], int] = defaultdict(int)
    at_street: dict[tuple[int, int], int] = defaultdict(int)
    for area_id, path, type_id, quantity in rows:
        if area_id in streets:
            at_street[(area_id, type_id)] += int(quantity)
            continue
        owner = next((i for i in _path_ids(path) if i in community_ids), None)
        if owner is not None:
            own[(owner, type_id)] += int(quantity)
    return own, at_street
