"""The tasks board: tasks by state for staff in scope, one task's page (assign, transitions,
checklist, notes, cannot-complete with a reason, volunteer call-outs), and "my tasks" for
the people who do them (their tasks and call-out invitations).

Other domains add a section to a task's page by appending a :class:`TaskPanel` to
``TASK_PANELS`` (mutual-aid pairs will show the pair a task came from).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, can
from communitas.auth.roles import Permission, Role
from communitas.errors import CommunitasError
from communitas.i18n import _
from communitas.tasks import callouts
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import ACTIVE, ASSIGNEE_ACTIONS, Action, TaskStatus, allowed
from communitas.tasks.models import CallOut, Task
from communitas.tasks.schemas import (
    CallOutCreate,
    NoteIn,
    TaskCreate,
    TaskRead,
    TaskTransition,
)
from communitas.web import labels, work_labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, int_or_none, validate
from communitas.web.lookups import area_choices
from communitas.web.nav import HOME, NAV, NavItem
from communitas.web.notice_compose import parse_local_time
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute
from communitas.web.situation import MAP_LAYERS, MapLayer

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["TASK_PANELS", "TaskPanel", "router"]

BOARD_SIZE = 200


@dataclass(frozen=True)
class TaskPanel:
    """A section another domain adds to a task's page: its template (a fragment) and the
    context it needs, or None when the panel has nothing to say about this task."""

    template: str
    context: Callable[[Session, Principal, TaskRead], dict[str, Any] | None]


TASK_PANELS: list[TaskPanel] = []


def open_tasks(session: Session, principal: Principal, within: str) -> dict[str, float]:
    """Active tasks per community in scope (tasks on its grids and buildings included)."""
    if not can(principal, Permission.TASK_READ):
        return {}
    low, high = areas.get_area(session, code=within).subtree_bounds()
    community, place = aliased(Area), aliased(Area)
    rows = session.execute(
        select(community.code, func.count(Task.id)).select_from(Task)
        .join(place, place.id == Task.area_id)
        .join(community, place.path.startswith(community.path))
        .where(Task.status.in_([s.value for s in ACTIVE]),
               community.kind == AreaKind.COMMUNITY, community.path >= low,
               community.path < high)
        .group_by(community.code)).all()
    return {code: float(n) for code, n in rows}


MAP_LAYERS.append(MapLayer("tasks", _("Open tasks"), open_tasks, "#1565c0"))

NAV.insert(2, NavItem("/tasks", _("Tasks"), Permission.TASK_READ))
HOME[Role.VOLUNTEER] = "/tasks/mine"  # their tasks, call-out invitations and sweeps
NAV.append(NavItem("/tasks/mine", _("My tasks"), None,
                   frozenset({Role.GRID_WORKER, Role.VOLUNTEER, Role.ORG_LIAISON})))


NEW_TASK = ("title", "area", "priority", "due_at", "description", "checklist")
_NEW_RENAME = {"title": "title", "area_code": "area", "priority": "priority",
               "due_at": "due_at", "description": "description", "checklist": "checklist"}


@router.get("/tasks")
def board(page: StaffDep, status: TaskStatus | None = None,
          area: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """Tasks in scope grouped by status (most urgent first in each)."""
    if not page.can(Permission.TASK_READ):
        return RedirectResponse("/tasks/mine", status_code=303)
    values = {**dict.fromkeys(NEW_TASK, ""), "priority": "3", "area": area or ""}
    return _board(page, status, area, values, FormErrors(page.locale))


def _board(page: Page, status: TaskStatus | None, area: str | None, values: dict[str, str],
           errors: FormErrors, http_status: int = 200) -> Response:
    rows = tasks.list_tasks(page.session, principal=page.staff, status=status,
                            within=area or None, page_size=BOARD_SIZE)
    columns = {s.value: [t for t in rows.items if t.status is s] for s in TaskStatus
               if status is None or s is status}
    choices = area_choices(page.session, kinds=(AreaKind.STREET, AreaKind.COMMUNITY),
                           within=scope_code(page))
    return render(page, "tasks.html", status=http_status, title=page.t("Tasks"),
                  columns=columns, total=rows.total, shown=len(rows.items), chosen=status,
                  area=area or "", choices=choices, wl=work_labels, labels=labels,
                  values=values, errors=errors, can_create=page.can(Permission.TASK_WRITE))


@router.post("/tasks")
def create_task(page: StaffDep, form: FormDep) -> Response:
    """A new task in the reader's scope; bad input is shown by its field, nothing saved."""
    check_csrf(page, form.get("csrf_token"))
    values = {n: field_text(form, n, 2000) for n in NEW_TASK}
    errors = FormErrors(page.locale)
    data: dict[str, Any] = {
        "title": values["title"], "area_code": values["area"],
        "priority": int_or_none(values["priority"]), "description": values["description"],
        "due_at": parse_local_time(values["due_at"], "due_at", errors),
        "checklist": [x.strip() for x in values["checklist"].splitlines() if x.strip()]}
    body = validate(TaskCreate, data, errors, _NEW_RENAME)
    if body is None or errors:
        return _board(page, None, None, values, errors, 422)
    try:
        [task] = tasks.create_tasks(page.session, principal=page.staff, items=[body])
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, _NEW_RENAME)
        if not errors.fields:
            errors.general.clear()
            errors.add("area", exc.message, **exc.params)
        return _board(page, None, None, values, errors, exc.status)
    page.session.commit()
    return _back(task.id)


