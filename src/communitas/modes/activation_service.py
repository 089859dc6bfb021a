"""Plan activation: a mode switch activates the matching plan in one step, all or nothing.

``after_switch`` is called by ``service.set_mode`` for every switch — by hand, by a trigger
that performs it, or by a commander confirming a proposal. It reconciles the switched area
and every street and community below it: an area whose effective mode and hazard now call
for a plan gets one activation (roles, tasks, pre-positioning requests, alerts — the steps
in ``activation_steps.ACTIVATION_STEPS``); an area whose active plan no longer fits has it
stood down first (``STAND_DOWN_STEPS``). Callers commit.

All or nothing: the steps of a batch run in one savepoint. If one fails, each activation of
the batch is retried alone in its own savepoint; one that still fails is kept as a
``failed`` activation with its error and nothing it began (no role, task, request or
notice). The mode switch itself stands — a broken plan must not lose a warning.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.auth.permissions import Principal
from communitas.clock import Clock, SystemClock
from communitas.db import insert_objects
from communitas.errors import CommunitasError
from communitas.events import EventDraft, record_events
from communitas.modes import activation as rules
from communitas.modes import plan_service
from communitas.modes import service as modes
from communitas.modes.activation_lookups import subtree_areas
from communitas.modes.activation_models import (
    Activation,
    ActivationItem,
    ActivationStatus,
    ItemKind,
)
from communitas.modes.activation_steps import (
    ACTIVATION,
    ACTIVATION_STEPS,
    STAND_DOWN_STEPS,
    Activating,
    Ending,
    SlotArea,
)
from communitas.modes.levels import Mode
from communitas.modes.machine import MODE_KINDS
from communitas.modes.models import ModeProposal, ModeWarning, ResponsePlan

__all__ = [
    "after_switch", "reconcile", "send_due_alerts", "together",
]

_DEFERRED = "communitas.activations.deferred"

_LEVEL_BOTH = {m: (rules.LEVEL_TEXT.get(m, ("常态", "normal"))) for m in Mode}


def _warning_for(session: Session, trigger: str) -> ModeWarning | None:
    """The warning behind a switch: ``warning:ID`` (performed) or ``proposal:ID``."""
    kind, _sep, ref = trigger.partition(":")
    if not ref.isdigit():
        return None
    if kind == "warning":
        return session.get(ModeWarning, int(ref))
    if kind == "proposal":
        proposal = session.get(ModeProposal, int(ref))
        if proposal is not None and proposal.warning_id is not None:
            return session.get(ModeWarning, proposal.warning_id)
    return None


@dataclass(frozen=True)
class _Switch:
    area: Area
    actor: str
    trigger: str
    warning: ModeWarning | None
    requested_at: datetime


def after_switch(session: Session, *, area: Area, principal: Principal, trigger: str,
                 requested_at: datetime, clock: Clock | None = None) -> list[Activation]:
    """Bring the plans of ``area`` and its subtree in line with their modes after a switch.

    Latency counts from the warning's arrival when a warning performed the switch, else from
    the switch request (a commander's confirmation of a proposal is such a request). Inside
    :func:`together` the work waits for the end of the block and is done in one batch.
    """
    warning = _warning_for(session, trigger)
    if warning is not None and trigger.startswith("warning:"):
        requested_at = warning.received_at
    switch = _Switch(area, principal.actor, trigger, warning, requested_at)
    if _DEFERRED in session.info:
        session.info[_DEFERRED].append(switch)
        return []
    return reconcile(session, roots=[area], actor=switch.actor, trigger=trigger,
                     warning=warning, requested_at=requested_at, clock=clock)


@contextmanager
def together(session: Session, *, clock: Clock | None = None) -> Iterator[None]:
    """Activate the plans of every switch made in the block at its end, as one batch (a
    warning covering twenty communities switches them one by one, then activates once)."""
    if _DEFERRED in session.info:
        yield
        return
    session.info[_DEFERRED] = []
    try:
        yield
        switches: list[_Switch] = session.info[_DEFERRED]
    finally:
        session.info.pop(_DEFERRED, None)
    if switches:
        first = switches[0]
        reconcile(session, roots=[s.area for s in switches], actor=first.actor,
                  trigger=first.trigger, warning=first.warning,
                  requested_at=min(s.requested_at for s in switches), clock=clock)


def _plan_for(plans: dict[tuple[str, Mode, str], ResponsePlan], hazard: str | None,
              level: Mode, kind: str) -> ResponsePlan | None:
    if hazard is None:
        return None
    levels = [lv for (h, lv, k) in plans if h == hazard and k == kind]
    chosen = rules.pick_plan_level(levels, level)
    return plans[(hazard, chosen, kind)] if chosen is not None else None


def _outermost(roots: list[Area]) -> list[Area]:
    out: list[Area] = []
    for area in sorted({a.path: a for a in roots}.values(), key=lambda a: a.path):
        if not out or not area.path.startswith(out[-1].path):
            out.append(area)
    return out


def reconcile(session: Session, *, roots: list[Area], actor: str, trigger: str,
              warning: ModeWarning | None, requested_at: datetime,
              clock: Clock | None = None) -> list[Activation]:
    """Stand down plans that no longer fit and activate those now called for, in the
    subtrees of ``roots``."""
    clock = clock or SystemClock()
    started = time.perf_counter()
    outer = _outermost(roots)
    tops = [_root_of(session, outer, min(outer, key=lambda a: a.depth))] \
        if len({a.path.split("/")[1] for a in outer}) == 1 else outer  # one tree, one query
    mode_areas: list[Area] = []
    effective = {}
    for top in tops:
        mode_areas += [a for a in subtree_areas(session, top, [k.value for k in MODE_KINDS])
                       if any(a.path.startswith(r.path) for r in outer)]
        effective.update({e.area_code: e for e in modes.effective_modes(session,
                                                                        within=top.code)})
    active = {a.area_id: a for a in session.execute(select(Activation).where(
        Activation.area_id.in_([a.id for a in mode_areas]),
        Activation.status == ActivationStatus.ACTIVE)).scalars()}
    plans = {(r.hazard, r.level, r.area_kind): r for r in plan_service.latest_plans(session)}
    endings: list[tuple[Activation, ResponsePlan | None, Mode]] = []
    starts: list[tuple[Area, ResponsePlan, Mode, str]] = []
    for area in mode_areas:
        seen = effective[area.code]
        hazard = rules.canonical_hazard(seen.hazard)
        plan = _plan_for(plans, hazard, seen.mode, area.kind.value)
        current = active.get(area.id)
        if current is not None and plan is not None and current.plan_id == plan.id:
            current.level = seen.mode
            continue
        if current is not None:
            endings.append((current, plan, seen.mode))
        if plan is not None and hazard is not None:
            starts.append((area, plan, seen.mode, hazard))
    if endings:
        _stand_down(session, endings, actor, clock)
    made = _start(session, starts, actor=actor, trigger=trigger, warning=warning,
                  requested_at=requested_at, clock=clock, started=started) if starts else []
    by_area = {row.area_id: row for row in made if row.status is ActivationStatus.ACTIVE}
    for old, _plan, _mode in endings:
        successor = by_area.get(old.area_id)
        old.successor_id = successor.id if successor else None
    session.flush()
    return made


# --- start ----------------------------------------------------------------------------------

def _start(session: Session, starts: list[tuple[Area, ResponsePlan, Mode, str]], *,
           actor: str, trigger: str, warning: ModeWarning | None, requested_at: datetime,
           clock: Clock, started: float) -> list[Activation]:
    now = clock.now()
    rows = [Activation(
        area_id=area.id, area_code=area.code, area_kind=area.kind.value, hazard=hazard,
        level=mode, plan_id=plan.id, plan_level=plan.level, plan_version=plan.version,
        status=ActivationStatus.ACTIVE, trigger=trigger[:300],
        warning_id=warning.id if warning else None, activated_by=actor,
        requested_at=requested_at, activated_at=now, counts={})
        for area, plan, mode, hazard in starts]
    insert_objects(session, rows)  # one multi-row INSERT, not one INSERT per activation
    expires = warning.expires_at if warning is not None and warning.expires_at > now else None
    contexts = _contexts(session, rows, starts, expires)
    try:
        with session.begin_nested():
            _run(session, contexts, clock)
        done = contexts
    except (CommunitasError, SQLAlchemyError):
        done = _one_by_one(session, rows, starts, expires, clock)
    _finish(session, done, rows, clock, started)
    return rows


def _contexts(session: Session, rows: list[Activation],
              starts: list[tuple[Area, ResponsePlan, Mode, str]],
              expires: datetime | None) -> list[Activating]:
    plans = {plan.id: plan for _a, plan, _m, _h in starts}
    parsed = {plan_id: plan_service.plan_document(plan) for plan_id, plan in plans.items()}
    docs = [parsed[plan.id] for _a, plan, _m, _h in starts]  # read-only: shared per plan
    per = {r.per for doc in docs for r in doc.roles} | {"community"}
    top = min((a for a, _p, _m, _h in starts), key=lambda a: a.depth)
    pools = _slot_pools(session, _root_of(session, [a for a, *_rest in starts], top),
                        [p for p in per if p != "plan"])
    contexts = []
    for row, (area, _plan, _mode, _hazard), doc in zip(rows, starts, docs, strict=True):
        low, high = area.subtree_bounds()  # the subtree is a range of sorted paths
        slot_areas = {"plan": [SlotArea(area.code, area.path)]} | {
            p: pool[bisect_left(paths, low):bisect_left(paths, high)]
            for p, (paths, pool) in pools.items()}
        contexts.append(Activating(row=row, area=area, plan=doc, plan_path=area.path,
                                   slot_areas=slot_areas, expires_at=expires))
    return contexts


def _slot_pools(session: Session, root: Area, kinds: list[str]
                ) -> dict[str, tuple[list[str], list[SlotArea]]]:
    """Per area kind, the sorted paths and the slot areas of that kind in ``root``'s subtree.

    Code and path only: a district's buildings as ORM rows (geometry parsed) cost more
    than the rest of an activation's look-ups."""
    pools: dict[str, tuple[list[str], list[SlotArea]]] = {k: ([], []) for k in kinds}
    if not kinds:
        return pools
    low, high = root.subtree_bounds()
    for code, path, kind in session.execute(select(Area.code, Area.path, Area.kind).where(
            Area.path >= low, Area.path < high, Area.kind.in_(sorted(kinds)))
            .order_by(Area.path)):
        pools[kind.value][1].append(SlotArea(code, path))
    for paths, pool in pools.values():
        pool.sort(key=lambda a: a.path)  # bisected below: Python's order, not the collation's
        paths += [a.path for a in pool]
    return pools


def _root_of(session: Session, chosen: list[Area], top: Area) -> Area:
    common = top.path
    for area in chosen:
        while not area.path.startswith(common):
            common = common[:common[:-1].rfind("/") + 1]
    if common == top.path:
        return top
    return session.get_one(Area, int(common.strip("/").split("/")[-1]))


def _run(session: Session, batch: list[Activating], clock: Clock) -> None:
    for step in ACTIVATION_STEPS:
        step(session, batch, clock)


def _one_by_one(session: Session, rows: list[Activation],
                starts: list[tuple[Area, ResponsePlan, Mode, str]], expires: datetime | None,
                clock: Clock) -> list[Activating]:
    done = []
    for row, start in zip(rows, starts, strict=True):
        (context,) = _contexts(session, [row], [start], expires)
        try:
            with session.begin_nested():
                _run(session, [context], clock)
        except (CommunitasError, SQLAlchemyError) as exc:
            row.status = ActivationStatus.FAILED
            row.error = _describe(exc)
            continue
        done.append(context)
    return done


def _describe(exc: Exception) -> str:
    if isinstance(exc, CommunitasError):
        return f"{exc.code}: {exc.message.format(**exc.params) if exc.params else exc.message}"
    return f"database: {type(exc).__name__}"


def _finish(session: Session, done: list[Activating], rows: list[Activation], clock: Clock,
            started: float) -> None:
    ready = clock.now()
    work_ms = round((time.perf_counter() - started) * 1000)
    drafts = []
    for context in done:
        row = context.row
        row.ready_at, row.work_ms = ready, work_ms
        row.latency_ms = max(0, round((ready - row.requested_at).total_seconds() * 1000))
        row.counts = {"roles_filled": 0, "roles_unstaffed": 0, "tasks": 0, "requests": 0,
                      "alerts": 0, **context.counts}
        drafts.append(EventDraft("activation.started", "activation", row.id, row.area_code, {
            "hazard": row.hazard, "level": row.level.value,
            "plan_level": row.plan_level.value if row.plan_level else None,
            "plan_version": row.plan_version, "trigger": row.trigger,
            "warning_id": row.warning_id, "requested_at": row.requested_at.isoformat(),
            "latency_ms": row.latency_ms, "counts": row.counts,
            "roles": [{"key": f.slot.role.key.value, "slot": f.slot.area_code,
                       "holders": [f"{h.kind}:{h.code}" for h in f.holders]}
                      for f in context.filled[:300]]}))
    drafts += [EventDraft("activation.failed", "activation", row.id, row.area_code, {
        "hazard": row.hazard, "level": row.level.value, "error": row.error})
        for row in rows if row.status is ActivationStatus.FAILED]
    record_events(session, actor=ACTIVATION.actor, drafts=drafts, clock=clock)
    session.flush()


# --- stand down -----------------------------------------------------------------------------

def _reason(row: Activation, plan: ResponsePlan | None, mode: Mode) -> str:
    was, now = _LEVEL_BOTH[row.level], _LEVEL_BOTH[mode]
    if plan is not None:
        return f"{was[0]}响应由{now[0]}预案接替 / The {was[1]} response is superseded by " \
               f"the {now[1]} plan"
    return f"{was[0]}响应结束，转入{now[0]} / The {was[1]} response has ended ({now[1]})"


def _stand_down(session: Session, endings: list[tuple[Activation, ResponsePlan | None, Mode]],
                actor: str, clock: Clock) -> None:
    now = clock.now()
    batch = [Ending(row=row, reason=_reason(row, plan, mode)) for row, plan, mode in endings]
    for step in STAND_DOWN_STEPS:
        step(session, batch, clock)
    drafts = []
    for ending, (_row, plan, mode) in zip(batch, endings, strict=True):
        row = ending.row
        row.status = ActivationStatus.SUPERSEDED if plan is not None \
            else ActivationStatus.STOOD_DOWN
        row.ended_at, row.ended_by, row.end_reason = now, actor, ending.reason
        row.counts = {**row.counts, **ending.counts}
        drafts.append(EventDraft("activation.ended", "activation", row.id, row.area_code, {
            "status": row.status.value, "to_mode": mode.value, "reason": ending.reason,
            **ending.counts}))
    record_events(session, actor=ACTIVATION.actor, drafts=drafts, clock=clock)
    session.flush()


# --- scheduled alerts -----------------------------------------------------------------------

def send_due_alerts(session: Session, *, clock: Clock | None = None) -> list[int]:
    """Send the plan alerts whose ``send_at`` has come (the scheduler runs this each minute)."""
    from communitas.alerts import notice_batch

    clock = clock or SystemClock()
    due = list(session.execute(select(ActivationItem).join(
        Activation, Activation.id == ActivationItem.activation_id).where(
        ActivationItem.kind == ItemKind.ALERT, ActivationItem.state == "scheduled",
        ActivationItem.due_at <= clock.now(),
        Activation.status == ActivationStatus.ACTIVE).order_by(ActivationItem.id)).scalars())
    if not due:
        return []
    sent = [item.ref_id for item in due]
    notice_batch.send_notices(session, principal=ACTIVATION, notice_ids=sent, clock=clock)
    for item in due:
        item.state = "sent"
    session.flush()
    return sent
