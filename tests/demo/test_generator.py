"""The demo-city generator: determinism, structure, calibration and referential integrity."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

import pytest

from communitas.demo import calibration
from communitas.demo.generator import (
    REFERENCE_DATE,
    RESOURCE_CATEGORIES,
    RESOURCE_TYPES,
    generate_city,
    summarise,
)
from communitas.demo.plan import (
    GOVERNMENT_SECTORS,
    HAZARDS,
    MARKET_SECTORS,
    ORGANISATION_KINDS,
    PERSON_KINDS,
    RESOURCE_KINDS,
    SKILLS,
    Area,
    CityPlan,
    plan_digest,
)

COUNTS = ("population", "households", "aged_65", "aged_80", "living_alone", "disabled",
          "infants", "chronically_ill")
PARENT_KIND = {"district": "city", "street": "district", "community": "street",
               "grid": "community", "building": "grid"}
ALWAYS = {"earthquake", "epidemic", "typhoon", "heat_wave"}


@pytest.fixture(scope="module")
def plan() -> CityPlan:
    return generate_city(42)


def by_code(plan: CityPlan) -> dict[str, Area]:
    return {a.code: a for a in plan.areas}


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    if geometry["type"] == "Point":
        x, y = geometry["coordinates"]
        return x, y, x, y
    ring = geometry["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def community_of(area: Area, areas: dict[str, Area]) -> Area:
    while area.kind != "community":
        assert area.parent_code is not None
        area = areas[area.parent_code]
    return area


# --- Checks shared by the district and city scales ---------------------------------------


def assert_codes_well_formed(plan: CityPlan) -> None:
    areas = by_code(plan)
    assert len(areas) == len(plan.areas), "area codes are unique"
    for a in plan.areas:
        parent = a.parent_code
        if a.kind == "city":
            assert (a.code, parent) == ("310100", None)
            continue
        assert parent is not None
        if a.kind == "district":
            assert re.fullmatch(r"3101\d\d", a.code)
        elif a.kind == "street":
            assert re.fullmatch(r"\d{12}", a.code) and a.code.startswith(parent)
            assert a.code.endswith("000") and a.code[6:9] != "000"
        elif a.kind == "community":
            assert re.fullmatch(r"\d{12}", a.code) and a.code[:9] == parent[:9]
            assert a.code[9:] != "000"
        elif a.kind == "grid":
            assert re.fullmatch(re.escape(parent) + r"-G\d\d", a.code)
        else:
            assert re.fullmatch(re.escape(areas[parent].parent_code or "") + r"-B\d{3}", a.code)


def assert_parents_exist_with_right_kind(plan: CityPlan) -> None:
    areas = by_code(plan)
    seen: set[str] = set()
    for a in plan.areas:
        if a.kind != "city":
            assert a.parent_code in seen, f"{a.code}: parent missing or listed after the child"
            assert areas[a.parent_code].kind == PARENT_KIND[a.kind]
        seen.add(a.code)


def assert_buildings_sum_to_communities(plan: CityPlan) -> None:
    areas = by_code(plan)
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for b in plan.areas_of_kind("building"):
        assert 1 <= b.households <= b.population
        assert b.aged_80 <= b.aged_65 and b.living_alone <= b.aged_65
        assert b.aged_65 + b.infants <= b.population and b.chronically_ill <= b.population
        assert b.floors is not None and b.floors >= 1 and b.built_year is not None
        sums[community_of(b, areas).code].update({k: getattr(b, k) for k in COUNTS})
    for c in plan.areas_of_kind("community"):
        assert {k: getattr(c, k) for k in COUNTS} == dict(sums[c.code]), c.code
    for a in plan.areas:
        if a.kind not in ("community", "building"):
            assert all(getattr(a, k) == 0 for k in COUNTS), a.code


def assert_geometry_nested(plan: CityPlan) -> None:
    areas = by_code(plan)
    for a in plan.areas:
        if a.kind == "building":
            assert a.geometry["type"] == "Point"
        else:
            ring = a.geometry["coordinates"][0]
            assert a.geometry["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
            signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
            assert signed > 0, "exterior ring is counter-clockwise (RFC 7946)"
        if a.parent_code is not None:
            w, s, e, n = bbox(a.geometry)
            pw, ps, pe, pn = bbox(areas[a.parent_code].geometry)
            assert pw < w <= e < pe and ps < s <= n < pn, f"{a.code} outside its parent"


# --- District scale -----------------------------------------------------------------------


def test_same_seed_gives_identical_plan_and_different_seeds_differ(plan: CityPlan) -> None:
    assert plan_digest(generate_city(42)) == plan_digest(plan)
    assert plan_digest(generate_city(43)) != plan_digest(plan)


def test_generator_neither_uses_nor_disturbs_the_global_random() -> None:
    random.seed(1)
    state = random.getstate()
    first = plan_digest(generate_city(5))
    assert random.getstate() == state
    random.seed(2)
    assert plan_digest(generate_city(5)) == first


def test_district_scale_has_one_district_ten_streets_three_hundred_communities(
    plan: CityPlan,
) -> None:
    stats = summarise(plan)
    assert (stats["districts"], stats["streets"], stats["communities"]) == (1, 10, 300)
    assert plan.areas_of_kind("district")[0].code == "310115"
    grids = Counter(a.parent_code for a in plan.areas_of_kind("grid"))
    assert all(4 <= n <= 8 for n in grids.values()) and len(grids) == 300
    areas = by_code(plan)
    buildings = Counter(community_of(b, areas).code for b in plan.areas_of_kind("building"))
    assert all(20 <= n <= 60 for n in buildings.values())


def test_codes_are_well_formed_and_unique(plan: CityPlan) -> None:
    assert_codes_well_formed(plan)


def test_every_parent_exists_with_the_right_kind(plan: CityPlan) -> None:
    assert_parents_exist_with_right_kind(plan)


def test_buildings_sum_to_their_community(plan: CityPlan) -> None:
    assert_buildings_sum_to_communities(plan)


def test_polygons_closed_and_children_inside_parents(plan: CityPlan) -> None:
    assert_geometry_nested(plan)


def test_realised_statistics_within_tolerances(plan: CityPlan) -> None:
    stats = summarise(plan)
    for key, target in calibration.TARGETS.items():
        if key in calibration.CITY_ONLY:
            continue
        error = abs(stats[key] - target) / target
        assert error <= calibration.TOLERANCES[key], f"{key}: {stats[key]:.4f} vs {target:.4f}"


def test_hazards_follow_the_rules(plan: CityPlan) -> None:
    areas = by_code(plan)
    towers: set[str] = set()
    for b in plan.areas_of_kind("building"):
        if (b.floors or 0) >= 10 and (b.built_year or 9999) <= 2000:
            towers.add(community_of(b, areas).code)
    seen: Counter[str] = Counter()
    for a in plan.areas:
        assert set(a.hazards) <= set(HAZARDS)
        if a.kind != "community":
            assert a.hazards == ()
            continue
        assert set(a.hazards) >= ALWAYS
        assert ("high_rise_fire" in a.hazards) == (a.code in towers)
        seen.update(a.hazards)
    assert 0 < seen["flood"] < 300 and 0 < seen["high_rise_fire"] < 300


def test_every_organisation_kind_and_sector_is_present(plan: CityPlan) -> None:
    orgs = plan.organisations
    assert len({o.code for o in orgs}) == len(orgs)
    assert {o.kind for o in orgs} == set(ORGANISATION_KINDS)
    sectors = {(o.kind, o.sector) for o in orgs}
    assert {s for k, s in sectors if k == "government_department"} == set(GOVERNMENT_SECTORS)
    assert {s for k, s in sectors if k == "market_organisation"} == set(MARKET_SECTORS)
    assert all(s is None for k, s in sectors if k not in ("government_department",
                                                           "market_organisation"))
    areas = by_code(plan)
    assert all(code in areas for o in orgs for code in o.area_codes)
    assert all(re.fullmatch(r"1380\d{7}", o.contact_phone) for o in orgs)


def test_organisations_cover_every_level(plan: CityPlan) -> None:
    served: dict[str, Counter[str]] = defaultdict(Counter)
    for o in plan.organisations:
        for code in o.area_codes:
            served[code][o.sector or o.kind] += 1
    communities = plan.areas_of_kind("community")
    for c in communities:
        assert served[c.code]["neighbourhood_committee"] == 1
    for s in plan.areas_of_kind("street"):
        for role in ("street_office", "volunteer_team", *set(MARKET_SECTORS) - {
                "wholesale_market"}):
            assert served[s.code][role] == 1, (s.code, role)
    district = served["310115"]
    assert all(district[sector] == 1 for sector in GOVERNMENT_SECTORS)
    assert district["wholesale_market"] == 1 and 1 <= district["rescue_team"] <= 2
    owners = sum(served[c.code]["owners_committee"] for c in communities)
    companies = sum(served[c.code]["property_company"] for c in communities)
    assert 0.3 < owners / len(communities) < 0.7 and companies / len(communities) > 0.7


def test_resource_catalogue_is_a_tree_of_about_25_types() -> None:
    categories = {c.code for c in RESOURCE_CATEGORIES}
    assert categories == {"food_and_water", "medical", "rescue_equipment", "shelter", "power",
                          "communication", "sanitation"}
    assert 20 <= len(RESOURCE_TYPES) <= 35
    assert len({t.code for t in RESOURCE_TYPES}) == len(RESOURCE_TYPES)
    per_category = Counter(t.category_code for t in RESOURCE_TYPES)
    assert set(per_category) == categories and min(per_category.values()) >= 2
    assert {t.kind for t in RESOURCE_TYPES} == set(RESOURCE_KINDS)


def test_holdings_are_positive_and_refer_to_real_things(plan: CityPlan) -> None:
    areas, orgs = by_code(plan), {o.code: o for o in plan.organisations}
    shelf = {t.code: t.shelf_life_days for t in plan.resource_types}
    holders: dict[str, set[str]] = defaultdict(set)
    for h in plan.holdings:
        assert h.quantity > 0 and h.condition == "good"
        assert h.area_code in areas and h.resource_type_code in shelf
        assert (h.expires_on is None) == (shelf[h.resource_type_code] is None)
        assert h.expires_on is None or h.expires_on > REFERENCE_DATE
        org = orgs[h.org_code]
        holders[org.sector or org.kind].add(h.area_code)
    assert holders["emergency_management"] == {"310115"}
    streets = {s.code for s in plan.areas_of_kind("street")}
    assert streets <= holders["street_office"]
    assert holders["neighbourhood_committee"] == {c.code for c in plan.areas_of_kind("community")}


def test_capacity_offers_match_the_assumptions(plan: CityPlan) -> None:
    orgs = {o.code: o for o in plan.organisations}
    market = {o.code for o in plan.organisations if o.kind == "market_organisation"}
    assert {c.org_code for c in plan.capacity_offers} == market
    for offer in plan.capacity_offers:
        org = orgs[offer.org_code]
        assert org.sector is not None and offer.area_codes == org.area_codes
        assumption = next(a for a in calibration.MARKET_CAPACITY[org.sector]
                          if a.resource_type_code == offer.resource_type_code)
        rate = offer.units_per_hour if assumption.per == "hour" else offer.units_per_day
        other = offer.units_per_day if assumption.per == "hour" else offer.units_per_hour
        assert other is None and rate is not None
        assert assumption.low <= rate <= assumption.high
        assert (assumption.lead_low_minutes <= offer.lead_time_minutes
                <= assumption.lead_high_minutes)


def test_people_are_a_well_formed_synthetic_sample(plan: CityPlan) -> None:
    areas = by_code(plan)
    people = plan.people
    assert len({p.code for p in people}) == len(people)
    assert {p.kind for p in people} == set(PERSON_KINDS)
    residents: Counter[str] = Counter()
    for p in people:
        assert re.fullmatch(r"P-\d{6}", p.code) and set(p.skills) <= set(SKILLS)
        area = areas[p.area_code]
        if p.kind in ("resident", "volunteer"):
            assert area.kind == "building" and p.household_code is not None
            assert p.household_code.startswith(p.area_code + "-H")
        else:
            assert area.kind == "community" and p.household_code is None
        assert p.id_number is not None and p.birth_date is not None
        assert len(p.id_number) == 18 and p.id_number.startswith(p.area_code[:6])
        assert p.id_number[6:14] == p.birth_date.strftime("%Y%m%d")
        assert not gb11643_valid(p.id_number), "synthetic ids never pass the checksum"
        assert p.phone is not None and re.fullmatch(r"139\d{8}", p.phone)
        if p.kind == "resident":
            residents[community_of(area, areas).code] += 1
            age = (REFERENCE_DATE - p.birth_date).days / 365.25
            assert age >= 65 or age < 3 or p.disability or p.health_conditions
        else:
            assert p.health_conditions is None and p.disability is None
    assert all(8 <= residents[c.code] <= 12 for c in plan.areas_of_kind("community"))
    assert any(p.lives_alone for p in people)


def gb11643_valid(id_number: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(id_number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == id_number[17]


def test_summarise_reports_every_calibrated_statistic(plan: CityPlan) -> None:
    stats = summarise(plan)
    assert set(calibration.TARGETS) <= set(stats)
    assert stats["population"] == sum(c.population for c in plan.areas_of_kind("community"))


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_city(1, "province")  # type: ignore[arg-type]


# --- City scale ---------------------------------------------------------------------------


def test_city_scale_structure_on_two_districts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The city-scale path, cut down to two districts so that it stays fast."""
    monkeypatch.setattr(calibration, "DISTRICTS", calibration.DISTRICTS[:2])
    plan = generate_city(7, "city")
    assert [d.code for d in plan.areas_of_kind("district")] == ["310101", "310104"]
    assert len(plan.areas_of_kind("street")) == sum(d.streets for d in calibration.DISTRICTS)
    per_street = Counter(c.parent_code for c in plan.areas_of_kind("community"))
    assert all(22 <= n <= 36 for n in per_street.values())
    areas = by_code(plan)
    buildings = Counter(community_of(b, areas).code for b in plan.areas_of_kind("building"))
    assert all(5 <= n <= 10 for n in buildings.values())
    assert_codes_well_formed(plan)
    assert_parents_exist_with_right_kind(plan)
    assert_buildings_sum_to_communities(plan)
    assert_geometry_nested(plan)


def test_calibrated_city_structure_adds_up() -> None:
    assert len(calibration.DISTRICTS) == 16
    assert sum(d.streets for d in calibration.DISTRICTS) == calibration.STREETS == 215
    expected_communities = calibration.STREETS * 29  # the city scale draws 22-36 per street
    error = abs(expected_communities - calibration.COMMUNITY_COMMITTEES)
    assert error / calibration.COMMUNITY_COMMITTEES <= calibration.TOLERANCES["communities"]


def test_full_city_meets_every_target() -> None:
    plan = generate_city(42, "city")
    stats = summarise(plan)
    for key, target in calibration.TARGETS.items():
        error = abs(stats[key] - target) / target
        assert error <= calibration.TOLERANCES[key], f"{key}: {stats[key]:.4f} vs {target:.4f}"
    assert_codes_well_formed(plan)
    assert_parents_exist_with_right_kind(plan)
