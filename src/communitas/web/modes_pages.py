"""Modes and plans: switch an area's level with a reason, see which plan it activates, the
plan library, one plan, and plan editing with validation errors shown by line.

The switch result lists what the switch activated (one plan activation per area it
reached), and each raised area its latest activation, linking to /activations/{id}.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError

from communitas.areas.codes import AreaKind
from communitas.areas.schemas import HAZARDS
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.errors import CommunitasError, ImportRejected, NotFound
from communitas.i18n import _
from communitas.modes import activation_reads, plan_service
from communitas.modes import service as modes
from communitas.modes.activation_schemas import ActivationRead
from communitas.modes.levels import MODE_COLOUR, MODE_LABELS, Mode
from communitas.modes.machine import MODE_KINDS
from communitas.modes.plans import dump_plans
from communitas.modes.schemas import ModeSet, ModeSwitchRead
from communitas.web import labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text
from communitas.web.lookups import area_choices
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router"]

MAX_PLAN_CHARS = 512 * 1024


def _modes_page(page: Page, values: dict[str, Any], errors: FormErrors, status: int = 200,
                switch: ModeSwitchRead | None = None, plan: Any = None,
                started: dict[str, ActivationRead] | None = None) -> Response:
    within = scope_code(page)
    kinds = tuple(k for k in (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)
                  if k in MODE_KINDS)
    effective = {m.area_code: m for m in modes.effective_modes(page.session, within=within)}
    choices = area_choices(page.session, kinds=kinds, within=within)
    raised = [c for c in choices if effective.get(c.code) and effective[c.code].mode
              is not Mode.NORMAL]
    return render(page, "modes.html", status=status, title=page.t("Modes"), values=values,
                  errors=errors, choices=choices, effective=effective, raised=raised,
                  levels=[(m.value, MODE_LABELS[m], MODE_COLOUR[m]) for m in Mode],
                  hazards=[(h, labels.HAZARD[h]) for h in HAZARDS], labels=labels,
                  switch=switch, plan=plan, mode_labels=MODE_LABELS,
                  can_set=page.can(Permission.MODE_SET), started=started or {},
                  activations=activation_reads.latest_by_area(
                      page.session, principal=page.staff, within=within)
                  if page.can(Permission.ACTIVATION_READ) else {})


@router.get("/modes")
def modes_overview(page: StaffDep,
                   area: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    require(page.staff, Permission.PLAN_READ)
    return _modes_page(page, {"area": area or "", "level": "", "reason": "", "hazard": ""},
                       FormErrors(page.locale))


@router.post("/modes")
def switch_mode(page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {name: field_text(form, name, 1000) for name in ("area", "level", "reason",
                                                              "hazard")}
    errors = FormErrors(page.locale)
    if not values["area"]:
        errors.add("area", _("This field is required"))
    data = None
    try:
        data = ModeSet.model_validate({"level": values["level"], "reason": values["reason"],
                                       "hazard": values["hazard"] or None})
    except ValidationError as exc:
        errors.from_validation(exc, {"level": "level", "reason": "reason", "hazard": "hazard"})
    if errors or data is None:
        return _modes_page(page, values, errors, status=422)
    before = activation_reads.newest_id(page.session)
    try:
        switch = modes.set_mode(page.session, principal=page.staff, code=values["area"],
                                data=data)
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, {"area_code": "area", "level": "level"})
        if not errors.fields and not errors.general:
            errors.add("level", exc.message, **exc.params)
        return _modes_page(page, values, errors, status=exc.status)
    page.session.commit()
    plan = _plan_for(page, switch)
    started = activation_reads.latest_by_area(
        page.session, principal=page.staff, within=switch.area_code, after_id=before) \
        if page.can(Permission.ACTIVATION_READ) else {}
    return _modes_page(page, {"area": values["area"], "level": "", "reason": "", "hazard": ""},
                       FormErrors(page.locale), switch=switch, plan=plan, started=started)


def _plan_for(page: Page, switch: ModeSwitchRead) -> Any:
    """The plan for the area's hazard at the new level, if the library has one."""
    from communitas.areas import service as areas

    if not switch.hazard or not page.can(Permission.PLAN_READ):
        return None
    kind = areas.get_area(page.session, code=switch.area_code).kind.value
    try:
        return plan_service.get_plan(page.session, principal=page.staff, hazard=switch.hazard,
                                     level=switch.to_mode, area_kind=kind)
    except NotFound:
        return None


