"""Area tables. ``path`` is a materialised path of ids (``/1/4/19/``) for subtree queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from communitas.areas.codes import AreaKind
from communitas.db import Base, value_enum

# "C" collation keeps '/' before digits on PostgreSQL, so a path range is a subtree.
PathString = String(255).with_variant(String(255, collation="C"), "postgresql")

VULNERABILITY_FIELDS = (
    "aged_65", "aged_80", "living_alone", "disabled", "infants", "chronically_ill",
)
COUNT_FIELDS = ("population", "households", *VULNERABILITY_FIELDS)


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[AreaKind] = mapped_column(
        value_enum(AreaKind, length=16),
        index=True,
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    path: Mapped[str] = mapped_column(PathString, index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    population: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    aged_65: Mapped[int] = mapped_column(Integer, default=0)
    aged_80: Mapped[int] = mapped_column(Integer, default=0)
    living_alone: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    infants: Mapped[int] = mapped_column(Integer, default=0)
    chronically_ill: Mapped[int] = mapped_column(Integer, default=0)
    hazards: Mapped[list[str]] = mapped_column(JSON, default=list)
    floors: Mapped[int | None] = mapped_column(Integer, nullable=True)
    built_year: Mapped[int | None] = mapped_column(Integer, nullable=True)

    def subtree_bounds(self) -> tuple[str, str]:
        """[low, high) range of ``path`` covering this area and its descendants."""
        return self.path, self.path[:-1] + "0"
