"""Door-to-door sweeps: create a sweep of a community or grid, see its buildings (holder,
hold expiry, status), claim, release, submit, and verify by a second person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from communitas.areas.codes import AreaKind
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.clock import SystemClock
from communitas.errors import CommunitasError
from communitas.tasks import sweeps
from communitas.tasks.schemas import SweepCreate
from communitas.web import labels, work_labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, int_or_none, validate
from communitas.web.lookups import area_choices
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router"]

_FIELDS = ("area", "title", "hold_minutes", "checklist")
_RENAME = {"area_code": "area", "title": "title", "hold_minutes": "hold_minutes",
           "checklist": "checklist"}


def _list(page: Page, values: dict[str, str], errors: FormErrors, status: int = 200
          ) -> Response:
    found = sweeps.list_sweeps(page.session, principal=page.staff)
    can_create = page.can(Permission.TASK_WRITE)
    choices = area_choices(page.session, kinds=(AreaKind.COMMUNITY, AreaKind.GRID),
                           within=scope_code(page)) if can_create else []
    return render(page, "sweeps.html", status=status, title=page.t("Door-to-door sweeps"),
                  sweeps=found.items, values=values, errors=errors, choices=choices,
                  can_create=can_create, wl=work_labels, labels=labels)


@router.get("/sweeps")
def sweep_list(page: StaffDep) -> Response:
    return _list(page, dict.fromkeys(_FIELDS, ""), FormErrors(page.locale))


@router.post("/sweeps")
def create(page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    require(page.staff, Permission.TASK_WRITE)
    values = {n: field_text(form, n, 2000) for n in _FIELDS}
    data: dict[str, Any] = {
        "area_code": values["area"], "title": values["title"],
        "hold_minutes": int_or_none(values["hold_minutes"]),
        "checklist": [line.strip() for line in values["checklist"].splitlines()
                      if line.strip()]}
    errors = FormErrors(page.locale)
    body = validate(SweepCreate, data, errors, _RENAME)
    if body is None:
        return _list(page, values, errors, status=422)
    try:
        sweep = sweeps.create_sweep(page.session, principal=page.staff, data=body,
                                    default_hold_minutes=page.settings.sweep_hold_minutes)
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, _RENAME)
        if not errors:
            errors.add("area", exc.message, **exc.params)
        return _list(page, values, errors, status=exc.status)
    page.session.commit()
    return RedirectResponse(f"/sweeps/{sweep.id}", status_code=303)


def _detail(page: Page, sweep_id: int, errors: FormErrors | None = None,
            status: int = 200) -> Response:
    sweep = sweeps.read_sweep(page.session, principal=page.staff, sweep_id=sweep_id)
    me = _my_code(page)
    return render(page, "sweep.html", status=status, title=sweep.title, sweep=sweep,
                  errors=errors or FormErrors(page.locale), me=me, now=SystemClock().now(),
                  can_work=page.can(Permission.SWEEP_WORK) and me is not None,
                  wl=work_labels)


def _my_code(page: Page) -> str | None:
    from communitas.tasks import lookups

    person = page.staff.person_id
    return lookups.person_codes(page.session, [person]).get(person) if person else None


@router.get("/sweeps/{sweep_id}")
def sweep_page(sweep_id: int, page: StaffDep) -> Response:
    return _detail(page, sweep_id)


_STEPS = {"claim": sweeps.claim_building, "release": sweeps.release_building,
          "submit": sweeps.submit_building}


@router.post("/sweeps/{sweep_id}/buildings/{task_id}/{step}")
def building_step(sweep_id: int, task_id: int, step: str, page: StaffDep,
                  form: FormDep) -> Response:
    """Claim, release, submit, or verify (accept=1, or 0 to send it back) one building."""
    check_csrf(page, form.get("csrf_token"))
    try:
        if step == "verify":
            sweeps.verify_building(page.session, principal=page.staff, sweep_id=sweep_id,
                                   task_id=task_id, accept=field_text(form, "accept", 5) == "1")
        elif step in _STEPS:
            _STEPS[step](page.session, principal=page.staff, sweep_id=sweep_id,
                         task_id=task_id)
        else:
            return RedirectResponse(f"/sweeps/{sweep_id}", status_code=303)
    except CommunitasError as exc:
        page.session.rollback()
        errors = FormErrors(page.locale)
        errors.add(f"building-{task_id}", exc.message, **exc.params)
        return _detail(page, sweep_id, errors, status=exc.status)
    page.session.commit()
    return RedirectResponse(f"/sweeps/{sweep_id}#building-{task_id}", status_code=303)
