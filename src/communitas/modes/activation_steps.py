"""The steps of an activation and of a stand-down, each over a batch of activations.

``ACTIVATION_STEPS`` lists, in order, what an activation does; ``STAND_DOWN_STEPS`` what
ending one does. To extend activation (say, mutual-aid tasks at the start of an emergency),
write ``def step(session, batch, clock)`` and append it to the list: it runs in the same
transaction, and a failure in it undoes the whole activation like any other step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from communitas.alerts import notice_batch
from communitas.alerts import notice_service as notices
from communitas.alerts.models import Notice, NoticeState
from communitas.alerts.notice_batch import Composing
from communitas.alerts.schemas import NoticeCancel, NoticeCreate
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.clock import Clock
from communitas.community.checks import CheckRun, start_checks_many
from communitas.config import get_settings
from communitas.db import IN_CHUNK, insert_many
from communitas.dispatch import cancel_batch
from communitas.dispatch.acceptance import Pending, accept_submissions
from communitas.dispatch.cancel_batch import RequestCancel
from communitas.dispatch.intake_lookups import IntakeLookups
from communitas.dispatch.models import RequesterKind, ResourceRequest
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import ItemsLine, PeopleLine, RequestCreate
from communitas.dispatch.service import DispatchPolicy, log_draft
from communitas.dispatch.triage import RoutingMemo, place_in_queue, route_request
from communitas.errors import CommunitasError
from communitas.events import EventDraft, record_events
from communitas.modes import activation as rules
from communitas.modes.activation_models import (
    Activation,
    ActivationItem,
    ActivationRole,
    ItemKind,
)
from communitas.modes.plan_terms import POINTS
from communitas.modes.plans import PlanDocument, PlanRoleKey, Preposition
from communitas.resources import service as resources
from communitas.resources.models import ResourceKind
from communitas.tasks import service as tasks
from communitas.tasks.schemas import TaskCreate

__all__ = [
    "ACTIVATION", "ACTIVATION_STEPS", "STAND_DOWN_STEPS", "Activating", "Ending", "SlotArea",
    "route_prepositioning",
]

# Activation acts as the platform: the plan, approved when it was imported, is the authority
# for what it does; the person or trigger that switched the mode needed mode.set only.
ACTIVATION = Principal(username="system:activation", role=Role.PLATFORM_ADMIN, scope_path="/")
OPEN_REQUESTS = ("submitted", "verified", "approved", "committed", "in_transit")
ROUTABLE = ("submitted", "verified", "approved")  # pre-positioning not yet committed


class SlotArea(NamedTuple):
    """An area a plan role has a slot in: its code and path are all the steps use."""

    code: str
    path: str


@dataclass
class Activating:
    """One activation being built: its row, area, plan and what the steps made."""

    row: Activation
    area: Area
    plan: PlanDocument
    plan_path: str
    slot_areas: dict[str, list[SlotArea]]  # per → the areas of its slots
    expires_at: datetime | None
    filled: list[rules.Filled] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # activation_items rows
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Ending:
    row: Activation
    reason: str
    counts: dict[str, int] = field(default_factory=dict)


Step = Callable[[Session, list[Activating], Clock], None]
EndStep = Callable[[Session, list[Ending], Clock], None]


def _item(act: Activating, kind: ItemKind, ref_id: int, code: str, due_at: datetime | None,
          state: str = "issued") -> dict[str, Any]:
    return {"activation_id": act.row.id, "kind": kind, "ref_id": ref_id, "code": code,
            "due_at": due_at, "state": state}


def _both(zh: str, en: str, limit: int = 200) -> str:
    return f"{zh} / {en}"[:limit]


# --- roles ----------------------------------------------------------------------------------

def assign_roles(session: Session, batch: list[Activating], clock: Clock) -> None:
    from communitas.modes.activation_lookups import candidates

    if not batch:
        return
    refs = {r.default_holder for a in batch for r in a.plan.roles}
    root = _common_root(session, batch)
    ancestors = [int(p) for p in root.path.strip("/").split("/") if p][:-1]
    pool = candidates(session, root, ancestors, refs)
    pools = rules.candidate_pools(pool)
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for act in batch:
        slots = [rules.Slot(role, area.code, area.path) for role in act.plan.roles
                 for area in act.slot_areas[role.per]]
        act.filled = rules.assign_holders(slots, pool, act.plan_path, pools=pools)
        rows += [_role_row(act.row, f.slot, h, now) for f in act.filled for h in f.holders]
        rows += [_role_row(act.row, f.slot, None, now) for f in act.filled if not f.holders]
        act.counts["roles_filled"] = sum(1 for f in act.filled if f.holders)
        act.counts["roles_unstaffed"] = sum(1 for f in act.filled if not f.holders)
    insert_many(session, ActivationRole, rows)


def _common_root(session: Session, batch: list[Activating]) -> Area:
    """The deepest area whose subtree holds every activation of the batch."""
    paths = [a.area.path for a in batch]
    common = paths[0]
    for path in paths[1:]:
        while not path.startswith(common):
            common = common[:common[:-1].rfind("/") + 1]
    for act in batch:
        if act.area.path == common:
            return act.area
    area_id = int(common.strip("/").split("/")[-1])
    return session.get_one(Area, area_id)


def _role_row(row: Activation, slot: rules.Slot, holder: rules.Candidate | None,
              now: datetime) -> dict[str, Any]:
    return {
        "activation_id": row.id, "role_key": slot.role.key.value,
        "title_zh": slot.role.title.zh, "title_en": slot.role.title.en,
        "slot_code": slot.area_code, "holder_ref": slot.role.default_holder,
        "holder_kind": holder.kind if holder else None,
        "holder_code": holder.code if holder else None,
        "user_id": holder.id if holder and holder.kind == "user" else None,
        "person_id": holder.id if holder and holder.kind == "person" else None,
        "organisation_id": holder.id if holder and holder.kind == "organisation" else None,
        "assigned_at": now if holder else None, "released_at": None}


# --- tasks ----------------------------------------------------------------------------------

def issue_tasks(session: Session, batch: list[Activating], clock: Clock) -> None:
    items: list[TaskCreate] = []
    owners: list[tuple[Activating, str]] = []
    for act in batch:
        by_role: dict[PlanRoleKey, list[rules.Filled]] = {}
        for filled in act.filled:
            by_role.setdefault(filled.slot.role.key, []).append(filled)
        priority = 2 if act.row.level.value in ("level_i", "level_ii") else 3
        description = _both(act.plan.name.zh, act.plan.name.en, 2000)
        for task in act.plan.tasks:
            slots = by_role.get(task.role)
            if not slots:
                continue
            # The same for every slot of the task: worked out once (a city's plans have
            # tens of thousands of slots).
            title, due_at = _both(task.title.zh, task.title.en), \
                rules.due(act.row.activated_at, task.deadline)
            checklist = [_both(c.zh, c.en) for c in task.checklist]
            for filled in slots:
                holder = filled.holders[0] if filled.holders else None
                org = holder is not None and holder.kind == "organisation"
                items.append(TaskCreate(
                    title=title, description=description, priority=priority, due_at=due_at,
                    area_code=filled.slot.area_code, checklist=checklist,
                    assignee_person_code=holder.person_code if holder and not org else None,
                    assignee_org_code=holder.code if holder and org else None,
                    source_kind="activation", source_id=str(act.row.id)))
                owners.append((act, task.code))
    made = tasks.create_task_rows(session, principal=ACTIVATION, items=items, clock=clock)
    for (act, code), item, task_id in zip(owners, items, made, strict=True):
        act.items.append(_item(act, ItemKind.TASK, task_id, code, item.due_at))
        act.counts["tasks"] = act.counts.get("tasks", 0) + 1


# --- pre-positioning ------------------------------------------------------------------------

def request_prepositioning(session: Session, batch: list[Activating], clock: Clock) -> None:
    """Each point's "move N of X to Y" lines become one request placed by the platform for
    the community (a street plan's on the street's first community): verified at once, in
    the community's queue. Routing up the levels follows (``route_prepositioning``)."""
    lookups = IntakeLookups(ttl=60)
    pending: list[Pending] = []
    owners: list[tuple[Activating, str, datetime]] = []
    for act in batch:
        place = act.area if act.area.kind is AreaKind.COMMUNITY else \
            (act.slot_areas["community"] or [SlotArea(act.area.code, act.area.path)])[0]
        by_point: dict[str, list[Preposition]] = {}
        for move in act.plan.prepositioning:
            by_point.setdefault(move.to, []).append(move)
        for point, moves in by_point.items():
            needed = min(rules.due(act.row.activated_at, m.deadline) for m in moves)
            label = POINTS[point]
            pending.append(Pending(data=RequestCreate(
                requester_kind=RequesterKind.COMMUNITY, area_code=place.code, priority=2,
                needed_by=needed, lines=_lines(session, lookups, moves),
                description=_both(f"预置到{label[0]}（启动 #{act.row.id}）",
                                  f"Pre-positioning to {label[1]} (activation #{act.row.id})",
                                  2000)),
                principal=ACTIVATION, client=f"activation:{act.row.id}",
                idempotency_key=f"activation-{act.row.id}-{point}"))
            owners.append((act, point, needed))
    if not pending:
        return
    policy = replace(DispatchPolicy(), rate_limit=1_000_000)
    outcomes = accept_submissions(session, items=pending, now=clock.now(), policy=policy,
                                  lookups=lookups)
    for outcome in outcomes:
        if isinstance(outcome, CommunitasError):
            raise outcome
    rows = [o for o in outcomes if not isinstance(o, CommunitasError)]
    for (act, code, needed), row in zip(owners, rows, strict=True):
        act.items.append(_item(act, ItemKind.REQUEST, row.id, code, needed))
        act.counts["requests"] = act.counts.get("requests", 0) + 1


