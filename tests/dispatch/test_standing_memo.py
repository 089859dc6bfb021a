"""The standing routing memo lasts until an event says stock (or a place) changed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.dispatch.standing_memo import StandingMemo
from communitas.resources import service as resources
from tests.dispatch.helpers import BUILDING_A1, COMMITTEE_A1, build_dispatch_world
from tests.resources.helpers import stock


def test_the_memo_is_kept_until_stock_moves(db: Session) -> None:
    build_dispatch_world(db)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    standing = StandingMemo()
    first = standing.current(db)
    assert standing.current(db) is first  # nothing happened
    resources.adjust_holding(db, principal=SYSTEM, holding_id=holding.id, delta=-1,
                             reason="used")
    second = standing.current(db)
    assert second is not first
    assert standing.current(db) is second
