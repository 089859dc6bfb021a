"""Area routes: thin wrappers over areas.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.areas import service
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.areas.schemas import AreaCreate, AreaRead, AreaStatistics, AreaUpdate
from communitas.pagination import paginate
from communitas.schemas import Page

router = APIRouter(prefix="/api/areas", tags=["areas"])


def to_read(session: Any, area: Area, parent_code: str | None = None) -> AreaRead:
    read = AreaRead.model_validate(area)
    if parent_code is None and area.parent_id is not None:
        parent_code = service.get_area_by_id(session, area_id=area.parent_id).code
    read.parent_code = parent_code
    return read


@router.get("", response_model=Page[AreaRead])
def list_areas(
    session: SessionDep,
    paging: PageDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    kind: AreaKind | None = None,
    parent: Annotated[str | None, Query(description="code of the direct parent")] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AreaRead]:
    """Areas are public reference data: anyone may list them."""
    query = service.list_areas(session, within=within, kind=kind, parent_code=parent, q=q)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    codes = _codes_by_id(session, {a.parent_id for a in rows if a.parent_id})
    return Page(items=[to_read(session, a, codes.get(a.parent_id or 0)) for a in rows],
                total=total, page=paging.page, page_size=paging.page_size)


def _codes_by_id(session: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Area.id, Area.code).where(Area.id.in_(ids))).all()
    return {area_id: code for area_id, code in rows}


@router.post("", response_model=AreaRead, status_code=status.HTTP_201_CREATED)
def create_area(body: AreaCreate, session: SessionDep, principal: CurrentPrincipal) -> AreaRead:
    [area] = service.create_areas(session, principal=principal, items=[body])
    session.commit()
    return to_read(session, area, body.parent_code)


@router.get("/{code}", response_model=AreaRead)
def read_area(code: str, session: SessionDep) -> AreaRead:
    return to_read(session, service.get_area(session, code=code))


@router.patch("/{code}", response_model=AreaRead)
def update_area(
    code: str, body: AreaUpdate, session: SessionDep, principal: CurrentPrincipal
) -> AreaRead:
    area = service.update_area(session, principal=principal, code=code, data=body)
    session.commit()
    return to_read(session, area)


@router.get("/{code}/statistics", response_model=AreaStatistics)
def area_statistics(code: str, session: SessionDep) -> AreaStatistics:
    return service.subtree_statistics(session, code=code)