def _lines(session: Session, lookups: IntakeLookups,
           moves: list[Preposition]) -> list[ItemsLine | PeopleLine]:
    """One line per resource type (a type sent twice to one point is added up)."""
    totals: dict[str, int] = {}
    for move in moves:
        totals[move.resource_type] = totals.get(move.resource_type, 0) + move.quantity
    lines: list[ItemsLine | PeopleLine] = []
    for code, quantity in totals.items():
        rtype = lookups.resource_type(session, code)  # an unknown type fails the activation
        lines.append(PeopleLine(kind="people", resource_type_code=rtype.code,
                                head_count=quantity) if rtype.kind is ResourceKind.TEAM
                     else ItemsLine(resource_type_code=rtype.code, quantity=quantity))
    return lines


def route_prepositioning(session: Session, *, clock: Clock, limit: int = 500,
                         memo: Callable[[Session], RoutingMemo] | None = None) -> list[str]:
    """Route activation requests not yet routed to the lowest level whose stock can meet
    them, as triage does but never merging them into another request (a plan's
    pre-positioning is its own to cancel). The scheduler runs it every few seconds, with a
    standing memo (``memo``: places and stock kept between runs, caught up from the event
    log); by default a fresh memo."""
    # Most runs find nothing: the untriaged requests (an index range, usually empty) are
    # looked at before the activation items (a scan of them all).
    if session.execute(select(ResourceRequest.id).where(
            ResourceRequest.triaged_at.is_(None)).limit(1)).first() is None:
        return []
    ids = select(ActivationItem.ref_id).where(ActivationItem.kind == ItemKind.REQUEST)
    rows = list(session.execute(select(ResourceRequest).where(
        ResourceRequest.id.in_(ids), ResourceRequest.triaged_at.is_(None))
        .order_by(ResourceRequest.id).limit(limit)).scalars())
    if not rows:
        return []
    now, policy = clock.now(), DispatchPolicy()
    # routing moves no stock: places and stock looked up once per area
    routing = memo(session) if memo is not None else RoutingMemo()
    on = resources.today(clock)
    routing.prepare(session, [r for r in rows if r.status.value in ROUTABLE], on)
    drafts: list[EventDraft] = []  # one events INSERT for the batch
    for request in rows:
        request.triaged_at = now
        if request.status.value not in ROUTABLE:
            continue
        place = routing.place(session, request.area_id)
        decision = route_request(session, request, place, floor=Level.COMMUNITY, on=on,
                                 memo=routing)
        place_in_queue(session, request, decision, place, now=now, policy=policy)
        drafts.append(log_draft(request, area_code=place.area.code, by="staff",
                                action="request.queued", now=now,
                                payload={"level": request.queue_level.value,
                                         "coverage": round(decision.coverage, 3)}))
    record_events(session, actor=ACTIVATION.actor, drafts=drafts, clock=clock)
    session.flush()
    return [request.reference for request in rows]


