"""Resource routes: thin wrappers over resources.service. Every route needs a signed-in user."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Query, status

from communitas.api.deps import CurrentPrincipal, PageDep, PageParams, SessionDep
from communitas.pagination import paginate
from communitas.resources import capacity, reserves, service
from communitas.resources.models import HoldingCondition, ResourceKind
from communitas.resources.schemas import (
    CapacityOfferCreate,
    CapacityOfferRead,
    CapacityOfferUpdate,
    HoldingAdjust,
    HoldingCreate,
    HoldingRead,
    HoldingUpdate,
    ReserveGapRead,
    ReserveNormRead,
    ReserveNormSet,
    ResourceCategoryCreate,
    ResourceCategoryRead,
    ResourceTypeCreate,
    ResourceTypeRead,
    ResourceTypeUpdate,
)
from communitas.schemas import Page

router = APIRouter(tags=["resources"])
T = TypeVar("T")

AreaCode = Annotated[str | None, Query(max_length=32, description="code of the subtree root")]
TypeCode = Annotated[str | None, Query(alias="type", max_length=64,
                                       description="resource type code")]
OrgCode = Annotated[str | None, Query(alias="organisation", max_length=32,
                                      description="organisation code")]


def _page(items: list[T], total: int, paging: PageParams) -> Page[T]:
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


# --- Catalogue ------------------------------------------------------------------------------

@router.get("/api/resource-categories", response_model=Page[ResourceCategoryRead])
def list_categories(session: SessionDep, principal: CurrentPrincipal,
                    paging: PageDep) -> Page[ResourceCategoryRead]:
    rows, total = paginate(session, service.list_categories(session), page=paging.page,
                           page_size=paging.page_size)
    return _page(service.category_reads(session, rows), total, paging)


@router.post("/api/resource-categories", response_model=ResourceCategoryRead,
             status_code=status.HTTP_201_CREATED)
def create_category(body: ResourceCategoryCreate, session: SessionDep,
                    principal: CurrentPrincipal) -> ResourceCategoryRead:
    rows = service.create_categories(session, principal=principal, items=[body])
    session.commit()
    return service.category_reads(session, rows)[0]


@router.get("/api/resource-types", response_model=Page[ResourceTypeRead])
def list_resource_types(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PageDep,
    category: Annotated[str | None, Query(max_length=32,
                                          description="category code, with sub-categories")]
    = None,
    kind: ResourceKind | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ResourceTypeRead]:
    """The catalogue: readable by anyone signed in."""
    query = service.list_resource_types(session, category=category, kind=kind, q=q)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    return _page([ResourceTypeRead.model_validate(r) for r in rows], total, paging)


@router.post("/api/resource-types", response_model=ResourceTypeRead,
             status_code=status.HTTP_201_CREATED)
def create_resource_type(body: ResourceTypeCreate, session: SessionDep,
                         principal: CurrentPrincipal) -> ResourceTypeRead:
    [row] = service.create_resource_types(session, principal=principal, items=[body])
    session.commit()
    return ResourceTypeRead.model_validate(row)


@router.get("/api/resource-types/{code}", response_model=ResourceTypeRead)
def read_resource_type(code: str, session: SessionDep,
                       principal: CurrentPrincipal) -> ResourceTypeRead:
    return ResourceTypeRead.model_validate(service.get_resource_type(session, code=code))


@router.patch("/api/resource-types/{code}", response_model=ResourceTypeRead)
def update_resource_type(code: str, body: ResourceTypeUpdate, session: SessionDep,
                         principal: CurrentPrincipal) -> ResourceTypeRead:
    row = service.update_resource_type(session, principal=principal, code=code, data=body)
    session.commit()
    return ResourceTypeRead.model_validate(row)


# --- Holdings -------------------------------------------------------------------------------

@router.get("/api/holdings", response_model=Page[HoldingRead])
def list_holdings(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PageDep,
    within: AreaCode = None,
    type_code: TypeCode = None,
    organisation: OrgCode = None,
    expiring_before: date | None = None,
    condition: HoldingCondition | None = None,
) -> Page[HoldingRead]:
    """Holdings in the caller's scope; ``within`` keeps those located in an area's subtree."""
    query = service.list_holdings(
        session, principal=principal, within=within, type_code=type_code,
        organisation_code=organisation, expiring_before=expiring_before, condition=condition)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    return _page(service.holding_reads(session, rows), total, paging)


@router.post("/api/holdings", response_model=HoldingRead, status_code=status.HTTP_201_CREATED)
def create_holding(body: HoldingCreate, session: SessionDep,
                   principal: CurrentPrincipal) -> HoldingRead:
    rows = service.create_holdings(session, principal=principal, items=[body])
    session.commit()
    return service.holding_reads(session, rows)[0]


@router.post("/api/holdings/bulk", response_model=list[HoldingRead],
             status_code=status.HTTP_201_CREATED)
def create_holdings(
    body: Annotated[list[HoldingCreate], Body(min_length=1, max_length=5000)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[HoldingRead]:
    """Record many holdings at once: all are created, or none."""
    rows = service.create_holdings(session, principal=principal, items=body)
    session.commit()
    return service.holding_reads(session, rows)


@router.get("/api/holdings/{holding_id}", response_model=HoldingRead)
def read_holding(holding_id: int, session: SessionDep,
                 principal: CurrentPrincipal) -> HoldingRead:
    holding = service.get_holding(session, principal=principal, holding_id=holding_id)
    return service.holding_reads(session, [holding])[0]


@router.patch("/api/holdings/{holding_id}", response_model=HoldingRead)
def update_holding(holding_id: int, body: HoldingUpdate, session: SessionDep,
                   principal: CurrentPrincipal) -> HoldingRead:
    holding = service.update_holding(session, principal=principal, holding_id=holding_id,
                                     data=body)
    session.commit()
    return service.holding_reads(session, [holding])[0]


@router.post("/api/holdings/{holding_id}/adjust", response_model=HoldingRead)
def adjust_holding(holding_id: int, body: HoldingAdjust, session: SessionDep,
                   principal: CurrentPrincipal) -> HoldingRead:
    """Receive (positive delta) or issue (negative delta) stock, with a reason."""
    holding = service.adjust_holding(session, principal=principal, holding_id=holding_id,
                                     delta=body.delta, reason=body.reason)
    session.commit()
    return service.holding_reads(session, [holding])[0]


# --- Capacity offers ------------------------------------------------------------------------

@router.get("/api/capacity-offers", response_model=Page[CapacityOfferRead])
def list_capacity_offers(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PageDep,
    within: AreaCode = None,
    type_code: TypeCode = None,
    organisation: OrgCode = None,
    active: bool | None = None,
) -> Page[CapacityOfferRead]:
    """Offers in the caller's scope; ``within`` keeps offers that reach into that area."""
    query = capacity.list_capacity_offers(
        session, principal=principal, within=within, type_code=type_code,
        organisation_code=organisation, active=active)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    return _page(capacity.capacity_offer_reads(session, rows), total, paging)


