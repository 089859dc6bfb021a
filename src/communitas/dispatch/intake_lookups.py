"""What intake checks a submission against — area codes and resource types — kept in memory.

Areas and the catalogue change rarely and only by staff, while the public form may take a
thousand submissions a second, so each process keeps what it has looked up for a short time
(``ttl``) instead of asking the database per submission. A code not in memory is looked up;
an unknown code is looked up again every time (it may have just been created).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.dispatch.service import place_of
from communitas.resources import service as resources
from communitas.resources.models import ResourceKind

__all__ = ["AreaInfo", "IntakeLookups", "TypeInfo"]

T = TypeVar("T")


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    kind: AreaKind
    path: str
    community_id: int | None  # None above community level (requests are refused there)


@dataclass(frozen=True)
class TypeInfo:
    id: int
    code: str
    kind: ResourceKind
    unit: str


class IntakeLookups:
    """A small thread-safe memo of areas and resource types, each entry kept ``ttl`` seconds."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._areas: dict[str, tuple[float, AreaInfo]] = {}
        self._types: dict[str, tuple[float, TypeInfo]] = {}
        self._lock = threading.Lock()

    def prefetch_areas(self, session: Session, codes: set[str]) -> None:
        """Look up a batch's unknown area codes, with their communities, in two queries."""
        missing = sorted(c for c in codes if self._fresh(self._areas, c) is None)
        if not missing:
            return
        rows = session.execute(select(Area.id, Area.code, Area.kind, Area.path).where(
            Area.code.in_(missing))).all()
        above = {int(part) for row in rows for part in row.path.strip("/").split("/") if part}
        kinds = {area_id: kind for area_id, kind in session.execute(
            select(Area.id, Area.kind).where(Area.id.in_(sorted(above))))} if above else {}
        for row in rows:
            ids = [int(part) for part in row.path.strip("/").split("/") if part]
            community = next((i for i in ids if kinds.get(i) is AreaKind.COMMUNITY), None)
            if row.kind in (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING) \
                    and community is None:
                continue  # an unusual tree: leave it to the one-by-one lookup
            self._keep(self._areas, row.code,
                       AreaInfo(row.id, row.code, row.kind, row.path, community))

    def area(self, session: Session, code: str) -> AreaInfo:
        """The area with this code; raises the service's NotFound for an unknown code."""
        if (hit := self._fresh(self._areas, code)) is not None:
            return hit
        area = areas.get_area(session, code=code)
        community = None
        if area.kind in (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.BUILDING):
            community = place_of(session, area).community.id
        info = AreaInfo(area.id, area.code, area.kind, area.path, community)
        return self._keep(self._areas, code, info)

    def resource_type(self, session: Session, code: str) -> TypeInfo:
        if (hit := self._fresh(self._types, code)) is not None:
            return hit
        rtype = resources.get_resource_type(session, code=code)
        return self._keep(self._types, code,
                          TypeInfo(rtype.id, rtype.code, rtype.kind, rtype.unit))

    def _fresh(self, memo: dict[str, tuple[float, T]], code: str) -> T | None:
        entry = memo.get(code)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def _keep(self, memo: dict[str, tuple[float, T]], code: str, value: T) -> T:
        with self._lock:
            memo[code] = (time.monotonic(), value)
        return value
