"""Routine routes: the drill calendar, the ledger, the status page, running a job now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep, SettingsDep
from communitas.resources.lookups import today
from communitas.routine import drills, jobs, service
from communitas.routine.models import DrillStatus
from communitas.routine.schemas import (
    DrillCancel,
    DrillCreate,
    DrillRead,
    JobName,
    RoutineItemRead,
    RoutineRunRead,
    RoutineStatusRead,
)
from communitas.schemas import Page

router = APIRouter(tags=["routine"])


@router.post("/api/routine/drills", response_model=DrillRead,
             status_code=status.HTTP_201_CREATED)
def schedule_drill(body: DrillCreate, session: SessionDep, principal: CurrentPrincipal
                   ) -> DrillRead:
    drill = drills.schedule_drill(session, principal=principal, data=body)
    session.commit()
    return drills.drill_reads(session, [drill])[0]


@router.get("/api/routine/drills", response_model=Page[DrillRead])
def list_drills(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    status: DrillStatus | None = None,
    since: Annotated[AwareDatetime | None, Query(description="with a UTC offset")] = None,
    until: Annotated[AwareDatetime | None, Query(description="with a UTC offset")] = None,
) -> Page[DrillRead]:
    """The drill calendar of the caller's area, soonest first."""
    return drills.list_drills(session, principal=principal, within=within, status=status,
                              since=since, until=until, page=paging.page,
                              page_size=paging.page_size)


@router.post("/api/routine/drills/{drill_id}/cancel", response_model=DrillRead)
def cancel_drill(drill_id: int, body: DrillCancel, session: SessionDep,
                 principal: CurrentPrincipal) -> DrillRead:
    drill = drills.cancel_drill(session, principal=principal, drill_id=drill_id, data=body)
    session.commit()
    return drills.drill_reads(session, [drill])[0]


@router.get("/api/routine/items", response_model=Page[RoutineItemRead])
def list_items(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    job: JobName | None = None,
) -> Page[RoutineItemRead]:
    """What the routine issued (each item names the task that carries it)."""
    return service.list_items(session, principal=principal, within=within, job=job,
                              page=paging.page, page_size=paging.page_size)


@router.get("/api/routine/status", response_model=RoutineStatusRead)
def routine_status(
    session: SessionDep, principal: CurrentPrincipal,
    within: Annotated[str, Query(description="code of the area")],
) -> RoutineStatusRead:
    return service.routine_status(session, principal=principal, within=within)


@router.post("/api/routine/run", response_model=RoutineRunRead)
def run_routine(
    session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep,
    job: Annotated[list[JobName] | None, Query(description="jobs to run; default all")] = None,
) -> RoutineRunRead:
    """Run the daily jobs now (platform admin); each job commits on its own."""
    policy = jobs.RoutinePolicy.from_settings(settings)
    issued: dict[str, int] = {}
    names: list[str] = list(job) if job else list(service.JOBS)
    for name in names:
        issued[name] = len(service.run_job(session, principal=principal, job=name,
                                           policy=policy))
        session.commit()
    return RoutineRunRead(on=today(), issued=issued)
