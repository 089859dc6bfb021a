"""The request queue for dispatchers, committee members and grid workers: triage (verify,
merge duplicates, reject), approval, the optimiser's suggested plan beside each request,
accepting it (which commits the stock), and tracking shipments to delivery."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.roles import Permission
from communitas.dispatch import dedupe, fulfilment, suggestion, triage, views
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.schemas import CommitIn, ShipmentStep, SuggestedLine
from communitas.dispatch.service import DispatchPolicy, get_request
from communitas.errors import CommunitasError, ValidationFailed
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.resources import service as resources
from communitas.web import labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text
from communitas.web.lookups import type_names
from communitas.web.pages import FormDep
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router", "scope_code"]

PAGE_SIZE = 50
_SIMPLE: dict[str, triage.StaffAction] = {
    "verify": triage.verify_request, "reject": triage.reject_request,
    "approve": triage.approve_request, "decline": triage.decline_request,
    "escalate": triage.escalate_request,
}


def scope_code(page: Page) -> str:
    """The area a staff member looks after: their scope, or the city for a platform admin."""
    principal = page.staff
    if principal.scope_area_code:
        return principal.scope_area_code
    city = page.session.execute(areas.list_areas(page.session, kind=AreaKind.CITY)
                                ).scalars().first()
    return city.code if city is not None else ""


def _policy(page: Page) -> DispatchPolicy:
    return DispatchPolicy.from_settings(page.settings)


def _reach(page: Page) -> suggestion.SuggestionPolicy:
    return suggestion.SuggestionPolicy.from_settings(page.settings)


def _suggested(page: Page) -> dict[str, list[SuggestedLine]]:
    """The optimiser's plan for the staff member's whole queue, per request reference."""
    if not page.can(Permission.REQUEST_COMMIT) or not (within := scope_code(page)):
        return {}
    plan = suggestion.suggest_plan(page.session, principal=page.staff, within=within,
                                   policy=_reach(page))
    found: dict[str, list[SuggestedLine]] = {}
    for line in plan.lines:
        found.setdefault(line.reference, []).append(line)
    return found


@router.get("/queue")
def queue(page: StaffDep,
          status: Annotated[RequestStatus | None, Query()] = None,
          p: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    query = views.list_queue(page.session, principal=page.staff, status=status)
    rows, total = paginate(page.session, query, page=p, page_size=PAGE_SIZE)
    return render(page, "queue.html", title=page.t("Request queue"),
                  rows=views.queue_rows(page.session, rows), total=total, p=p,
                  pages=(total + PAGE_SIZE - 1) // PAGE_SIZE, chosen=status,
                  statuses=labels.STATUS, labels=labels, suggested=_suggested(page),
                  types=type_names(page.session))


@router.get("/my")
def my_requests(page: StaffDep) -> Response:
    """A signed-in resident's own requests."""
    query = views.list_queue(page.session, principal=page.staff, include_closed=True)
    rows, total = paginate(page.session, query, page=1, page_size=PAGE_SIZE)
    return render(page, "my.html", title=page.t("My requests"),
                  rows=views.queue_rows(page.session, rows), total=total, labels=labels)


def _detail(page: Page, reference: str, errors: FormErrors | None = None,
            status: int = 200) -> Response:
    view = views.read_request(page.session, principal=page.staff, reference=reference,
                              token=None, policy=_policy(page))
    if view.view != "full":
        return RedirectResponse(f"/track/{reference}", status_code=303)
    history = views.request_history(page.session, principal=page.staff, reference=reference,
                                    token=None, policy=_policy(page))
    plan: list[SuggestedLine] = []
    if view.status in (RequestStatus.APPROVED, RequestStatus.COMMITTED) \
            and page.can(Permission.REQUEST_COMMIT):
        try:
            plan = suggestion.suggest_for_request(page.session, principal=page.staff,
                                                  reference=reference,
                                                  policy=_reach(page)).lines
        except CommunitasError:
            plan = []  # not this person's queue: the page still shows the request
    holdings = {h.id: h for h in resources.holding_reads(page.session, [
        resources.get_holding(page.session, principal=page.staff, holding_id=s.holding_id)
        for s in view.shipments])} if view.shipments else {}
    return render(page, "request.html", status=status,
                  title=page.t("Request {value}", value=view.reference), view=view,
                  history=history, plan=plan, labels=labels, holdings=holdings,
                  types=type_names(page.session), errors=errors or FormErrors(page.locale),
                  can_commit=page.can(Permission.REQUEST_COMMIT),
                  can_triage=page.can(Permission.REQUEST_TRIAGE), into="")


