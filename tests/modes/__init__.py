"""Tests of modes/. Shared builders live here: the test city with its catalogue and staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.auth.roles import Role
from communitas.events import Event
from communitas.modes.models import (
    AreaMode,
    ModeNotification,
    ModeProposal,
    ModeWarning,
    ResponsePlan,
)
from communitas.resources import service as resources
from tests.factories import COMMUNITY_A1, DISTRICT, STREET_A, build_city, make_user

T0 = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)

STAFF = {
    "district": (Role.DISTRICT_COMMANDER, DISTRICT),
    "street": (Role.STREET_COMMANDER, STREET_A),
    "committee": (Role.COMMUNITY_COMMITTEE, COMMUNITY_A1),
    "grid": (Role.GRID_WORKER, COMMUNITY_A1),
}


def build_world(db: Session, *, staff: bool = False) -> None:
    """The two-street test city, the default catalogue and, if asked, one user per role."""
    build_city(db)
    resources.install_default_catalogue(db, principal=_system())
    if staff:
        for username, (role, area) in STAFF.items():
            make_user(db, username, role, area_code=area)
    db.flush()


def _system() -> Any:
    from communitas.auth.permissions import SYSTEM

    return SYSTEM


def counts(db: Session) -> dict[str, int]:
    """Row counts of the tables modes writes, and of the event log."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (AreaMode, ModeWarning, ModeProposal, ModeNotification, ResponsePlan,
                          Event)}


def warning_body(identifier: str = "44000041600000_20260720080000", *,
                 colour: str = "orange", hazard: str = "rainstorm",
                 expires: timedelta = timedelta(hours=12), **extra: Any) -> dict[str, Any]:
    """A plain warning record as the API takes it."""
    body: dict[str, Any] = {
        "identifier": identifier, "sender": "weather.bureau@example.cn", "hazard": hazard,
        "colour": colour, "urgency": "Immediate", "headline": "暴雨预警",
        "area_codes": [COMMUNITY_A1], "expires_at": (T0 + expires).isoformat()}
    body.update(extra)
    return body
