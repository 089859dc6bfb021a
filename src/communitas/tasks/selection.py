"""Choosing volunteers for a call-out: pure rules over plain data, no database.

A volunteer qualifies when they have the skill, their availability window covers the task
time (Beijing time, UTC+8), the required qualification has not expired on that day, and
their home lies within reach of the task. The nearest come first; ties go by code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from communitas.actors.kinds import Availability

__all__ = ["BEIJING", "Candidate", "Criteria", "available_at", "distance_km", "select"]

BEIJING = timezone(timedelta(hours=8), "CST")
EARTH_RADIUS_KM = 6371.0088

# Local hours [start, end) of each window; weekdays are Monday (0) to Friday (4).
_DAYTIME, _EVENING = (8, 18), (18, 22)


def available_at(window: Availability | None, when: datetime) -> bool:
    """Whether a volunteer with ``window`` can be called at ``when``. Unstated means no."""
    local = when.astimezone(BEIJING)
    weekday, hour = local.weekday() < 5, local.hour
    if window is Availability.ANYTIME:
        return True
    if window is Availability.WEEKDAY_DAYTIME:
        return weekday and _DAYTIME[0] <= hour < _DAYTIME[1]
    if window is Availability.WEEKDAY_EVENINGS:
        return weekday and _EVENING[0] <= hour < _EVENING[1]
    if window is Availability.WEEKENDS:
        return not weekday
    return False


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points, in kilometres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Candidate:
    person_id: int
    code: str
    skills: frozenset[str]
    availability: Availability | None
    home: tuple[float, float] | None  # (lon, lat) of their home building
    qualifications: dict[str, date | None] = field(default_factory=dict)  # name → expiry


@dataclass(frozen=True)
class Criteria:
    at: datetime
    place: tuple[float, float] | None
    skill: str | None = None
    qualification: str | None = None
    max_km: float | None = None


def _qualified(candidate: Candidate, criteria: Criteria) -> bool:
    if criteria.qualification is None:
        return True
    if criteria.qualification not in candidate.qualifications:
        return False
    expires = candidate.qualifications[criteria.qualification]
    return expires is None or expires >= criteria.at.astimezone(BEIJING).date()


def _distance(candidate: Candidate, criteria: Criteria) -> float | None:
    if candidate.home is None or criteria.place is None:
        return None
    return distance_km(candidate.home, criteria.place)


def select(candidates: list[Candidate], criteria: Criteria, count: int
           ) -> list[tuple[Candidate, float | None]]:
    """Up to ``count`` qualifying candidates, nearest first, with their distance in km.

    With a reach limit, a candidate whose distance cannot be known is left out; without
    one, such candidates come after everyone with a known distance.
    """
    chosen: list[tuple[Candidate, float | None]] = []
    for candidate in candidates:
        if criteria.skill is not None and criteria.skill not in candidate.skills:
            continue
        if not available_at(candidate.availability, criteria.at):
            continue
        if not _qualified(candidate, criteria):
            continue
        km = _distance(candidate, criteria)
        if criteria.max_km is not None and (km is None or km > criteria.max_km):
            continue
        chosen.append((candidate, km))
    chosen.sort(key=lambda pair: (pair[1] is None, pair[1] or 0.0, pair[0].code))
    return chosen[:count]
