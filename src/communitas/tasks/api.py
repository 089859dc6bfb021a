"""Task, sweep and call-out routes: thin wrappers; each writing route commits first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep, SettingsDep
from communitas.schemas import Page
from communitas.tasks import callouts, sweeps
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.schemas import (
    CallOutCreate,
    CallOutRead,
    CallOutResponse,
    HoursIn,
    InvitationRead,
    NoteIn,
    SweepCreate,
    SweepRead,
    SweepSummary,
    SweepVerdict,
    TaskCreate,
    TaskRead,
    TaskTransition,
    TaskUpdate,
    TickIn,
)
from communitas.tasks.views import task_reads

router = APIRouter(tags=["tasks"])
CREATED = status.HTTP_201_CREATED
MAX_BATCH = 2000


@router.post("/api/tasks", response_model=TaskRead, status_code=CREATED)
def create_task(body: TaskCreate, session: SessionDep, principal: CurrentPrincipal) -> TaskRead:
    [task] = tasks.create_tasks(session, principal=principal, items=[body])
    session.commit()
    return task_reads(session, [task])[0]


@router.post("/api/tasks/batch", response_model=list[TaskRead], status_code=CREATED)
def create_task_batch(
    body: Annotated[list[TaskCreate], Body(min_length=1, max_length=MAX_BATCH)],
    session: SessionDep, principal: CurrentPrincipal,
) -> list[TaskRead]:
    """Create many tasks, all or nothing."""
    created = tasks.create_tasks(session, principal=principal, items=body)
    session.commit()
    return task_reads(session, created)


@router.get("/api/tasks", response_model=Page[TaskRead])
def list_tasks(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    mine: Annotated[bool, Query(description="only tasks assigned to me")] = False,
    status: TaskStatus | None = None,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    source_kind: str | None = None, source_id: str | None = None, sweep_id: int | None = None,
) -> Page[TaskRead]:
    """Staff see the tasks of their area; everyone sees the tasks assigned to them."""
    return tasks.list_tasks(session, principal=principal, mine=mine, status=status,
                            within=within, source_kind=source_kind, source_id=source_id,
                            sweep_id=sweep_id, page=paging.page, page_size=paging.page_size)


@router.get("/api/tasks/{task_id}", response_model=TaskRead)
def read_task(task_id: int, session: SessionDep, principal: CurrentPrincipal) -> TaskRead:
    return tasks.read_task(session, principal=principal, task_id=task_id)


@router.patch("/api/tasks/{task_id}", response_model=TaskRead)
def update_task(task_id: int, body: TaskUpdate, session: SessionDep,
                principal: CurrentPrincipal) -> TaskRead:
    task = tasks.update_task(session, principal=principal, task_id=task_id, data=body)
    session.commit()
    return task_reads(session, [task])[0]


@router.post("/api/tasks/{task_id}/transitions", response_model=TaskRead)
def transition_task(task_id: int, body: TaskTransition, session: SessionDep,
                    principal: CurrentPrincipal) -> TaskRead:
    """assign, unassign, accept, decline, start, complete, verify, reject, cannot_complete,
    reopen."""
    task = tasks.transition(session, principal=principal, task_id=task_id, data=body)
    session.commit()
    return task_reads(session, [task])[0]


@router.put("/api/tasks/{task_id}/checklist/{position}", response_model=TaskRead)
def tick_item(task_id: int, position: int, body: TickIn, session: SessionDep,
              principal: CurrentPrincipal) -> TaskRead:
    task = tasks.tick(session, principal=principal, task_id=task_id, position=position,
                      done=body.done)
    session.commit()
    return task_reads(session, [task])[0]


@router.post("/api/tasks/{task_id}/notes", response_model=TaskRead, status_code=CREATED)
def add_note(task_id: int, body: NoteIn, session: SessionDep,
             principal: CurrentPrincipal) -> TaskRead:
    task = tasks.add_note(session, principal=principal, task_id=task_id, text=body.text)
    session.commit()
    return task_reads(session, [task])[0]


# --- sweeps ---------------------------------------------------------------------------------

@router.post("/api/sweeps", response_model=SweepRead, status_code=CREATED, tags=["sweeps"])
def create_sweep(body: SweepCreate, session: SessionDep, principal: CurrentPrincipal,
                 settings: SettingsDep) -> SweepRead:
    """One task per building of a community or grid."""
    sweep = sweeps.create_sweep(session, principal=principal, data=body,
                                default_hold_minutes=settings.sweep_hold_minutes)
    session.commit()
    return sweeps.read_sweep(session, principal=principal, sweep_id=sweep.id)


@router.get("/api/sweeps", response_model=Page[SweepSummary], tags=["sweeps"])
def list_sweeps(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
) -> Page[SweepSummary]:
    """Sweeps in the caller's area, for the staff who run them and the people who sweep."""
    return sweeps.list_sweeps(session, principal=principal, within=within, page=paging.page,
                              page_size=paging.page_size)


