"""Mutual-aid pairs for staff (committees, grid workers, commanders): the residents who opted
in, the pairs and the pairing suggestions to confirm, recording a resident's consent given
on paper or by phone; and the pair shown on a check-on-your-neighbour task's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas.codes import AreaKind
from communitas.auth.permissions import Principal, can
from communitas.auth.roles import Permission
from communitas.community import checks, lookups, neighbours
from communitas.community.models import AidPair, NeighbourCheck, PairStatus
from communitas.community.schemas import EnrolmentCreate, PairCreate
from communitas.errors import CommunitasError
from communitas.i18n import _
from communitas.tasks.schemas import TaskRead
from communitas.web import community_labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, int_or_none, validate
from communitas.web.lookups import area_choices
from communitas.web.nav import NAV, NavItem
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute
from communitas.web.task_pages import TASK_PANELS, TaskPanel

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["pair_panel", "router", "surface_unplaced"]

NAV.append(NavItem("/mutual-aid", _("Mutual aid"), Permission.AID_MANAGE))

ENROL = ("person_code", "role", "capacity", "shared_note", "consent_statement")
_OPEN_FIRST = {PairStatus.AWAITING_HELPER: 0, PairStatus.ACTIVE: 1}


def pair_panel(session: Session, principal: Principal, task: TaskRead) -> dict[str, Any] | None:
    """The pair a check-on-your-neighbour task was issued for (None for other tasks)."""
    pair_id = session.execute(select(NeighbourCheck.pair_id).where(
        NeighbourCheck.task_id == task.id)).scalar_one_or_none()
    if pair_id is None:
        return None
    pair = session.get(AidPair, pair_id)
    assert pair is not None
    read = neighbours.pair_reads(session, [pair])[0]
    return {"pair": read, "cl": community_labels, "show_note": _may_read_note(
        session, principal, read.helper.person_code, read.vulnerable.area_code)}


def _may_read_note(session: Session, principal: Principal, helper_code: str,
                   home_code: str) -> bool:
    """What the resident chose to share is for their helper and the staff who pair them,
    not for everyone who may read the task (an auditor)."""
    if principal.person_id is not None and helper_code in {p.code for p in lookups.people_by_id(
            session, [principal.person_id]).values()}:
        return True
    return can(principal, Permission.AID_MANAGE,
               area_path=lookups.area_by_code(session, home_code).path)


TASK_PANELS.append(TaskPanel("_aid_pair_panel.html", pair_panel))


def surface_unplaced(errors: FormErrors, shown: set[str], prefixes: tuple[str, ...]
                     ) -> None:
    """A refusal meant for a row the page no longer shows (a pair just taken, a claim of
    another area) moves to the top of the page, so it is never lost."""
    for key in [k for k in errors.fields if k.startswith(prefixes) and k not in shown]:
        errors.general.append(errors.fields.pop(key))


def _area(page: Page, area: str | None) -> str:
    return area or scope_code(page)


def _aid_page(page: Page, area: str, errors: FormErrors | None = None,
              values: dict[str, str] | None = None, status: int = 200,
              started: str | None = None) -> Response:
    principal = page.staff
    enrolments = neighbours.list_enrolments(page.session, principal=principal, within=area)
    pairs = neighbours.list_pairs(page.session, principal=principal, within=area)
    pairs.sort(key=lambda p: (_OPEN_FIRST.get(p.status, 2), p.id))
    suggestions = neighbours.suggest(page.session, principal=principal, area_code=area)
    errors = errors or FormErrors(page.locale)
    can_start = page.can(Permission.TASK_WRITE)
    shown = ({f"suggestion-{s.vulnerable.person_code}" for s in suggestions}
             | {f"pair-{p.id}" for p in pairs} | {f"enrolment-{e.id}" for e in enrolments}
             | ({"checks"} if can_start else set()))
    surface_unplaced(errors, shown, ("suggestion-", "pair-", "enrolment-", "checks"))
    choices = area_choices(page.session, kinds=(AreaKind.STREET, AreaKind.COMMUNITY),
                           within=scope_code(page))
    return render(page, "mutual_aid.html", status=status, title=page.t("Mutual aid"),
                  area=area, choices=choices, enrolments=enrolments, pairs=pairs,
                  suggestions=suggestions, errors=errors,
                  values=values or {"role": "vulnerable", "capacity": "1"},
                  cl=community_labels, started=_counts(started),
                  can_start=can_start)


def _counts(started: str | None) -> tuple[int, int] | None:
    """``created-already`` of a check run just started, from the redirect's query."""
    parts = (started or "").split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


