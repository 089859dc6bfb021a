"""Task, sweep and call-out shapes. Read models carry codes and names, never a person's
phone, identity number, health or disability."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from communitas.errors import ValidationFailed
from communitas.i18n import _
from communitas.schemas import ReadModel, StrictModel
from communitas.tasks.lifecycle import Action, TaskStatus
from communitas.tasks.models import InvitationStatus

__all__ = [
    "AssigneeRead", "CallOutCreate", "CallOutRead", "CallOutResponse", "CallOutStats",
    "ChecklistItemRead", "HoursIn", "InvitationRead", "NoteIn", "NoteRead", "Point",
    "SweepBuildingRead", "SweepCreate", "SweepRead", "SweepSummary", "SweepVerdict",
    "TaskCreate", "TaskRead", "TaskTransition", "TaskUpdate", "TickIn",
]

Priority = Annotated[int, Field(ge=1, le=4, description="1 life-threatening … 4 low")]
Title = Annotated[str, Field(min_length=1, max_length=200)]
SourceKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Code = Annotated[str, Field(min_length=1, max_length=32)]
# Any offset in, UTC stored and answered.
UtcTime = Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(UTC))]


class Point(StrictModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class TaskCreate(StrictModel):
    """A new task; naming an assignee (a person, or an organisation or team) assigns it."""

    title: Title
    description: str = Field(default="", max_length=2000)
    priority: Priority = 3
    due_at: UtcTime | None = None
    area_code: Code
    point: Point | None = None
    checklist: list[Title] = Field(default_factory=list, max_length=50)
    assignee_person_code: Code | None = None
    assignee_org_code: Code | None = None
    source_kind: SourceKind | None = None
    source_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_assignee(self) -> TaskCreate:
        check_one_assignee(self.assignee_person_code, self.assignee_org_code, required=False)
        return self


def check_one_assignee(person: str | None, org: str | None, *, required: bool) -> None:
    """A task has at most one assignee: a person or an organisation."""
    if (person is not None and org is not None) or (required and person is org is None):
        raise ValidationFailed(
            _("Name one assignee: a person or an organisation"), code="one_assignee",
            details={"fields": ["assignee_person_code", "assignee_org_code"]})


class TaskUpdate(StrictModel):
    title: Title | None = None
    description: str | None = Field(default=None, max_length=2000)
    priority: Priority | None = None
    due_at: UtcTime | None = None
    point: Point | None = None


class TaskTransition(StrictModel):
    """A state change; ``assign`` names the assignee, ``cannot_complete`` a reason."""

    action: Action
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    assignee_person_code: Code | None = None
    assignee_org_code: Code | None = None

    @model_validator(mode="after")
    def _fits_action(self) -> TaskTransition:
        names_assignee = (self.assignee_person_code, self.assignee_org_code) != (None, None)
        if self.action is Action.ASSIGN or names_assignee:
            if self.action is not Action.ASSIGN:
                raise ValidationFailed(_("Only assign names an assignee"),
                                       code="assignee_not_expected")
            check_one_assignee(self.assignee_person_code, self.assignee_org_code,
                               required=True)
        if self.action is Action.CANNOT_COMPLETE and self.reason is None:
            raise ValidationFailed(_("Say why the task cannot be completed"),
                                   code="reason_required", details={"field": "reason"})
        return self


class TickIn(StrictModel):
    done: bool


class NoteIn(StrictModel):
    text: str = Field(min_length=1, max_length=2000)


class AssigneeRead(ReadModel):
    kind: str  # person, organisation or team
    code: str
    name_zh: str
    name_en: str


class ChecklistItemRead(ReadModel):
    position: int
    text: str
    done: bool
    ticked_by: str | None
    ticked_at: datetime | None


class NoteRead(ReadModel):
    author: str
    at: datetime
    text: str


class TaskRead(ReadModel):
    id: int
    title: str
    description: str
    status: TaskStatus
    priority: int
    due_at: datetime | None
    area_code: str
    point: Point | None
    assignee: AssigneeRead | None
    source_kind: str | None
    source_id: str | None
    reason: str | None
    created_by: str
    created_at: datetime
    assigned_at: datetime | None
    accepted_at: datetime | None
    started_at: datetime | None
    done_at: datetime | None
    verified_at: datetime | None
    verified_by: str | None
    closed_at: datetime | None
    sweep_id: int | None
    holder_code: str | None
    hold_expires_at: datetime | None
    checklist: list[ChecklistItemRead]
    notes: list[NoteRead]


class SweepCreate(StrictModel):
    area_code: Code = Field(description="a community or a grid")
    title: Title
    priority: Priority = 2
    due_at: UtcTime | None = None
    checklist: list[Title] = Field(default_factory=list, max_length=50)
    hold_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    source_kind: SourceKind | None = None
    source_id: str | None = Field(default=None, min_length=1, max_length=64)


class SweepVerdict(StrictModel):
    """A second person's check of a swept building: accept it, or send it back."""

    accept: bool


class SweepBuildingRead(ReadModel):
    task_id: int
    building_code: str
    status: TaskStatus
    holder_code: str | None
    hold_expires_at: datetime | None
    swept_by_code: str | None
    verified_by: str | None


class SweepSummary(ReadModel):
    id: int
    title: str
    area_code: str
    hold_minutes: int
    created_by: str
    created_at: datetime
    counts: dict[str, int]  # buildings by status


class SweepRead(SweepSummary):
    buildings: list[SweepBuildingRead]


class CallOutCreate(StrictModel):
    """Invite ``invite`` volunteers to fill ``head_count`` places on a task."""

    head_count: int = Field(ge=1, le=200)
    invite: int = Field(ge=1, le=500)
    skill: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,47}$")
    qualification: str | None = Field(default=None, min_length=1, max_length=128)
    max_km: float | None = Field(default=None, gt=0, le=100)
    at: UtcTime | None = Field(default=None,
                                     description="when the work happens; default: due time")

    @model_validator(mode="after")
    def _enough_invited(self) -> CallOutCreate:
        if self.invite < self.head_count:
            raise ValidationFailed(_("Invite at least as many volunteers as places"),
                                   code="too_few_invited", details={"field": "invite"})
        return self


class CallOutResponse(StrictModel):
    accept: bool


class HoursIn(StrictModel):
    hours: float = Field(gt=0, le=24)


class InvitationRead(ReadModel):
    id: int
    callout_id: int
    task_id: int
    person_code: str
    name_zh: str
    distance_km: float | None
    status: InvitationStatus
    invited_at: datetime
    responded_at: datetime | None
    hours: float


class CallOutStats(ReadModel):
    invited: int
    accepted: int
    declined: int
    pending: int
    acceptance_rate: float | None  # accepted / responded; None before any answer
    hours: float


class CallOutRead(ReadModel):
    id: int
    task_id: int
    head_count: int
    filled: int
    skill: str | None
    qualification: str | None
    max_km: float | None
    at: datetime
    created_by: str
    created_at: datetime
    stats: CallOutStats
    invitations: list[InvitationRead]
