"""Composing a notice: bilingual fields, the area chosen from communities, drawn on a map
(a polygon clicked point by point, or a circle) or both; the draft then awaits approval."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from communitas.alerts import notice_service as notices
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import NoticeCreate
from communitas.areas.codes import AreaKind
from communitas.areas.schemas import HAZARDS
from communitas.auth.permissions import require
from communitas.auth.roles import Permission
from communitas.errors import CommunitasError
from communitas.i18n import _
from communitas.privacy import contains_private_data
from communitas.resources.lookups import CHINA_TZ
from communitas.web import labels, work_labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, validate
from communitas.web.lookups import area_choices
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["parse_local_time", "private_text_errors", "router"]

TEXTS = ("title_zh", "title_en", "body_zh", "body_en")
CHOICES = ("hazard", "category", "severity", "urgency", "certainty", "status", "scope")
SHAPES = ("polygon", "circle_lat", "circle_lon", "circle_km", "expires_at")
DEFAULTS = {"category": "Met", "severity": "Severe", "urgency": "Expected",
            "certainty": "Likely", "status": "Actual", "scope": "Public"}
_RENAME = {**{n: n for n in TEXTS + CHOICES}, "area_codes": "area_codes",
           "polygons": "polygon", "circles": "circle_km", "channels": "channels",
           "expires_at": "expires_at"}


def compose_page(page: Page, values: dict[str, Any], errors: FormErrors,
                 status: int = 200) -> Response:
    within = scope_code(page)
    return render(page, "notice_compose.html", status=status, title=page.t("Compose a notice"),
                  values=values, errors=errors, wl=work_labels, labels=labels,
                  hazards=[(h, labels.HAZARD[h]) for h in HAZARDS],
                  choices=area_choices(page.session, kinds=(AreaKind.STREET,
                                                            AreaKind.COMMUNITY), within=within),
                  tiles=page.settings.map_tile_url,
                  attribution=page.settings.map_tile_attribution)


@router.get("/notices/new")
def compose_form(page: StaffDep) -> Response:
    require(page.staff, Permission.NOTICE_COMPOSE)
    values: dict[str, Any] = {**dict.fromkeys(TEXTS + SHAPES, ""), **DEFAULTS,
                              "hazard": "flood", "area_codes": [], "channels": ["in_app"]}
    return compose_page(page, values, FormErrors(page.locale))


def private_text_errors(values: dict[str, Any], names: tuple[str, ...],
                        errors: FormErrors) -> None:
    """Notices are public: a phone or identity number is refused next to its field."""
    for name in names:
        if values.get(name) and contains_private_data(str(values[name])):
            errors.add(name, _("A notice must not contain phone or identity numbers"))


def parse_local_time(text: str, field: str, errors: FormErrors) -> datetime | None:
    """A ``datetime-local`` value read as Beijing time."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)
    except ValueError:
        errors.add(field, _("Enter a date and time"))
        return None


def _polygon(text: str, errors: FormErrors) -> list[list[float]] | None:
    """``lat,lon;lat,lon;…`` as clicked on the map, closed if it was not."""
    if not text:
        return None
    try:
        ring = [[float(x) for x in point.split(",")] for point in text.split(";") if point]
    except ValueError:
        ring = []
    if len(ring) < 3 or any(len(p) != 2 for p in ring):
        errors.add("polygon", _("Click at least three points to draw an area"))
        return None
    return [*ring, ring[0]] if ring[0] != ring[-1] else ring


def _circle(values: dict[str, Any], errors: FormErrors) -> dict[str, Any] | None:
    parts = [values["circle_lat"], values["circle_lon"], values["circle_km"]]
    if not any(parts):
        return None
    if not all(parts):
        errors.add("circle_km", _("A circle needs a centre and a radius"))
        return None
    return {"lat": parts[0], "lon": parts[1], "radius_km": parts[2]}


def _read(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {n: field_text(form, n, 4000) for n in TEXTS + CHOICES + SHAPES}
    values["area_codes"] = [str(v) for v in form.getlist("area_codes") if str(v)][:500]
    values["channels"] = [str(v) for v in form.getlist("channels") if str(v)][:2]
    return values


@router.post("/notices/new")
def compose(page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = _read(form)
    errors = FormErrors(page.locale)
    private_text_errors(values, TEXTS, errors)
    polygon = _polygon(values["polygon"], errors)
    circle = _circle(values, errors)
    if not (values["area_codes"] or polygon or circle or errors.fields.get("polygon")):
        errors.add("area_codes", _("Choose at least one area, or draw one on the map"))
    data: dict[str, Any] = {n: values[n] for n in TEXTS + CHOICES if n not in errors.fields}
    data.update(area_codes=values["area_codes"], polygons=[polygon] if polygon else [],
                circles=[circle] if circle else [], channels=values["channels"] or ["in_app"],
                expires_at=parse_local_time(values["expires_at"], "expires_at", errors))
    if not data["area_codes"] and not polygon and not circle:
        data["area_codes"] = ["-"]  # reported above; let the other fields be checked too
    body = validate(NoticeCreate, data, errors, _RENAME)
    if body is None or errors:
        return compose_page(page, values, errors, status=422)
    try:
        notice = notices.compose_notice(page.session, principal=page.staff, data=body,
                                        issuer=Issuer.from_settings(page.settings))
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, {**_RENAME, "area_code": "area_codes"})
        if not errors.fields:  # an area outside the author's scope: say so by the areas
            errors.general.clear()
            errors.add("area_codes", exc.message, **exc.params)
        return compose_page(page, values, errors, status=exc.status)
    page.session.commit()
    return RedirectResponse(f"/notices/{notice.id}", status_code=303)
