"""Routine shapes: the drill calendar, the ledger, a run's counts and the status page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from communitas.routine.models import DrillStatus
from communitas.schemas import ReadModel, StrictModel

__all__ = [
    "JOB_NAMES", "DrillCancel", "DrillCreate", "DrillRead", "JobStatus", "RoutineItemRead",
    "RoutineRunRead", "RoutineStatusRead",
]

JobName = Literal["topup", "rotation", "qualification", "drill_reminder"]
JOB_NAMES: tuple[JobName, ...] = ("topup", "rotation", "qualification", "drill_reminder")
UtcTime = Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(UTC))]
Hazard = Literal["flood", "high_rise_fire", "earthquake", "epidemic", "typhoon", "heat_wave",
                 "gas_leak"]


class DrillCreate(StrictModel):
    """A drill on the calendar of a street or community."""

    area_code: str = Field(min_length=1, max_length=32)
    hazard: Hazard
    title: str = Field(min_length=1, max_length=200)
    scenario: str | None = Field(default=None, min_length=1, max_length=64,
                                 pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    scheduled_at: UtcTime
    duration_minutes: int = Field(default=120, ge=15, le=7 * 24 * 60)


class DrillCancel(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class DrillRead(ReadModel):
    id: int
    area_code: str
    hazard: str
    title: str
    scenario: str | None
    scheduled_at: datetime
    duration_minutes: int
    status: DrillStatus
    created_by: str
    cancel_reason: str | None


class RoutineItemRead(ReadModel):
    id: int
    job: str
    key: str
    period: str
    area_code: str
    task_id: int | None
    created_at: datetime


class RoutineRunRead(ReadModel):
    """How many new items each job issued (0 on a second run the same day)."""

    on: date
    issued: dict[str, int]


class JobStatus(ReadModel):
    job: str
    issued_this_month: int
    issued_total: int
    last_issued_at: datetime | None


class RoutineStatusRead(ReadModel):
    area_code: str
    on: date
    jobs: list[JobStatus]
    upcoming_drills: list[DrillRead]
    communities: int
    communities_without_sent_down_cadres: list[str]
