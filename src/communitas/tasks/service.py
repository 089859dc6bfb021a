"""Task use cases. Callers own the transaction; every state change appends an event.

Staff manage the tasks of their area (``task.read``, ``task.write`` within ``area_range``);
the assignee — the person linked to the signed-in user, or an organisation's liaison for a
task assigned to the organisation — sees their own tasks and moves them along
(:data:`lifecycle.ASSIGNEE_ACTIONS`) without any task permission.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.db import insert_many, insert_rows
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.schemas import Page
from communitas.tasks import lookups
from communitas.tasks.lifecycle import (
    ACTIVE,
    ASSIGNEE_ACTIONS,
    STAMPS,
    Action,
    IllegalTransition,
    TaskStatus,
    next_status,
)
from communitas.tasks.models import ChecklistItem, Task, TaskNote
from communitas.tasks.schemas import TaskCreate, TaskRead, TaskTransition, TaskUpdate
from communitas.tasks.views import task_reads

__all__ = [
    "add_note", "create_task_rows", "create_tasks", "get_task", "is_assignee", "list_tasks",
    "read_task", "stand_down", "stand_down_many", "task_area", "tick", "transition", "update_task",
]

# Generic transitions a sweep building accepts; the rest go through tasks.sweeps.
_SWEEP_GENERIC = frozenset({Action.CANNOT_COMPLETE, Action.REOPEN})


def get_task(session: Session, *, task_id: int, lock: bool = False) -> Task:
    """The task row (no permission check); ``lock`` selects it FOR UPDATE."""
    query = select(Task).where(Task.id == task_id)
    task = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if task is None:
        raise NotFound(_("Unknown task {value}"), code="unknown_task", value=task_id)
    return task


def task_area(session: Session, task: Task) -> tuple[str, str]:
    """(code, path) of the task's area."""
    code, path, _lon, _lat = lookups.area_refs(session, [task.area_id])[task.area_id]
    return code, path


def is_assignee(principal: Principal, task: Task) -> bool:
    if principal.person_id is not None and task.assignee_person_id == principal.person_id:
        return True
    return (principal.role is Role.ORG_LIAISON and principal.org_id is not None
            and task.assignee_org_id == principal.org_id)


def _require_readable(session: Session, principal: Principal, task: Task) -> None:
    if is_assignee(principal, task):
        return
    require(principal, Permission.TASK_READ, area_path=task_area(session, task)[1])


def _draft(task: Task, area_code: str, action: str, payload: dict[str, Any]) -> EventDraft:
    return EventDraft(f"task.{action}", "task", task.id, area_code, payload)


# --- creating -------------------------------------------------------------------------------


def create_tasks(
    session: Session, *, principal: Principal, items: Sequence[TaskCreate],
    clock: Clock | None = None, sweep_id: int | None = None,
) -> list[Task]:
    """Create many tasks in one call, all or nothing (no commit): the new tasks as ORM
    objects, in the items' order."""
    ids = create_task_rows(session, principal=principal, items=items, clock=clock,
                           sweep_id=sweep_id)
    return _tasks_by_id(session, ids) if ids else []


def create_task_rows(
    session: Session, *, principal: Principal, items: Sequence[TaskCreate],
    clock: Clock | None = None, sweep_id: int | None = None,
) -> list[int]:
    """:func:`create_tasks` without reading the new tasks back: their ids, in the items'
    order. Plan activation creates tens of thousands and needs nothing else of them."""
    now = (clock or SystemClock()).now()
    places = _places(session, [i.area_code for i in items])
    for code in {i.area_code for i in items}:
        require(principal, Permission.TASK_WRITE, area_path=places[code][1])
    people = lookups.person_ids(session, [i.assignee_person_code for i in items
                                          if i.assignee_person_code], "assignee_person_code")
    orgs = lookups.org_ids(session, [i.assignee_org_code for i in items
                                     if i.assignee_org_code], "assignee_org_code")
    rows = [_task_row(item, places[item.area_code][0], people, orgs, principal, now, sweep_id)
            for item in items]
    ids = insert_rows(session, Task, rows)  # the ids in the rows' order
    # Nothing reads the checklist rows back here: one executemany, not an ORM object and a
    # RETURNING statement per row (SQLite's flush inserts them one at a time).
    checklist = [{"task_id": task_id, "position": n, "text": line, "done": False}
                 for task_id, item in zip(ids, items, strict=True)
                 for n, line in enumerate(item.checklist, start=1)]
    insert_many(session, ChecklistItem, checklist)
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("task.created", "task", task_id, item.area_code, {
            "title": row["title"], "priority": row["priority"], "status": row["status"].value,
            "due_at": _plain(row["due_at"]),
            "assignee": item.assignee_person_code or item.assignee_org_code,
            "source_kind": row["source_kind"],
            "source_id": row["source_id"], "sweep_id": sweep_id,
            "checklist_items": len(item.checklist)})
        for task_id, row, item in zip(ids, rows, items, strict=True)])
    return ids