@router.get("/tasks/mine")
def my_tasks(page: StaffDep) -> Response:
    """The signed-in person's own tasks and call-out invitations."""
    return _my_tasks(page, FormErrors(page.locale))


def _my_tasks(page: Page, errors: FormErrors, status: int = 200) -> Response:
    mine = tasks.list_tasks(page.session, principal=page.staff, mine=True,
                            page_size=BOARD_SIZE).items
    invitations = callouts.my_invitations(page.session, principal=page.staff)
    return render(page, "my_tasks.html", status=status, title=page.t("My tasks"), tasks=mine,
                  invitations=invitations, wl=work_labels, labels=labels, errors=errors)


def _actions(page: Page, task: TaskRead) -> list[str]:
    """Transitions this person may take now (the assignee's own, or every one for staff)."""
    staff = page.can(Permission.TASK_WRITE)
    own = task.assignee is not None and _is_assignee(page, task)
    found = []
    for action in Action:
        if action in (Action.CLAIM, Action.RELEASE, Action.ASSIGN):
            continue
        if task.sweep_id is not None and action not in (Action.CANNOT_COMPLETE, Action.REOPEN):
            continue
        if allowed(task.status, action) and (staff or (own and action in ASSIGNEE_ACTIONS)):
            found.append(action.value)
    return found


def _is_assignee(page: Page, task: TaskRead) -> bool:
    return tasks.is_assignee(page.staff, tasks.get_task(page.session, task_id=task.id))


def _detail(page: Page, task_id: int, errors: FormErrors | None = None, status: int = 200,
            values: dict[str, str] | None = None) -> Response:
    task = tasks.read_task(page.session, principal=page.staff, task_id=task_id)
    code_path = tasks.task_area(page.session, tasks.get_task(page.session, task_id=task_id))
    callout_ids = page.session.execute(select(CallOut.id).where(
        CallOut.task_id == task_id).order_by(CallOut.id.desc())).scalars().all()
    reads = [callouts.read_callout(page.session, principal=page.staff, callout_id=i)
             for i in callout_ids] if page.can(Permission.TASK_READ, code_path[1]) else []
    panels = [(p.template, ctx) for p in TASK_PANELS
              if (ctx := p.context(page.session, page.staff, task)) is not None]
    worker = page.can(Permission.TASK_WRITE, code_path[1]) or _is_assignee(page, task)
    return render(page, "task.html", status=status, title=task.title, task=task,
                  actions=_actions(page, task), errors=errors or FormErrors(page.locale),
                  values=values or {}, callouts=reads, panels=panels, wl=work_labels,
                  labels=labels, worker=worker,
                  can_assign=page.can(Permission.TASK_WRITE, code_path[1])
                  and allowed(task.status, Action.ASSIGN) and task.sweep_id is None,
                  can_callout=page.can(Permission.CALLOUT_MANAGE, code_path[1])
                  and task.status.value in ("open", "assigned", "accepted", "in_progress"))


@router.get("/tasks/{task_id}")
def task_page(task_id: int, page: StaffDep) -> Response:
    return _detail(page, task_id)


def _refused(page: Page, task_id: int, exc: CommunitasError, values: dict[str, str],
             fallback: str, rename: dict[str, str] | None = None) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.from_refusal(exc, rename)
    if not errors.fields and not errors.general:
        errors.add(fallback, exc.message, **exc.params)
    return _detail(page, task_id, errors, status=exc.status, values=values)