# --- alerts ---------------------------------------------------------------------------------

def plan_approver(row: Activation) -> Principal:
    """Plan alerts are pre-approved: the approval is the plan's own (reviewed on import)."""
    return Principal(username=f"plan:{row.hazard}/{row.plan_level}/v{row.plan_version}"[:64],
                     role=Role.PLATFORM_ADMIN, scope_path="/")


def issuer_for(code: str) -> notices.Issuer:
    """Each area issues its own alerts (GB/T 35965.1 allows ten a second per unit): the
    configured unit's sector with the area's (``code``'s) district, street and community
    numbers."""
    base = notices.Issuer.from_settings(get_settings())
    street = code[6:9] if len(code) >= 9 else "000"
    extension = code[10:12] if len(code) >= 12 else "00"
    return notices.Issuer(sender=base.sender,
                          unit_code=f"{code[:6]}{base.unit_code[6:9]}{street}{extension}")


def queue_alerts(session: Session, batch: list[Activating], clock: Clock) -> None:
    """Compose each plan alert as a notice, approve it on the plan's authority, and send it
    now (its deliveries queued in the outbox) or keep it for its ``send_at``: the notice
    services' rules, a step at a time for the whole batch."""
    now = clock.now()
    composing: list[Composing] = []
    owners: list[tuple[Activating, str, datetime]] = []
    for act in batch:
        issuer = issuer_for(act.area.code)
        for alert in act.plan.alerts:
            texts = rules.alert_texts(alert, act.plan, area_name=(act.area.name_zh,
                                                                 act.area.name_en),
                                      level=act.row.level, at=act.row.activated_at)
            composing.append(Composing(issuer=issuer, data=NoticeCreate.model_validate({
                "hazard": act.row.hazard, "severity": rules.notice_severity(act.row.level),
                "urgency": "Immediate", "scope": rules.alert_scope(alert),
                "area_codes": [act.area.code], "channels": rules.notice_channels(alert),
                "expires_at": act.expires_at, **texts})))
            owners.append((act, alert.code, rules.due(act.row.activated_at, alert.send_at)))
    if not composing:
        return
    made = notice_batch.compose_notices(session, principal=ACTIVATION, items=composing,
                                        clock=clock)
    approvers = {id(act): plan_approver(act.row) for act in batch}
    notice_batch.approve_notices(session, clock=clock, approvals=[
        (notice.id, approvers[id(act)]) for notice, (act, _c, _a) in zip(made, owners,
                                                                          strict=True)])
    notice_batch.send_notices(session, principal=ACTIVATION, clock=clock, notice_ids=[
        notice.id for notice, (_act, _c, at) in zip(made, owners, strict=True) if at <= now])
    for notice, (act, code, at) in zip(made, owners, strict=True):
        act.items.append(_item(act, ItemKind.ALERT, notice.id, code, at,
                               "sent" if at <= now else "scheduled"))
        act.counts["alerts"] = act.counts.get("alerts", 0) + 1


