"""Where a resident is: building, grid, community and street, and a point (pure ranking
helpers, plus one batched look-up over the area tree)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.codes import AreaKind
from communitas.areas.models import Area

__all__ = ["Place", "closeness", "distance_m", "places_of"]

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Place:
    area_id: int
    building_id: int | None
    grid_id: int | None
    community_id: int | None
    street_id: int | None
    point: tuple[float, float] | None  # (lon, lat)


def distance_m(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Great-circle distance in metres between two (lon, lat) points, None if one is unknown."""
    if a is None or b is None:
        return None
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def closeness(a: Place, b: Place) -> str | None:
    """The nearest shared level of two places: building, grid, community, or None."""
    for level in ("building_id", "grid_id", "community_id"):
        if getattr(a, level) is not None and getattr(a, level) == getattr(b, level):
            return level.removesuffix("_id")
    return None


def places_of(session: Session, area_ids: Iterable[int]) -> dict[int, Place]:
    """The place of each area, from its path's ancestors (two queries however many areas)."""
    ids = set(area_ids)
    if not ids:
        return {}
    rows = session.execute(select(Area.id, Area.path, Area.lon, Area.lat)
                           .where(Area.id.in_(ids))).all()
    ancestors = {int(part) for _id, path, *_p in rows for part in path.strip("/").split("/")
                 if part}
    kinds = dict(session.execute(select(Area.id, Area.kind).where(Area.id.in_(ancestors))).all())
    places = {}
    for area_id, path, lon, lat in rows:
        by_kind = {kinds[int(p)]: int(p) for p in path.strip("/").split("/") if p}
        places[area_id] = Place(
            area_id=area_id, building_id=by_kind.get(AreaKind.BUILDING),
            grid_id=by_kind.get(AreaKind.GRID), community_id=by_kind.get(AreaKind.COMMUNITY),
            street_id=by_kind.get(AreaKind.STREET),
            point=(lon, lat) if lon is not None and lat is not None else None)
    return places
