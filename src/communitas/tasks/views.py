"""Rendering tasks for the API and CLI: a fixed number of queries per batch."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.tasks import lookups
from communitas.tasks.models import ChecklistItem, Task, TaskNote
from communitas.tasks.schemas import ChecklistItemRead, NoteRead, Point, TaskRead

__all__ = ["task_reads"]

_COPIED = ("id", "title", "description", "status", "priority", "due_at", "source_kind",
           "source_id", "reason", "created_by", "created_at", "assigned_at", "accepted_at",
           "started_at", "done_at", "verified_at", "verified_by", "closed_at", "sweep_id",
           "hold_expires_at")


def _children(session: Session, task_ids: list[int]
              ) -> tuple[dict[int, list[ChecklistItemRead]], dict[int, list[NoteRead]]]:
    checklists: dict[int, list[ChecklistItemRead]] = defaultdict(list)
    notes: dict[int, list[NoteRead]] = defaultdict(list)
    for start in range(0, len(task_ids), lookups.CHUNK):
        chunk = task_ids[start:start + lookups.CHUNK]
        for item in session.execute(select(ChecklistItem).where(
                ChecklistItem.task_id.in_(chunk)).order_by(ChecklistItem.position)).scalars():
            checklists[item.task_id].append(ChecklistItemRead.model_validate(item))
        for note in session.execute(select(TaskNote).where(
                TaskNote.task_id.in_(chunk)).order_by(TaskNote.id)).scalars():
            notes[note.task_id].append(NoteRead.model_validate(note))
    return checklists, notes


def task_reads(session: Session, tasks: list[Task]) -> list[TaskRead]:
    """Render tasks with their area, assignee card, checklist and notes."""
    refs = lookups.area_refs(session, [t.area_id for t in tasks])
    people, orgs = lookups.assignees(
        session, [t.assignee_person_id for t in tasks if t.assignee_person_id],
        [t.assignee_org_id for t in tasks if t.assignee_org_id])
    holders = lookups.person_codes(session, [t.holder_person_id for t in tasks
                                             if t.holder_person_id])
    checklists, notes = _children(session, [t.id for t in tasks])
    reads = []
    for task in tasks:
        assignee = (people.get(task.assignee_person_id) if task.assignee_person_id
                    else orgs.get(task.assignee_org_id) if task.assignee_org_id else None)
        reads.append(TaskRead.model_validate({
            **{f: getattr(task, f) for f in _COPIED},
            "area_code": refs[task.area_id][0],
            "point": Point(lon=task.lon, lat=task.lat) if task.lon is not None
            and task.lat is not None else None,
            "assignee": assignee,
            "holder_code": holders.get(task.holder_person_id or 0),
            "checklist": checklists[task.id], "notes": notes[task.id],
        }))
    return reads
