"""Plan activations: the list in scope (newest first), what one switch activated — roles,
tasks, pre-positioning requests, alerts, neighbour checks, each with its status — and the
after-action report with inline-SVG charts (docs/activation.md, docs/web.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from communitas.alerts.models import Notice
from communitas.areas.models import Area
from communitas.auth.permissions import require
from communitas.auth.roles import ROLE_LABELS, Permission
from communitas.dispatch.models import ResourceRequest
from communitas.i18n import _
from communitas.modes import activation_reads, activation_report
from communitas.modes.activation_models import ActivationStatus, ItemKind
from communitas.modes.activation_schemas import ActivationDetail
from communitas.modes.levels import MODE_LABELS
from communitas.tasks import service as tasks
from communitas.web import charts, labels, work_labels
from communitas.web.context import Page, StaffDep, render
from communitas.web.nav import NAV, NavItem
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/activations", _("Activations"), Permission.ACTIVATION_READ))

__all__ = ["ACTIVATION_STATUS", "router"]

PAGE_SIZE = 50
MAX_TASKS = 2000
TIMELINE_ROWS = 200

ACTIVATION_STATUS: dict[str, str] = {
    ActivationStatus.ACTIVE: _("Active"),
    ActivationStatus.STOOD_DOWN: _("Stood down"),
    ActivationStatus.SUPERSEDED: _("Superseded by another plan"),
    ActivationStatus.FAILED: _("Failed, nothing kept"),
}
ITEM_STATE: dict[str, str] = {
    "issued": _("Issued"), "sent": _("Sent"), "scheduled": _("Scheduled"),
    "withdrawn": _("Withdrawn before sending"), "cancelled": _("Cancelled"),
}
TASK_OUTCOME: dict[str, str] = {
    "on_time": _("on time"), "late": _("late"), "overdue": _("overdue"), "open": _("open"),
    "closed_undone": _("closed undone"),
}
ACTOR_KIND: dict[str, str] = {
    **{role.value: label for role, label in ROLE_LABELS.items()},
    "resident": _("Residents"), "platform": _("The platform"), "user": _("Other accounts"),
}
TRIGGER: dict[str, str] = {"manual": _("Switched by hand")}


def one_language(text: str, locale: str) -> str:
    """Plan texts are stored as "中文 / English": the reader's half."""
    zh, sep, en = text.partition(" / ")
    if not sep:
        return text
    return zh if locale == "zh_CN" else en


@dataclass(frozen=True)
class IssuedTask:
    id: int
    title: str
    status: str
    due_at: datetime | None
    area_code: str
    assignee: str
    plan_code: str | None  # None: a neighbour check (mutual aid), not a plan task


@dataclass(frozen=True)
class IssuedRequest:
    reference: str
    status: str


@dataclass(frozen=True)
class IssuedAlert:
    id: int
    title: str
    state: str  # the notice's own state
    item_state: str  # sent, scheduled, withdrawn, cancelled
    due_at: datetime | None


