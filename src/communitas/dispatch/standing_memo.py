"""A routing memo kept across intake batches for as long as nothing it remembers changed.

What a routing decision reads — holdings, capacity offers, resource types, areas — changes
only together with an event about it (every state change appends one, in the same
transaction), so the memo forgets what such an event newer than the last look concerns:
stock after a holding event, offers after a capacity offer event, everything after a change
to areas or the catalogue. (Of the events about an area only its own, ``area.*``, change
it; a mode switch or a welfare check started there does not.) Decisions are then exactly
those a fresh memo per batch would make.
"""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from communitas.dispatch.triage import RoutingMemo
from communitas.events import Event, EventChainHead

__all__ = ["WATCHED", "StandingMemo"]

WATCHED = ("holding", "capacity_offer", "resource_type", "resource_category", "area")


class StandingMemo:
    """``current(session)`` is the memo to route with now."""

    def __init__(self) -> None:
        self._memo = RoutingMemo()
        self._seen: int | None = None  # the event log's head at the last look

    def current(self, session: Session) -> RoutingMemo:
        if self._seen is None:
            head = session.execute(select(EventChainHead.last_seq)).scalar_one()
            news: list[tuple[str, str]] = []
        else:  # the head and what is new since the last look, in one query
            new = (select(Event.subject_type, Event.action).distinct()
                   .where(Event.seq > self._seen, Event.subject_type.in_(WATCHED)).subquery())
            rows = session.execute(select(EventChainHead.last_seq, new.c.subject_type,
                                          new.c.action).outerjoin(new, true())).all()
            head = rows[0][0]
            news = [(kind, action) for _head, kind, action in rows if kind is not None]
        if self._seen is None or self._seen > head:
            self._memo = RoutingMemo()
        elif self._seen < head:
            changed = {kind for kind, action in news
                       if kind != "area" or action.startswith("area.")}
            if changed - {"holding", "capacity_offer"}:
                self._memo = RoutingMemo()
            if "holding" in changed:
                self._memo.forget_stock()
            if "capacity_offer" in changed:
                self._memo.forget_offers()
        self._seen = head
        return self._memo
