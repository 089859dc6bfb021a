"""The stock ledger checks each adjustment as adjust_holding does, on running quantities."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM
from communitas.clock import SystemClock
from communitas.errors import Conflict
from communitas.events import Event
from communitas.resources.ledger import StockLedger
from communitas.resources.models import Holding
from tests.resources.helpers import BUILDING_A1, COMMITTEE_A1, build_world, stock


def test_running_quantities_never_go_below_zero_and_restore_takes_back(db: Session) -> None:
    build_world(db)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    ledger = StockLedger(db, principal=SYSTEM, holding_ids=[holding.id], clock=SystemClock())
    draft = ledger.adjust(holding.id, -6, "request R1")
    assert (draft.payload or {})["from"] == 10 and (draft.payload or {})["to"] == 4
    mark = ledger.mark()
    ledger.adjust(holding.id, -3, "request R2")
    with pytest.raises(Conflict) as refused:
        ledger.adjust(holding.id, -2, "request R3")  # 1 left
    assert refused.value.code == "insufficient_stock"
    ledger.restore(mark)  # R2 is taken back
    ledger.write(db)
    db.expire_all()
    assert db.get_one(Holding, holding.id).quantity == 4
    # The ledger records nothing itself: its caller appends the drafts with its own events.
    assert not db.execute(select(Event).where(Event.action == "holding.adjusted")).first()