def save_items(session: Session, batch: list[Activating], clock: Clock) -> None:
    insert_many(session, ActivationItem, [item for act in batch for item in act.items])


def start_neighbour_checks(session: Session, batch: list[Activating], clock: Clock) -> None:
    """Check-on-your-neighbour tasks for the community's mutual-aid pairs (docs/mutual-aid.md);
    issued per community activation, so a street's plan does not issue them twice."""
    communities = [act for act in batch if act.area.kind is AreaKind.COMMUNITY]
    started = start_checks_many(session, source_kind="activation", principal=ACTIVATION,
                                clock=clock, runs=[CheckRun(act.area.code, str(act.row.id))
                                                   for act in communities])
    for act, result in zip(communities, started, strict=True):
        act.counts["neighbour_checks"] = result.created


ACTIVATION_STEPS: list[Step] = [assign_roles, issue_tasks, request_prepositioning,
                                queue_alerts, start_neighbour_checks, save_items]


# --- stand-down -----------------------------------------------------------------------------

def _items(session: Session, batch: list[Ending], kind: ItemKind
           ) -> dict[int, list[ActivationItem]]:
    """Activation id → its items of ``kind`` in id order, for the whole batch."""
    found: dict[int, list[ActivationItem]] = {e.row.id: [] for e in batch}
    ids = sorted(found)
    for start in range(0, len(ids), IN_CHUNK):
        for item in session.execute(select(ActivationItem).where(
                ActivationItem.activation_id.in_(ids[start:start + IN_CHUNK]),
                ActivationItem.kind == kind).order_by(ActivationItem.id)).scalars():
            found[item.activation_id].append(item)
    return found