def _back(task_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/tasks/{task_id}{anchor}", status_code=303)


_TRANSITION_FIELDS = {"reason": "reason", "assignee_person_code": "assignee",
                      "assignee_org_code": "assignee", "action": "action"}


@router.post("/tasks/{task_id}/transition")
def transition(task_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {n: field_text(form, n, 500) for n in ("action", "reason", "assignee",
                                                     "assignee_kind")}
    data: dict[str, Any] = {"action": values["action"], "reason": values["reason"] or None}
    if values["action"] == Action.ASSIGN.value:
        key = "assignee_org_code" if values["assignee_kind"] == "org" else \
            "assignee_person_code"
        data[key] = values["assignee"] or None
    errors = FormErrors(page.locale)
    body = validate(TaskTransition, data, errors, _TRANSITION_FIELDS)
    if body is None:
        if values["action"] == Action.ASSIGN.value and not values["assignee"]:
            errors.fields.setdefault("assignee", page.t("This field is required"))
        return _detail(page, task_id, errors, status=422, values=values)
    try:
        tasks.transition(page.session, principal=page.staff, task_id=task_id, data=body)
    except CommunitasError as exc:
        return _refused(page, task_id, exc, values, "action", _TRANSITION_FIELDS)
    page.session.commit()
    return _back(task_id)


@router.post("/tasks/{task_id}/checklist/{position}")
def tick(task_id: int, position: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        tasks.tick(page.session, principal=page.staff, task_id=task_id, position=position,
                   done=field_text(form, "done", 5) == "1")
    except CommunitasError as exc:
        return _refused(page, task_id, exc, {}, "checklist")
    page.session.commit()
    return _back(task_id, "#checklist")


@router.post("/tasks/{task_id}/notes")
def add_note(task_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {"note": field_text(form, "note", 2100)}
    errors = FormErrors(page.locale)
    body = validate(NoteIn, {"text": values["note"]}, errors, {"text": "note"})
    if body is None:
        return _detail(page, task_id, errors, status=422, values=values)
    try:
        tasks.add_note(page.session, principal=page.staff, task_id=task_id, text=body.text)
    except CommunitasError as exc:
        return _refused(page, task_id, exc, values, "note")
    page.session.commit()
    return _back(task_id, "#notes")


_CALLOUT_FIELDS = ("head_count", "invite", "skill", "qualification", "max_km")


@router.post("/tasks/{task_id}/callouts")
def call_out(task_id: int, page: StaffDep, form: FormDep) -> Response:
    """Invite the nearest volunteers who fit; the answers show on the task's page."""
    check_csrf(page, form.get("csrf_token"))
    values = {n: field_text(form, n, 200) for n in _CALLOUT_FIELDS}
    data = {k: v or None for k, v in values.items()}
    errors = FormErrors(page.locale)
    body = validate(CallOutCreate, data, errors, {k: k for k in _CALLOUT_FIELDS})
    if body is None:
        return _detail(page, task_id, errors, status=422, values=values)
    try:
        callouts.create_callout(page.session, principal=page.staff, task_id=task_id,
                                data=body)
    except CommunitasError as exc:
        return _refused(page, task_id, exc, values, "invite")
    page.session.commit()
    return _back(task_id, "#callouts")


def _after_answer(page: Page, task_id: int) -> Response:
    target = f"/tasks/{task_id}#callouts" if page.can(Permission.CALLOUT_MANAGE) \
        else "/tasks/mine#invitations"
    return RedirectResponse(target, status_code=303)


def _invitation_refused(page: Page, exc: CommunitasError, field: str) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.add(field, exc.message, **exc.params)
    return _my_tasks(page, errors, exc.status)


@router.post("/invitations/{invitation_id}/respond")
def respond(invitation_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        invitation = callouts.respond(page.session, principal=page.staff,
                                      invitation_id=invitation_id,
                                      accept=field_text(form, "accept", 5) == "1")
    except CommunitasError as exc:
        return _invitation_refused(page, exc, f"answer-{invitation_id}")
    task_id = page.session.get_one(CallOut, invitation.callout_id).task_id
    page.session.commit()
    return _after_answer(page, task_id)


@router.post("/invitations/{invitation_id}/hours")
def log_hours(invitation_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    field = f"hours-{invitation_id}"
    text = field_text(form, "hours", 20)
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24:
        errors = FormErrors(page.locale)
        errors.add(field, _("Enter hours between 0 and 24"))
        return _my_tasks(page, errors, 422)
    try:
        invitation = callouts.log_hours(page.session, principal=page.staff,
                                        invitation_id=invitation_id, hours=hours)
    except CommunitasError as exc:
        return _invitation_refused(page, exc, field)
    task_id = page.session.get_one(CallOut, invitation.callout_id).task_id
    page.session.commit()
    return _after_answer(page, task_id)


