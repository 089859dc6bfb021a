"""Residents' pages, no sign-in needed: ask for help, follow a request, confirm, rate.

The form goes through the same intake service as ``POST /api/requests``. The receipt's
requester token is kept in an HttpOnly cookie (``communitas_requests``), so the browser
that asked may later confirm receipt and rate; anyone with the reference sees the public
view only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from communitas.areas.codes import AreaKind
from communitas.dispatch import fulfilment, intake, views
from communitas.dispatch.schemas import VULNERABILITY_FLAGS, RatingIn, RequestCreate
from communitas.dispatch.service import (
    DispatchPolicy,
    get_request,
    is_requester,
    requester_token,
)
from communitas.errors import CommunitasError
from communitas.i18n import _
from communitas.web import labels
from communitas.web.context import Page, PageDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, int_or_none, validate
from communitas.web.lookups import area_choices, requestable_types, type_names
from communitas.web.pages import FormDep
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REQUESTS_COOKIE = "communitas_requests"
LINE_ROWS = 3
MAX_REMEMBERED = 20

__all__ = ["REQUESTS_COOKIE", "remembered_tokens", "router"]


def remembered_tokens(page: Page) -> dict[str, str]:
    """reference → requester token, for the requests asked from this browser."""
    raw = page.request.cookies.get(REQUESTS_COOKIE, "")
    pairs = (item.partition("_") for item in raw.split(".") if "_" in item)
    return {ref: token for ref, _sep, token in pairs}


def _remember(page: Page, response: Response, reference: str, token: str) -> None:
    known = remembered_tokens(page)
    known.pop(reference, None)
    kept = [*list(known.items())[-(MAX_REMEMBERED - 1):], (reference, token)]
    response.set_cookie(REQUESTS_COOKIE, ".".join(f"{r}_{t}" for r, t in kept),
                        httponly=True, samesite="lax", path="/", max_age=90 * 24 * 3600,
                        secure=page.request.url.scheme == "https")


# --- ask for help ----------------------------------------------------------------------------

def _form_page(page: Page, values: dict[str, Any], errors: FormErrors,
               status: int = 200) -> Response:
    return render(page, "help.html", status=status, title=page.t("Ask for help"),
                  values=values, errors=errors, types=requestable_types(page.session),
                  communities=area_choices(page.session, kinds=(AreaKind.COMMUNITY,)),
                  rows=range(1, LINE_ROWS + 1), priorities=labels.PRIORITY,
                  flags=[(f, labels.VULNERABILITY[f]) for f in VULNERABILITY_FLAGS])


@router.get("/help")
def help_form(page: PageDep) -> Response:
    return _form_page(page, {"priority": "3", "key": uuid.uuid4().hex, "flags": []},
                      FormErrors(page.locale))


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: field_text(form, name, 2000) for name in (
        "community", "place", "contact_name", "phone", "description", "priority", "key")}
    for row in range(1, LINE_ROWS + 1):
        values[f"type_{row}"] = field_text(form, f"type_{row}", 64)
        values[f"quantity_{row}"] = field_text(form, f"quantity_{row}", 12)
    values["flags"] = [f for f in form.getlist("flags") if isinstance(f, str)]
    return values


def _request_data(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body for the form, and where each schema field is shown on the form."""
    lines: list[dict[str, Any]] = []
    rename = {"area_code": "community", "phone": "phone", "contact_name": "contact_name",
              "description": "description", "priority": "priority",
              "vulnerability": "flags", "lines": "type_1"}
    for row in range(1, LINE_ROWS + 1):
        code, quantity = values[f"type_{row}"], values[f"quantity_{row}"]
        if not code and not quantity:
            continue
        index = len(lines)
        lines.append({"resource_type_code": code, "quantity": int_or_none(quantity)})
        rename |= {f"lines.{index}.items.resource_type_code": f"type_{row}",
                   f"lines.{index}.resource_type_code": f"type_{row}",
                   f"lines.{index}.items.quantity": f"quantity_{row}",
                   f"lines.{index}.quantity": f"quantity_{row}",
                   f"lines.{index}": f"type_{row}"}
    data = {"area_code": values["place"] or values["community"],
            "contact_name": values["contact_name"], "phone": values["phone"] or None,
            "description": values["description"], "priority": int_or_none(values["priority"]),
            "vulnerability": values["flags"], "lines": lines}
    if values["place"]:
        rename["area_code"] = "place"
    return data, rename


