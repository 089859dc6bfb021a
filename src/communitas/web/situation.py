"""The situation map for commanders: every community in scope coloured by its effective mode,
with layers for open requests, unmet demand, reserve gaps, live warnings and low resilience
(the assessment of ``communitas assess``); a card per
community; the page polls ``/map/status.json`` and recolours itself.

Other domains add layers (active alerts, tasks …) by appending a :class:`MapLayer` to
``MAP_LAYERS``: a label and a function giving a number per community code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import SystemClock
from communitas.dispatch import views
from communitas.drills.assessment import assess_communities
from communitas.errors import PermissionDenied
from communitas.i18n import _
from communitas.modes import service as modes
from communitas.modes import warning_service
from communitas.modes.levels import MODE_COLOUR, MODE_LABELS, Mode
from communitas.web.context import Page, StaffDep, render
from communitas.web.gaps import reserve_gaps
from communitas.web.lookups import local_name, type_names
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["MAP_LAYERS", "MapLayer", "router"]

Values = dict[str, float]
@dataclass(frozen=True)
class MapLayer:
    key: str
    label: str  # an English msgid
    compute: Callable[[Session, Principal, str], Values]
    colour: str = "#444"


def _open_requests(session: Session, principal: Principal, within: str) -> Values:
    loads = views.community_load(session, principal=principal, within=within)
    return {code: float(load.requests) for code, load in loads.items()}


def _unmet(session: Session, principal: Principal, within: str) -> Values:
    loads = views.community_load(session, principal=principal, within=within)
    return {code: float(load.outstanding) for code, load in loads.items() if load.outstanding}


def _reserve_gaps(session: Session, principal: Principal, within: str) -> Values:
    """Mean shortfall over the ruled resource types (0 covered … 1 nothing), where short."""
    totals: dict[str, list[float]] = {}
    for gap in reserve_gaps(session, principal, within):
        totals.setdefault(gap.community_code, []).append(gap.shortfall)
    return {code: round(sum(v) / len(v), 3) for code, v in totals.items() if sum(v) > 0}


def _warnings(session: Session, principal: Principal, within: str) -> Values:
    """Live warnings (weather bureau and others, modes/) covering each community: a warning
    on the district or street covers every community below it."""
    live = warning_service.list_warnings(session, active_at=SystemClock().now(),
                                         within=within, page_size=500).items
    if not live:
        return {}
    communities = {a.code: a.path for a in session.execute(areas.list_areas(
        session, within=within, kind=AreaKind.COMMUNITY)).scalars()}
    paths: dict[str, str] = {}
    counts: Values = {}
    for warning in live:
        for code in warning.covered_area_codes:
            if code not in paths:
                paths[code] = areas.get_area(session, code=code).path
        covered = [paths[code] for code in warning.covered_area_codes]
        for code, path in communities.items():
            if any(path.startswith(c) or c.startswith(path) for c in covered):
                counts[code] = counts.get(code, 0.0) + 1
    return counts


def _low_resilience(session: Session, principal: Principal, within: str) -> Values:
    """100 − each community's resilience index (the assessment, docs/drills.md): the larger
    the circle, the less resilient. Only for roles that may read assessments; for others
    the layer is empty (the assessment checks the permission and reads the area once)."""
    try:
        found = assess_communities(session, principal=principal, within=within)
    except PermissionDenied:
        return {}
    return {a.code: round(100 - a.resilience, 2) for a in found}


MAP_LAYERS: list[MapLayer] = [
    MapLayer("requests", _("Open requests"), _open_requests, "#b00020"),
    MapLayer("unmet", _("Unmet demand (units)"), _unmet, "#e65100"),
    MapLayer("gaps", _("Reserve gaps"), _reserve_gaps, "#6a1b9a"),
    MapLayer("warnings", _("Active warnings"), _warnings, "#c49000"),
    MapLayer("resilience", _("Low resilience (100 − index)"), _low_resilience, "#00695c"),
]


def _map_page(page: Page) -> Page:
    require(page.staff, Permission.REQUEST_READ)
    return page


@router.get("/map")
def situation_map(page: StaffDep) -> Response:
    _map_page(page)
    root = areas.get_area(page.session, code=scope_code(page))
    return render(page, "map.html", title=page.t("Situation map"), body_class="map-page",
                  root=root, root_name=local_name(root, page.locale),
                  modes=[(m.value, page.t(MODE_LABELS[m]), MODE_COLOUR[m]) for m in Mode],
                  layers=[(layer.key, page.t(layer.label), layer.colour)
                          for layer in MAP_LAYERS],
                  tiles=page.settings.map_tile_url,
                  attribution=page.settings.map_tile_attribution,
                  refresh=page.settings.map_refresh_seconds)


@router.get("/map/areas.json")
def map_areas(page: StaffDep) -> Response:
    """Outlines of the communities and streets in scope (GeoJSON; they rarely change)."""
    _map_page(page)
    within = scope_code(page)
    features = []
    for kind in (AreaKind.STREET, AreaKind.COMMUNITY):
        for area in page.session.execute(areas.list_areas(page.session, within=within,
                                                          kind=kind)).scalars():
            if area.geometry is None:
                continue
            features.append({"type": "Feature", "geometry": area.geometry, "properties": {
                "code": area.code, "kind": kind.value, "name": local_name(area, page.locale)}})
    return JSONResponse({"type": "FeatureCollection", "features": features},
                        headers={"Cache-Control": "private, max-age=300"})


@router.get("/map/status.json")
def map_status(page: StaffDep,
               layers: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """Per community: effective mode and colour, and the value of each layer asked for
    (``layers=requests,gaps``; all when left out). The page polls it."""
    _map_page(page)
    within = scope_code(page)
    communities: dict[str, dict[str, Any]] = {}
    counts = {m.value: 0 for m in Mode}
    for read in modes.effective_modes(page.session, within=within, kind=AreaKind.COMMUNITY):
        communities[read.area_code] = {"mode": read.mode.value, "colour": read.colour}
        counts[read.mode.value] += 1
    wanted = set(layers.split(",")) if layers is not None else {m.key for m in MAP_LAYERS}
    values = {layer.key: layer.compute(page.session, page.staff, within)
              for layer in MAP_LAYERS if layer.key in wanted}
    return JSONResponse({"generated_at": SystemClock().now().isoformat(),
                         "communities": communities, "counts": counts, "layers": values},
                        headers={"Cache-Control": "no-store"})


@router.get("/map/community/{code}")
def community_card(code: str, page: StaffDep) -> Response:
    """The card shown when a community is clicked (an HTML fragment)."""
    _map_page(page)
    area = areas.get_area(page.session, code=code)
    require(page.staff, Permission.REQUEST_READ, area_path=area.path)
    mode = modes.get_effective_mode(page.session, code=code)
    load = views.community_load(page.session, principal=page.staff, within=code).get(code)
    gaps = sorted((g for g in reserve_gaps(page.session, page.staff, scope_code(page))
                   if g.community_code == code and g.gap > 0),
                  key=lambda g: -g.shortfall)[:5]
    return render(page, "map_card.html", area=area, name=local_name(area, page.locale),
                  mode=mode, mode_label=page.t(MODE_LABELS[mode.mode]),
                  load=load or views.CommunityLoad(), gaps=gaps,
                  types=type_names(page.session),
                  can_switch=page.can(Permission.MODE_SET, area.path))
