"""Notice tables: notices and the areas they cover, subscriptions, the delivery outbox and
the residents' in-app feed.

Outbox rows name a recipient (a person or a subscription), never an address: phone numbers
and e-mail addresses are looked up at delivery time and never copied into the outbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum

__all__ = ["Channel", "DeliveryStatus", "FeedItem", "Notice", "NoticeArea", "NoticeState",
           "NoticeSubscription", "OutboxMessage"]

BigId = BigInteger().with_variant(Integer, "sqlite")


class NoticeState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    RECEIVED = "received"      # imported from another issuer's CAP file
    SUPERSEDED = "superseded"  # a later Update replaced it
    CANCELLED = "cancelled"    # a later Cancel withdrew it


class Channel(StrEnum):
    IN_APP = "in_app"
    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    PENDING = "pending"      # waiting for its time (first try or a retry)
    CLAIMED = "claimed"      # leased by a worker until next_attempt_at
    SENDING = "sending"      # handed to an external channel; never sent twice
    DELIVERED = "delivered"
    DEAD = "dead"            # dead-letter list: attempts used up, or outcome unknown


class Notice(Base):
    """A notice to residents and subscribers; Update and Cancel are notices too."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(255))
    msg_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    state: Mapped[NoticeState] = mapped_column(value_enum(NoticeState, length=16), index=True)
    source: Mapped[str] = mapped_column(String(16), default="composed")  # composed | imported
    category: Mapped[str] = mapped_column(String(16))
    hazard: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    certainty: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    area_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    polygons: Mapped[list[Any]] = mapped_column(JSON, default=list)   # CAP rings of [lat, lon]
    circles: Mapped[list[Any]] = mapped_column(JSON, default=list)    # [lat, lon, radius_km]
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)   # residents' channels
    references: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [sender, id, sent]
    references_notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notices.id"), nullable=True, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    cap_xml: Mapped[str | None] = mapped_column(Text, nullable=True)  # as imported


class NoticeArea(Base):
    """An area a notice covers: one it names, or a community its shapes cover."""

    __tablename__ = "notice_areas"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)


class NoticeSubscription(Base):
    """A subscriber outside the resident registry: a webhook, an e-mail box or a phone."""

    __tablename__ = "notice_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, length=16))
    address: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(128), default="")
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """One delivery of one notice to one recipient on one channel."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        UniqueConstraint("notice_id", "channel", "person_id"),
        UniqueConstraint("notice_id", "channel", "subscription_id"),
        # Only undelivered rows are indexed: delivering a row drops it from the index, and
        # the workers' queries name ``delivered_at IS NULL`` so both databases use it.
        Index("ix_notice_outbox_due", "status", "channel", "next_attempt_at",
              sqlite_where=text("delivered_at IS NULL"),
              postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, length=16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("notice_subscriptions.id"), nullable=True)
    status: Mapped[DeliveryStatus] = mapped_column(value_enum(DeliveryStatus, length=16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row is next due: the retry time while pending, the lease expiry while claimed.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FeedItem(Base):
    """A notice in a resident's in-app feed; at most one per resident and notice."""

    __tablename__ = "feed_items"
    __table_args__ = (UniqueConstraint("person_id", "notice_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    outbox_id: Mapped[int] = mapped_column(BigId, unique=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
