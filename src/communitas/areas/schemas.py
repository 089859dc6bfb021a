"""Area input and output shapes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from communitas.areas.codes import AreaKind
from communitas.errors import ValidationFailed
from communitas.geo import parse_geometry
from communitas.schemas import ReadModel, StrictModel

Count = Field(default=0, ge=0, le=50_000_000)
HAZARDS = ("flood", "high_rise_fire", "earthquake", "epidemic", "typhoon", "heat_wave", "gas_leak")


def _check_geometry(value: dict[str, Any]) -> dict[str, Any]:
    try:
        parse_geometry(value)
    except ValidationFailed as exc:
        raise ValueError(f"not a valid GeoJSON Point or Polygon: {exc.details}") from exc
    return value


def _check_hazards(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - set(HAZARDS))
    if unknown:
        raise ValueError(f"unknown hazards {unknown}; allowed: {list(HAZARDS)}")
    return sorted(set(value))


Geometry = Annotated[dict[str, Any], AfterValidator(_check_geometry)]
Hazards = Annotated[list[str], AfterValidator(_check_hazards)]


class AreaCounts(StrictModel):
    population: int = Count
    households: int = Count
    aged_65: int = Count
    aged_80: int = Count
    living_alone: int = Count
    disabled: int = Count
    infants: int = Count
    chronically_ill: int = Count


class AreaCreate(AreaCounts):
    kind: AreaKind
    code: str = Field(min_length=4, max_length=32)
    parent_code: str | None = None
    name_zh: str = Field(min_length=1, max_length=128)
    name_en: str = Field(min_length=1, max_length=128)
    geometry: Geometry | None = None
    hazards: Hazards = Field(default_factory=list)
    floors: int | None = Field(default=None, ge=1, le=300)
    built_year: int | None = Field(default=None, ge=1800, le=2100)


class AreaUpdate(StrictModel):
    name_zh: str | None = Field(default=None, min_length=1, max_length=128)
    name_en: str | None = Field(default=None, min_length=1, max_length=128)
    geometry: Geometry | None = None
    population: int | None = Field(default=None, ge=0, le=50_000_000)
    households: int | None = Field(default=None, ge=0, le=50_000_000)
    aged_65: int | None = Field(default=None, ge=0, le=50_000_000)
    aged_80: int | None = Field(default=None, ge=0, le=50_000_000)
    living_alone: int | None = Field(default=None, ge=0, le=50_000_000)
    disabled: int | None = Field(default=None, ge=0, le=50_000_000)
    infants: int | None = Field(default=None, ge=0, le=50_000_000)
    chronically_ill: int | None = Field(default=None, ge=0, le=50_000_000)
    hazards: Hazards | None = None
    floors: int | None = Field(default=None, ge=1, le=300)
    built_year: int | None = Field(default=None, ge=1800, le=2100)


class AreaRead(ReadModel):
    id: int
    kind: AreaKind
    code: str
    parent_code: str | None = None
    name_zh: str
    name_en: str
    geometry: dict[str, Any] | None
    lon: float | None
    lat: float | None
    population: int
    households: int
    aged_65: int
    aged_80: int
    living_alone: int
    disabled: int
    infants: int
    chronically_ill: int
    hazards: list[str]
    floors: int | None
    built_year: int | None


class AreaStatistics(ReadModel):
    code: str
    communities: int
    buildings: int
    population: int
    households: int
    aged_65: int
    aged_80: int
    living_alone: int
    disabled: int
    infants: int
    chronically_ill: int
