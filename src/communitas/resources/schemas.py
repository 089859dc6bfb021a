"""Resource input and output shapes.

Holding quantities are *not* range-checked here: the service refuses a negative quantity
with the precise code ``negative_quantity`` (the schema still advertises ``minimum: 0``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from communitas.areas.schemas import HAZARDS
from communitas.resources.models import (
    MAX_QUANTITY,
    CapacityPeriod,
    HoldingCondition,
    ResourceKind,
)
from communitas.schemas import ReadModel, StrictModel

CATEGORY_CODE = r"^[a-z][a-z0-9_]{1,31}$"
TYPE_CODE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
Quantity = Annotated[int, Field(le=MAX_QUANTITY, json_schema_extra={"minimum": 0})]
Coefficient = Annotated[float, Field(ge=0, le=1_000_000)]


def _check_multipliers(value: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(value) - set(HAZARDS))
    if unknown:
        raise ValueError(f"unknown hazards {unknown}; allowed: {list(HAZARDS)}")
    return dict(sorted(value.items()))


HazardMultipliers = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=100)]], AfterValidator(_check_multipliers)
]


# --- Catalogue ------------------------------------------------------------------------------

class ResourceCategoryCreate(StrictModel):
    code: str = Field(pattern=CATEGORY_CODE)
    parent_code: str | None = None
    name_zh: str = Field(min_length=1, max_length=128)
    name_en: str = Field(min_length=1, max_length=128)


class ResourceCategoryRead(ReadModel):
    code: str
    parent_code: str | None = None
    name_zh: str
    name_en: str


class ResourceTypeCreate(StrictModel):
    code: str = Field(min_length=2, max_length=64, pattern=TYPE_CODE)
    category_code: str = Field(min_length=1, max_length=32)
    kind: ResourceKind
    unit: str = Field(min_length=1, max_length=32)
    name_zh: str = Field(min_length=1, max_length=128)
    name_en: str = Field(min_length=1, max_length=128)
    shelf_life_days: int | None = Field(default=None, ge=1, le=36_500)


class ResourceTypeUpdate(StrictModel):
    category_code: str | None = Field(default=None, min_length=1, max_length=32)
    kind: ResourceKind | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=32)
    name_zh: str | None = Field(default=None, min_length=1, max_length=128)
    name_en: str | None = Field(default=None, min_length=1, max_length=128)
    shelf_life_days: int | None = Field(default=None, ge=1, le=36_500)


class ResourceTypeRead(ReadModel):
    code: str
    category_code: str
    kind: ResourceKind
    unit: str
    name_zh: str
    name_en: str
    shelf_life_days: int | None


# --- Holdings -------------------------------------------------------------------------------

class HoldingCreate(StrictModel):
    resource_type_code: str = Field(min_length=1, max_length=64)
    organisation_code: str = Field(min_length=1, max_length=32)
    area_code: str = Field(min_length=1, max_length=32, description="where the stock is kept")
    quantity: Quantity
    expires_on: date | None = None
    condition: HoldingCondition = HoldingCondition.GOOD
    note: str = Field(default="", max_length=255)


class HoldingUpdate(StrictModel):
    """A stocktake or a correction; use the adjust route for receipts and issues."""

    quantity: Quantity | None = None
    expires_on: date | None = None
    condition: HoldingCondition | None = None
    note: str | None = Field(default=None, max_length=255)


class HoldingAdjust(StrictModel):
    delta: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY,
                       description="units received (+) or issued (-); not zero")
    reason: str = Field(min_length=1, max_length=255)


class HoldingRead(ReadModel):
    id: int
    resource_type_code: str
    organisation_code: str
    area_code: str
    quantity: int
    expires_on: date | None
    condition: HoldingCondition
    note: str
    updated_at: datetime


# --- Capacity offers ------------------------------------------------------------------------

class CapacityOfferCreate(StrictModel):
    organisation_code: str = Field(min_length=1, max_length=32)
    resource_type_code: str = Field(min_length=1, max_length=64)
    units_per_period: int = Field(gt=0, le=MAX_QUANTITY)
    period: CapacityPeriod
    lead_time_minutes: int = Field(default=0, ge=0, le=30 * 24 * 60)
    area_codes: list[str] = Field(min_length=1, max_length=500,
                                  description="areas served, each with its subtree")
    active: bool = True
    note: str = Field(default="", max_length=255)


class CapacityOfferUpdate(StrictModel):
    units_per_period: int | None = Field(default=None, gt=0, le=MAX_QUANTITY)
    period: CapacityPeriod | None = None
    lead_time_minutes: int | None = Field(default=None, ge=0, le=30 * 24 * 60)
    area_codes: list[str] | None = Field(default=None, min_length=1, max_length=500)
    active: bool | None = None
    note: str | None = Field(default=None, max_length=255)


class CapacityOfferRead(ReadModel):
    id: int
    organisation_code: str
    resource_type_code: str
    units_per_period: int
    period: CapacityPeriod
    lead_time_minutes: int
    area_codes: list[str]
    active: bool
    note: str
    updated_at: datetime


# --- Reserve norms and gaps -----------------------------------------------------------------

class ReserveNormSet(StrictModel):
    """A whole rule; PUT replaces the rule for one resource type."""

    per_1000_residents: Coefficient = 0.0
    per_100_aged_65: Coefficient = 0.0
    per_100_aged_80: Coefficient = 0.0
    per_100_living_alone: Coefficient = 0.0
    per_100_disabled: Coefficient = 0.0
    per_100_infants: Coefficient = 0.0
    per_100_chronically_ill: Coefficient = 0.0
    hazard_multipliers: HazardMultipliers = Field(default_factory=dict)
    hazard_specific: bool = False
    days_of_cover: int = Field(default=1, ge=1, le=365)
    note: str = Field(default="", max_length=2000)
    source: str = Field(default="", max_length=2000)


class ReserveNormRead(ReadModel):
    resource_type_code: str
    per_1000_residents: float
    per_100_aged_65: float
    per_100_aged_80: float
    per_100_living_alone: float
    per_100_disabled: float
    per_100_infants: float
    per_100_chronically_ill: float
    hazard_multipliers: dict[str, float]
    hazard_specific: bool
    days_of_cover: int
    note: str
    source: str
    updated_at: datetime


class ReserveGapRead(ReadModel):
    """One community's need of one resource type against what it can reach."""

    community_code: str
    community_name_zh: str
    community_name_en: str
    resource_type_code: str
    unit: str
    required: int
    held_in_community: int
    street_share: float = Field(description="population share of the street's reserve")
    held_within_reach: float
    gap: float = Field(description="max(0, required - held_within_reach)")
    shortfall: float = Field(description="gap / required, from 0 (covered) to 1 (nothing)")


class CatalogueInstallReport(ReadModel):
    categories_created: int
    types_created: int
    norms_created: int
