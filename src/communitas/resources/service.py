"""Resource use cases: the catalogue and holdings.

Callers own the transaction; each write appends its events. A holding is in a principal's
scope when its area lies in the principal's area subtree or, for an organisation liaison,
when it belongs to the liaison's organisation (see auth.permissions.can). Capacity offers
live in resources.capacity, reserve norms and gaps in resources.reserves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from communitas.actors.models import Organisation
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, ValidationFailed
from communitas.events import EventDraft, record_event, record_events
from communitas.i18n import _
from communitas.resources import catalogue
from communitas.resources.lookups import (
    Lookup,
    codes_by_id,
    get_category,
    get_resource_type,
    organisation_by_code,
    require_catalogue_editor,
    scope_clause,
    today,
)
from communitas.resources.models import (
    MAX_QUANTITY,
    Holding,
    HoldingCondition,
    ReserveNormRule,
    ResourceCategory,
    ResourceKind,
    ResourceType,
)
from communitas.resources.reserves import set_norm_rule
from communitas.resources.schemas import (
    CatalogueInstallReport,
    HoldingCreate,
    HoldingRead,
    HoldingUpdate,
    ResourceCategoryCreate,
    ResourceCategoryRead,
    ResourceTypeCreate,
    ResourceTypeUpdate,
)
from communitas.uniqueness import refuse_duplicate_codes

__all__ = [
    "adjust_holding",
    "category_reads",
    "create_categories",
    "create_holdings",
    "create_resource_types",
    "get_category",
    "get_holding",
    "get_resource_type",
    "holding_reads",
    "install_default_catalogue",
    "list_categories",
    "list_holdings",
    "list_resource_types",
    "today",
    "update_holding",
    "update_resource_type",
]

# --- Catalogue ------------------------------------------------------------------------------

def create_categories(
    session: Session, *, principal: Principal, items: Iterable[ResourceCategoryCreate],
    clock: Clock | None = None,
) -> list[ResourceCategory]:
    """Create categories in order (a parent may come earlier in the batch), all or nothing."""
    require_catalogue_editor(principal)
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
    parents = codes_by_id(session, ResourceCategory.code,
                          [r.parent_id for r in rows if r.parent_id])
    return [ResourceCategoryRead(code=r.code, name_zh=r.name_zh, name_en=r.name_en,
                                 parent_code=parents.get(r.parent_id or 0)) for r in rows]


def create_resource_types(
    session: Session, *, principal: Principal, items: Iterable[ResourceTypeCreate],
    clock: Clock | None = None,
) -> list[ResourceType]:
    """Create resource types, all or nothing."""
    require_catalogue_editor(principal)
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
    require_catalogue_editor(principal)
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
    require_catalogue_editor(principal)
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
    items, lookup, now = list(items), Lookup(session), clock.now()
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
             .where(scope_clause(principal, Holding.organisation_id))
             .order_by(Holding.id))
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if type_code is not None:
        query = query.where(
            Holding.resource_type_id == get_resource_type(session, code=type_code).id)
    if organisation_code is not None:
        query = query.where(
            Holding.organisation_id == organisation_by_code(session, organisation_code).id)
    if expiring_before is not None:
        query = query.where(Holding.expires_on < expiring_before)
    if condition is not None:
        query = query.where(Holding.condition == condition)
    return query


def holding_reads(session: Session, rows: Iterable[Holding]) -> list[HoldingRead]:
    rows = list(rows)
    orgs = codes_by_id(session, Organisation.code, [h.organisation_id for h in rows])
    places = codes_by_id(session, Area.code, [h.area_id for h in rows])
    return [HoldingRead(
        id=h.id, resource_type_code=h.resource_type.code,
        organisation_code=orgs[h.organisation_id], area_code=places[h.area_id],
        quantity=h.quantity, expires_on=h.expires_on, condition=h.condition, note=h.note,
        updated_at=h.updated_at) for h in rows]
