"""Choosing volunteers for a call-out: pure rules over plain data, no database.

A volunteer qualifies when they have the skill, their availability window covers the task
time (Beijing time, UTC+8), the required qualification has not expired on that day, and
their home lies within reach of the task. The nearest come first; ties go by code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from communitas.actors.kinds import Availability

__all__ = ["BEIJING", "Candidate", "Criteria", "Homes", "available_at", "distance_km",
           "select", "select_nearby"]

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


# How far numpy's haversine may stray from ``_haversine`` (a few ulps of a few km in truth).
_SLACK_KM = 1e-6


class Homes:
    """Candidates who have a home, with their homes' radians as arrays, for
    :func:`select_nearby`."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        lon_lat = np.radians(np.array([c.home for c in self.candidates], dtype=float)
                             .reshape(-1, 2))
        self.lon, self.lat = lon_lat[:, 0], lon_lat[:, 1]
        self.cos = np.cos(self.lat)

    def __len__(self) -> int:
        return len(self.candidates)

    def approx_km(self, place: tuple[float, float], start: int, stop: int) -> np.ndarray:
        """Distances from ``place`` to candidates ``start:stop``, within ``_SLACK_KM``."""
        lon, lat, cos = _radians(place)
        h = (np.sin((self.lat[start:stop] - lat) / 2) ** 2
             + self.cos[start:stop] * cos * np.sin((self.lon[start:stop] - lon) / 2) ** 2)
        return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))))


def select_nearby(homes: Homes, criteria: Criteria, count: int, start: int = 0,
                  stop: int | None = None) -> list[tuple[Candidate, float | None]]:
    """``select(homes.candidates[start:stop], criteria, count)`` for a reach-limited
    criteria with a place, reading only the candidates that can be among the nearest.

    Candidates are visited by approximate distance; once ``count`` of them qualify (exact
    distance within reach), anyone approximately farther than the last of those by over
    twice the slack is exactly farther than all of them, so cannot be chosen. ``select``
    then decides among the visited, so the choice, distances and ties are its own.
    """
    assert criteria.max_km is not None and criteria.place is not None
    stop = len(homes) if stop is None else stop
    approx = homes.approx_km(criteria.place, start, stop)
    order = np.argsort(approx, kind="stable")
    within = int(np.searchsorted(approx[order], criteria.max_km + _SLACK_KM, side="right"))
    visited: list[Candidate] = []
    found, last = 0, 0.0
    for index, km in zip(order[:within].tolist(), approx[order[:within]].tolist(),
                         strict=True):
        if found >= count and km > last + 2 * _SLACK_KM:
            break
        candidate = homes.candidates[start + index]
        visited.append(candidate)
        if select([candidate], criteria, 1):
            found, last = found + 1, km
    return select(visited, criteria, count)