@router.get("/modes/{code}")
def mode_history(code: str, page: StaffDep) -> Response:
    """An area's effective mode and every switch of it, newest first (from the event log)."""
    from communitas.areas import service as areas

    area = areas.get_area(page.session, code=code)
    require(page.staff, Permission.PLAN_READ, area_path=area.path)
    history = modes.mode_history(page.session, code=code, page=1, page_size=100).items
    return render(page, "mode_history.html", title=page.t("Mode history"), area=area,
                  mode=modes.get_effective_mode(page.session, code=code), history=history,
                  mode_labels=MODE_LABELS, labels=labels,
                  can_set=page.can(Permission.MODE_SET, area.path),
                  can_read_activations=page.can(Permission.ACTIVATION_READ, area.path))


# --- plans ----------------------------------------------------------------------------------

@router.get("/plans")
def plan_library(page: StaffDep) -> Response:
    plans = plan_service.list_plans(page.session, principal=page.staff)
    return render(page, "plans.html", title=page.t("Plans"), plans=plans, labels=labels,
                  mode_labels=MODE_LABELS, can_write=page.can(Permission.PLAN_WRITE))


@router.get("/plans/edit")
def plan_editor(page: StaffDep, hazard: Annotated[str | None, Query(max_length=32)] = None,
                level: Mode | None = None,
                kind: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    text = ""
    if hazard and level and kind:
        row = plan_service.get_plan(page.session, principal=page.staff, hazard=hazard,
                                    level=level, area_kind=kind)
        text = dump_plans([plan_service.plan_document(row)])
    return _editor(page, text, [])


def _editor(page: Page, text: str, issues: list[dict[str, Any]], status: int = 200,
            report: Any = None) -> Response:
    bad = {i["line"] for i in issues if i.get("line")}
    return render(page, "plan_edit.html", status=status, title=page.t("Edit a plan"),
                  text=text, issues=issues, bad_lines=bad, report=report,
                  numbered=list(enumerate(text.splitlines(), start=1)) if issues else [])


@router.post("/plans/edit")
def plan_save(page: StaffDep, form: FormDep) -> Response:
    """Import the edited YAML (a new version per changed plan), all or nothing."""
    check_csrf(page, form.get("csrf_token"))
    text = field_text(form, "text", MAX_PLAN_CHARS)
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = upload.file.read(MAX_PLAN_CHARS + 1)
        text = raw.decode("utf-8", errors="replace")[:MAX_PLAN_CHARS]
    return _import(page, text)


def _import(page: Page, text: str) -> Response:
    try:
        report = plan_service.import_plan_text(page.session, principal=page.staff, text=text,
                                               file="web.yaml")
    except ImportRejected as exc:
        page.session.rollback()
        details = exc.details if isinstance(exc.details, dict) else {}
        return _editor(page, text, list(details.get("errors", [])), status=422)
    page.session.commit()
    return _editor(page, text, [], report=report)


@router.get("/plans/{hazard}/{level}/{kind}")
def plan_view(hazard: str, level: Mode, kind: str, page: StaffDep,
              version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    row = plan_service.get_plan(page.session, principal=page.staff, hazard=hazard,
                                level=level, area_kind=kind, version=version)
    document = plan_service.plan_document(row)
    return render(page, "plan.html", title=row.name_zh if page.locale == "zh_CN"
                  else row.name_en, row=row, doc=document, labels=labels,
                  mode_labels=MODE_LABELS, yaml_text=dump_plans([document]),
                  can_write=page.can(Permission.PLAN_WRITE))
