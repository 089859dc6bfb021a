"""Assignments of sent-down cadres and party members to communities."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from communitas.db import Base, UTCDateTime, value_enum

__all__ = ["AssignmentRole", "CadreAssignment"]


class AssignmentRole(StrEnum):
    COMMUNITY_LIAISON = "community_liaison"  # 包联社区
    GRID_SUPPORT = "grid_support"  # 网格支援
    BUILDING_LEAD = "building_lead"  # 楼栋长
    PARTY_VANGUARD = "party_vanguard"  # 党员先锋岗
    LOGISTICS = "logistics"  # 物资保障


class CadreAssignment(Base):
    """One person sent down to one community for a period (``ends_on`` inclusive)."""

    __tablename__ = "cadre_assignments"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(value_enum(AssignmentRole))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    sending_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
