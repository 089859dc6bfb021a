"""The resource catalogue: the default install, who may change it, and searching it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.errors import Conflict
from communitas.resources import reserves as resources_reserves
from communitas.resources import service as resources
from communitas.resources.catalogue import DEFAULT_NORMS, DEFAULT_TYPES, TOP_CATEGORIES
from communitas.resources.models import ReserveNormRule, ResourceCategory, ResourceType
from communitas.resources.schemas import ReserveNormSet, ResourceTypeCreate
from tests.factories import DISTRICT, STREET_A, build_city, login, make_user


def _count(db: Session, model: type) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_default_catalogue_covers_the_seven_categories_and_installs_once(db: Session) -> None:
    report = resources.install_default_catalogue(db, principal=SYSTEM)
    assert report.types_created == len(DEFAULT_TYPES) >= 25
    assert report.norms_created == len(DEFAULT_NORMS)
    tops = db.execute(select(ResourceCategory.code).where(
        ResourceCategory.parent_id.is_(None))).scalars().all()
    assert sorted(tops) == sorted(TOP_CATEGORIES)
    assert len(TOP_CATEGORIES) == 7
    ids = {c.id: c for c in db.execute(select(ResourceCategory)).scalars()}
    tops_used = set()
    for t in DEFAULT_TYPES:
        category = resources.get_resource_type(db, code=t.code).category
        while category.parent_id is not None:
            category = ids[category.parent_id]
        tops_used.add(category.code)
    assert tops_used == set(TOP_CATEGORIES), "every top category has resource types"

    edited = ReserveNormSet(per_1000_residents=1, source="local decision")
    resources_reserves.set_norm_rule(db, principal=SYSTEM, type_code="water.bottled", data=edited)
    again = resources.install_default_catalogue(db, principal=SYSTEM)
    assert (again.categories_created, again.types_created, again.norms_created) == (0, 0, 0)
    rule = db.execute(select(ReserveNormRule).join(ResourceType).where(
        ResourceType.code == "water.bottled")).scalar_one()
    assert rule.per_1000_residents == 1, "reinstalling keeps an edited norm"


def test_bulk_type_creation_with_a_duplicate_creates_nothing(db: Session) -> None:
    resources.install_default_catalogue(db, principal=SYSTEM)
    before = _count(db, ResourceType)
    items = [ResourceTypeCreate(code="water.tank", category_code="drinking_water",
                                kind="equipment", unit="piece", name_zh="水箱",
                                name_en="Water tank"),
             ResourceTypeCreate(code="water.bottled", category_code="drinking_water",
                                kind="supply", unit="box", name_zh="重", name_en="Again")]
    with pytest.raises(Conflict) as raised:
        resources.create_resource_types(db, principal=SYSTEM, items=items)
    assert raised.value.code == "duplicate_code"
    assert _count(db, ResourceType) == before


def test_anyone_signed_in_reads_the_catalogue_by_category_subtree(
    db: Session, client: TestClient
) -> None:
    build_city(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    make_user(db, "vol", Role.VOLUNTEER, area_code=STREET_A)
    headers = login(client, "vol")
    page = client.get("/api/resource-types", headers=headers,
                      params={"category": "food_and_water", "page_size": 100}).json()
    codes = {t["code"] for t in page["items"]}
    assert {"water.bottled", "food.rice", "food.infant_formula"} <= codes
    assert all(c.startswith(("water.", "food.")) for c in codes)
    assert page["total"] == len(codes)
    one = client.get("/api/resource-types/water.bottled", headers=headers).json()
    assert (one["category_code"], one["unit"], one["shelf_life_days"]) == (
        "drinking_water", "box", 365)
    categories = client.get("/api/resource-categories", headers=headers).json()["items"]
    assert {"code": "food", "parent_code": "food_and_water", "name_zh": "食品",
            "name_en": "Food"} in categories
    assert client.get("/api/resource-types").status_code == 401


def test_only_city_wide_roles_change_the_catalogue(db: Session, client: TestClient) -> None:
    build_city(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    make_user(db, "street", Role.STREET_COMMANDER, area_code=STREET_A)
    make_user(db, "district", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    body = {"code": "water.tank", "category_code": "drinking_water", "kind": "equipment",
            "unit": "piece", "name_zh": "水箱", "name_en": "Water tank"}
    refused = client.post("/api/resource-types", headers=login(client, "street"), json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    headers = login(client, "district")
    created = client.post("/api/resource-types", headers=headers, json=body)
    assert created.status_code == 201, created.text
    patched = client.patch("/api/resource-types/water.tank", headers=headers,
                           json={"category_code": "sanitation", "shelf_life_days": 3650})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["category_code"], patched.json()["shelf_life_days"]) == (
        "sanitation", 3650)
    duplicate = client.post("/api/resource-types", headers=headers, json=body)
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "duplicate_code")


def test_reserve_norms_are_listed_and_replaced(db: Session, client: TestClient) -> None:
    build_city(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    make_user(db, "district", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    headers = login(client, "district")
    page = client.get("/api/reserve-norms", headers=headers,
                      params={"page_size": 100}).json()
    assert page["total"] == len(DEFAULT_NORMS)
    water = next(r for r in page["items"] if r["resource_type_code"] == "water.bottled")
    assert "Sphere" in water["source"]
    response = client.put("/api/reserve-norms/water.bottled", headers=headers, json={
        "per_1000_residents": 300, "days_of_cover": 3, "hazard_multipliers": {"flood": 2}})
    assert response.status_code == 200, response.text
    assert (response.json()["days_of_cover"], response.json()["hazard_multipliers"]) == (
        3, {"flood": 2.0})
    bad = client.put("/api/reserve-norms/water.bottled", headers=headers, json={
        "hazard_multipliers": {"meteor": 2}})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_error")
    unknown = client.put("/api/reserve-norms/no.such", headers=headers, json={})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        404, "unknown_resource_type")
