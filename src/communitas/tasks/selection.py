"""Choosing volunteers for a call-out: pure rules over plain data, no database.

A volunteer qualifies when they have the skill, their availability window covers the task
time (Beijing time, UTC+8), the required qualification has not expired on that day, and
their home lies within reach of the task. The nearest come first; ties go by code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

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


_Radians = tuple[float, float, float]  # lon, lat in radians, cos(lat)


@lru_cache(maxsize=65536)
def _radians(point: tuple[float, float]) -> _Radians:
    lon, lat = math.radians(point[0]), math.radians(point[1])
    return lon, lat, math.cos(lat)


def _haversine(a: _Radians, b: _Radians) -> float:
    lon1, lat1, cos1 = a
    lon2, lat2, cos2 = b
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + cos1 * cos2 * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points, in kilometres."""
    return _haversine(_radians(a), _radians(b))


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


def select(candidates: list[Candidate], criteria: Criteria, count: int
           ) -> list[tuple[Candidate, float | None]]:
    """Up to ``count`` qualifying candidates, nearest first, with their distance in km.

    With a reach limit, a candidate whose distance cannot be known is left out; without
    one, such candidates come after everyone with a known distance.
    """
    chosen: list[tuple[Candidate, float | None]] = []
    free: dict[Availability | None, bool] = {}  # the window rule, once per window
    place = _radians(criteria.place) if criteria.place is not None else None
    for candidate in candidates:
        if criteria.skill is not None and criteria.skill not in candidate.skills:
            continue
        window = candidate.availability
        if window not in free:
            free[window] = available_at(window, criteria.at)
        if not free[window]:
            continue
        if not _qualified(candidate, criteria):
            continue
        km = (None if candidate.home is None or place is None
              else _haversine(_radians(candidate.home), place))
        if criteria.max_km is not None and (km is None or km > criteria.max_km):
            continue
        chosen.append((candidate, km))
    chosen.sort(key=lambda pair: (pair[1] is None, pair[1] or 0.0, pair[0].code))
    return chosen[:count]
