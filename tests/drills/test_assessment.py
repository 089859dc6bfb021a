"""Assessment without a drill: a riskier, poorer community ranks above a safer one."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.drills.assessment import assess_communities, assessment_geojson
from communitas.drills.indices import CommunityFacts, assess
from communitas.errors import CommunitasError
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, DISTRICT, STREET_B
from tests.resources.helpers import ON, build_world, make_org, stock


def test_riskier_community_with_less_in_reach_ranks_first(db: Session) -> None:
    build_world(db)  # A1 is flood-prone; B1 has no hazard listed
    make_org(db, "PC-B1", OrganisationKind.PROPERTY_COMPANY, COMMUNITY_B1)
    make_org(db, "VT-B", OrganisationKind.VOLUNTEER_TEAM, STREET_B)
    for code in ("water.bottled", "medical.first_aid_kit", "shelter.blanket"):
        stock(db, code, "NC-B1", COMMUNITY_B1, 500)
    ranked = assess_communities(db, principal=SYSTEM, within=DISTRICT, on=ON)
    codes = [a.code for a in ranked]
    assert codes.index(COMMUNITY_A1) < codes.index(COMMUNITY_B1)
    a1 = next(a for a in ranked if a.code == COMMUNITY_A1)
    b1 = next(a for a in ranked if a.code == COMMUNITY_B1)
    assert a1.risk > b1.risk and a1.endowment < b1.endowment
    # Dislocated redundancy: nothing in reach for the flood A1 faces.
    assert "rescue.sandbag" in a1.uncovered_needs
    assert a1.committee_share is None  # no work yet
    layer = assessment_geojson(ranked)
    assert [f["id"] for f in layer["features"]] == codes
    assert layer["features"][0]["properties"]["rank"] == 1


def test_stock_that_matches_no_hazard_counts_as_mismatched(db: Session) -> None:
    build_world(db)
    stock(db, "rescue.inflatable_boat", "NC-B1", COMMUNITY_B1, 3)  # B1 has no flood risk
    stock(db, "water.bottled", "NC-A1", COMMUNITY_A1, 100)  # A1's flood calls for water
    [b1] = [a for a in assess_communities(db, principal=SYSTEM, within=COMMUNITY_B1, on=ON)]
    assert b1.mismatched_stock == 1.0
    [a1] = assess_communities(db, principal=SYSTEM, within=COMMUNITY_A1, on=ON)
    assert a1.mismatched_stock == 0.0 and "water.bottled" not in a1.uncovered_needs


def test_friction_counts_roles_nobody_in_reach_could_hold(db: Session) -> None:
    build_world(db)
    [a1] = assess_communities(db, principal=SYSTEM, within=COMMUNITY_A1, on=ON)
    assert a1.friction is not None and a1.friction > 0
    assert any(r.startswith("flood/") and r.endswith("/commander") for r in a1.unstaffed_roles)
    [a2] = assess_communities(db, principal=SYSTEM, within=COMMUNITY_A2, on=ON)
    assert a2.friction is None  # no hazard listed, so no plan applies


def test_assessment_needs_the_permission_in_scope(db: Session) -> None:
    build_world(db)
    resident = Principal(user_id=1, username="r", role=Role.RESIDENT)
    with pytest.raises(CommunitasError):
        assess_communities(db, principal=resident, within=DISTRICT, on=ON)


def test_indices_weigh_hazard_exposure_and_vulnerability() -> None:
    base = dict(name_zh="甲", name_en="A", groups={"aged_80": 100, "living_alone": 60})
    calm = assess(CommunityFacts(code="1", population=2000, hazards=("heat_wave",), **base))
    stormy = assess(CommunityFacts(code="2", population=8000, hazards=("flood", "typhoon"),
                                   **base))
    assert stormy.hazard > calm.hazard and stormy.exposure > calm.exposure
    assert stormy.risk > calm.risk
    assert stormy.resilience < calm.resilience
