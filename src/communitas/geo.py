"""GeoJSON geometry checks (Shapely) shared by every domain that stores places."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from communitas.errors import ValidationFailed
from communitas.i18n import _

ALLOWED_TYPES = ("Point", "Polygon", "MultiPolygon")


def parse_geometry(value: dict[str, Any]) -> BaseGeometry:
    """Validate a GeoJSON geometry (point or polygon) in WGS 84 and return it."""
    if value.get("type") not in ALLOWED_TYPES:
        raise ValidationFailed(
            _("Geometry must be a GeoJSON Point or Polygon"),
            code="invalid_geometry",
            details={"type": value.get("type")},
        )
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValidationFailed(
            _("Geometry must be a GeoJSON Point or Polygon"),
            code="invalid_geometry",
            details={"reason": str(exc)},
        ) from exc
    min_x, min_y, max_x, max_y = geom.bounds
    if geom.is_empty or not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise ValidationFailed(
            _("Geometry must be a GeoJSON Point or Polygon"),
            code="invalid_geometry",
            details={"reason": "coordinates out of range or empty"},
        )
    if not geom.is_valid:
        raise ValidationFailed(
            _("Geometry must be a GeoJSON Point or Polygon"),
            code="invalid_geometry",
            details={"reason": "self-intersecting or unclosed polygon"},
        )
    return geom


def representative_point(value: dict[str, Any]) -> tuple[float, float]:
    """(lon, lat) inside the geometry, for distances and map markers."""
    point = parse_geometry(value).representative_point()
    return float(point.x), float(point.y)
