"""The effective modes of a few named areas match the whole map's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.modes import service as modes
from communitas.modes.levels import Mode
from communitas.modes.schemas import ModeSet
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A
from tests.modes import build_world


def test_named_areas_get_the_same_modes_as_the_map(db: Session) -> None:
    build_world(db)
    modes.set_mode(db, principal=SYSTEM, code=STREET_A, data=ModeSet.model_validate(
        {"level": Mode.LEVEL_III, "reason": "rain", "hazard": "flood"}))
    ids = dict(db.execute(select(Area.code, Area.id).where(
        Area.code.in_([COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1]))).all())
    whole = {m.area_code: m for m in modes.effective_modes(db)}
    some = modes.effective_modes_of(db, [ids[COMMUNITY_A1], ids[COMMUNITY_B1]])
    assert {m.area_code for m in some} == {COMMUNITY_A1, COMMUNITY_B1}
    assert all(m == whole[m.area_code] for m in some)
    by_code = {m.area_code: m for m in some}
    assert by_code[COMMUNITY_A1].mode is Mode.LEVEL_III  # from its street
    assert by_code[COMMUNITY_A1].source_code == STREET_A
    assert by_code[COMMUNITY_B1].mode is Mode.NORMAL
    assert modes.effective_modes_of(db, []) == []
