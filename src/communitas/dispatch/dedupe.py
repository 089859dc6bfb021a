"""Duplicates: the same need from the same requester or place, while the first is open.

The same requester is the same resident (their person record) or phone number (hashed) —
never the same submitting account (a grid worker submits for many households) nor the same
IP address (a whole compound can share one address behind a carrier's NAT). The
same place counts only for building, community and organisation orders: two households in
one building are two needs. The same need is the same set of resource types.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.dispatch.lifecycle import OPEN, Action
from communitas.dispatch.models import RequesterKind, ResourceRequest
from communitas.dispatch.service import (
    DispatchPolicy,
    check_allowed,
    get_request,
    lock_request,
    log,
    refresh_sla,
    transition,
)
from communitas.errors import Conflict, ValidationFailed
from communitas.i18n import _

__all__ = ["find_duplicate", "merge_duplicate", "merge_into"]

R = ResourceRequest


def _same_requester(request: ResourceRequest) -> ColumnElement[bool] | None:
    if request.requester_kind is not RequesterKind.RESIDENT:
        return and_(R.requester_kind == request.requester_kind, R.area_id == request.area_id,
                    R.organisation_id.is_(None) if request.organisation_id is None
                    else R.organisation_id == request.organisation_id)
    same = [column == value for column, value in (
        (R.requester_person_id, request.requester_person_id),
        (R.phone_hash, request.phone_hash)) if value is not None]
    if not same:
        return None  # an anonymous request without a phone: nothing to match on
    return and_(R.requester_kind == RequesterKind.RESIDENT, or_(*same))


def find_duplicate(session: Session, request: ResourceRequest, *,
                   window: timedelta) -> ResourceRequest | None:
    """The oldest open request within ``window`` that this one duplicates, if any."""
    same = _same_requester(request)
    if same is None or window <= timedelta(0):
        return None
    types = {line.resource_type_id for line in request.lines}
    candidates = session.execute(
        select(R).where(same, R.id != request.id, R.status.in_(sorted(OPEN)),
                        R.merged_into_id.is_(None), R.created_at >= request.created_at - window)
        .order_by(R.created_at, R.id).limit(20)).scalars().all()
    return next((c for c in candidates
                 if {line.resource_type_id for line in c.lines} == types), None)


def merge_into(session: Session, duplicate: ResourceRequest, survivor: ResourceRequest, *,
               actor: str, by: str, clock: Clock, policy: DispatchPolicy) -> None:
    """Point ``duplicate`` at ``survivor`` and raise the survivor to the larger need.

    Per type the larger quantity wins; the more urgent priority, the earlier needed-by time
    and every vulnerability flag are kept; missing contact details are filled in.
    """
    survivor = lock_request(session, reference=survivor.reference)
    now = clock.now()
    duplicate.merged_into_id = survivor.id
    duplicate.queue_level, duplicate.queue_area_id = survivor.queue_level, survivor.queue_area_id
    duplicate.sla_due_at = None
    changes: dict[str, object] = {}
    by_type = {line.resource_type_id: line for line in survivor.lines}
    for line in duplicate.lines:
        kept = by_type[line.resource_type_id]
        if line.quantity > kept.quantity:
            changes[f"line {kept.position}"] = {"from": kept.quantity, "to": line.quantity}
            kept.quantity = line.quantity
    if duplicate.priority < survivor.priority:
        changes["priority"] = {"from": survivor.priority, "to": duplicate.priority}
        survivor.priority = duplicate.priority
    if duplicate.needed_by and (survivor.needed_by is None
                                or duplicate.needed_by < survivor.needed_by):
        changes["needed_by"] = {"from": survivor.needed_by, "to": duplicate.needed_by}
        survivor.needed_by = duplicate.needed_by
    flags = sorted(set(survivor.vulnerability) | set(duplicate.vulnerability))
    if flags != sorted(survivor.vulnerability):
        changes["vulnerable"] = True
        survivor.vulnerability = flags
    if not survivor.phone and duplicate.phone:
        survivor.phone, survivor.phone_hash = duplicate.phone, duplicate.phone_hash
        changes["contact"] = "added"
    survivor.contact_name = survivor.contact_name or duplicate.contact_name
    session.flush()
    refresh_sla(survivor, now, policy, restart="priority" in changes)
    log(session, duplicate, actor=actor, by=by, action="request.merged", now=now, clock=clock,
        payload={"into": survivor.reference})
    log(session, survivor, actor=actor, by=by, action="request.duplicate_merged", now=now,
        clock=clock, payload={"duplicate": duplicate.reference, "changes": changes})


def merge_duplicate(
    session: Session, *, principal: Principal, reference: str, into: str,
    clock: Clock | None = None, policy: DispatchPolicy | None = None,
) -> ResourceRequest:
    """Staff merge a duplicate the intake did not catch into the request it repeats.

    Triage staff where both requests are may do it, before anything is committed to the
    duplicate; the survivor must be open and ask for every item the duplicate asks for.
    """
    clock, policy = clock or SystemClock(), policy or DispatchPolicy()
    duplicate = lock_request(session, reference=reference)
    survivor = get_request(session, reference=into)
    if survivor.id == duplicate.id:
        raise ValidationFailed(_("A request cannot be merged into itself"),
                               code="merge_into_self", details={"field": "into"})
    for request in (duplicate, survivor):
        where = areas.get_area_by_id(session, area_id=request.area_id)
        require(principal, Permission.REQUEST_TRIAGE, area_path=where.path)
    check_allowed(duplicate, Action.MERGE)
    if survivor.status not in OPEN:
        raise Conflict(_("Request {value} is closed; merge into an open request"),
                       code="merge_target_closed", value=survivor.reference,
                       details={"field": "into"})
    if {ln.resource_type_id for ln in duplicate.lines} - \
            {ln.resource_type_id for ln in survivor.lines}:
        raise ValidationFailed(_("Request {value} does not ask for the same items"),
                               code="merge_different_items", value=survivor.reference,
                               details={"field": "into"})
    transition(session, duplicate, Action.MERGE)
    merge_into(session, duplicate, survivor, actor=principal.actor, by="staff", clock=clock,
               policy=policy)
    return survivor
