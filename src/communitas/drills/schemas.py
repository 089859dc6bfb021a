"""Drill and assessment schemas for the API (read-only)."""

from __future__ import annotations

from communitas.schemas import ReadModel

__all__ = ["AssessmentRead"]


class AssessmentRead(ReadModel):
    """One community's assessment (docs/drills.md explains every score)."""

    rank: int
    code: str
    name_zh: str
    name_en: str
    hazard: float
    exposure: float
    vulnerability: float
    risk: float
    endowment: float
    resilience: float
    reserve_shortfall: float | None
    uncovered_needs: list[str]
    mismatched_stock: float
    committee_share: float | None
    unstaffed_roles: list[str]
    friction: float | None