@router.post("/api/capacity-offers", response_model=CapacityOfferRead,
             status_code=status.HTTP_201_CREATED)
def create_capacity_offer(body: CapacityOfferCreate, session: SessionDep,
                          principal: CurrentPrincipal) -> CapacityOfferRead:
    rows = capacity.create_capacity_offers(session, principal=principal, items=[body])
    session.commit()
    return capacity.capacity_offer_reads(session, rows)[0]


@router.patch("/api/capacity-offers/{offer_id}", response_model=CapacityOfferRead)
def update_capacity_offer(offer_id: int, body: CapacityOfferUpdate, session: SessionDep,
                          principal: CurrentPrincipal) -> CapacityOfferRead:
    offer = capacity.update_capacity_offer(session, principal=principal, offer_id=offer_id,
                                          data=body)
    session.commit()
    return capacity.capacity_offer_reads(session, [offer])[0]


# --- Reserve norms and gaps -----------------------------------------------------------------

@router.get("/api/reserve-norms", response_model=Page[ReserveNormRead])
def list_reserve_norms(session: SessionDep, principal: CurrentPrincipal,
                       paging: PageDep) -> Page[ReserveNormRead]:
    """The norms are published data: readable by anyone signed in."""
    rows, total = paginate(session, reserves.list_norm_rules(session), page=paging.page,
                           page_size=paging.page_size)
    return _page([reserves.norm_rule_read(r) for r in rows], total, paging)


@router.put("/api/reserve-norms/{type_code}", response_model=ReserveNormRead)
def set_reserve_norm(type_code: str, body: ReserveNormSet, session: SessionDep,
                     principal: CurrentPrincipal) -> ReserveNormRead:
    rule = reserves.set_norm_rule(session, principal=principal, type_code=type_code, data=body)
    session.commit()
    return reserves.norm_rule_read(rule)


@router.get("/api/reserve-gaps", response_model=Page[ReserveGapRead])
def reserve_gaps(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PageDep,
    within: Annotated[str, Query(max_length=32, description="code of the subtree root")],
    type_code: TypeCode = None,
    on: Annotated[date | None, Query(description="count stock usable on this date")] = None,
) -> Page[ReserveGapRead]:
    """Per community and resource type: required, held within reach, gap and shortfall."""
    gaps = reserves.reserve_gaps(session, principal=principal, within=within, on=on,
                                type_code=type_code)
    start = (paging.page - 1) * paging.page_size
    return _page(gaps[start:start + paging.page_size], len(gaps), paging)
