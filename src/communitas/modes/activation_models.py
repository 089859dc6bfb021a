"""Activation tables: one row per activated plan, its role assignments and what it issued.

An activation links a mode switch to the plan it activated; the tasks, pre-positioning
requests and notices it created are listed in ``activation_items`` (kind + id in the owning
domain), so de-escalation and the after-action report find them again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum
from communitas.modes.levels import Mode

__all__ = ["Activation", "ActivationItem", "ActivationRole", "ActivationStatus", "ItemKind"]


class ActivationStatus(StrEnum):
    ACTIVE = "active"
    STOOD_DOWN = "stood_down"  # the area left the plan's level (down, recovery, normal)
    SUPERSEDED = "superseded"  # another plan (another level or hazard) took over
    FAILED = "failed"  # a step failed; nothing it began was kept


class ItemKind(StrEnum):
    TASK = "task"
    REQUEST = "request"
    ALERT = "alert"


class Activation(Base):
    __tablename__ = "activations"
    __table_args__ = (Index("ix_activations_area_status", "area_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    area_code: Mapped[str] = mapped_column(String(32), index=True)
    area_kind: Mapped[str] = mapped_column(String(16))
    hazard: Mapped[str] = mapped_column(String(32))
    level: Mapped[Mode] = mapped_column(value_enum(Mode, length=16))  # the area's mode
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("response_plans.id"), nullable=True)
    plan_level: Mapped[Mode | None] = mapped_column(value_enum(Mode, length=16), nullable=True)
    plan_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[ActivationStatus] = mapped_column(value_enum(ActivationStatus, length=16),
                                                     index=True)
    trigger: Mapped[str] = mapped_column(String(300), default="manual")
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), nullable=True,
                                                   index=True)
    activated_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)  # warning arrival or switch
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    work_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("activations.id"),
                                                     nullable=True)


class ActivationRole(Base):
    """One role slot of an activation: filled by a user, person or organisation, or unstaffed."""

    __tablename__ = "activation_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activation_id: Mapped[int] = mapped_column(ForeignKey("activations.id"), index=True)
    role_key: Mapped[str] = mapped_column(String(32))
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    slot_code: Mapped[str] = mapped_column(String(32))  # the area the slot is for
    holder_ref: Mapped[str] = mapped_column(String(64))  # the plan's default_holder
    holder_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    holder_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ActivationItem(Base):
    """A task, request or notice an activation issued (ids in their own domains)."""

    __tablename__ = "activation_items"
    __table_args__ = (Index("ix_activation_items_activation_kind", "activation_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activation_id: Mapped[int] = mapped_column(ForeignKey("activations.id"))
    kind: Mapped[ItemKind] = mapped_column(value_enum(ItemKind, length=16))
    ref_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))  # the plan entry it came from
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="issued")
