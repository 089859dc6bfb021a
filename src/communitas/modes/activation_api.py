"""Activation routes: read-only (activations are made by mode switches), and the report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.modes import activation_reads, activation_report
from communitas.modes.activation_models import ActivationStatus
from communitas.modes.activation_schemas import ActivationDetail, ActivationRead
from communitas.schemas import Page

router = APIRouter(tags=["activations"])


@router.get("/api/activations", response_model=Page[ActivationRead])
def list_activations(
    session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
    status: ActivationStatus | None = None,
    within: Annotated[str | None, Query(description="code of the subtree root")] = None,
) -> Page[ActivationRead]:
    """Activations of the areas in your scope, newest first."""
    return activation_reads.list_activations(
        session, principal=principal, status=status, within=within, page=paging.page,
        page_size=paging.page_size)


@router.get("/api/activations/{activation_id}", response_model=ActivationDetail)
def read_activation(activation_id: int, session: SessionDep,
                    principal: CurrentPrincipal) -> ActivationDetail:
    """One activation: its roles (filled or unstaffed) and the tasks, requests and alerts
    it issued, with switch-to-ready latency."""
    return activation_reads.get_activation(session, principal=principal,
                                             activation_id=activation_id)


@router.get("/api/activations/{activation_id}/report")
def activation_report_json(activation_id: int, session: SessionDep,
                           principal: CurrentPrincipal) -> dict[str, Any]:
    """The after-action report's data (the CLI also writes it as HTML with charts)."""
    return activation_report.build_report(session, principal=principal,
                                          activation_id=activation_id)
