"""Request routes: the public form, the dispatcher's queue and workflow. Thin wrappers over
dispatch services; each writing route commits before it answers."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from communitas.api.deps import (
    CurrentPrincipal,
    OptionalPrincipal,
    PageDep,
    PageParams,
    SessionDep,
    SettingsDep,
    bearer,
    principal_for_token,
)
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.dispatch import fulfilment, intake, suggestion, triage, views
from communitas.dispatch.acceptance import Pending
from communitas.dispatch.intake_http import receipt_response
from communitas.dispatch.intake_writer import IntakeWriter
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.models import ResourceRequest
from communitas.dispatch.routing import Level
from communitas.dispatch.schemas import (
    AcceptSuggestionIn,
    ActionNote,
    CommitIn,
    HistoryEntry,
    NotificationRead,
    RatingIn,
    RequestAdjust,
    RequestCreate,
    RequestPublicRead,
    RequestRead,
    RequestReceipt,
    RequestSummary,
    ShipmentStep,
    SuggestedPlan,
    TimersReport,
)
from communitas.dispatch.service import DispatchPolicy
from communitas.pagination import paginate
from communitas.schemas import Page

router = APIRouter(tags=["requests"])


def get_policy(settings: SettingsDep) -> DispatchPolicy:
    return DispatchPolicy.from_settings(settings)


PolicyDep = Annotated[DispatchPolicy, Depends(get_policy)]


def get_reach(settings: SettingsDep) -> suggestion.SuggestionPolicy:
    return suggestion.SuggestionPolicy.from_settings(settings)


ReachDep = Annotated[suggestion.SuggestionPolicy, Depends(get_reach)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="the same key and body return the first answer; nothing new is created")]
RequesterToken = Annotated[str | None, Header(
    alias="X-Requester-Token", max_length=64,
    description="the requester_token of the submission receipt (anonymous requesters)")]
RequestView = RequestRead | RequestPublicRead


def _view(session: Session, request: ResourceRequest, principal: Principal | None,
          token: str | None, policy: DispatchPolicy) -> RequestView:
    return views.request_view(session, request, principal=principal, token=token,
                              policy=policy)


async def _optional_principal(http: Request, token: str | None = Depends(bearer)
                              ) -> Principal | None:
    """The signed-in user if a token came; no database work for the anonymous form."""
    if not token:
        return None
    return await run_in_threadpool(principal_for_token, http.app, token)


@router.post("/api/requests", response_model=RequestReceipt,
             status_code=status.HTTP_201_CREATED,
             responses={200: {"model": RequestReceipt, "description": "a replay"}})
async def submit_request(
    body: RequestCreate, http: Request,
    principal: Annotated[Principal | None, Depends(_optional_principal)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The one window for help: signed in or not. Durable once acknowledged; see
    ``triaged`` in the receipt for whether it has been routed yet.

    Valid anonymous submissions are answered before routing by the same steps in
    ``dispatch/intake_http.py`` (the lean path); this route answers the rest."""
    writer: IntakeWriter = http.app.state.intake_writer
    client = intake.client_key(user_id=principal.user_id if principal else None,
                               address=http.client.host if http.client else None)
    receipt = await asyncio.wrap_future(writer.submit(Pending(
        data=body, principal=principal, client=client, idempotency_key=idempotency_key)))
    return receipt_response(writer, receipt)


@router.get("/api/requests", response_model=Page[RequestSummary])
def list_requests(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    level: Level | None = None,
    queue: Annotated[str | None, Query(max_length=32,
                                       description="queue area code, with its subtree")] = None,
    within: Annotated[str | None, Query(max_length=32,
                                        description="location area code, with subtree")] = None,
    include_closed: bool = False,
) -> Page[RequestSummary]:
    """The queue: most urgent first, then oldest. Residents see their own requests."""
    query = views.list_queue(session, principal=principal, status=status_, priority=priority,
                             level=level, queue_within=queue, within=within,
                             include_closed=include_closed)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    return _page(views.queue_rows(session, rows), total, paging)


