"""Mode tables: modes set on areas, warnings, proposals, indicator readings, trigger rules,
escalation notifications and versioned response plans."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum
from communitas.modes.levels import Colour, Mode
from communitas.modes.triggers import TriggerAction

__all__ = [
    "AreaMode", "IndicatorReading", "ModeNotification", "ModeProposal", "ModeWarning",
    "ProposalStatus", "ResponsePlan", "TriggerRule", "WarningArea",
]


class ProposalStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    SUPERSEDED = "superseded"  # a more severe proposal for the same area replaced it



class AreaMode(Base):
    """The mode set on one area (areas without a row set nothing and follow their parent)."""

    __tablename__ = "area_modes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), unique=True)
    mode: Mapped[Mode] = mapped_column(value_enum(Mode, length=16))
    hazard: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(String(300), default="manual")
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    exit_criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ModeWarning(Base):
    """A warning as received (a plain record until the CAP codec exists)."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(255), default="")
    hazard: Mapped[str] = mapped_column(String(32), index=True)
    colour: Mapped[Colour] = mapped_column(value_enum(Colour, length=16))
    cap_severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    urgency: Mapped[str] = mapped_column(String(16), default="Unknown")
    headline: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    area_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(64))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # First acknowledgement, switch or decided proposal on a covered area; stops the timer.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    escalate_after_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalations: Mapped[int] = mapped_column(Integer, default=0)


class WarningArea(Base):
    """An area a warning covers: an area it names, or a community its polygon covers."""

    __tablename__ = "warning_areas"

    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)


class ModeProposal(Base):
    """A switch a trigger proposes, waiting for a commander to confirm or dismiss it."""

    __tablename__ = "mode_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    target: Mapped[Mode] = mapped_column(value_enum(Mode, length=16))
    hazard: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # warning | indicator | escalation
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), nullable=True,
                                                   index=True)
    indicator: Mapped[str | None] = mapped_column(String(32), nullable=True)
    indicator_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(value_enum(ProposalStatus, length=16),
                                                   index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")


class ModeNotification(Base):
    """A message to the commanders of an area (by role), e.g. an unanswered warning."""

    __tablename__ = "mode_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    audience_role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("mode_proposals.id"),
                                                    nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IndicatorReading(Base):
    """One numeric reading for an area (water level, rainfall, open urgent requests …)."""

    __tablename__ = "indicator_readings"
    __table_args__ = (Index("ix_indicator_readings_area_name_at", "area_id", "name", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TriggerRule(Base):
    """A configured trigger rule; see modes/triggers.py for how rules are chosen."""

    __tablename__ = "trigger_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # warning | indicator
    subject: Mapped[str] = mapped_column(String(32))  # hazard (or "*") | indicator name
    colour: Mapped[Colour | None] = mapped_column(value_enum(Colour, length=16), nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True)
    action: Mapped[TriggerAction] = mapped_column(value_enum(TriggerAction, length=16))
    target: Mapped[Mode] = mapped_column(value_enum(Mode, length=16))
    hazard: Mapped[str | None] = mapped_column(String(32), nullable=True)
    escalate_after_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResponsePlan(Base):
    """One version of a response plan for hazard × level × area kind; never edited."""

    __tablename__ = "response_plans"
    __table_args__ = (UniqueConstraint("hazard", "level", "area_kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard: Mapped[str] = mapped_column(String(32))
    level: Mapped[Mode] = mapped_column(value_enum(Mode, length=16))
    area_kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