@router.get("/activations")
def activation_list(
    page: StaffDep, status: Annotated[str, Query(max_length=16)] = "",
    area: Annotated[str | None, Query(max_length=32)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """Activations of the areas in scope, newest first."""
    require(page.staff, Permission.ACTIVATION_READ)
    chosen = ActivationStatus(status) if status in set(ActivationStatus) else None
    found = activation_reads.list_activations(
        page.session, principal=page.staff, status=chosen, within=area or None, page=number,
        page_size=PAGE_SIZE)
    names = _area_names(page, {a.area_code for a in found.items} | ({area} if area else set()))
    return render(page, "activations.html", title=page.t("Activations"), found=found,
                  names=names, chosen=chosen.value if chosen else "", area=area or "",
                  statuses=ACTIVATION_STATUS, mode_labels=MODE_LABELS, labels=labels,
                  number=number, last=(found.total + PAGE_SIZE - 1) // PAGE_SIZE)


def _area_names(page: Page, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = page.session.execute(select(Area.code, Area.name_zh, Area.name_en)
                                .where(Area.code.in_(sorted(codes)))).all()
    return {code: zh if page.locale == "zh_CN" else en for code, zh, en in rows}


@router.get("/activations/{activation_id}")
def activation_view(activation_id: int, page: StaffDep) -> Response:
    """What the switch activated, each step's status, and the after-action report."""
    detail = activation_reads.get_activation(page.session, principal=page.staff,
                                             activation_id=activation_id)
    report = activation_report.build_report(page.session, principal=page.staff,
                                            activation_id=activation_id)
    issued = _issued_tasks(page, detail)
    requests = _requests(page, detail)
    alerts = _alerts(page, detail)
    return render(page, "activation.html", title=page.t("Activation {id}", id=detail.id),
                  a=detail, area_name=_area_names(page, {detail.area_code}).get(
                      detail.area_code, detail.area_code),
                  plan_tasks=[t for t in issued if t.plan_code is not None],
                  checks=[t for t in issued if t.plan_code is None], requests=requests,
                  alerts=alerts, steps=_steps(detail, issued, requests, alerts),
                  report=report, charts=_charts(page, report),
                  timeline=[{**e, "when": datetime.fromisoformat(e["at"]),
                             "by": ACTOR_KIND.get(e["actor_kind"], _("Other accounts"))}
                            for e in report["timeline"][-TIMELINE_ROWS:]],
                  timeline_cut=max(0, len(report["timeline"]) - TIMELINE_ROWS),
                  statuses=ACTIVATION_STATUS, item_states=ITEM_STATE,
                  task_status=work_labels.TASK_STATUS, notice_state=work_labels.NOTICE_STATE,
                  request_status=labels.STATUS, mode_labels=MODE_LABELS, labels=labels,
                  trigger=TRIGGER.get(detail.trigger), one_language=one_language)


@router.get("/activations/{activation_id}/report.html")
def activation_report_page(activation_id: int, page: StaffDep) -> Response:
    """The stand-alone report (matplotlib charts) the CLI writes, to save or print."""
    from communitas.modes.activation_report_html import render_html

    report = activation_report.build_report(page.session, principal=page.staff,
                                            activation_id=activation_id)
    return HTMLResponse(render_html(report, lang=page.locale))


def _issued_tasks(page: Page, detail: ActivationDetail) -> list[IssuedTask]:
    """Every task the activation issued: the plan's (in its items) and the neighbour
    checks the mutual-aid step started with the same origin."""
    codes = {i.ref_id: i.code for i in detail.items if i.kind == ItemKind.TASK}
    found = tasks.list_tasks(page.session, principal=page.staff, source_kind="activation",
                             source_id=str(detail.id), page_size=MAX_TASKS).items
    return [IssuedTask(
        id=t.id, title=one_language(t.title, page.locale), status=t.status.value,
        due_at=t.due_at, area_code=t.area_code,
        assignee=t.assignee.code if t.assignee else "", plan_code=codes.get(t.id))
        for t in sorted(found, key=lambda t: t.id)]


def _requests(page: Page, detail: ActivationDetail) -> list[IssuedRequest]:
    ids = [i.ref_id for i in detail.items if i.kind == ItemKind.REQUEST]
    if not ids:
        return []
    rows = page.session.execute(select(ResourceRequest.reference, ResourceRequest.status)
                                .where(ResourceRequest.id.in_(ids))
                                .order_by(ResourceRequest.id)).all()
    return [IssuedRequest(reference, status.value) for reference, status in rows]


def _alerts(page: Page, detail: ActivationDetail) -> list[IssuedAlert]:
    items = {i.ref_id: i for i in detail.items if i.kind == ItemKind.ALERT}
    if not items:
        return []
    rows = page.session.execute(select(Notice.id, Notice.title_zh, Notice.title_en,
                                       Notice.state).where(Notice.id.in_(items))
                                .order_by(Notice.id)).all()
    return [IssuedAlert(id=i, title=zh if page.locale == "zh_CN" else en, state=state.value,
                        item_state=items[i].state, due_at=items[i].due_at)
            for i, zh, en, state in rows]


@dataclass(frozen=True)
class Step:
    label: str  # msgid
    total: int
    summary: list[tuple[str, int]]  # (status msgid, count)


def _tally(states: list[str], names: dict[str, str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    return [(names.get(s, s), n) for s, n in sorted(counts.items())]


def _steps(detail: ActivationDetail, issued: list[IssuedTask], requests: list[IssuedRequest],
           alerts: list[IssuedAlert]) -> list[Step]:
    filled = sum(1 for r in detail.roles if r.holder_code)
    roles = [(_("filled"), filled), (_("unstaffed"), len(detail.roles) - filled)]
    plan_tasks = [t.status for t in issued if t.plan_code is not None]
    checks = [t.status for t in issued if t.plan_code is None]
    return [
        Step(_("Roles assigned"), len(detail.roles), [x for x in roles if x[1]]),
        Step(_("Tasks issued"), len(plan_tasks), _tally(plan_tasks, work_labels.TASK_STATUS)),
        Step(_("Pre-positioning requests"), len(requests),
             _tally([r.status for r in requests], labels.STATUS)),
        Step(_("Alerts"), len(alerts), _tally([a.item_state for a in alerts], ITEM_STATE)),
        Step(_("Neighbour checks"), len(checks), _tally(checks, work_labels.TASK_STATUS)),
    ]


def _charts(page: Page, report: dict[str, Any]) -> dict[str, Any]:
    t = page.t
    task_bars = charts.bars(
        [(t(TASK_OUTCOME[k]), report["tasks"][k], str(report["tasks"][k])) for k in TASK_OUTCOME],
        highlight={t(TASK_OUTCOME["late"]): "#d9822b", t(TASK_OUTCOME["overdue"]): "#b3261e"})
    by_status = report["requests"]["by_status"]
    request_bars = charts.bars([(t(labels.STATUS.get(k, k)), n, str(n))
                                for k, n in sorted(by_status.items())])
    work = report["work_by_actor_kind"]
    work_bars = charts.bars([(t(ACTOR_KIND.get(k, _("Other accounts"))), n, str(n))
                             for k, n in sorted(work.items(), key=lambda x: -x[1])])
    scores = report["requests"]["ratings"]["scores"]
    score = {int(k): int(n) for k, n in scores.items()}
    rating_bars = charts.bars([(str(s), score.get(s, 0), str(score.get(s, 0)))
                               for s in range(1, 6)]) if score else []
    columns, width = charts.per_minute(datetime.fromisoformat(e["at"])
                                       for e in report["timeline"])
    return {"tasks": task_bars if report["tasks"]["total"] else [],
            "requests": request_bars, "work": work_bars, "ratings": rating_bars,
            "timeline": columns,
            "timeline_end": t("{minutes} min", minutes=len(columns) * width)}
