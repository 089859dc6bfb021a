"""Activation output shapes (read-only; activations are made by mode switches)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from communitas.modes.activation_models import ActivationStatus
from communitas.modes.levels import Mode
from communitas.schemas import ReadModel

__all__ = ["ActivationDetail", "ActivationItemRead", "ActivationRead", "ActivationRoleRead"]


class ActivationRead(ReadModel):
    id: int
    area_code: str
    area_kind: str
    hazard: str
    level: Mode
    plan_level: Mode | None
    plan_version: int | None
    status: ActivationStatus
    trigger: str
    warning_id: int | None
    activated_by: str
    requested_at: datetime
    activated_at: datetime
    ready_at: datetime | None
    latency_ms: int | None
    work_ms: int | None
    counts: dict[str, Any]
    error: str | None
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None
    successor_id: int | None


class ActivationRoleRead(ReadModel):
    role_key: str
    title_zh: str
    title_en: str
    slot_code: str
    holder_ref: str
    holder_kind: str | None
    holder_code: str | None
    assigned_at: datetime | None
    released_at: datetime | None


class ActivationItemRead(ReadModel):
    kind: str
    ref_id: int
    code: str
    due_at: datetime | None
    state: str


class ActivationDetail(ActivationRead):
    roles: list[ActivationRoleRead]
    items: list[ActivationItemRead]
