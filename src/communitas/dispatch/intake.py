"""Intake: one window for every request, signed in or not, in two steps.

1. **Acceptance** (dispatch/acceptance.py) checks a submission whole and makes it durable with
   its ``request.submitted`` event; the client's acknowledgement follows the commit. Many
   submissions share one transaction (intake_writer.py batches them over HTTP).
2. **Triage** (here) merges a submission into an open duplicate or routes it to the lowest
   level that can meet it, each step an event. Over HTTP it runs after the acknowledgement,
   in batches, when the writer is idle and on the scheduler's timer; until then the request
   waits, unrouted, in its community's queue. ``submit_request`` does both in the caller's
   one transaction, for the CLI, drills and ``COMMUNITAS_INTAKE_TRIAGE=inline``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, inspect, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from communitas.auth.permissions import SYSTEM, Principal
from communitas.clock import Clock, SystemClock
from communitas.db import unit_of_work
from communitas.dispatch.acceptance import Pending, Submission, accept_submissions
from communitas.dispatch.dedupe import find_duplicate, merge_into
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.lifecycle import Action, RequestStatus
from communitas.dispatch.models import RateLimitWindow, RequestLine, ResourceRequest
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import RequestCreate
from communitas.dispatch.service import DispatchPolicy, log, log_draft, transition
from communitas.dispatch.triage import RoutingMemo, place_in_queue, route_request
from communitas.errors import CommunitasError
from communitas.events import EventDraft, record_events
from communitas.resources import service as resources
from communitas.row_copies import update_rows

__all__ = [
    "accepted_requests", "client_key", "expire_unverified", "submit_request", "triage_pending",
    "triage_stragglers",
]


def client_key(*, user_id: int | None, address: str | None) -> str:
    """The rate-limit key: the account, else a hash of the address (never the raw IP)."""
    if user_id is not None:
        return f"user:{user_id}"
    digest = hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]
    return f"ip:{digest}"


def submit_request(
    session: Session, *, principal: Principal | None, data: RequestCreate, client: str,
    idempotency_key: str | None = None, clock: Clock | None = None,
    policy: DispatchPolicy | None = None, lookups: IntakeLookups | None = None,
    triage: bool = True,
) -> Submission:
    """Take in one request (see module doc); the caller commits before acknowledging."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    item = Pending(data=data, principal=principal, client=client,
                   idempotency_key=idempotency_key)
    (outcome,) = accept_submissions(session, items=[item], now=clock.now(), policy=policy,
                                    lookups=lookups or IntakeLookups(ttl=0))
    if isinstance(outcome, CommunitasError):
        raise outcome
    row = session.get_one(ResourceRequest, outcome.id)
    if triage and not outcome.replayed:
        triage_requests(session, requests=[row], clock=clock, policy=policy)
    survivor = session.get_one(ResourceRequest, row.merged_into_id) if row.merged_into_id \
        else row
    return Submission(row=row, request=survivor, replayed=outcome.replayed)


# --- triage ----------------------------------------------------------------------------------

_ROUTABLE = frozenset({RequestStatus.SUBMITTED, RequestStatus.VERIFIED, RequestStatus.APPROVED})
# The keys of the requests' column attributes: what _write_changes may write by UPDATE.
_COLUMNS = frozenset(attr.key for attr in inspect(ResourceRequest).column_attrs)

