"""Resources: reserve gaps, holdings (with expiry warnings) and capacity offers, per
community or for the whole scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.pagination import paginate
from communitas.resources import capacity
from communitas.resources import service as resources
from communitas.resources.lookups import today
from communitas.web import labels
from communitas.web.context import StaffDep, render
from communitas.web.gaps import reserve_gaps
from communitas.web.lookups import area_choices, local_name, type_names
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["EXPIRY_WARNING_DAYS", "router"]

EXPIRY_WARNING_DAYS = 30
LIMIT = 100


@router.get("/resources")
def resources_page(page: StaffDep,
                   area: Annotated[str | None, Query(max_length=32)] = None,
                   p: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    principal = page.staff
    require(principal, Permission.RESOURCE_READ)
    scope = principal.scope_area_code
    root = areas.get_area(page.session, code=area) if area else (
        areas.get_area(page.session, code=scope) if scope else None)
    if root is not None and principal.scope_area_code:
        require(principal, Permission.RESOURCE_READ, area_path=root.path)
    within = root.code if root is not None else None
    on = today()
    soon = on + timedelta(days=EXPIRY_WARNING_DAYS)
    gaps = []
    if within is not None:
        gaps = [g for g in reserve_gaps(page.session, principal, within) if g.gap > 0]
    gaps.sort(key=lambda g: (-g.shortfall, g.community_code, g.resource_type_code))
    expiring = resources.holding_reads(page.session, page.session.execute(
        resources.list_holdings(page.session, principal=principal, within=within,
                                expiring_before=soon).limit(LIMIT)).scalars())
    expiring.sort(key=lambda h: (h.expires_on or soon, h.id))
    rows, total = paginate(page.session, resources.list_holdings(
        page.session, principal=principal, within=within), page=p, page_size=50)
    offers = capacity.capacity_offer_reads(page.session, page.session.execute(
        capacity.list_capacity_offers(page.session, principal=principal, within=within,
                                      active=True).limit(LIMIT)).scalars())
    communities = area_choices(page.session, kinds=(AreaKind.COMMUNITY,),
                               within=scope) if scope else []
    return render(page, "resources.html", title=page.t("Resources"), root=root,
                  root_name=local_name(root, page.locale) if root else "",
                  gaps=gaps[:LIMIT], gap_count=len(gaps), expiring=expiring, on=on,
                  holdings=resources.holding_reads(page.session, rows), total=total, p=p,
                  pages=(total + 49) // 50, offers=offers, communities=communities,
                  types=type_names(page.session), labels=labels, area=area or "")
