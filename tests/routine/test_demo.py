"""The demo routine sends the street's cadres and party members down and plans a drill."""

from __future__ import annotations

from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.auth.permissions import SYSTEM
from communitas.routine import drills
from communitas.routine.demo import create_demo_routine
from communitas.supervision import service
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, STREET_A, build_city


def test_demo_roster_and_drill(db: Session) -> None:
    build_city(db)
    make_person(db, "C-1", COMMUNITY_A1, PersonKind.CADRE)
    make_person(db, "PM-1", f"{COMMUNITY_A1}-G01", PersonKind.PARTY_MEMBER)
    make_person(db, "PM-2", COMMUNITY_A2, PersonKind.PARTY_MEMBER)
    make_person(db, "GW-1", COMMUNITY_A2, PersonKind.GRID_WORKER)
    made = create_demo_routine(db, street=STREET_A)
    assert len(made) == 3
    roster = service.list_assignments(db, principal=SYSTEM, within=STREET_A, active=True)
    assert {(a.person_code, a.community_code, a.role.value) for a in roster.items} == {
        ("C-1", COMMUNITY_A1, "community_liaison"), ("PM-1", COMMUNITY_A1, "party_vanguard"),
        ("PM-2", COMMUNITY_A2, "party_vanguard")}
    [drill] = drills.list_drills(db, principal=SYSTEM, within=STREET_A).items
    assert drill.area_code == COMMUNITY_A1 and drill.status.value == "scheduled"