@router.post("/help")
def submit_help(page: PageDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = _values(form)
    errors = FormErrors(page.locale)
    data, rename = _request_data(values)
    if not values["community"] and not values["place"]:
        errors.add("community", _("Choose your community"))
    if not data["lines"]:
        errors.add("type_1", _("Say what you need"))
    body = validate(RequestCreate, data, errors, rename)
    if body is None:
        return _form_page(page, values, errors, status=422)
    policy = DispatchPolicy.from_settings(page.settings)
    client = intake.client_key(
        user_id=page.principal.user_id if page.principal else None,
        address=page.request.client.host if page.request.client else None)
    try:
        result = intake.submit_request(page.session, principal=page.principal, data=body,
                                       client=client, policy=policy,
                                       idempotency_key=f"web-{values['key']}"[:128]
                                       if values["key"] else None)
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, rename)
        return _form_page(page, values, errors, status=exc.status)
    page.session.commit()
    reference = result.row.reference
    response = RedirectResponse(f"/track/{reference}?new=1", status_code=303)
    _remember(page, response, reference, requester_token(policy, reference))
    return response


# --- follow a request ------------------------------------------------------------------------

@router.get("/track")
def track_form(page: PageDep,
               reference: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    errors = FormErrors(page.locale)
    if reference is not None:
        reference = reference.strip().upper()
        if reference:
            return RedirectResponse(f"/track/{reference}", status_code=303)
        errors.add("reference", _("This field is required"))
    mine = list(reversed(remembered_tokens(page)))
    return render(page, "track_form.html", title=page.t("Follow a request"), errors=errors,
                  mine=mine)


def _token(page: Page, reference: str) -> str | None:
    return remembered_tokens(page).get(reference)


@router.get("/track/{reference}")
def track(reference: str, page: PageDep, new: bool = False) -> Response:
    policy = DispatchPolicy.from_settings(page.settings)
    token = _token(page, reference)
    view = views.read_request(page.session, principal=page.principal, reference=reference,
                              token=token, policy=policy)
    history = views.request_history(page.session, principal=page.principal,
                                    reference=reference, token=token, policy=policy)
    mine = is_requester(page.session, get_request(page.session, reference=reference),
                        principal=page.principal, token=token, policy=policy)
    return render(page, "track.html", title=page.t("Request {value}", value=view.reference),
                  view=view, history=history, new=new, mine=mine, labels=labels,
                  types=type_names(page.session), errors=FormErrors(page.locale))


@router.post("/track/{reference}/confirm")
def confirm(reference: str, page: PageDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    policy = DispatchPolicy.from_settings(page.settings)
    request = fulfilment.confirm_request(page.session, principal=page.principal,
                                         reference=reference, token=_token(page, reference),
                                         policy=policy)
    page.session.commit()
    return RedirectResponse(f"/track/{request.reference}", status_code=303)


@router.post("/track/{reference}/rate")
def rate(reference: str, page: PageDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    policy = DispatchPolicy.from_settings(page.settings)
    token = _token(page, reference)
    errors = FormErrors(page.locale)
    try:
        data = RatingIn.model_validate({"score": int_or_none(field_text(form, "score", 4)),
                                        "comment": field_text(form, "comment", 600)})
    except ValidationError as exc:
        errors.from_validation(exc)
        view = views.read_request(page.session, principal=page.principal,
                                  reference=reference, token=token, policy=policy)
        history = views.request_history(page.session, principal=page.principal,
                                        reference=reference, token=token, policy=policy)
        return render(page, "track.html", status=422,
                      title=page.t("Request {value}", value=view.reference), view=view,
                      history=history, new=False, mine=True, labels=labels,
                      types=type_names(page.session), errors=errors,
                      comment=field_text(form, "comment", 600))
    request = fulfilment.rate_request(page.session, principal=page.principal,
                                      reference=reference, token=token, data=data,
                                      policy=policy)
    page.session.commit()
    return RedirectResponse(f"/track/{request.reference}", status_code=303)
