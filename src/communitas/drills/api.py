"""Assessment routes: the ranked table and the map layer (read-only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.drills.assessment import assess_communities, assessment_geojson
from communitas.drills.schemas import AssessmentRead
from communitas.schemas import Page

router = APIRouter(tags=["drills"])

Within = Annotated[str, Query(max_length=32, description="code of the subtree root")]
On = Annotated[date | None, Query(description="count stock usable on this date")]


@router.get("/api/assessment", response_model=Page[AssessmentRead])
def read_assessment(session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
                    within: Within, on: On = None) -> Page[AssessmentRead]:
    """Every community under ``within``, least resilient first, with its scores."""
    ranked = assess_communities(session, principal=principal, within=within, on=on)
    start = (paging.page - 1) * paging.page_size
    items = [AssessmentRead(rank=start + i + 1, **a.as_dict())
             for i, a in enumerate(ranked[start:start + paging.page_size])]
    return Page(items=items, total=len(ranked), page=paging.page, page_size=paging.page_size)


@router.get("/api/assessment/map")
def read_assessment_map(session: SessionDep, principal: CurrentPrincipal, within: Within,
                        on: On = None) -> dict[str, Any]:
    """The same scores as a GeoJSON FeatureCollection, for the map."""
    return assessment_geojson(assess_communities(session, principal=principal, within=within,
                                                 on=on))
