"""CAP polygons, circles and geocodes mapped onto the communities they cover."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from shapely.geometry import Point

from communitas.alerts.area_mapping import (
    EARTH_RADIUS_KM,
    circle_polygon,
    covered_areas,
    division_prefix,
)
from communitas.alerts.cap import Area, Circle, NamedValue, parse_cap
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, square

# The test city's three communities: 0.01° squares side by side at latitude 31.2.
CANDIDATES = [(COMMUNITY_A1, square(121.5, 31.2)), (COMMUNITY_A2, square(121.51, 31.2)),
              (COMMUNITY_B1, square(121.52, 31.2))]


def ring(lat0: float, lon0: float, lat1: float, lon1: float
         ) -> tuple[tuple[float, float], ...]:
    """A closed CAP ring (lat, lon pairs) around a box."""
    return ((lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0), (lat0, lon0))


def test_the_sample_polygon_covers_the_first_two_communities() -> None:
    alert = parse_cap((Path(__file__).parent / "samples" / "red_rainstorm_actual.xml")
                      .read_bytes())
    assert covered_areas(alert.all_areas, CANDIDATES) == [COMMUNITY_A1, COMMUNITY_A2]


def test_a_polygon_inside_one_community_covers_only_it() -> None:
    area = Area(area_desc="x", polygons=(ring(31.202, 121.512, 31.205, 121.515),))
    assert covered_areas([area], CANDIDATES) == [COMMUNITY_A2]


def test_touching_along_an_edge_is_not_covering() -> None:
    area = Area(area_desc="x", polygons=(ring(31.2, 121.5, 31.21, 121.51),))  # A1 exactly
    assert covered_areas([area], CANDIDATES) == [COMMUNITY_A1]


def test_a_circle_covers_what_it_reaches() -> None:
    centre = Circle(lat=31.205, lon=121.525, radius_km=0.3)  # inside B1, 0.48 km from A2
    assert covered_areas([Area(area_desc="x", circles=(centre,))], CANDIDATES) == [COMMUNITY_B1]
    wider = centre.model_copy(update={"radius_km": 0.6})
    assert covered_areas([Area(area_desc="x", circles=(wider,))], CANDIDATES) == [
        COMMUNITY_A2, COMMUNITY_B1]


def test_a_circle_polygon_is_close_to_the_true_circle() -> None:
    circle = Circle(lat=31.2, lon=121.5, radius_km=2.0)
    polygon = circle_polygon(circle)
    lat = math.radians(31.2)
    for lon, lat_deg in list(polygon.exterior.coords)[:-1]:
        # haversine distance from the centre to each vertex
        dlat, dlon = math.radians(lat_deg) - lat, math.radians(lon - 121.5)
        a = (math.sin(dlat / 2) ** 2
             + math.cos(lat) * math.cos(math.radians(lat_deg)) * math.sin(dlon / 2) ** 2)
        distance = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
        assert 2.0 <= distance <= 2.0 * 1.002
    assert circle_polygon(circle.model_copy(update={"radius_km": 0})).equals(
        Point(121.5, 31.2))


@pytest.mark.parametrize("value_name,value,expected", [
    ("GB/T 2260", "310115", [COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1]),
    ("ADCODE", "310100", [COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1]),
    ("gb2260", "310115002000", [COMMUNITY_B1]),
    ("AREA_CODE", COMMUNITY_A2, [COMMUNITY_A2]),
    ("GB/T 2260", "310101", []),
    ("SAME", "310115", []),  # a geocode system we do not read
])
def test_geocodes_cover_the_divisions_they_name(value_name: str, value: str,
                                                expected: list[str]) -> None:
    area = Area(area_desc="x", geocodes=(NamedValue(value_name=value_name, value=value),))
    assert covered_areas([area], [(c, None) for c, _g in CANDIDATES]) == expected


def test_points_buildings_and_bad_geometry_are_handled() -> None:
    candidates = [("building-in", {"type": "Point", "coordinates": [121.503, 31.203]}),
                  ("building-out", {"type": "Point", "coordinates": [121.6, 31.3]}),
                  ("broken", {"type": "Polygon", "coordinates": "nonsense"}),
                  ("none", None)]
    area = Area(area_desc="x", polygons=(ring(31.2, 121.5, 31.21, 121.51),))
    assert covered_areas([area], candidates) == ["building-in"]


def test_each_code_is_listed_once_in_candidate_order() -> None:
    areas = [Area(area_desc="a", polygons=(ring(31.19, 121.49, 31.22, 121.54),),
                  geocodes=(NamedValue(value_name="GB/T 2260", value="310115"),)),
             Area(area_desc="b", circles=(Circle(lat=31.205, lon=121.505, radius_km=5),))]
    assert covered_areas(areas, CANDIDATES) == [COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1]


@pytest.mark.parametrize("code,prefix", [
    ("310000", "31"), ("310100", "3101"), ("310115", "310115"), ("310115000000", "310115"),
    ("310115001000", "310115001"), ("310115001001", "310115001001"), ("abc", None),
])
def test_division_prefix(code: str, prefix: str | None) -> None:
    assert division_prefix(code) == prefix
