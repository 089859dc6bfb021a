"""A routing memo kept across intake batches for as long as nothing it remembers changed.

What a routing decision reads — holdings, capacity offers, resource types, areas — changes
only together with an event about it (every state change appends one, in the same
transaction), so the memo catches up on what such an event newer than the last look
concerns: the holdings the holding events name are read again (each holding event names
its holding), offers are forgotten after a capacity offer event, everything after a change
to areas or the catalogue. (Of the events about an area only its own, ``area.*``, change
it; a mode switch or a welfare check started there does not.) Decisions are then exactly
those a fresh memo per batch would make.
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, bindparam, func, select
from sqlalchemy.orm import Session

from communitas.dispatch.triage import RoutingMemo
from communitas.events import Event, EventChainHead

__all__ = ["WATCHED", "StandingMemo"]

WATCHED = ("holding", "capacity_offer", "resource_type", "resource_category", "area")

# One statement, built once: the head, with every watched event after ``seen`` (the head's
# row alone, its event columns NULL, when there is none, or when ``seen`` is None).
_NEWS = (select(EventChainHead.last_seq, Event.subject_type, Event.action, Event.subject_id)
         .outerjoin(Event, and_(Event.seq > func.coalesce(bindparam("seen", type_=Integer),
                                                          EventChainHead.last_seq),
                                Event.seq <= EventChainHead.last_seq,
                                Event.subject_type.in_(WATCHED)))
         .distinct())


class StandingMemo:
    """``current(session)`` is the memo to route with now."""

    def __init__(self) -> None:
        self._memo = RoutingMemo()
        self._seen: int | None = None  # the event log's head at the last look

    def current(self, session: Session) -> RoutingMemo:
        news = session.execute(_NEWS, {"seen": self._seen}).all()
        head = news[0].last_seq
        if self._seen is None or self._seen > head:
            self._memo = RoutingMemo()
        elif self._seen < head:
            changed = {kind for _head, kind, action, _id in news
                       if kind is not None and (kind != "area" or action.startswith("area."))}
            if changed - {"holding", "capacity_offer"}:
                self._memo = RoutingMemo()
            if "holding" in changed:  # just those holdings read again
                self._memo.restock(session, sorted({int(subject_id) for _head, kind, _action,
                                                    subject_id in news if kind == "holding"}))
            if "capacity_offer" in changed:
                self._memo.forget_offers()
        self._seen = head
        return self._memo