def triage_pending(
    session: Session, *, clock: Clock | None = None, policy: DispatchPolicy | None = None,
    limit: int = 50, older_than: timedelta = timedelta(0),
) -> list[str]:
    """Triage the oldest accepted submissions not yet triaged; their references.

    On PostgreSQL rows another process is triaging are skipped, not waited for."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    query = (select(ResourceRequest).where(
        ResourceRequest.triaged_at.is_(None),
        ResourceRequest.created_at <= clock.now() - older_than)
        .order_by(ResourceRequest.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    pending = list(session.execute(query).scalars())
    triage_requests(session, requests=pending, clock=clock, policy=policy)
    return [request.reference for request in pending]


def triage_stragglers(factory: sessionmaker[Session], *, clock: Clock, policy: DispatchPolicy,
                      older_than: timedelta, limit: int) -> int:
    """Triage submissions left untriaged for ``older_than``, each in its own transaction
    (a short write lock at a time); how many were triaged."""
    done = 0
    while done < limit:
        with unit_of_work(factory) as session:
            if not triage_pending(session, clock=clock, policy=policy, limit=1,
                                  older_than=older_than):
                break
        done += 1
    return done


_ACCEPTED = (select(ResourceRequest)
             .where(ResourceRequest.id.in_(bindparam("ids", expanding=True)))
             .options(joinedload(ResourceRequest.lines).joinedload(RequestLine.resource_type))
             .order_by(ResourceRequest.id))


def accepted_requests(session: Session, ids: list[int]) -> list[ResourceRequest]:
    """The requests with these ids, in id order, with their lines and types loaded (in one
    statement, built once), as :func:`triage_requests` takes them."""
    if not ids:
        return []
    return list(session.execute(_ACCEPTED, {"ids": ids}).unique().scalars())


def triage_requests(session: Session, *, requests: list[ResourceRequest], clock: Clock,
                    policy: DispatchPolicy, memo: RoutingMemo | None = None,
                    first: Sequence[EventDraft] = ()) -> None:
    """Merge each request into an open duplicate or route it to its queue, in order.

    Places and stock counts are looked up once for the batch (triage moves no stock); a
    caller that knows nothing has changed since may pass an older ``memo``. The events are
    those triaging one by one appends, in the same order, written in as few INSERTs as the
    merges allow (a merge appends its own); ``first`` are the caller's events to append
    before them, at the clock's time (acceptance's, when it left them to triage)."""
    memo = memo or RoutingMemo()
    memo.prepare(session, [r for r in requests
                           if r.triaged_at is None and r.status in _ROUTABLE],
                 resources.today(clock))
    drafts: list[EventDraft] = list(first)
    for request in requests:
        if request.triaged_at is not None:
            continue
        request.triaged_at = clock.now()
        if request.status not in _ROUTABLE:
            continue  # cancelled or expired before triage reached it: nothing to route
        _triage_one(session, request, clock, policy, memo, drafts)
    _write_changes(session, requests)
    if drafts:
        record_events(session, actor=SYSTEM.actor, drafts=drafts, clock=clock)


def _write_changes(session: Session, requests: list[ResourceRequest]) -> None:
    """Write what triage changed in the requests' own columns (``row_copies.update_rows``:
    one executemany UPDATE per set of changed columns), and tell the session it is written:
    the events' autoflush would otherwise send it row by row. Anything else changed (a
    merge's lines, say) is left to the flush."""
    written: list[tuple[ResourceRequest, dict[str, Any]]] = []
    for request in requests:
        state = inspect(request)
        if not state.modified or not state.persistent \
                or not state.committed_state.keys() <= _COLUMNS:
            continue
        written.append((request, {
            key: getattr(request, key) for key, before in state.committed_state.items()
            if not state.manager[key].impl.is_equal(getattr(request, key), before)}))
    update_rows(session, ResourceRequest, [(r.id, changes) for r, changes in written])
    for request, _changes in written:
        # As a flush leaves a row it wrote: clean, so the next flush passes it by (per
        # attribute, set_committed_value would leave it flagged, and the flush visits
        # every flagged row). No public API does this whole.
        state = inspect(request)
        state._commit_all(state.dict, session.identity_map)


def _triage_one(session: Session, request: ResourceRequest, clock: Clock,
                policy: DispatchPolicy, memo: RoutingMemo, drafts: list[EventDraft]) -> None:
    now = clock.now()
    actor = request.submitted_by or f"requester:{request.reference}"
    by = "staff" if request.submitted_by_staff else "requester"
    duplicate = find_duplicate(session, request, window=policy.duplicate_window)
    if duplicate is not None:
        if drafts:  # written before the merge's own events, as one by one
            record_events(session, actor=SYSTEM.actor, drafts=drafts, clock=clock)
            drafts.clear()
        transition(session, request, Action.MERGE)
        merge_into(session, request, duplicate, actor=actor, by=by, clock=clock, policy=policy)
        return
    place = memo.place(session, request.area_id)
    decision = route_request(session, request, place, floor=Level.COMMUNITY,
                             on=resources.today(clock), memo=memo)
    place_in_queue(session, request, decision, place, now=now, policy=policy)
    draft = log_draft(request, area_code=place.area.code, by=by, action="request.queued",
                      now=now, payload={"level": request.queue_level.value,
                                        "coverage": round(decision.coverage, 3)})
    drafts.append(replace(draft, actor=actor))


def expire_unverified(
    session: Session, *, clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> list[str]:
    """Unverified requests older than the expiry leave the queues; their references."""
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    now = clock.now()
    stale = session.execute(select(ResourceRequest).where(
        ResourceRequest.status == RequestStatus.SUBMITTED,
        ResourceRequest.created_at <= now - policy.unverified_expiry)
        .order_by(ResourceRequest.id).with_for_update()).scalars().all()
    for request in stale:
        transition(session, request, Action.EXPIRE)
        request.sla_due_at = None
        log(session, request, actor="system", by="system", action="request.expired", now=now,
            clock=clock, payload={"after_hours": policy.unverified_expiry.total_seconds() / 3600})
    session.execute(delete(RateLimitWindow).where(
        RateLimitWindow.window_start < now - policy.rate_window * 2))
    return [r.reference for r in stale]

