"""Reserve gaps: a known community's need, what is within its reach, and what is not."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.resources import reserves as resources_reserves
from communitas.resources.models import HoldingCondition
from communitas.resources.schemas import ReserveNormSet
from tests.factories import (
    COMMUNITY_A1,
    COMMUNITY_A2,
    COMMUNITY_B1,
    DISTRICT,
    STREET_A,
    login,
    make_user,
)
from tests.resources.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    COMMITTEE_B1,
    ON,
    STREET_OFFICE_A,
    build_world,
    stock,
)

WATER = "water.bottled"


def _water_rule(db: Session) -> None:
    """228 boxes per 1,000 residents for a day, ×1.5 for floods (A1 faces floods)."""
    resources_reserves.set_norm_rule(db, principal=SYSTEM, type_code=WATER, data=ReserveNormSet(
        per_1000_residents=228, days_of_cover=1, hazard_multipliers={"flood": 1.5}))


def _gaps(db: Session, within: str) -> dict[str, dict[str, object]]:
    rows = resources_reserves.reserve_gaps(db, principal=SYSTEM, within=within, on=ON,
                                           type_code=WATER)
    return {r.community_code: r.model_dump() for r in rows}


def test_gap_of_a_known_community(db: Session) -> None:
    build_world(db)
    _water_rule(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 500)
    stock(db, WATER, STREET_OFFICE_A, STREET_A, 1000)
    stock(db, WATER, COMMITTEE_B1, BUILDING_B1, 9999)  # another street: out of reach
    stock(db, WATER, STREET_OFFICE_A, DISTRICT, 9999)  # the district reserve: dispatched
    gaps = _gaps(db, STREET_A)
    a1 = gaps[COMMUNITY_A1]
    # required = ⌈228 × 4000 / 1000 × 1.5⌉; street share = 1000 × 4000 / (4000 + 4001).
    assert (a1["required"], a1["held_in_community"], a1["street_share"]) == (1368, 500, 499.94)
    assert (a1["held_within_reach"], a1["gap"], a1["shortfall"]) == (999.94, 368.06, 0.2691)
    a2 = gaps[COMMUNITY_A2]  # no flood hazard: ⌈228 × 4.001⌉, share 1000 × 4001 / 8001
    assert (a2["required"], a2["street_share"], a2["gap"]) == (913, 500.06, 412.94)
    assert a1["street_share"] + a2["street_share"] == 1000, "the street counted once"
    assert set(gaps) == {COMMUNITY_A1, COMMUNITY_A2}
    assert _gaps(db, COMMUNITY_A1) == {COMMUNITY_A1: a1}, "a community sees its street share"


def test_expired_and_damaged_stock_does_not_count(db: Session) -> None:
    build_world(db)
    _water_rule(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 100, expires_on=ON)  # last usable day
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 200, expires_on=ON - timedelta(days=1))
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 300, condition=HoldingCondition.DAMAGED)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 400, condition=HoldingCondition.EXPIRED)
    a1 = _gaps(db, COMMUNITY_A1)[COMMUNITY_A1]
    assert (a1["held_in_community"], a1["gap"]) == (100, 1368 - 100)
    tomorrow = resources_reserves.reserve_gaps(db, principal=SYSTEM, within=COMMUNITY_A1,
                                      on=ON + timedelta(days=1), type_code=WATER)
    assert tomorrow[0].held_in_community == 0


def test_gaps_through_the_api_respect_scope(db: Session, client: TestClient) -> None:
    build_world(db)
    stock(db, WATER, COMMITTEE_A1, BUILDING_A1, 5000)
    make_user(db, "street", Role.STREET_COMMANDER, area_code=STREET_A)
    headers = login(client, "street")
    page = client.get("/api/reserve-gaps", headers=headers, params={
        "within": STREET_A, "on": ON.isoformat(), "page_size": 500}).json()
    communities = {row["community_code"] for row in page["items"]}
    assert communities == {COMMUNITY_A1, COMMUNITY_A2}
    assert page["total"] == len(page["items"])
    water_a1 = next(r for r in page["items"]
                    if (r["community_code"], r["resource_type_code"]) == (COMMUNITY_A1, WATER))
    assert (water_a1["gap"], water_a1["shortfall"]) == (0, 0.0)
    sandbags = {r["community_code"] for r in page["items"]
                if r["resource_type_code"] == "rescue.sandbag"}
    assert sandbags == {COMMUNITY_A1}, "sandbags are needed only where floods threaten"
    outside = client.get("/api/reserve-gaps", headers=headers, params={"within": COMMUNITY_B1})
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "out_of_scope")
    missing = client.get("/api/reserve-gaps", headers=headers)
    assert missing.status_code == 422


def test_skipped_communities_are_left_out_and_the_others_unchanged(db: Session) -> None:
    build_world(db)
    stock(db, WATER, COMMITTEE_A1, COMMUNITY_A1, 40)
    every = resources_reserves.reserve_gaps(db, principal=SYSTEM, within=DISTRICT, on=ON)
    some = resources_reserves.reserve_gaps(db, principal=SYSTEM, within=DISTRICT, on=ON,
                                           skip={COMMUNITY_A1, COMMUNITY_B1})
    assert {g.community_code for g in every} >= {COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1}
    assert some and some == [g for g in every if g.community_code == COMMUNITY_A2]