@router.get("/api/sweeps/{sweep_id}", response_model=SweepRead, tags=["sweeps"])
def read_sweep(sweep_id: int, session: SessionDep, principal: CurrentPrincipal) -> SweepRead:
    return sweeps.read_sweep(session, principal=principal, sweep_id=sweep_id)


_BUILDING = "/api/sweeps/{sweep_id}/buildings/{task_id}"


@router.post(f"{_BUILDING}/claim", response_model=TaskRead, tags=["sweeps"])
def claim_building(sweep_id: int, task_id: int, session: SessionDep,
                   principal: CurrentPrincipal) -> TaskRead:
    """Hold a building for the sweep's hold time; 409 building_held if someone else does."""
    task = sweeps.claim_building(session, principal=principal, sweep_id=sweep_id,
                                 task_id=task_id)
    session.commit()
    return task_reads(session, [task])[0]


@router.post(f"{_BUILDING}/release", response_model=TaskRead, tags=["sweeps"])
def release_building(sweep_id: int, task_id: int, session: SessionDep,
                     principal: CurrentPrincipal) -> TaskRead:
    task = sweeps.release_building(session, principal=principal, sweep_id=sweep_id,
                                   task_id=task_id)
    session.commit()
    return task_reads(session, [task])[0]


@router.post(f"{_BUILDING}/submit", response_model=TaskRead, tags=["sweeps"])
def submit_building(sweep_id: int, task_id: int, session: SessionDep,
                    principal: CurrentPrincipal) -> TaskRead:
    task = sweeps.submit_building(session, principal=principal, sweep_id=sweep_id,
                                  task_id=task_id)
    session.commit()
    return task_reads(session, [task])[0]


@router.post(f"{_BUILDING}/verify", response_model=TaskRead, tags=["sweeps"])
def verify_building(sweep_id: int, task_id: int, body: SweepVerdict, session: SessionDep,
                    principal: CurrentPrincipal) -> TaskRead:
    """A second person accepts the building's sweep or sends it back."""
    task = sweeps.verify_building(session, principal=principal, sweep_id=sweep_id,
                                  task_id=task_id, accept=body.accept)
    session.commit()
    return task_reads(session, [task])[0]


# --- call-outs ------------------------------------------------------------------------------

@router.post("/api/tasks/{task_id}/callouts", response_model=CallOutRead, status_code=CREATED,
             tags=["callouts"])
def create_callout(task_id: int, body: CallOutCreate, session: SessionDep,
                   principal: CurrentPrincipal) -> CallOutRead:
    """Invite the nearest volunteers with the skill, free at the time, qualified."""
    callout = callouts.create_callout(session, principal=principal, task_id=task_id, data=body)
    session.commit()
    return callouts.read_callout(session, principal=principal, callout_id=callout.id)


@router.get("/api/callouts/invitations/mine", response_model=list[InvitationRead],
            tags=["callouts"])
def my_invitations(session: SessionDep, principal: CurrentPrincipal) -> list[InvitationRead]:
    return callouts.my_invitations(session, principal=principal)


@router.get("/api/callouts/{callout_id}", response_model=CallOutRead, tags=["callouts"])
def read_callout(callout_id: int, session: SessionDep,
                 principal: CurrentPrincipal) -> CallOutRead:
    return callouts.read_callout(session, principal=principal, callout_id=callout_id)


@router.post("/api/callouts/invitations/{invitation_id}/respond",
             response_model=InvitationRead, tags=["callouts"])
def respond(invitation_id: int, body: CallOutResponse, session: SessionDep,
            principal: CurrentPrincipal) -> InvitationRead:
    """Accept or decline; the first accepters take the places."""
    row = callouts.respond(session, principal=principal, invitation_id=invitation_id,
                           accept=body.accept)
    session.commit()
    return callouts.invitation_reads(session, [row])[0]


@router.post("/api/callouts/invitations/{invitation_id}/hours",
             response_model=InvitationRead, tags=["callouts"])
def log_hours(invitation_id: int, body: HoursIn, session: SessionDep,
              principal: CurrentPrincipal) -> InvitationRead:
    row = callouts.log_hours(session, principal=principal, invitation_id=invitation_id,
                             hours=body.hours)
    session.commit()
    return callouts.invitation_reads(session, [row])[0]
