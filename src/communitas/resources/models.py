"""Resource tables: the catalogue, holdings (stock), capacity offers and reserve norms.

Stock never goes negative: schemas and services refuse it, and a CHECK constraint makes the
database refuse it too, whatever code path writes the row.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from communitas.db import Base, UTCDateTime, value_enum

__all__ = [
    "MAX_QUANTITY",
    "CapacityOffer",
    "CapacityOfferArea",
    "CapacityPeriod",
    "Holding",
    "HoldingCondition",
    "ReserveNormRule",
    "ResourceCategory",
    "ResourceKind",
    "ResourceType",
]

# Fits a 32-bit INTEGER with room to spare, on every backend.
MAX_QUANTITY = 1_000_000_000


class ResourceKind(StrEnum):
    SUPPLY = "supply"
    EQUIPMENT = "equipment"
    TEAM = "team"
    FACILITY = "facility"


class HoldingCondition(StrEnum):
    GOOD = "good"
    DAMAGED = "damaged"
    EXPIRED = "expired"


class CapacityPeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"



class ResourceCategory(Base):
    """A node of the category tree (``food_and_water`` → ``drinking_water``)."""

    __tablename__ = "resource_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_categories.id"), nullable=True, index=True
    )
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))


class ResourceType(Base):
    """A kind of supply, equipment, team or facility, counted in ``unit``."""

    __tablename__ = "resource_types"
    __table_args__ = (
        CheckConstraint("shelf_life_days IS NULL OR shelf_life_days > 0",
                        name="shelf_life_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("resource_categories.id"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(value_enum(ResourceKind, length=16), index=True)
    unit: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)

    category: Mapped[ResourceCategory] = relationship()

    @property
    def category_code(self) -> str:
        return self.category.code


class Holding(Base):
    """A quantity of one resource type at one location (``area_id``), owned by an organisation."""

    __tablename__ = "holdings"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_type_id: Mapped[int] = mapped_column(ForeignKey("resource_types.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    condition: Mapped[HoldingCondition] = mapped_column(
        value_enum(HoldingCondition, length=16), default=HoldingCondition.GOOD
    )
    note: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    resource_type: Mapped[ResourceType] = relationship()

    @property
    def resource_type_code(self) -> str:
        return self.resource_type.code


class CapacityOffer(Base):
    """What a market organisation can deliver: ``units_per_period`` per hour or day."""

    __tablename__ = "capacity_offers"
    __table_args__ = (
        CheckConstraint("units_per_period > 0", name="units_positive"),
        CheckConstraint("lead_time_minutes >= 0", name="lead_time_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    resource_type_id: Mapped[int] = mapped_column(ForeignKey("resource_types.id"), index=True)
    units_per_period: Mapped[int] = mapped_column(Integer)
    period: Mapped[CapacityPeriod] = mapped_column(value_enum(CapacityPeriod, length=16))
    lead_time_minutes: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    resource_type: Mapped[ResourceType] = relationship()

    @property
    def resource_type_code(self) -> str:
        return self.resource_type.code


class CapacityOfferArea(Base):
    """An area a capacity offer delivers to (with its whole subtree)."""

    __tablename__ = "capacity_offer_areas"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_offers.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)


class ReserveNormRule(Base):
    """How much of one resource type a community should hold; see docs/reserve-norms.md."""

    __tablename__ = "reserve_norm_rules"
    __table_args__ = (
        CheckConstraint("days_of_cover >= 1", name="days_of_cover_positive"),
        CheckConstraint(
            "per_1000_residents >= 0 AND per_100_aged_65 >= 0 AND per_100_aged_80 >= 0 "
            "AND per_100_living_alone >= 0 AND per_100_disabled >= 0 AND per_100_infants >= 0 "
            "AND per_100_chronically_ill >= 0",
            name="coefficients_non_negative",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_type_id: Mapped[int] = mapped_column(ForeignKey("resource_types.id"), unique=True)
    per_1000_residents: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_aged_65: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_aged_80: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_living_alone: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_disabled: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_infants: Mapped[float] = mapped_column(Float, default=0.0)
    per_100_chronically_ill: Mapped[float] = mapped_column(Float, default=0.0)
    # {hazard: factor}; the largest factor among the community's hazards applies.
    hazard_multipliers: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # When true, a community facing none of the listed hazards needs none of this type.
    hazard_specific: Mapped[bool] = mapped_column(Boolean, default=False)
    days_of_cover: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    resource_type: Mapped[ResourceType] = relationship()

    @property
    def resource_type_code(self) -> str:
        return self.resource_type.code
