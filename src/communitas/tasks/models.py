"""Task, checklist, note, sweep and call-out tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum
from communitas.tasks.lifecycle import TaskStatus


class Task(Base):
    """Work for one actor: a person, or an organisation (a team is an organisation)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_source", "source_kind", "source_id"),
        Index("ix_tasks_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(value_enum(TaskStatus), index=True)
    priority: Mapped[int] = mapped_column(SmallInteger, default=3)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Where: an area (it decides who may manage the task) and an optional point in it.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    assignee_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True)
    assignee_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True)
    # Origin, so other domains can find their tasks: ("activation", "12"), ("request", "7").
    source_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Sweeps: the one person holding this building, until the hold expires.
    sweep_id: Mapped[int | None] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), nullable=True, index=True)
    holder_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    swept_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id"), nullable=True)


class ChecklistItem(Base):
    __tablename__ = "task_checklist_items"
    __table_args__ = (UniqueConstraint("task_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    ticked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ticked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TaskNote(Base):
    __tablename__ = "task_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)


class Sweep(Base):
    """A community or grid split into one task per building (door-to-door)."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    hold_minutes: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvitationStatus(StrEnum):
    INVITED = "invited"
    ASSIGNED = "assigned"  # accepted while places were left
    STANDBY = "standby"  # accepted after the head count was reached
    DECLINED = "declined"


class CallOut(Base):
    """Volunteers invited to one task; the first accepters fill ``head_count`` places."""

    __tablename__ = "callouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    head_count: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    skill: Mapped[str | None] = mapped_column(String(48), nullable=True)
    qualification: Mapped[str | None] = mapped_column(String(128), nullable=True)
    max_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallOutInvitation(Base):
    __tablename__ = "callout_invitations"
    __table_args__ = (UniqueConstraint("callout_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callout_id: Mapped[int] = mapped_column(
        ForeignKey("callouts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[InvitationStatus] = mapped_column(value_enum(InvitationStatus), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
