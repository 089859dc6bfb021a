"""Supervision of sent-down cadres and party members (docs/supervision.md): the street
supervisor's view (each community, its people, their results, the inaction flag), one
assignment's record, and the forms to send someone down and to end an assignment.

Measured by results only: there is no check-in here, by design."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.errors import CommunitasError, ValidationFailed
from communitas.i18n import _
from communitas.modes.levels import MODE_LABELS, Mode
from communitas.supervision import record, service
from communitas.supervision.models import AssignmentRole
from communitas.supervision.schemas import AssignmentCreate, AssignmentEnd, RecordRead
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, validate
from communitas.web.lookups import area_choices
from communitas.web.nav import NAV, NavItem
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NAV.append(NavItem("/supervision", _("Supervision"), Permission.SUPERVISION_READ))

__all__ = ["ASSIGNMENT_ROLE", "router"]

ASSIGNMENT_ROLE: dict[str, str] = {
    AssignmentRole.COMMUNITY_LIAISON: _("Community liaison"),
    AssignmentRole.GRID_SUPPORT: _("Grid support"),
    AssignmentRole.BUILDING_LEAD: _("Building lead"),
    AssignmentRole.PARTY_VANGUARD: _("Party vanguard post"),
    AssignmentRole.LOGISTICS: _("Logistics"),
}
PERSON_KIND: dict[str, str] = {"cadre": _("Sent-down cadres"),
                               "party_member": _("Party members")}
ASSIGN_FIELDS = ("person_code", "community_code", "role", "starts_on", "ends_on",
                 "sending_unit_code")
# Refusals that name no field but concern one of the form's.
_REFUSAL_FIELD = {"unknown_person": "person_code", "assignment_overlap": "person_code",
                  "unknown_organisation": "sending_unit_code", "unknown_area": "community_code",
                  "already_ending": "ends_on"}


def _inaction_hours(page: Page) -> float:
    return float(page.settings.supervision_inaction_hours)


def _street_of(page: Page, chosen: str | None) -> tuple[str | None, list[Any]]:
    """The street to show (chosen, else the scope's, else the first in scope) and the
    streets the reader may choose from."""
    within = scope_code(page)
    scope = areas.get_area(page.session, code=within) if within else None
    if scope is not None and scope.kind is AreaKind.STREET:
        return scope.code, []
    streets = area_choices(page.session, kinds=(AreaKind.STREET,), within=within or None)
    codes = {s.code for s in streets}
    if chosen and chosen in codes:
        return chosen, streets
    return (streets[0].code if streets else None), streets


def _community_view(page: Page, code: str, past: bool) -> list[RecordRead]:
    """A committee's own community: the records of the people sent down there."""
    found = service.list_assignments(page.session, principal=page.staff, within=code,
                                     active=None if past else True, page_size=200)
    return [record.assignment_record(page.session, principal=page.staff, assignment_id=a.id,
                                     inaction_hours=_inaction_hours(page))
            for a in found.items]


def _overview(page: Page, street: str | None, past: bool, values: dict[str, str],
              errors: FormErrors, status: int = 200) -> Response:
    require(page.staff, Permission.SUPERVISION_READ)
    within = scope_code(page)
    scope = areas.get_area(page.session, code=within) if within else None
    view = community_records = None
    streets: list[Any] = []
    if scope is not None and scope.kind in (AreaKind.COMMUNITY, AreaKind.GRID,
                                            AreaKind.BUILDING):
        community_records = _community_view(page, scope.code, past)
    else:
        street, streets = _street_of(page, street)
        if street:
            view = record.street_supervision(page.session, principal=page.staff, code=street,
                                             inaction_hours=_inaction_hours(page),
                                             include_past=past)
    can_assign = page.can(Permission.SUPERVISION_ASSIGN)
    communities = [] if not can_assign else area_choices(
        page.session, kinds=(AreaKind.COMMUNITY,),
        within=view.street_code if view else within or None)
    return render(page, "supervision.html", status=status, title=page.t("Supervision"),
                  view=view, community_records=community_records, scope=scope,
                  streets=streets, street=view.street_code if view else "", past=past,
                  values=values, errors=errors, can_assign=can_assign,
                  communities=communities, roles=ASSIGNMENT_ROLE, kinds=PERSON_KIND,
                  mode_labels={m.value: MODE_LABELS[m] for m in Mode})


def _blank(street: str = "") -> dict[str, str]:
    return {name: "" for name in ASSIGN_FIELDS} | {"street": street}


@router.get("/supervision")
def supervision_overview(
    page: StaffDep, street: Annotated[str | None, Query(max_length=32)] = None,
    past: bool = False,
) -> Response:
    return _overview(page, street, past, _blank(street or ""), FormErrors(page.locale))


@router.post("/supervision/assignments")
def assign(page: StaffDep, form: FormDep) -> Response:
    """Send a cadre or party member down; bad input comes back next to its field."""
    check_csrf(page, form.get("csrf_token"))
    require(page.staff, Permission.SUPERVISION_ASSIGN)
    values = {name: field_text(form, name, 100) for name in (*ASSIGN_FIELDS, "street")}
    errors = FormErrors(page.locale)
    data = validate(AssignmentCreate, {
        "person_code": values["person_code"], "community_code": values["community_code"],
        "role": values["role"], "starts_on": values["starts_on"],
        "ends_on": values["ends_on"] or None,
        "sending_unit_code": values["sending_unit_code"] or None}, errors)
    if data is not None:
        try:
            row = service.assign(page.session, principal=page.staff, data=data)
        except CommunitasError as exc:
            page.session.rollback()
            _refused(errors, exc, "person_code")
        else:
            page.session.commit()
            return RedirectResponse(f"/supervision/assignments/{row.id}?assigned=1",
                                    status_code=303)
    page.session.rollback()
    return _overview(page, values["street"] or None, False, values, errors, status=422)


def _refused(errors: FormErrors, exc: CommunitasError, fallback: str) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    if not details.get("field") and exc.code in _REFUSAL_FIELD:
        errors.add(_REFUSAL_FIELD[exc.code], exc.message, **exc.params)
    elif isinstance(exc, ValidationFailed) or details.get("field"):
        errors.from_refusal(exc)
    else:
        errors.add(fallback, exc.message, **exc.params)


def _record_page(page: Page, assignment_id: int, values: dict[str, str], errors: FormErrors,
                 status: int = 200, assigned: bool = False) -> Response:
    found = record.assignment_record(page.session, principal=page.staff,
                                     assignment_id=assignment_id,
                                     inaction_hours=_inaction_hours(page))
    community = areas.get_area(page.session, code=found.assignment.community_code)
    return render(page, "supervision_record.html", status=status,
                  title=page.t("Record of {person}", person=found.assignment.person_code),
                  r=found, community=community, values=values, errors=errors,
                  assigned=assigned, roles=ASSIGNMENT_ROLE, kinds=PERSON_KIND,
                  street=areas.get_area_by_id(page.session, area_id=community.parent_id).code
                  if community.parent_id else "",
                  can_end=page.can(Permission.SUPERVISION_ASSIGN, community.path)
                  and (found.assignment.ends_on is None or found.assignment.active),
                  mode_labels={m.value: MODE_LABELS[m] for m in Mode})


@router.get("/supervision/assignments/{assignment_id}")
def assignment_record(assignment_id: int, page: StaffDep, assigned: bool = False) -> Response:
    return _record_page(page, assignment_id, {"ends_on": "", "reason": ""},
                        FormErrors(page.locale), assigned=assigned)


@router.post("/supervision/assignments/{assignment_id}/end")
def end_assignment(assignment_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {"ends_on": field_text(form, "ends_on", 20), "reason": field_text(form, "reason",
                                                                               600)}
    errors = FormErrors(page.locale)
    data = validate(AssignmentEnd, values, errors)
    if data is not None:
        try:
            service.end_assignment(page.session, principal=page.staff,
                                   assignment_id=assignment_id, data=data)
        except CommunitasError as exc:
            page.session.rollback()
            if exc.status in (403, 404):
                raise
            _refused(errors, exc, "ends_on")
        else:
            page.session.commit()
            return RedirectResponse(f"/supervision/assignments/{assignment_id}",
                                    status_code=303)
    page.session.rollback()
    return _record_page(page, assignment_id, values, errors, status=422)
