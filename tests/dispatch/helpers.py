"""Builders for request tests, on top of tests/resources/helpers.py."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.auth.roles import Role
from communitas.dispatch.models import Notification, RequestLine, ResourceRequest, Shipment
from communitas.events import Event
from communitas.resources.models import Holding
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, DISTRICT, STREET_A, login, make_user
from tests.resources.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    STREET_OFFICE_A,
    build_world,
    make_org,
)

__all__ = [
    "BUILDING_A1", "BUILDING_B1", "COMMITTEE_A1", "PHONE", "RESCUE", "STREET_OFFICE_A",
    "Staff", "body", "build_dispatch_world", "counts", "stock_total", "submit",
]

PHONE = "13912345678"
RESCUE = "RT-1"


class Staff:
    """Logins of the dispatch staff of the test city (English messages)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def headers(self, username: str) -> dict[str, str]:
        return {**login(self.client, username), "Accept-Language": "en"}

    @property
    def committee(self) -> dict[str, str]:
        return self.headers("juwei")

    @property
    def grid(self) -> dict[str, str]:
        return self.headers("wangge")

    @property
    def street(self) -> dict[str, str]:
        return self.headers("diaodu")

    @property
    def district(self) -> dict[str, str]:
        return self.headers("quzhang")

    @property
    def resident(self) -> dict[str, str]:
        return self.headers("jumin")


def build_dispatch_world(db: Session) -> None:
    """The resource world, a rescue team, dispatch staff and a resident with an account."""
    build_world(db)
    make_org(db, RESCUE, OrganisationKind.RESCUE_TEAM, DISTRICT)
    make_user(db, "juwei", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_A1)
    make_user(db, "wangge", Role.GRID_WORKER, area_code=COMMUNITY_A1)
    make_user(db, "diaodu", Role.STREET_DISPATCHER, area_code=STREET_A)
    make_user(db, "quzhang", Role.DISTRICT_COMMANDER, area_code=DISTRICT)
    make_person(db, "P-JUMIN", BUILDING_A1)
    make_user(db, "jumin", Role.RESIDENT, person_code="P-JUMIN")


def body(type_code: str = "water.bottled", quantity: int = 5, *,
         area: str = BUILDING_A1, **extra: Any) -> dict[str, Any]:
    """A one-line public request for ``quantity`` of ``type_code`` at ``area``."""
    return {"area_code": area, "lines": [{"resource_type_code": type_code,
                                           "quantity": quantity}], **extra}


def submit(client: TestClient, payload: dict[str, Any], *, key: str | None = None,
           headers: dict[str, str] | None = None, status: int = 201) -> dict[str, Any]:
    """POST a request and check the status; returns the receipt."""
    extra = {"Idempotency-Key": key} if key else {}
    response = client.post("/api/requests", json=payload, headers={
        "Accept-Language": "en", **(headers or {}), **extra})
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def counts(db: Session) -> dict[str, int]:
    """Row counts of the tables requests write, and of the event log."""
    return {model.__tablename__: db.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (ResourceRequest, RequestLine, Shipment, Notification, Event)}


def stock_total(db: Session) -> int:
    return int(db.execute(select(func.coalesce(func.sum(Holding.quantity), 0))).scalar_one())
