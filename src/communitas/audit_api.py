"""Audit routes: read the event log and verify its hash chain."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from communitas.api.deps import CurrentPrincipal, PageDep, SessionDep
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.events import Event, verify_chain
from communitas.pagination import paginate
from communitas.schemas import Page, ReadModel

router = APIRouter(prefix="/api/audit", tags=["audit"])


class EventRead(ReadModel):
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    area_code: str | None
    payload: dict[str, Any]
    hash: str


class ChainReport(BaseModel):
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


@router.get("/events", response_model=Page[EventRead])
def list_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PageDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[EventRead]:
    require(principal, Permission.AUDIT_READ)
    query = select(Event).order_by(Event.seq.desc())
    if action:
        query = query.where(Event.action == action)
    if subject_id:
        query = query.where(Event.subject_id == subject_id)
    rows, total = paginate(session, query, page=paging.page, page_size=paging.page_size)
    items = [EventRead.model_validate({**_columns(e), "payload": json.loads(e.payload)})
             for e in rows]
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


def _columns(event: Event) -> dict[str, Any]:
    return {c: getattr(event, c) for c in ("seq", "at", "actor", "action", "subject_type",
                                           "subject_id", "area_code", "hash")}


@router.get("/verify", response_model=ChainReport)
def verify(session: SessionDep, principal: CurrentPrincipal) -> ChainReport:
    require(principal, Permission.AUDIT_READ)
    checked, broken = verify_chain(session)
    if broken is None:
        return ChainReport(ok=True, checked=checked)
    return ChainReport(ok=False, checked=checked, broken_at=broken.seq, reason=broken.reason)
