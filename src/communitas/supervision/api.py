"""Supervision routes: assignments, a record, the street supervisor's view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep, SettingsDep
from communitas.resources.lookups import today
from communitas.schemas import Page
from communitas.supervision import record, service
from communitas.supervision.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    RecordRead,
    StreetSupervision,
)

router = APIRouter(tags=["supervision"])


@router.post("/api/supervision/assignments", response_model=AssignmentRead,
             status_code=status.HTTP_201_CREATED)
def assign(body: AssignmentCreate, session: SessionDep, principal: CurrentPrincipal
           ) -> AssignmentRead:
    row = service.assign(session, principal=principal, data=body)
    session.commit()
    return service.assignment_reads(session, [row], on=today())[0]


@router.get("/api/supervision/assignments", response_model=Page[AssignmentRead])
def list_assignments(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    active: Annotated[bool | None, Query(description="assigned today")] = None,
) -> Page[AssignmentRead]:
    """The roster: who is sent down to which community."""
    return service.list_assignments(session, principal=principal, within=within,
                                    active=active, page=paging.page,
                                    page_size=paging.page_size)


@router.post("/api/supervision/assignments/{assignment_id}/end",
             response_model=AssignmentRead)
def end_assignment(assignment_id: int, body: AssignmentEnd, session: SessionDep,
                   principal: CurrentPrincipal) -> AssignmentRead:
    row = service.end_assignment(session, principal=principal, assignment_id=assignment_id,
                                 data=body)
    session.commit()
    return service.assignment_reads(session, [row], on=today())[0]


@router.get("/api/supervision/assignments/{assignment_id}/record", response_model=RecordRead)
def assignment_record(assignment_id: int, session: SessionDep, principal: CurrentPrincipal,
                      settings: SettingsDep) -> RecordRead:
    return record.assignment_record(session, principal=principal, assignment_id=assignment_id,
                                    inaction_hours=settings.supervision_inaction_hours)


@router.get("/api/supervision/streets/{code}", response_model=StreetSupervision)
def street_view(
    code: str, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep,
    include_past: Annotated[bool, Query(description="ended assignments too")] = False,
) -> StreetSupervision:
    """Every community of the street with its sent-down people, their results and any
    inaction flag (assigned in an emergency, no action for N hours)."""
    return record.street_supervision(session, principal=principal, code=code,
                                     inaction_hours=settings.supervision_inaction_hours,
                                     include_past=include_past)