def close_tasks(session: Session, batch: list[Ending], clock: Clock) -> None:
    closed = tasks.stand_down_many(
        session, principal=ACTIVATION, source_kind="activation",
        origins=[(str(ending.row.id), ending.reason) for ending in batch], clock=clock)
    for ending, tasks_closed in zip(batch, closed, strict=True):
        ending.counts["tasks_closed"] = len(tasks_closed)


def cancel_requests(session: Session, batch: list[Ending], clock: Clock) -> None:
    """Pre-positioning not yet delivered is cancelled: committed stock goes back to its
    holding. Delivered stock stays where it was taken (returning it is a new request)."""
    items = _items(session, batch, ItemKind.REQUEST)
    ids = sorted({i.ref_id for found in items.values() for i in found})
    open_ids: dict[int, str] = {}
    for start in range(0, len(ids), IN_CHUNK):
        open_ids.update(session.execute(select(ResourceRequest.id, ResourceRequest.reference)
                                        .where(ResourceRequest.id.in_(ids[start:start + IN_CHUNK]),
                                               ResourceRequest.status.in_(OPEN_REQUESTS))).all())
    cancels: list[RequestCancel] = []
    for ending in batch:
        mine = sorted({i.ref_id for i in items[ending.row.id]} & set(open_ids))
        cancels += [RequestCancel(open_ids[i], ending.reason) for i in mine]
        ending.counts["requests_cancelled"] = len(mine)
    if cancels:
        cancel_batch.cancel_requests(session, principal=ACTIVATION, items=cancels,
                                     clock=clock)


def cancel_alerts(session: Session, batch: list[Ending], clock: Clock) -> None:
    """Sent alerts get a CAP Cancel (pre-approved like the alert); scheduled ones are
    withdrawn before they go out."""
    items = _items(session, batch, ItemKind.ALERT)
    sent_ids = sorted({i.ref_id for found in items.values() for i in found if i.state == "sent"})
    still_sent: set[int] = set()  # ids only: a notice row parses five JSON columns
    for start in range(0, len(sent_ids), IN_CHUNK):
        still_sent.update(session.execute(select(Notice.id).where(
            Notice.id.in_(sent_ids[start:start + IN_CHUNK]),
            Notice.state == NoticeState.SENT)).scalars())
    cancelling: list[notice_batch.Cancelling] = []
    approvers: list[Principal] = []
    for ending in batch:
        issuer = issuer_for(ending.row.area_code)  # codes never change
        cancelled = withdrawn = 0
        for item in items[ending.row.id]:
            if item.state == "scheduled":
                item.state, withdrawn = "withdrawn", withdrawn + 1
            elif item.state == "sent" and item.ref_id in still_sent:
                cancelling.append(notice_batch.Cancelling(
                    notice_id=item.ref_id, issuer=issuer,
                    data=NoticeCancel(note=ending.reason[:500])))
                approvers.append(plan_approver(ending.row))
                item.state, cancelled = "cancelled", cancelled + 1
        ending.counts["alerts_cancelled"], ending.counts["alerts_withdrawn"] = \
            cancelled, withdrawn
    if not cancelling:
        return
    made = notice_batch.cancel_notices(session, principal=ACTIVATION, items=cancelling,
                                       clock=clock)
    notice_batch.approve_notices(session, clock=clock, approvals=[
        (cancel.id, who) for cancel, who in zip(made, approvers, strict=True)])
    notice_batch.send_notices(session, principal=ACTIVATION, clock=clock,
                              notice_ids=[cancel.id for cancel in made])


def release_roles(session: Session, batch: list[Ending], clock: Clock) -> None:
    ids = sorted(e.row.id for e in batch)
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(update(ActivationRole).where(
            ActivationRole.activation_id.in_(ids[start:start + IN_CHUNK]),
            ActivationRole.released_at.is_(None)).values(released_at=clock.now()),
            execution_options={"synchronize_session": False})
    session.flush()


STAND_DOWN_STEPS: list[EndStep] = [close_tasks, cancel_requests, cancel_alerts, release_roles]
