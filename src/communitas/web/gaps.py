"""Reserve gaps for the pages, kept while nothing changes.

Computing the gaps of a whole district takes about half a second, and the map polls. Every
change of stock appends an event, so the gaps of an area are kept until the head of the
event chain moves on, and for a minute at most. They do not depend on who asks, so every
reader allowed to see the area shares them (the permission is checked before the cache).
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.errors import CommunitasError
from communitas.events import EventChainHead
from communitas.resources import reserves
from communitas.resources.schemas import ReserveGapRead

__all__ = ["reserve_gaps"]

_GAP_CACHE_SECONDS = 60.0
_gap_cache: dict[tuple[str, str, str], tuple[float, list[ReserveGapRead]]] = {}


def reserve_gaps(session: Session, principal: Principal, within: str) -> list[ReserveGapRead]:
    """Reserve gaps are the slow part of a poll: kept until the event log moves on (every
    change of stock appends an event) or for a minute at most."""
    try:
        require(principal, Permission.RESOURCE_READ,
                area_path=areas.get_area(session, code=within).path)
    except CommunitasError:
        return []
    head = session.execute(select(EventChainHead.last_hash)).scalar_one_or_none() or ""
    key = (str(session.get_bind().engine.url), within, head)
    cached = _gap_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < _GAP_CACHE_SECONDS:
        return cached[1]
    try:
        gaps = reserves.reserve_gaps(session, principal=principal, within=within)
    except CommunitasError:
        gaps = []
    if len(_gap_cache) > 256:
        _gap_cache.clear()
    _gap_cache[key] = (time.monotonic(), gaps)
    return gaps
