"""Notices for staff: the list in scope, one notice (approve by a second person, send,
update, cancel, relay a received alert, the delivery report, the CAP export link), CAP
import by upload, and the "active alerts" layer of the situation map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from communitas.alerts import cap_service, subscriptions
from communitas.alerts import notice_service as notices
from communitas.alerts.cap import MAX_CAP_BYTES
from communitas.alerts.models import Notice, NoticeArea, NoticeState
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import NoticeCancel, NoticeRevision
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import SystemClock
from communitas.errors import CommunitasError
from communitas.i18n import _
from communitas.web import work_labels
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, validate
from communitas.web.nav import NAV, NavItem
from communitas.web.notice_compose import parse_local_time, private_text_errors
from communitas.web.pages import FormDep
from communitas.web.routing import PageRoute
from communitas.web.situation import MAP_LAYERS, MapLayer

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["active_alerts", "router"]

NAV.append(NavItem("/notices", _("Notices"), Permission.NOTICE_READ))
REVISION = ("title_zh", "title_en", "body_zh", "body_en", "severity", "urgency", "note",
            "expires_at")


def active_alerts(session: Session, principal: Principal, within: str) -> dict[str, float]:
    """Sent, unexpired notices covering each community in scope (a notice on a street
    covers its communities; one on a building or grid, the community it lies in)."""
    now = SystemClock().now()
    root = areas.get_area(session, code=within)
    low, high = root.subtree_bounds()
    community, covered = aliased(Area), aliased(Area)
    rows = session.execute(
        select(community.code, func.count(func.distinct(Notice.id)))
        .select_from(Notice).join(NoticeArea, NoticeArea.notice_id == Notice.id)
        .join(covered, covered.id == NoticeArea.area_id)
        .join(community, or_(community.path.startswith(covered.path),
                             covered.path.startswith(community.path)))
        .where(Notice.state == NoticeState.SENT,
               or_(Notice.expires_at.is_(None), Notice.expires_at > now),
               community.kind == AreaKind.COMMUNITY, community.path >= low,
               community.path < high)
        .group_by(community.code)).all()
    return {code: float(n) for code, n in rows}


MAP_LAYERS.append(MapLayer("alerts", _("Active alerts"), active_alerts, "#c62828"))


@router.get("/notices")
def notice_list(page: StaffDep, state: NoticeState | None = None) -> Response:
    require(page.staff, Permission.NOTICE_READ)
    found = notices.list_notices(page.session, principal=page.staff, state=state,
                                 page_size=100)
    return render(page, "notices.html", title=page.t("Notices"), notices=found.items,
                  total=found.total, chosen=state, wl=work_labels,
                  can_compose=page.can(Permission.NOTICE_COMPOSE),
                  can_import=page.can(Permission.NOTICE_IMPORT))


# --- CAP import ---------------------------------------------------------------------------

def _import_page(page: Page, errors: FormErrors, problems: list[dict[str, str]],
                 status: int = 200) -> Response:
    return render(page, "cap_import.html", status=status, title=page.t("Import a CAP file"),
                  errors=errors, problems=problems)


@router.get("/notices/import")
def import_form(page: StaffDep) -> Response:
    require(page.staff, Permission.NOTICE_IMPORT)
    return _import_page(page, FormErrors(page.locale), [])


@router.post("/notices/import")
def import_upload(page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    upload = form.get("file")
    errors = FormErrors(page.locale)
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors.add("file", _("Choose a CAP file to upload"))
        return _import_page(page, errors, [], status=422)
    xml = upload.file.read(MAX_CAP_BYTES + 1)
    try:
        receipt = cap_service.import_cap(page.session, principal=page.staff, xml=xml,
                                         oasis=field_text(form, "oasis", 5) == "1")
    except CommunitasError as exc:
        page.session.rollback()
        errors.add("file", exc.message, **exc.params)
        details = exc.details if isinstance(exc.details, list) else []
        return _import_page(page, errors, [d for d in details if isinstance(d, dict)],
                            status=exc.status)
    page.session.commit()
    return _to(receipt.notice.id)


def _detail(page: Page, notice_id: int, errors: FormErrors | None = None,
            values: dict[str, Any] | None = None, status: int = 200) -> Response:
    notice = notices.get_notice(page.session, notice_id=notice_id)
    notices.readable(page.session, page.staff, notice)
    read = notices.notice_reads(page.session, [notice])[0]
    report = subscriptions.delivery_report(page.session, principal=page.staff,
                                           notice_id=notice_id) \
        if page.can(Permission.NOTICE_READ) else None
    totals: dict[str, int] = {}
    for count in report.counts if report else []:
        totals[count.status.value] = totals.get(count.status.value, 0) + count.count
    ours = read.source != "imported"
    return render(page, "notice.html", status=status, title=read.title_zh
                  if page.locale == "zh_CN" else read.title_en, n=read, report=report,
                  totals=totals, wl=work_labels, errors=errors or FormErrors(page.locale),
                  values=values or {}, ours=ours,
                  can_compose=page.can(Permission.NOTICE_COMPOSE),
                  can_approve=page.can(Permission.NOTICE_APPROVE))


@router.get("/notices/{notice_id}")
def notice_page(notice_id: int, page: StaffDep) -> Response:
    return _detail(page, notice_id)


@router.get("/notices/{notice_id}/cap.xml")
def cap_export(notice_id: int, page: StaffDep) -> Response:
    """The notice as CAP 1.2 XML, for the signed-in reader (drafts included, in scope)."""
    xml = cap_service.export_cap(page.session, principal=page.staff, notice_id=notice_id)
    return Response(content=xml, media_type="application/cap+xml", headers={
        "Content-Disposition": f'attachment; filename="notice-{notice_id}.xml"'})


def _refused(page: Page, notice_id: int, exc: CommunitasError, field: str,
             values: dict[str, Any] | None = None) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    if values is not None:  # a form: the refusal may name one of its fields
        errors.from_refusal(exc, {"note": "note", "expires_at": "expires_at"})
    if not errors.fields:  # a refusal of the step itself: show it by its button
        errors.general.clear()
        errors.add(field, exc.message, **exc.params)
    return _detail(page, notice_id, errors, values, status=exc.status)


def _to(notice_id: int) -> Response:
    return RedirectResponse(f"/notices/{notice_id}", status_code=303)


@router.post("/notices/{notice_id}/approve")
def approve(notice_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        notices.approve_notice(page.session, principal=page.staff, notice_id=notice_id)
    except CommunitasError as exc:
        return _refused(page, notice_id, exc, "approve")
    page.session.commit()
    return _to(notice_id)


@router.post("/notices/{notice_id}/send")
def send(notice_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        notices.send_notice(page.session, principal=page.staff, notice_id=notice_id)
    except CommunitasError as exc:
        return _refused(page, notice_id, exc, "send")
    page.session.commit()
    return _to(notice_id)


@router.post("/notices/{notice_id}/relay")
def relay(notice_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        draft = notices.relay_notice(page.session, principal=page.staff, notice_id=notice_id,
                                     channels=["in_app"],
                                     issuer=Issuer.from_settings(page.settings))
    except CommunitasError as exc:
        return _refused(page, notice_id, exc, "relay")
    page.session.commit()
    return _to(draft.id)


@router.post("/notices/{notice_id}/update")
def update(notice_id: int, page: StaffDep, form: FormDep) -> Response:
    """A draft Update: only the fields filled in change."""
    check_csrf(page, form.get("csrf_token"))
    values = {n: field_text(form, n, 4000) for n in REVISION}
    errors = FormErrors(page.locale)
    private_text_errors(values, ("title_zh", "title_en", "body_zh", "body_en", "note"), errors)
    data: dict[str, Any] = {n: values[n] for n in REVISION
                            if values[n] and n not in errors.fields and n != "expires_at"}
    expires = parse_local_time(values["expires_at"], "expires_at", errors)
    if expires is not None:
        data["expires_at"] = expires
    if not data and not errors:
        errors.add("note", _("Change at least one field"))
    body = validate(NoticeRevision, data, errors, {n: n for n in REVISION})
    if body is None or errors:
        return _detail(page, notice_id, errors, values, status=422)
    try:
        draft = notices.update_notice(page.session, principal=page.staff, notice_id=notice_id,
                                      data=body, issuer=Issuer.from_settings(page.settings))
    except CommunitasError as exc:
        return _refused(page, notice_id, exc, "note", values)
    page.session.commit()
    return _to(draft.id)


@router.post("/notices/{notice_id}/cancel")
def cancel(notice_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {"cancel_note": field_text(form, "cancel_note", 1100)}
    errors = FormErrors(page.locale)
    private_text_errors(values, ("cancel_note",), errors)
    body = validate(NoticeCancel, {"note": values["cancel_note"]}, errors,
                    {"note": "cancel_note"})
    if body is None or errors:
        return _detail(page, notice_id, errors, values, status=422)
    try:
        draft = notices.cancel_notice(page.session, principal=page.staff, notice_id=notice_id,
                                      data=body, issuer=Issuer.from_settings(page.settings))
    except CommunitasError as exc:
        return _refused(page, notice_id, exc, "cancel_note", values)
    page.session.commit()
    return _to(draft.id)
