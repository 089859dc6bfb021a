"""Mode, warning, proposal, indicator, trigger-rule and plan routes: thin, and they commit."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.areas.codes import AreaKind
from communitas.clock import SystemClock
from communitas.errors import ImportRejected, ValidationFailed
from communitas.i18n import _
from communitas.modes import plan_service, warning_service
from communitas.modes import service as modes
from communitas.modes import trigger_service as triggers
from communitas.modes.levels import Mode
from communitas.modes.models import ProposalStatus
from communitas.modes.schemas import (
    EffectiveModeRead,
    IndicatorPost,
    IndicatorReceipt,
    ModeHistoryItem,
    ModeSet,
    ModeSwitchRead,
    NotificationRead,
    PlanImportReport,
    PlanRead,
    PlanSummary,
    ProposalDecision,
    ProposalRead,
    TriggerRules,
    WarningCreate,
    WarningRead,
    WarningReceipt,
)
from communitas.schemas import Page

router = APIRouter(tags=["modes"])

MAX_PLAN_BYTES = 1024 * 1024
YAML_TYPE = "application/yaml; charset=utf-8"


class MalformedJson(ValidationFailed):
    status = 400
    default_code = "malformed_json"
    default_message = _("The request body is not valid JSON")


# --- modes ----------------------------------------------------------------------------------

@router.get("/api/areas/{code}/mode", response_model=EffectiveModeRead)
def read_mode(code: str, session: SessionDep) -> EffectiveModeRead:
    """An area's effective mode and the area it comes from (public, like the map)."""
    return modes.get_effective_mode(session, code=code)


@router.post("/api/areas/{code}/mode", response_model=ModeSwitchRead)
def set_mode(code: str, body: ModeSet, session: SessionDep,
             principal: CurrentPrincipal) -> ModeSwitchRead:
    switch = modes.set_mode(session, principal=principal, code=code, data=body)
    session.commit()
    return switch


@router.get("/api/areas/{code}/mode/history", response_model=Page[ModeHistoryItem])
def mode_history(code: str, session: SessionDep, paging: PageDep) -> Page[ModeHistoryItem]:
    return modes.mode_history(session, code=code, page=paging.page, page_size=paging.page_size)


@router.get("/api/modes", response_model=list[EffectiveModeRead])
def list_modes(
    session: SessionDep,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
    kind: AreaKind | None = None,
) -> list[EffectiveModeRead]:
    """Effective modes of the districts, streets and communities in a subtree, for the map."""
    return modes.effective_modes(session, within=within, kind=kind)


# --- warnings -------------------------------------------------------------------------------

@router.post("/api/warnings", response_model=WarningReceipt,
             status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "already received: nothing changed"}})
def post_warning(body: WarningCreate, response: Response, session: SessionDep,
                 principal: CurrentPrincipal) -> WarningReceipt:
    """Receive a warning; the same identifier again returns the stored one and changes nothing."""
    receipt = warning_service.receive_warning(session, principal=principal, data=body)
    session.commit()
    if not receipt.created:
        response.status_code = status.HTTP_200_OK
    return receipt


@router.get("/api/warnings", response_model=Page[WarningRead])
def list_warnings(
    session: SessionDep, paging: PageDep, active: bool = False,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
) -> Page[WarningRead]:
    """Warnings are public; ``active`` keeps those not yet expired."""
    return warning_service.list_warnings(
        session, active_at=SystemClock().now() if active else None, within=within,
        page=paging.page, page_size=paging.page_size)


@router.get("/api/warnings/{warning_id}", response_model=WarningRead)
def read_warning(warning_id: int, session: SessionDep) -> WarningRead:
    warning = warning_service.get_warning(session, warning_id=warning_id)
    return warning_service.warning_reads(session, [warning])[0]


@router.post("/api/warnings/{warning_id}/acknowledge", response_model=WarningRead)
def acknowledge_warning(warning_id: int, session: SessionDep,
                        principal: CurrentPrincipal) -> WarningRead:
    read = warning_service.acknowledge_warning(session, principal=principal,
                                               warning_id=warning_id)
    session.commit()
    return read


@router.get("/api/mode-notifications", response_model=Page[NotificationRead])
def list_notifications(session: SessionDep, principal: CurrentPrincipal,
                       paging: PageDep) -> Page[NotificationRead]:
    return warning_service.list_notifications(session, principal=principal, page=paging.page,
                                              page_size=paging.page_size)


# --- proposals and indicators ---------------------------------------------------------------

@router.get("/api/mode-proposals", response_model=Page[ProposalRead])
def list_proposals(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    status: ProposalStatus | None = None,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
) -> Page[ProposalRead]:
    return triggers.list_proposals(session, principal=principal, status=status, within=within,
                                   page=paging.page, page_size=paging.page_size)


