"""Which Communitas areas a CAP alert covers. Pure: the caller passes the candidate areas.

A candidate ``(code, GeoJSON geometry or None)`` is covered when

* its geometry shares interior with a CAP ``<polygon>`` or ``<circle>`` (touching along an edge
  is not enough; a point candidate counts when it lies inside or on the edge), or
* a CAP ``<geocode>`` names an administrative division that contains it: the valueName is
  ``GB/T 2260`` (also ``GB2260``, ``ADCODE``, ``AREA_CODE``; spaces, ``/``, ``-`` and ``_``
  and case ignored) and the value is a division code — 6-digit GB/T 2260 or the 9- and
  12-digit statistical codes — equal to the candidate's code or a prefix of it once trailing
  zero levels are dropped (``310000`` → ``31``, ``310100`` → ``3101``, ``310115001000`` →
  ``310115001``).

Circles are turned into polygons on the sphere (great-circle destination points, mean Earth
radius 6371.0088 km, 64 vertices). The polygon is circumscribed, so it errs on the side of
covering, by at most about 0.1 % of the radius.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from shapely import STRtree, make_valid
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from communitas.alerts.cap import Area, Circle

__all__ = ["DIVISION_VALUE_NAMES", "area_shapes", "circle_polygon", "covered_areas",
           "division_prefix"]

EARTH_RADIUS_KM = 6371.0088
CIRCLE_SEGMENTS = 64
DIVISION_VALUE_NAMES = frozenset({"GBT2260", "GB2260", "ADCODE", "AREACODE"})

Candidate = tuple[str, Mapping[str, Any] | None]


def circle_polygon(circle: Circle, segments: int = CIRCLE_SEGMENTS) -> BaseGeometry:
    """A CAP circle as a lon/lat polygon circumscribing the circle on the sphere."""
    if circle.radius_km == 0:
        return Point(circle.lon, circle.lat)
    delta = circle.radius_km / EARTH_RADIUS_KM / math.cos(math.pi / segments)
    phi1, lambda1 = math.radians(circle.lat), math.radians(circle.lon)
    ring = []
    for i in range(segments):
        theta = 2 * math.pi * i / segments
        phi2 = math.asin(math.sin(phi1) * math.cos(delta)
                         + math.cos(phi1) * math.sin(delta) * math.cos(theta))
        lambda2 = lambda1 + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi1),
                                       math.cos(delta) - math.sin(phi1) * math.sin(phi2))
        ring.append((math.degrees(lambda2), math.degrees(phi2)))
    return Polygon(ring)


def area_shapes(area: Area) -> list[BaseGeometry]:
    """The polygons and circles of a CAP area as lon/lat Shapely geometries."""
    shapes: list[BaseGeometry] = []
    for ring in area.polygons:
        polygon = Polygon([(lon, lat) for lat, lon in ring])
        shapes.append(polygon if polygon.is_valid else make_valid(polygon))
    shapes.extend(circle_polygon(circle) for circle in area.circles)
    return shapes


def division_prefix(code: str) -> str | None:
    """The prefix every code inside division ``code`` starts with; None if not a division."""
    if re.fullmatch(r"\d{12}", code) and code.endswith("000000"):
        code = code[:6]
    if re.fullmatch(r"\d{6}", code):
        while len(code) > 2 and code.endswith("00"):
            code = code[:-2]
        return code
    if re.fullmatch(r"\d{12}", code) and code.endswith("000"):
        return code[:9]
    if re.fullmatch(r"\d{9}|\d{12}", code):
        return code
    return None


def _division_prefixes(areas: list[Area]) -> list[str]:
    prefixes = []
    for area in areas:
        for geocode in area.geocodes:
            name = re.sub(r"[\s/_-]", "", geocode.value_name).upper()
            prefix = division_prefix(geocode.value.strip())
            if name in DIVISION_VALUE_NAMES and prefix is not None:
                prefixes.append(prefix)
    return prefixes


def _candidate_shape(geometry: Mapping[str, Any] | None) -> BaseGeometry | None:
    if not geometry:
        return None
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    if geom.is_empty:
        return None
    return geom if geom.is_valid else make_valid(geom)


def _covers(cap_shape: BaseGeometry, candidate: BaseGeometry) -> bool:
    if candidate.geom_type in ("Point", "MultiPoint"):
        return bool(cap_shape.intersects(candidate))
    return bool(cap_shape.intersects(candidate) and not cap_shape.touches(candidate))


def covered_areas(alert_areas: Iterable[Area], candidates: Iterable[Candidate]) -> list[str]:
    """Codes of the candidates the CAP areas cover, in the candidates' order, each once."""
    areas = list(alert_areas)
    candidates = list(candidates)
    prefixes = _division_prefixes(areas)
    covered = {i for i, (code, _geometry) in enumerate(candidates)
               if any(code.startswith(prefix) for prefix in prefixes)}
    shapes = [s for area in areas for s in area_shapes(area)]
    indexed = [(i, geom) for i, (_code, geometry) in enumerate(candidates)
               if (geom := _candidate_shape(geometry)) is not None]
    if shapes and indexed:
        tree = STRtree([geom for _i, geom in indexed])
        for cap_shape in shapes:
            for hit in tree.query(cap_shape, predicate="intersects"):
                i, geom = indexed[int(hit)]
                if i not in covered and _covers(cap_shape, geom):
                    covered.add(i)
    return list(dict.fromkeys(candidates[i][0] for i in sorted(covered)))
