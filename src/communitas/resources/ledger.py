"""Many stock adjustments in one unit of work, for batch callers (a dispatcher accepting a
whole plan): the holdings are read once ``FOR UPDATE``, each adjustment is checked exactly as
:func:`service.adjust_holding` checks it — against the running quantity, so stock never goes
below zero — and the new quantities are written at the end in one flush.

Each adjustment returns its ``holding.adjusted`` event as a draft; the caller appends it with
its own events in one ``record_events`` call, so the log keeps the one-by-one order.
``mark`` and ``restore`` let a caller take back the adjustments of an item it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock
from communitas.errors import NotFound, ValidationFailed
from communitas.events import EventDraft
from communitas.i18n import _
from communitas.resources.models import MAX_QUANTITY, Holding
from communitas.resources.service import _refuse_adjustment

__all__ = ["StockLedger"]

_CHUNK = 500  # ids per IN (...) list


class StockLedger:
    """Running quantities of a set of holdings, locked for the unit of work."""

    def __init__(self, session: Session, *, principal: Principal, holding_ids: Iterable[int],
                 clock: Clock) -> None:
        self.principal, self.clock = principal, clock
        ids = sorted(set(holding_ids))
        self._rows: dict[int, Holding] = {}
        for start in range(0, len(ids), _CHUNK):
            for row in session.execute(
                    select(Holding).where(Holding.id.in_(ids[start:start + _CHUNK]))
                    .order_by(Holding.id).with_for_update()
                    .options(selectinload(Holding.resource_type))
                    .execution_options(populate_existing=True)).scalars():
                self._rows[row.id] = row
        area_ids = sorted({row.area_id for row in self._rows.values()})
        self._areas = {i: (code, path) for i, code, path in session.execute(
            select(Area.id, Area.code, Area.path).where(Area.id.in_(area_ids)))} \
            if area_ids else {}
        self._left = {i: row.quantity for i, row in self._rows.items()}

    def holding(self, holding_id: int) -> Holding:
        """The holding, where the principal may read it (as ``service.get_holding``)."""
        row = self._rows.get(holding_id)
        if row is None:
            raise NotFound(_("Unknown holding {value}"), code="unknown_holding",
                           value=holding_id)
        require(self.principal, Permission.RESOURCE_READ, area_path=self._areas[row.area_id][1],
                org_id=row.organisation_id)
        return row

    def left(self, holding_id: int) -> int:
        return self._left[holding_id]

    def adjust(self, holding_id: int, delta: int, reason: str) -> EventDraft:
        """Receive (+) or issue (−) stock on the running quantity; refuses as adjust_holding
        does (and changes nothing then). Returns the event to record."""
        if delta == 0:
            raise ValidationFailed(_("An adjustment must change the quantity"),
                                   code="zero_adjustment", details={"field": "delta"})
        row = self._rows.get(holding_id)
        if row is None:
            raise NotFound(_("Unknown holding {value}"), code="unknown_holding",
                           value=holding_id)
        code, path = self._areas[row.area_id]
        require(self.principal, Permission.RESOURCE_WRITE, area_path=path,
                org_id=row.organisation_id)
        before = self._left[holding_id]
        if not 0 <= before + delta <= MAX_QUANTITY:  # adjust_holding's refusal, word for word
            _refuse_adjustment(Holding(quantity=before), delta)
        self._left[holding_id] = before + delta
        return EventDraft("holding.adjusted", "holding", holding_id, code, payload={
            "delta": delta, "reason": reason, "from": before, "to": before + delta},
            actor=self.principal.actor)

    def mark(self) -> dict[int, int]:
        return dict(self._left)

    def restore(self, mark: dict[int, int]) -> None:
        self._left = dict(mark)

    def write(self, session: Session) -> None:
        """Put the running quantities on the rows; the caller's flush writes them."""
        now = self.clock.now()
        for holding_id, quantity in self._left.items():
            row = self._rows[holding_id]
            if row.quantity != quantity:
                row.quantity, row.updated_at = quantity, now
        session.flush()