@router.get("/queue/{reference}")
def request_detail(reference: str, page: StaffDep) -> Response:
    return _detail(page, reference)


def _refused(page: Page, reference: str, exc: CommunitasError,
             rename: dict[str, str] | None = None) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.from_refusal(exc, rename)
    return _detail(page, reference, errors, status=exc.status)


def _done(reference: str) -> Response:
    return RedirectResponse(f"/queue/{reference}", status_code=303)


@router.post("/queue/{reference}/merge")
def merge(reference: str, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    into = field_text(form, "into", 40).upper()
    try:
        if not into:
            raise ValidationFailed(_("This field is required"), details={"field": "into"})
        survivor = dedupe.merge_duplicate(page.session, principal=page.staff,
                                          reference=reference, into=into,
                                          policy=_policy(page))
    except CommunitasError as exc:
        return _refused(page, reference, exc)
    page.session.commit()
    return _done(survivor.reference)


def _shipments(form: FormData) -> list[CommitIn]:
    """The suggested shipments as shown: ``line:holding:quantity`` per hidden field."""
    items = []
    for value in form.getlist("shipment"):
        parts = str(value).split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValidationFailed(details={"field": "shipment"})
        items.append(CommitIn(line_id=int(parts[0]), holding_id=int(parts[1]),
                              quantity=int(parts[2])))
    return items


@router.post("/queue/{reference}/accept")
def accept(reference: str, page: StaffDep, form: FormDep) -> Response:
    """Accept the suggested plan as the dispatcher saw it: commit it, all or nothing."""
    check_csrf(page, form.get("csrf_token"))
    back = field_text(form, "back", 200)
    try:
        request = suggestion.accept_suggestion(
            page.session, principal=page.staff, reference=reference,
            shipments=_shipments(form) or None, policy=_policy(page),
            suggestion=_reach(page))
    except CommunitasError as exc:
        return _refused(page, reference, exc)
    page.session.commit()
    return RedirectResponse("/queue" if back == "queue" else f"/queue/{request.reference}",
                            status_code=303)


@router.post("/queue/{reference}/shipment/{step}")
def shipment_step(reference: str, step: str, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    use_cases: dict[str, Any] = {"ship": fulfilment.ship_shipment,
                                 "deliver": fulfilment.deliver_shipment,
                                 "return": fulfilment.return_shipment}
    shipment = field_text(form, "shipment_id", 12)
    try:
        if step not in use_cases or not shipment.isdigit():
            raise ValidationFailed(details={"field": "shipment_id"})
        use_cases[step](page.session, principal=page.staff, reference=reference,
                        step=ShipmentStep(shipment_id=int(shipment),
                                          reason=field_text(form, "reason", 500)),
                        policy=_policy(page))
    except CommunitasError as exc:
        return _refused(page, reference, exc)
    page.session.commit()
    return _done(get_request(page.session, reference=reference).reference)


@router.post("/queue/{reference}/{action}")
def simple_action(reference: str, action: str, page: StaffDep, form: FormDep) -> Response:
    """Verify, reject, approve, decline or escalate, with an optional reason."""
    check_csrf(page, form.get("csrf_token"))
    use_case = _SIMPLE.get(action)
    try:
        if use_case is None:
            raise ValidationFailed(details={"field": "action"})
        request = use_case(page.session, principal=page.staff, reference=reference,
                           reason=field_text(form, "reason", 500), policy=_policy(page))
    except CommunitasError as exc:
        return _refused(page, reference, exc)
    page.session.commit()
    return _done(request.reference)