def _page(items: list[RequestSummary], total: int, paging: PageParams) -> Page[RequestSummary]:
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/api/requests/timers", response_model=TimersReport)
def run_timers(session: SessionDep, principal: CurrentPrincipal,
               policy: PolicyDep) -> TimersReport:
    """Expire stale unverified requests and escalate overdue ones (for a platform cron)."""
    require(principal, Permission.REQUEST_TRIAGE, area_path="/")
    expired = intake.expire_unverified(session, policy=policy)
    escalated = triage.escalate_overdue(session, policy=policy)
    session.commit()
    return TimersReport(expired=expired, escalated=escalated)


@router.get("/api/requests/{reference}", response_model=RequestView)
def read_request(reference: str, session: SessionDep, principal: OptionalPrincipal,
                 policy: PolicyDep, token: RequesterToken = None) -> RequestView:
    """The public view for anyone with the reference; the full view for the requester and
    staff in scope."""
    return views.read_request(session, principal=principal, reference=reference, token=token,
                              policy=policy)


@router.get("/api/requests/{reference}/history", response_model=list[HistoryEntry])
def request_history(reference: str, session: SessionDep, principal: OptionalPrincipal,
                    policy: PolicyDep, token: RequesterToken = None) -> list[HistoryEntry]:
    return views.request_history(session, principal=principal, reference=reference,
                                 token=token, policy=policy)


def _staff_action(name: str, use_case: triage.StaffAction, doc: str) -> None:
    def route(reference: str, session: SessionDep, principal: CurrentPrincipal,
              policy: PolicyDep, body: ActionNote | None = None) -> RequestView:
        request = use_case(session, principal=principal, reference=reference,
                           reason=body.reason if body else "", policy=policy)
        session.commit()
        return _view(session, request, principal, None, policy)

    route.__name__ = f"{name}_request"
    route.__doc__ = doc
    router.post(f"/api/requests/{{reference}}/{name}", response_model=RequestView)(route)


_staff_action("verify", triage.verify_request, "Triage: the need is real.")
_staff_action("reject", triage.reject_request, "Triage: the request is false.")
_staff_action("approve", triage.approve_request, "Dispatch: the request will be met.")
_staff_action("decline", triage.decline_request, "Dispatch: real, but will not be met here.")
_staff_action("escalate", triage.escalate_request, "Send the request up a level.")


@router.post("/api/requests/{reference}/adjust", response_model=RequestView)
def adjust_request(reference: str, body: RequestAdjust, session: SessionDep,
                   principal: CurrentPrincipal, policy: PolicyDep) -> RequestView:
    """Accept or adjust: priority, needed-by, line quantities; history keeps old values."""
    request = triage.adjust_request(session, principal=principal, reference=reference,
                                    data=body, policy=policy)
    session.commit()
    return _view(session, request, principal, None, policy)


@router.post("/api/requests/{reference}/cancel", response_model=RequestView)
def cancel_request(reference: str, session: SessionDep, principal: OptionalPrincipal,
                   policy: PolicyDep, token: RequesterToken = None,
                   body: ActionNote | None = None) -> RequestView:
    """The requester or staff withdraw the request; undelivered stock goes back."""
    request = triage.cancel_request(session, principal=principal, reference=reference,
                                    token=token, reason=body.reason if body else "",
                                    policy=policy)
    session.commit()
    return _view(session, request, principal, token, policy)


@router.post("/api/requests/{reference}/commit", response_model=RequestView)
def commit_line(reference: str, body: CommitIn, session: SessionDep,
                principal: CurrentPrincipal, policy: PolicyDep) -> RequestView:
    """Commit a quantity of one line from one holding; the stock leaves the holding now."""
    shipment = fulfilment.commit_line(session, principal=principal, reference=reference,
                                      data=body, policy=policy)
    session.commit()
    return _view(session, session.get_one(ResourceRequest, shipment.request_id), principal,
                 None, policy)