@router.get("/mutual-aid")
def mutual_aid(page: StaffDep, area: Annotated[str | None, Query(max_length=32)] = None,
               started: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Opted-in residents, pairs and suggestions of an area in the reader's scope."""
    return _aid_page(page, _area(page, area), started=started)


def _back(area: str, anchor: str) -> Response:
    return RedirectResponse(f"/mutual-aid?area={area}{anchor}", status_code=303)


def _refused(page: Page, area: str, exc: CommunitasError, field: str,
             values: dict[str, str] | None = None) -> Response:
    """Nothing was saved; the refusal is shown by the field or the button it concerns."""
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.from_refusal(exc, {n: n for n in ENROL})
    if not errors.fields:
        errors.general.clear()
        errors.add(field, exc.message, **exc.params)
    return _aid_page(page, area, errors, values, status=exc.status)


@router.post("/mutual-aid/enrolments")
def enrol(page: StaffDep, form: FormDep) -> Response:
    """Record a resident's opt-in; staff must say how the resident gave consent."""
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    values = {n: field_text(form, n, 400) for n in ENROL}
    errors = FormErrors(page.locale)
    if not values["consent_statement"]:
        errors.add("consent_statement", _("Say how the resident gave consent"))
    capacity = int_or_none(values["capacity"])
    data: dict[str, Any] = {**values, "capacity": 1 if capacity is None else capacity}
    body = validate(EnrolmentCreate, data, errors, {n: n for n in ENROL})
    if body is None or errors:
        return _aid_page(page, area, errors, values, status=422)
    try:
        neighbours.enrol(page.session, principal=page.staff, data=body)
    except CommunitasError as exc:
        return _refused(page, area, exc, "person_code", values)
    page.session.commit()
    return _back(area, "#enrolments")


@router.post("/mutual-aid/enrolments/{enrolment_id}/withdraw")
def withdraw(enrolment_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    try:
        neighbours.withdraw(page.session, principal=page.staff, enrolment_id=enrolment_id)
    except CommunitasError as exc:
        return _refused(page, area, exc, f"enrolment-{enrolment_id}")
    page.session.commit()
    return _back(area, "#enrolments")


@router.post("/mutual-aid/pairs")
def confirm(page: StaffDep, form: FormDep) -> Response:
    """Confirm a suggested pair; it then waits for the helper's consent."""
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    vulnerable = field_text(form, "vulnerable_person_code", 32)
    errors = FormErrors(page.locale)
    body = validate(PairCreate, {"vulnerable_person_code": vulnerable,
                                 "helper_person_code": field_text(form, "helper_person_code",
                                                                  32)}, errors)
    if body is None:
        errors.general.clear()
        errors.add(f"suggestion-{vulnerable}", _("This value is not valid"))
        return _aid_page(page, area, errors, status=422)
    try:
        neighbours.confirm_pair(page.session, principal=page.staff, data=body)
    except CommunitasError as exc:
        page.session.rollback()
        errors.add(f"suggestion-{vulnerable}", exc.message, **exc.params)
        return _aid_page(page, area, errors, status=exc.status)
    page.session.commit()
    return _back(area, "#pairs")


@router.post("/mutual-aid/pairs/{pair_id}/answer")
def answer(pair_id: int, page: StaffDep, form: FormDep) -> Response:
    """Record the helper's answer given by phone or at the door."""
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    try:
        neighbours.answer_pair(page.session, principal=page.staff, pair_id=pair_id,
                               accept=field_text(form, "accept", 5) == "1")
    except CommunitasError as exc:
        return _refused(page, area, exc, f"pair-{pair_id}")
    page.session.commit()
    return _back(area, "#pairs")


@router.post("/mutual-aid/pairs/{pair_id}/end")
def end(pair_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    try:
        neighbours.end_pair(page.session, principal=page.staff, pair_id=pair_id)
    except CommunitasError as exc:
        return _refused(page, area, exc, f"pair-{pair_id}")
    page.session.commit()
    return _back(area, "#pairs")


@router.post("/mutual-aid/checks")
def start_checks(page: StaffDep, form: FormDep) -> Response:
    """Check-on-your-neighbour tasks for the area's active pairs (once a day by hand)."""
    check_csrf(page, form.get("csrf_token"))
    area = _area(page, field_text(form, "area", 32))
    try:
        result = checks.start_checks(page.session, principal=page.staff, area_code=area,
                                     source_kind="manual",
                                     source_id=checks.manual_source_id(area))
    except CommunitasError as exc:
        return _refused(page, area, exc, "checks")
    page.session.commit()
    return RedirectResponse(f"/mutual-aid?area={area}&started={result.created}-"
                            f"{result.already}#checks", status_code=303)