def _tasks_by_id(session: Session, ids: list[int]) -> list[Task]:
    """The new tasks as ORM objects, read once (one SELECT when the ids run unbroken)."""
    if ids[-1] - ids[0] + 1 == len(ids):
        found = session.execute(select(Task).where(Task.id.between(ids[0], ids[-1]))
                                .order_by(Task.id)).scalars().all()
        return list(found)
    by_id: dict[int, Task] = {}
    for start in range(0, len(ids), lookups.CHUNK):
        by_id.update((task.id, task) for task in session.execute(
            select(Task).where(Task.id.in_(ids[start:start + lookups.CHUNK]))).scalars())
    return [by_id[task_id] for task_id in ids]


def _places(session: Session, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Area code → (id, path) of every named area, two columns rather than Area rows (a
    plan's building tasks would parse every building's geometry); a missing code is
    refused by ``lookups.areas_by_code``."""
    wanted = sorted(set(codes))
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(wanted), lookups.CHUNK):
        found.update((code, (area_id, path)) for code, area_id, path in session.execute(
            select(Area.code, Area.id, Area.path)
            .where(Area.code.in_(wanted[start:start + lookups.CHUNK]))).all())
    missing = [code for code in wanted if code not in found]
    if missing:
        lookups.areas_by_code(session, missing, "area_code")  # raises unknown_area
    return found


def _task_row(item: TaskCreate, area_id: int, people: dict[str, int], orgs: dict[str, int],
              principal: Principal, now: datetime, sweep_id: int | None) -> dict[str, Any]:
    """The tasks table's values for one new task (every row names the same columns)."""
    person = people.get(item.assignee_person_code or "")
    org = orgs.get(item.assignee_org_code or "")
    assigned = person is not None or org is not None
    return {
        "title": item.title, "description": item.description, "priority": item.priority,
        "due_at": item.due_at, "area_id": area_id,
        "lon": item.point.lon if item.point else None,
        "lat": item.point.lat if item.point else None,
        "status": TaskStatus.ASSIGNED if assigned else TaskStatus.OPEN,
        "assignee_person_id": person, "assignee_org_id": org,
        "assigned_at": now if assigned else None,
        "source_kind": item.source_kind, "source_id": item.source_id,
        "created_by": principal.actor, "created_at": now, "sweep_id": sweep_id}


# --- reading --------------------------------------------------------------------------------


def read_task(session: Session, *, principal: Principal, task_id: int) -> TaskRead:
    """One task, for staff in its area or its assignee."""
    task = get_task(session, task_id=task_id)
    _require_readable(session, principal, task)
    return task_reads(session, [task])[0]


def _visible(principal: Principal, mine: bool) -> ColumnElement[bool]:
    """Tasks the principal may list: their own, and with task.read those of their area."""
    own: list[ColumnElement[bool]] = []
    if principal.person_id is not None:
        own.append(Task.assignee_person_id == principal.person_id)
    if principal.role is Role.ORG_LIAISON and principal.org_id is not None:
        own.append(Task.assignee_org_id == principal.org_id)
    if mine or not can(principal, Permission.TASK_READ):
        return or_(*own) if own else false()
    scope = area_range(principal)
    if scope is None:
        return Area.id.is_not(None)
    return or_((Area.path >= scope[0]) & (Area.path < scope[1]), *own)


def list_tasks(
    session: Session, *, principal: Principal, mine: bool = False,
    status: TaskStatus | None = None, within: str | None = None,
    source_kind: str | None = None, source_id: str | None = None, sweep_id: int | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[TaskRead]:
    """Tasks the principal may see, most urgent first (priority, then due time)."""
    query = (select(Task).join(Area, Area.id == Task.area_id)
             .where(_visible(principal, mine))
             .order_by(Task.priority, Task.due_at.is_(None), Task.due_at, Task.id))
    if within is not None:
        low, high = lookups.areas_by_code(session, [within], "within")[within].subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    for column, value in ((Task.status, status), (Task.source_kind, source_kind),
                          (Task.source_id, source_id), (Task.sweep_id, sweep_id)):
        if value is not None:
            query = query.where(column == value)
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=task_reads(session, rows), total=total, page=page, page_size=page_size)


# --- changing -------------------------------------------------------------------------------


def update_task(session: Session, *, principal: Principal, task_id: int, data: TaskUpdate,
                clock: Clock | None = None) -> Task:
    """Change title, description, priority, due time or point (staff in the task's area)."""
    task = get_task(session, task_id=task_id, lock=True)
    code, path = task_area(session, task)
    require(principal, Permission.TASK_WRITE, area_path=path)
    changes = data.model_dump(exclude_unset=True)
    point = changes.pop("point", task)
    if point is not task:
        task.lon, task.lat = (point["lon"], point["lat"]) if point else (None, None)
    changes = {k: v for k, v in changes.items() if v is not None or k == "due_at"}
    payload = {k: {"from": _plain(getattr(task, k)), "to": _plain(v)}
               for k, v in changes.items() if k != "description" and getattr(task, k) != v}
    for key, value in changes.items():
        setattr(task, key, value)
    record_events(session, actor=principal.actor, clock=clock, drafts=[_draft(
        task, code, "updated", {"changes": payload, "point_changed": point is not task})])
    session.flush()
    return task


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def transition(session: Session, *, principal: Principal, task_id: int, data: TaskTransition,
               clock: Clock | None = None) -> Task:
    """Move a task along its lifecycle; the assignee may take the assignee's actions."""
    task = get_task(session, task_id=task_id, lock=True)
    code, path = task_area(session, task)
    action = data.action
    if action in (Action.CLAIM, Action.RELEASE) or (
            task.sweep_id is not None and action not in _SWEEP_GENERIC):
        raise ValidationFailed(_("Sweep buildings are claimed, submitted and verified "
                                 "through the sweep"), code="use_sweep")
    if not (action in ASSIGNEE_ACTIONS and is_assignee(principal, task)):
        require(principal, Permission.TASK_WRITE, area_path=path)
    before = task.status
    after = checked_next(before, action)
    payload = apply_effects(session, task, action, data, principal)
    stamp(task, action, (clock or SystemClock()).now())
    task.status = after
    record_events(session, actor=principal.actor, clock=clock, drafts=[_draft(
        task, code, action.value, {"from": before.value, "to": after.value, **payload})])
    session.flush()
    return task


def checked_next(status: TaskStatus, action: Action) -> TaskStatus:
    try:
        return next_status(status, action)
    except IllegalTransition as exc:
        raise Conflict(_("A task that is {status} cannot take the action {action}"),
                       code="illegal_transition", status=status.value, action=action.value,
                       details={"status": status.value, "action": action.value}) from exc


def stamp(task: Task, action: Action, now: datetime) -> None:
    if action in STAMPS:
        setattr(task, STAMPS[action], now)


def _clear_hold(task: Task) -> None:
    task.holder_person_id = task.hold_expires_at = None


def apply_effects(session: Session, task: Task, action: Action, data: TaskTransition,
                  principal: Principal) -> dict[str, Any]:
    """Set the fields an action changes besides status and stamp; return event details."""
    if action is Action.ASSIGN:
        return _assign(session, task, data)
    if action in (Action.UNASSIGN, Action.DECLINE, Action.REOPEN):
        task.assignee_person_id = task.assignee_org_id = None
        task.reason = task.closed_at = None
        _clear_hold(task)
    elif action is Action.COMPLETE:
        task.done_by = principal.actor
    elif action is Action.VERIFY:
        if task.done_by == principal.actor:
            raise PermissionDenied(_("Someone other than the person who did the work must "
                                     "verify it"), code="second_person_required")
        task.verified_by = principal.actor
    elif action is Action.REJECT:
        task.done_at = task.done_by = None
    elif action is Action.CANNOT_COMPLETE:
        task.reason = data.reason
        _clear_hold(task)
        return {"reason": data.reason}
    return {}


def _assign(session: Session, task: Task, data: TaskTransition) -> dict[str, Any]:
    if data.assignee_person_code:
        task.assignee_person_id = lookups.person_ids(
            session, [data.assignee_person_code], "assignee_person_code")[
            data.assignee_person_code]
        task.assignee_org_id = None
        return {"assignee": data.assignee_person_code, "assignee_kind": "person"}
    code = data.assignee_org_code or ""
    task.assignee_org_id = lookups.org_ids(session, [code], "assignee_org_code")[code]
    task.assignee_person_id = None
    return {"assignee": code, "assignee_kind": "organisation"}


def stand_down(session: Session, *, principal: Principal, source_kind: str, source_id: str,
               reason: str, clock: Clock | None = None) -> list[Task]:
    """Close every active task of one origin (a de-escalated activation) with a reason.

    Done tasks stay done (their verification is still owed); nothing else is touched.
    """
    return stand_down_many(session, principal=principal, source_kind=source_kind,
                           origins=[(source_id, reason)], clock=clock)[0]


def stand_down_many(session: Session, *, principal: Principal, source_kind: str,
                    origins: Sequence[tuple[str, str]], clock: Clock | None = None
                    ) -> list[list[Task]]:
    """:func:`stand_down` for many origins (source id, reason) at once: the tasks closed for
    each, in the order given. Same rule, rows and events as one call per origin in that
    order (tasks by id within an origin); one locked read and one ``record_events`` call.
    All or nothing: a refusal for any origin's area raises before anything changes."""
    wanted = list(dict.fromkeys(source_id for source_id, _reason in origins))
    by_source: dict[str, list[Task]] = {source_id: [] for source_id in wanted}
    for start in range(0, len(wanted), lookups.CHUNK):
        for task in session.execute(select(Task).where(
                Task.source_kind == source_kind,
                Task.source_id.in_(wanted[start:start + lookups.CHUNK]),
                Task.status.in_([s.value for s in ACTIVE])).order_by(Task.id)
                .with_for_update()).scalars():
            by_source[str(task.source_id)].append(task)
    found = [t for source_id in wanted for t in by_source[source_id]]
    refs = lookups.area_refs(session, [t.area_id for t in found])
    for area_id in sorted({t.area_id for t in found}):
        require(principal, Permission.TASK_WRITE, area_path=refs[area_id][1])
    now = (clock or SystemClock()).now()
    drafts = []
    result: list[list[Task]] = []
    for source_id, reason in origins:
        tasks = by_source.pop(source_id, [])  # a repeated origin has nothing left to close
        for task in tasks:
            before = task.status
            task.status, task.reason, task.closed_at = TaskStatus.CANNOT_COMPLETE, reason, now
            _clear_hold(task)
            drafts.append(_draft(task, refs[task.area_id][0], Action.CANNOT_COMPLETE.value, {
                "from": before.value, "to": task.status.value, "reason": reason,
                "stand_down": True}))
        result.append(tasks)
    record_events(session, actor=principal.actor, clock=clock, drafts=drafts)
    session.flush()
    return result


def _require_worker(session: Session, principal: Principal, task: Task) -> str:
    """Staff in the task's area, or its assignee; returns the area code."""
    code, path = task_area(session, task)
    if not is_assignee(principal, task):
        require(principal, Permission.TASK_WRITE, area_path=path)
    return code


def tick(session: Session, *, principal: Principal, task_id: int, position: int, done: bool,
         clock: Clock | None = None) -> Task:
    """Tick or untick a checklist item, recording who and when."""
    task = get_task(session, task_id=task_id, lock=True)
    code = _require_worker(session, principal, task)
    if task.status in (TaskStatus.VERIFIED, TaskStatus.CANNOT_COMPLETE):
        raise Conflict(_("The checklist of a closed task cannot change"), code="task_closed")
    item = session.execute(select(ChecklistItem).where(
        ChecklistItem.task_id == task.id, ChecklistItem.position == position)
    ).scalar_one_or_none()
    if item is None:
        raise NotFound(_("Unknown checklist item {value}"), code="unknown_checklist_item",
                       value=position)
    item.done = done
    item.ticked_by = principal.actor if done else None
    item.ticked_at = (clock or SystemClock()).now() if done else None
    record_events(session, actor=principal.actor, clock=clock, drafts=[_draft(
        task, code, "checklist_ticked" if done else "checklist_unticked",
        {"position": position})])
    session.flush()
    return task


def add_note(session: Session, *, principal: Principal, task_id: int, text: str,
             clock: Clock | None = None) -> Task:
    """Add a note; the event records that a note was added, not its text."""
    task = get_task(session, task_id=task_id)
    code = _require_worker(session, principal, task)
    note = TaskNote(task_id=task.id, author=principal.actor,
                    at=(clock or SystemClock()).now(), text=text)
    session.add(note)
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[_draft(
        task, code, "note_added", {"note_id": note.id})])
    return task
