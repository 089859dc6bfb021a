"""The demo city's mutual aid: consenting neighbours paired and accepted, an offer matched
with a need, and a claim waiting for triage."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.community.checks import start_checks
from communitas.community.demo import create_demo_mutual_aid
from communitas.community.models import AidMatch, ClaimCluster, MatchStatus
from tests.actors.helpers import make_person
from tests.community.helpers import BUILDING_A1, BUILDING_A1_2
from tests.factories import COMMUNITY_A1, build_city


def test_demo_pairs_neighbours_and_checks_can_start(db: Session) -> None:
    build_city(db)
    for n in range(8):
        make_person(db, f"R-{n}", BUILDING_A1 if n % 2 else BUILDING_A1_2)
    make_person(db, "V-1", BUILDING_A1, PersonKind.VOLUNTEER)
    pairs = create_demo_mutual_aid(db, community=COMMUNITY_A1)
    assert pairs == 6  # three helpers (R-6, R-7, V-1) with room for two each
    assert db.execute(select(AidMatch.status)).scalars().all() == [MatchStatus.PROPOSED]
    assert db.execute(select(ClaimCluster.report_count)).scalars().all() == [1]
    assert start_checks(db, area_code=COMMUNITY_A1, source_kind="manual",
                        source_id="demo").created == 6
