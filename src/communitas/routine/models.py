"""The routine's ledger (what each daily job already issued) and the drill calendar."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum

__all__ = ["DrillSchedule", "DrillStatus", "RoutineItem"]


class RoutineItem(Base):
    """One thing a routine job issued, keyed so a job never issues it twice.

    ``key`` names what it is about and when (a community and a month, a holding and its
    expiry date, a qualification and its expiry date, a drill and its time).
    """

    __tablename__ = "routine_items"
    __table_args__ = (UniqueConstraint("job", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(160))
    period: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DrillStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"  # set by the drills package when it has run the drill


class DrillSchedule(Base):
    """A drill on the calendar of a street or community; the drills package runs it."""

    __tablename__ = "drill_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    hazard: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    status: Mapped[DrillStatus] = mapped_column(value_enum(DrillStatus, length=16), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