def _shipment_action(name: str, use_case: fulfilment.ShipmentAction, doc: str) -> None:
    def route(reference: str, body: ShipmentStep, session: SessionDep,
              principal: CurrentPrincipal, policy: PolicyDep) -> RequestView:
        shipment = use_case(session, principal=principal, reference=reference, step=body,
                            policy=policy)
        session.commit()
        return _view(session, session.get_one(ResourceRequest, shipment.request_id),
                     principal, None, policy)

    route.__name__ = f"{name}_shipment"
    route.__doc__ = doc
    router.post(f"/api/requests/{{reference}}/{name}", response_model=RequestView)(route)


_shipment_action("ship", fulfilment.ship_shipment, "Units of a commitment leave the holder.")
_shipment_action("deliver", fulfilment.deliver_shipment, "Units in transit arrive.")
_shipment_action("return", fulfilment.return_shipment,
                 "Undelivered units go back to the holding; the line reopens for them.")


@router.post("/api/requests/{reference}/confirm", response_model=RequestView)
def confirm_request(reference: str, session: SessionDep, principal: OptionalPrincipal,
                    policy: PolicyDep, token: RequesterToken = None) -> RequestView:
    """The requester confirms receipt (staff may confirm on their behalf)."""
    request = fulfilment.confirm_request(session, principal=principal, reference=reference,
                                         token=token, policy=policy)
    session.commit()
    return _view(session, request, principal, token, policy)


@router.post("/api/requests/{reference}/rate", response_model=RequestView)
def rate_request(reference: str, body: RatingIn, session: SessionDep,
                 principal: OptionalPrincipal, policy: PolicyDep,
                 token: RequesterToken = None) -> RequestView:
    """The requester rates the service, 1 to 5, once delivered."""
    request = fulfilment.rate_request(session, principal=principal, reference=reference,
                                      token=token, data=body, policy=policy)
    session.commit()
    return _view(session, request, principal, token, policy)


@router.get("/api/notifications", response_model=Page[NotificationRead])
def list_notifications(session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
                       mine: bool = True) -> Page[NotificationRead]:
    """Escalation notices for the caller's role (or every role, ``mine=false``) in scope."""
    query = views.list_notifications(session, principal=principal, mine=mine)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    return Page(items=views.notification_reads(session, rows), total=total, page=paging.page,
                page_size=paging.page_size)


# --- suggested plans (dispatch/suggestion.py) ------------------------------------------------

@router.get("/api/dispatch/suggestion", response_model=SuggestedPlan)
def suggest_plan(session: SessionDep, principal: CurrentPrincipal, reach: ReachDep,
                 within: Annotated[str, Query(min_length=1, max_length=32,
                                              description="queue area code, with subtree")]
                 ) -> SuggestedPlan:
    """The optimiser's plan for every open line queued in the area's subtree."""
    return suggestion.suggest_plan(session, principal=principal, within=within, policy=reach)


@router.get("/api/requests/{reference}/suggestion", response_model=SuggestedPlan)
def suggest_for_request(reference: str, session: SessionDep, principal: CurrentPrincipal,
                        reach: ReachDep) -> SuggestedPlan:
    """The request's part of its queue's plan (it competes with the rest of the queue)."""
    return suggestion.suggest_for_request(session, principal=principal, reference=reference,
                                          policy=reach)


@router.post("/api/requests/{reference}/accept-suggestion", response_model=RequestView)
def accept_suggestion(reference: str, session: SessionDep, principal: CurrentPrincipal,
                      policy: PolicyDep, reach: ReachDep,
                      body: AcceptSuggestionIn | None = None) -> RequestView:
    """Commit the suggested shipments (those in the body, else the current suggestion), all
    or nothing; 409 ``suggestion_stale`` when stock moved meanwhile."""
    request = suggestion.accept_suggestion(
        session, principal=principal, reference=reference,
        shipments=body.shipments if body else None, policy=policy, suggestion=reach)
    session.commit()
    return _view(session, request, principal, None, policy)
