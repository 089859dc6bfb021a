"""Mutual-aid enrolments, pairs, neighbour checks, offers and needs, matches; claims heard
by residents and their clusters. No private field of a person is copied here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum


class AidRole(StrEnum):
    VULNERABLE = "vulnerable"  # wants to be checked on
    HELPER = "helper"  # an able neighbour who checks


class PairStatus(StrEnum):
    AWAITING_HELPER = "awaiting_helper"  # staff confirmed; the helper has not answered
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


class PostDirection(StrEnum):
    OFFER = "offer"
    NEED = "need"


class PostKind(StrEnum):
    VEHICLE = "vehicle"
    GENERATOR = "generator"
    FIRST_AID = "first_aid"
    FOOD = "food"
    WATER = "water"
    MEDICINE_RUN = "medicine_run"
    SHELTER = "shelter"
    CHILDCARE = "childcare"
    OTHER = "other"


class PostStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ClusterStatus(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"
    REBUTTED = "rebutted"
    IGNORED = "ignored"


class AidEnrolment(Base):
    """A resident's consent to take part in mutual aid, as vulnerable or as helper."""

    __tablename__ = "aid_enrolments"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[AidRole] = mapped_column(value_enum(AidRole, length=16))
    capacity: Mapped[int] = mapped_column(Integer, default=1)  # helpers: how many neighbours
    # What the resident chose to share with a partner ("lives alone on the 6th floor").
    shared_note: Mapped[str] = mapped_column(String(200), default="")
    consent_by: Mapped[str] = mapped_column(String(64))
    consent_basis: Mapped[str] = mapped_column(String(16))  # self | on_behalf
    consent_statement: Mapped[str] = mapped_column(String(200), default="")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AidPair(Base):
    """A vulnerable resident and the able neighbour who checks on them."""

    __tablename__ = "aid_pairs"
    __table_args__ = (Index("ix_aid_pairs_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vulnerable_id: Mapped[int] = mapped_column(ForeignKey("aid_enrolments.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("aid_enrolments.id"), index=True)
    status: Mapped[PairStatus] = mapped_column(value_enum(PairStatus, length=16))
    basis: Mapped[str] = mapped_column(String(16))  # building | grid
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    confirmed_by: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    helper_answer_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    helper_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NeighbourCheck(Base):
    """One check-on-your-neighbour task issued to a pair for one origin (idempotency key)."""

    __tablename__ = "aid_neighbour_checks"
    __table_args__ = (UniqueConstraint("pair_id", "source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("aid_pairs.id"), index=True)
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AidPost(Base):
    """An offer of help or a need posted by a resident."""

    __tablename__ = "aid_posts"
    __table_args__ = (Index("ix_aid_posts_open", "direction", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    direction: Mapped[PostDirection] = mapped_column(value_enum(PostDirection, length=8))
    kind: Mapped[PostKind] = mapped_column(value_enum(PostKind, length=16))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    contact_note: Mapped[str] = mapped_column(String(200), default="")  # after both accept
    status: Mapped[PostStatus] = mapped_column(value_enum(PostStatus, length=8))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AidMatch(Base):
    """A proposed pairing of an offer with a need; both sides accept."""

    __tablename__ = "aid_matches"
    __table_args__ = (UniqueConstraint("offer_id", "need_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("aid_posts.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("aid_posts.id"), index=True)
    status: Mapped[MatchStatus] = mapped_column(value_enum(MatchStatus, length=16))
    basis: Mapped[str] = mapped_column(String(16))  # building | grid | community
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    offer_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    need_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ClaimCluster(Base):
    """Similar claims heard in one street; staff triage the cluster as a whole."""

    __tablename__ = "claim_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    text: Mapped[str] = mapped_column(String(500))  # the first report's text
    normalised: Mapped[str] = mapped_column(String(500))
    status: Mapped[ClusterStatus] = mapped_column(value_enum(ClusterStatus, length=16),
                                                  index=True)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    verdict_zh: Mapped[str] = mapped_column(String(1000), default="")
    verdict_en: Mapped[str] = mapped_column(String(1000), default="")
    triaged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClaimReport(Base):
    """One resident's report of a claim heard somewhere."""

    __tablename__ = "claim_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("claim_clusters.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    similarity: Mapped[float] = mapped_column(Float)
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"),
                                                           nullable=True)
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
