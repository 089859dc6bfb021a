"""Lookups shared by the resource use cases: codes to rows, scope clauses, dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.models import Organisation
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission, Role
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound, PermissionDenied
from communitas.i18n import _
from communitas.resources.models import (
    ResourceCategory,
    ResourceType,
)

__all__ = [
    "CATALOGUE_EDITORS",
    "CHINA_TZ",
    "Lookup",
    "codes_by_id",
    "get_category",
    "get_resource_type",
    "organisation_by_code",
    "path_ids",
    "require_catalogue_editor",
    "scope_clause",
    "today",
]

# Expiry dates are local dates; China keeps one time zone and no daylight saving.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
# The catalogue and the norms are shared city-wide, so only city-wide roles edit them.
CATALOGUE_EDITORS = frozenset({Role.PLATFORM_ADMIN, Role.DISTRICT_COMMANDER})


def today(clock: Clock | None = None) -> date:
    """The current date in China, by ``clock``."""
    return (clock or SystemClock()).now().astimezone(CHINA_TZ).date()



# --- Lookups --------------------------------------------------------------------------------

def get_category(session: Session, *, code: str) -> ResourceCategory:
    row = session.execute(
        select(ResourceCategory).where(ResourceCategory.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("Unknown resource category {value}"), code="unknown_resource_category",
                       value=code)
    return row


def get_resource_type(session: Session, *, code: str) -> ResourceType:
    row = session.execute(
        select(ResourceType).where(ResourceType.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("Unknown resource type {value}"), code="unknown_resource_type",
                       value=code)
    return row


def organisation_by_code(session: Session, code: str) -> Organisation:
    return actors.get_organisation(session, code=code)


class Lookup:
    """Resolves codes once per batch, so a bulk call makes one query per distinct code."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._types: dict[str, ResourceType] = {}
        self._orgs: dict[str, Organisation] = {}
        self._areas: dict[str, Area] = {}

    def resource_type(self, code: str) -> ResourceType:
        if code not in self._types:
            self._types[code] = get_resource_type(self.session, code=code)
        return self._types[code]

    def organisation(self, code: str) -> Organisation:
        if code not in self._orgs:
            self._orgs[code] = organisation_by_code(self.session, code)
        return self._orgs[code]

    def area(self, code: str) -> Area:
        if code not in self._areas:
            self._areas[code] = areas.get_area(self.session, code=code)
        return self._areas[code]


def codes_by_id(session: Session, column: Any, ids: Iterable[int]) -> dict[int, str]:
    """id → code for the table of ``column`` (an ``id``-keyed ``code`` column)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    table = column.class_
    rows = session.execute(select(table.id, column).where(table.id.in_(wanted))).all()
    return {row_id: code for row_id, code in rows}


def path_ids(path: str) -> list[int]:
    """The ids of an area and its ancestors, from its materialised path."""
    return [int(part) for part in path.strip("/").split("/") if part]



def require_catalogue_editor(principal: Principal) -> None:
    require(principal, Permission.RESOURCE_WRITE)
    if principal.role not in CATALOGUE_EDITORS:
        raise PermissionDenied(
            _("Only a platform admin or a district commander can change the catalogue"),
            details={"permission": Permission.RESOURCE_WRITE.value})




def scope_clause(principal: Principal, org_column: Any) -> ColumnElement[bool]:
    """SQL twin of permissions.can for listings; queries must join ``Area`` (the location)."""
    if principal.role is Role.ORG_LIAISON:
        return org_column == principal.org_id if principal.org_id is not None else false()
    bounds = area_range(principal)
    if bounds is None:
        return true()
    return and_(Area.path >= bounds[0], Area.path < bounds[1])
