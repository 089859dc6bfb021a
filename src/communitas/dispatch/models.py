"""Request tables: requests, their lines, shipments, notifications, intake rate windows.

Counters carry CHECK constraints, so whatever code path writes them the database refuses a
line committed beyond its quantity or a shipment delivering more than it shipped.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from communitas.db import Base, UTCDateTime, value_enum
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.routing import Level
from communitas.resources.models import ResourceType

__all__ = [
    "LineKind", "Notification", "RateLimitWindow", "RequestLine", "RequesterKind",
    "ResourceRequest", "Shipment",
]


class RequesterKind(StrEnum):
    RESIDENT = "resident"  # a household's own needs
    BUILDING = "building"  # a bulk order for a building (group buying)
    COMMUNITY = "community"
    ORGANISATION = "organisation"


class LineKind(StrEnum):
    ITEMS = "items"  # supplies, equipment, facility places
    PEOPLE = "people"  # a team: head count, skills, period



class ResourceRequest(Base):
    """One request for help; ``reference`` is its public, unguessable handle."""

    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[RequestStatus] = mapped_column(value_enum(RequestStatus, length=16), index=True)
    requester_kind: Mapped[RequesterKind] = mapped_column(value_enum(RequesterKind, length=16))
    requester_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    requester_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    submitted_by_staff: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    # Sensitive: never in events, logs or exports; read per dispatch.service.sees_phone.
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer, index=True)
    vulnerability: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    needed_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The one queue the request is in: a level and the area whose staff keep it.
    queue_level: Mapped[Level] = mapped_column(value_enum(Level, length=16), index=True)
    queue_area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Intake acknowledges first and triages (dedupe, routing) after: NULL until triaged.
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submitted_by: Mapped[str] = mapped_column(String(80), default="")  # the event actor

    lines: Mapped[list[RequestLine]] = relationship(
        order_by="RequestLine.position", back_populates="request")


class RequestLine(Base):
    """What is asked for: ``quantity`` units (or head count) of one resource type."""

    __tablename__ = "request_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("committed >= 0 AND committed <= quantity", name="committed_range"),
        CheckConstraint("min_quantity IS NULL OR min_quantity > 0", name="min_positive"),
        CheckConstraint("priority IS NULL OR priority BETWEEN 1 AND 4", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[LineKind] = mapped_column(value_enum(LineKind, length=16))
    resource_type_id: Mapped[int] = mapped_column(ForeignKey("resource_types.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # Units committed net of returns; a conditional UPDATE keeps it <= quantity.
    committed: Mapped[int] = mapped_column(Integer, default=0)
    min_quantity: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int | None] = mapped_column(Integer)
    substitutes: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ResourceRequest] = relationship(back_populates="lines")
    # Read-only, for the type's code and unit in views and checks.
    resource_type: Mapped[ResourceType] = relationship(viewonly=True)


class Shipment(Base):
    """A commitment of units from one holding to one line, and how far they have got.

    ``quantity`` is what is committed now (returns lower it); ``shipped`` and ``delivered``
    count units that left and arrived; ``returned`` counts units given back to the holding.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("delivered >= 0 AND delivered <= shipped AND shipped <= quantity",
                        name="counters_ordered"),
        CheckConstraint("quantity >= 0 AND returned >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("request_lines.id"), index=True)
    holding_id: Mapped[int] = mapped_column(ForeignKey("holdings.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    committed_by: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """A message for the holders of a role in an area (channels come with the alerts issue)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recipient_role: Mapped[str] = mapped_column(String(32))
    recipient_area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    message_key: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RateLimitWindow(Base):
    """Submissions per client (a hashed IP or a user) in one fixed window."""

    __tablename__ = "rate_limit_windows"

    client_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
