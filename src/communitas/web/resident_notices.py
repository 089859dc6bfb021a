"""Official notices for residents: every public notice for an area (no account needed),
and the in-app feed of a signed-in resident."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.models import Person
from communitas.alerts import feed
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.errors import NotFound
from communitas.i18n import _
from communitas.web import work_labels
from communitas.web.context import PageDep, StaffDep, render
from communitas.web.lookups import area_choices, local_name
from communitas.web.nav import NAV, NavItem
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router"]

NAV.append(NavItem("/feed", _("My notices"), None, frozenset({Role.RESIDENT})))
NAV.append(NavItem("/area-notices", _("Official notices"), None, frozenset({Role.RESIDENT})))


@router.get("/area-notices")
def choose_area(page: PageDep, area: Annotated[str | None, Query(max_length=32)] = None
                ) -> Response:
    """Pick a community; a signed-in resident goes straight to their own."""
    if area:
        return RedirectResponse(f"/area-notices/{area}", status_code=303)
    home = _home_community(page.session, page.principal)
    if home:
        return RedirectResponse(f"/area-notices/{home}", status_code=303)
    choices = area_choices(page.session, kinds=(AreaKind.COMMUNITY,))
    return render(page, "area_notices_choose.html", title=page.t("Official notices"),
                  choices=choices)


def _home_community(session: Session, principal: Principal | None) -> str | None:
    """The community a signed-in resident lives in (their building's community)."""
    if principal is None or principal.person_id is None:
        return None
    person = session.get(Person, principal.person_id)
    if person is None:
        return None
    ids = [int(i) for i in areas.get_area_by_id(session, area_id=person.area_id)
           .path.strip("/").split("/") if i]
    return session.execute(select(Area.code).where(
        Area.id.in_(ids), Area.kind == AreaKind.COMMUNITY)).scalar_one_or_none()


@router.get("/area-notices/{code}")
def area_notices(code: str, page: PageDep,
                 all: Annotated[bool, Query()] = False) -> Response:
    """Public notices for the area (those above it and inside it too), newest first."""
    try:
        area = areas.get_area(page.session, code=code)
    except NotFound:
        return RedirectResponse("/area-notices", status_code=303)
    found = feed.area_notices(page.session, code=code, active_only=not all, page_size=50)
    return render(page, "area_notices.html", title=page.t("Official notices"), area=area,
                  name=local_name(area, page.locale), notices=found.items, showing_all=all,
                  wl=work_labels)


@router.get("/feed")
def my_feed(page: StaffDep) -> Response:
    """The notices delivered to the signed-in resident, newest first."""
    items = feed.resident_feed(page.session, principal=page.staff, page_size=50).items
    return render(page, "feed.html", title=page.t("My notices"), items=items, wl=work_labels)