@router.get("/api/mode-proposals/{proposal_id}", response_model=ProposalRead)
def read_proposal(proposal_id: int, session: SessionDep,
                  principal: CurrentPrincipal) -> ProposalRead:
    return triggers.get_proposal(session, principal=principal, proposal_id=proposal_id)


@router.post("/api/mode-proposals/{proposal_id}/confirm", response_model=ModeSwitchRead)
def confirm_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal,
                     body: ProposalDecision | None = None) -> ModeSwitchRead:
    switch = triggers.confirm_proposal(session, principal=principal, proposal_id=proposal_id,
                                       reason=body.reason if body else "")
    session.commit()
    return switch


@router.post("/api/mode-proposals/{proposal_id}/dismiss", response_model=ProposalRead)
def dismiss_proposal(proposal_id: int, session: SessionDep, principal: CurrentPrincipal,
                     body: ProposalDecision | None = None) -> ProposalRead:
    read = triggers.dismiss_proposal(session, principal=principal, proposal_id=proposal_id,
                                     reason=body.reason if body else "")
    session.commit()
    return read


@router.post("/api/indicators", response_model=IndicatorReceipt,
             status_code=status.HTTP_201_CREATED)
def post_indicator(body: IndicatorPost, session: SessionDep,
                   principal: CurrentPrincipal) -> IndicatorReceipt:
    """Record a reading; a threshold crossed upwards proposes or performs a switch."""
    receipt = triggers.post_indicator(session, principal=principal, data=body)
    session.commit()
    return receipt


@router.get("/api/trigger-rules", response_model=TriggerRules)
def read_trigger_rules(session: SessionDep, principal: CurrentPrincipal) -> TriggerRules:
    return triggers.get_trigger_rules(session, principal=principal)


@router.put("/api/trigger-rules", response_model=TriggerRules)
def replace_trigger_rules(body: TriggerRules, session: SessionDep,
                          principal: CurrentPrincipal) -> TriggerRules:
    rules = triggers.replace_trigger_rules(session, principal=principal, data=body)
    session.commit()
    return rules


# --- plans ----------------------------------------------------------------------------------

@router.get("/api/plans", response_model=list[PlanSummary])
def list_plans(session: SessionDep, principal: CurrentPrincipal, hazard: str | None = None,
               area_kind: AreaKind | None = None) -> list[PlanSummary]:
    """The latest version of every plan."""
    return plan_service.list_plans(session, principal=principal, hazard=hazard,
                                   area_kind=area_kind.value if area_kind else None)


_PLAN_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]}}}}}


async def _plan_body(request: Request) -> tuple[bytes, str]:
    """The raw body (at most 1 MB) and its content type."""
    raw = await request.body()
    if len(raw) > MAX_PLAN_BYTES:
        raise ImportRejected(details={"reason": "larger than 1 MB"})
    return raw, request.headers.get("content-type", "")


@router.post("/api/plans", response_model=PlanImportReport, openapi_extra=_PLAN_BODY)
def import_plans(body: Annotated[tuple[bytes, str], Depends(_plan_body)], session: SessionDep,
                 principal: CurrentPrincipal,
                 file: Annotated[str, Query(max_length=255)] = "upload.yaml"
                 ) -> PlanImportReport:
    """Import a YAML plan file (one plan per document) or JSON plans; all or nothing."""
    raw, content_type = body
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedJson(details={"reason": str(exc)}) from exc
        items = data if isinstance(data, list) else [data]
        report = plan_service.import_plan_data(session, principal=principal, items=items,
                                               file=file)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRejected(details={"file": file, "reason": "not UTF-8"}) from exc
        report = plan_service.import_plan_text(session, principal=principal, text=text,
                                               file=file)
    session.commit()
    return report


@router.get("/api/plans/export", response_class=PlainTextResponse,
            responses={200: {"content": {"application/yaml": {}}}})
def export_plans(session: SessionDep, principal: CurrentPrincipal,
                 hazard: str | None = None) -> Response:
    """The latest plans as one YAML text (one document per plan)."""
    body = plan_service.export_text(session, principal=principal, hazard=hazard)
    return Response(body, media_type=YAML_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{hazard or "plans"}.yaml"'})


@router.get("/api/plans/{hazard}/{level}/{area_kind}", response_model=PlanRead)
def read_plan(hazard: str, level: Mode, area_kind: AreaKind, session: SessionDep,
              principal: CurrentPrincipal,
              version: Annotated[int | None, Query(ge=1)] = None) -> PlanRead:
    row = plan_service.get_plan(session, principal=principal, hazard=hazard, level=level,
                                area_kind=area_kind.value, version=version)
    return plan_service.plan_read(row)
