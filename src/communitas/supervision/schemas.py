"""Supervision shapes: assignments in, records and the street view out. Reads carry codes
and names only, never a person's phone, identity number, health or disability."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from communitas.errors import ValidationFailed
from communitas.i18n import _
from communitas.schemas import ReadModel, StrictModel
from communitas.supervision.models import AssignmentRole

__all__ = [
    "AssignmentCreate", "AssignmentEnd", "AssignmentRead", "CommunitySupervision",
    "InactionRead", "RecordRead", "StreetSupervision",
]


class AssignmentCreate(StrictModel):
    """Send a cadre or party member down to a community for a period (``ends_on`` inclusive)."""

    person_code: str = Field(min_length=1, max_length=32)
    community_code: str = Field(min_length=1, max_length=32)
    role: AssignmentRole
    starts_on: date
    ends_on: date | None = None
    sending_unit_code: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _ordered(self) -> AssignmentCreate:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValidationFailed(_("The period ends before it starts"), code="bad_period",
                                   details={"field": "ends_on"})
        return self


class AssignmentEnd(StrictModel):
    ends_on: date
    reason: str = Field(min_length=1, max_length=500)


class AssignmentRead(ReadModel):
    id: int
    person_code: str
    person_kind: str
    person_name_zh: str
    person_name_en: str
    community_code: str
    role: AssignmentRole
    starts_on: date
    ends_on: date | None
    sending_unit_code: str | None
    active: bool
    end_reason: str | None


class InactionRead(ReadModel):
    flagged: bool
    emergency_mode: str
    emergency_since: datetime
    idle_since: datetime
    idle_hours: float
    threshold_hours: float


class RecordRead(ReadModel):
    """Results while assigned: their tasks, their community's requests, residents' ratings."""

    assignment: AssignmentRead
    since: datetime
    until: datetime
    tasks_assigned: int
    tasks_done: int
    tasks_done_on_time: int
    tasks_done_late: int
    tasks_overdue_open: int
    tasks_responded: int
    response_minutes_median: float | None
    response_minutes_mean: float | None
    requests_handled: int = Field(description="request actions they took themselves")
    requests_closed_in_community: int
    ratings: int
    rating_mean: float | None
    last_action_at: datetime | None
    inaction: InactionRead | None


class CommunitySupervision(ReadModel):
    community_code: str
    community_name_zh: str
    community_name_en: str
    mode: str
    records: list[RecordRead]


class StreetSupervision(ReadModel):
    street_code: str
    at: datetime
    inaction_hours: float
    communities: list[CommunitySupervision]
    communities_without_anyone: list[str]
    flagged: int
