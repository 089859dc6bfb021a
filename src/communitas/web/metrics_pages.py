"""Participation metrics (docs/participation.md): is the work shared? The same figures as
``GET /api/metrics/participation`` for an area in scope and a period of China days, with
the share of tasks by kind of actor as an inline-SVG bar chart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from communitas.areas.codes import AreaKind
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.community.participation import MIN_TASKS, participation
from communitas.i18n import _
from communitas.routine.jobs import start_of
from communitas.web import charts, labels
from communitas.web.context import StaffDep, render
from communitas.web.forms import FormErrors
from communitas.web.lookups import area_choices
from communitas.web.nav import NAV, NavItem
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/metrics", _("Participation"), Permission.METRICS_READ))

__all__ = ["router"]

OVERLOADED = "#b3261e"


def _day(text: str, field: str, errors: FormErrors) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(field, _("Enter a date as YYYY-MM-DD"))
        return None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@router.get("/metrics")
def participation_page(
    page: StaffDep, area: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Who did the work in an area: shares by kind of actor, volunteers, call-outs."""
    require(page.staff, Permission.METRICS_READ)
    within = scope_code(page)
    choices = area_choices(page.session, kinds=(AreaKind.DISTRICT, AreaKind.STREET,
                                                AreaKind.COMMUNITY), within=within or None)
    chosen = area or within
    errors = FormErrors(page.locale)
    first, last = _day(since, "since", errors), _day(until, "until", errors)
    if first and last and last < first:
        errors.add("until", _("The period ends before it starts"))
    figures = None
    if not errors and chosen:
        figures = participation(
            page.session, principal=page.staff, area_code=chosen,
            since=start_of(first) if first else None,
            until=start_of(last + timedelta(days=1)) if last else None)
    bars = [] if figures is None else charts.bars(
        [(s.label_zh if page.locale == "zh_CN" else s.label_en, s.share,
          f"{s.tasks_done} · {_percent(s.share)}") for s in figures.by_actor_kind],
        scale=1.0, highlight={} if not figures.overloaded else {
            (figures.by_actor_kind[0].label_zh if page.locale == "zh_CN"
             else figures.by_actor_kind[0].label_en): OVERLOADED})
    return render(page, "metrics.html", status=422 if errors else 200,
                  title=page.t("Participation"), figures=figures, bars=bars,
                  choices=choices, values={"area": chosen, "since": since, "until": until},
                  errors=errors, percent=_percent, labels=labels, min_tasks=MIN_TASKS)
