"""Rumours: residents report a claim they heard; staff triage the groups of similar claims
(verify, rebut, ignore; a rebuttal is a draft public notice that a second person approves);
everyone reads an area's verified information and rebuttals, without an account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from communitas.alerts import feed
from communitas.alerts import notice_service as notices
from communitas.alerts.models import Notice
from communitas.alerts.notice_service import Issuer
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.auth.permissions import require
from communitas.auth.roles import Permission, Role
from communitas.community import claims, lookups
from communitas.community.models import ClaimCluster, ClaimReport, ClusterStatus
from communitas.community.places import places_of
from communitas.community.schemas import ClaimReportIn, ClusterRead, ClusterTriage
from communitas.errors import CommunitasError, NotFound
from communitas.i18n import _
from communitas.privacy import contains_private_data
from communitas.web import community_labels, work_labels
from communitas.web.aid_pages import surface_unplaced
from communitas.web.context import Page, PageDep, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, validate
from communitas.web.lookups import AreaChoice, area_choices, local_name
from communitas.web.nav import NAV, NavItem
from communitas.web.pages import FormDep
from communitas.web.queue import scope_code
from communitas.web.resident_notices import _home_community
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router"]

NAV.append(NavItem("/claims", _("Rumours"), Permission.CLAIM_TRIAGE))
NAV.append(NavItem("/claims/report", _("Report a rumour"), None, frozenset({Role.RESIDENT})))
NAV.append(NavItem("/verified", _("Verified information"), None, frozenset({Role.RESIDENT})))

TRIAGE = ("verdict", "verdict_zh", "verdict_en", "title_zh", "title_en")
REPORT_VARIANTS = 5  # the distinct wordings shown under each group


# --- triage (staff) -----------------------------------------------------------------------

def _variants(page: Page, cluster_ids: list[int]) -> dict[int, list[str]]:
    """A few distinct wordings reported in each group (never who reported them)."""
    found: dict[int, list[str]] = {cid: [] for cid in cluster_ids}
    rows = page.session.execute(select(ClaimReport.cluster_id, ClaimReport.text).where(
        ClaimReport.cluster_id.in_(cluster_ids)).order_by(ClaimReport.id)).all()
    for cid, text in rows:
        if text not in found[cid] and len(found[cid]) < REPORT_VARIANTS:
            found[cid].append(text)
    return found


def _notice_states(page: Page, clusters: list[ClusterRead]) -> dict[int, str]:
    ids = [c.notice_id for c in clusters if c.notice_id is not None]
    return {nid: state.value for nid, state in page.session.execute(
        select(Notice.id, Notice.state).where(Notice.id.in_(ids))).all()}


def _claims_page(page: Page, area: str, status: str, errors: FormErrors | None = None,
                 values: dict[str, str] | None = None, http_status: int = 200,
                 codes: dict[str, str] | None = None) -> Response:
    chosen = None if status == "all" else ClusterStatus(status)
    found = claims.list_clusters(page.session, principal=page.staff, within=area,
                                 status=chosen)
    choices = area_choices(page.session, kinds=(AreaKind.STREET, AreaKind.COMMUNITY),
                           within=scope_code(page))
    errors = errors or FormErrors(page.locale)
    shown = {f"{n}-{c.id}" for c in found if c.status is ClusterStatus.OPEN for n in TRIAGE}
    shown |= {f"approve-{c.id}" for c in found if c.notice_id is not None}
    surface_unplaced(errors, shown, tuple(f"{n}-" for n in (*TRIAGE, "approve")))
    return render(page, "claims.html", status=http_status, title=page.t("Rumours"),
                  clusters=found, variants=_variants(page, [c.id for c in found]),
                  notice_states=_notice_states(page, found), area=area, chosen=status,
                  choices=choices, errors=errors, values=values or {}, codes=codes or {},
                  cl=community_labels, wl=work_labels,
                  can_approve=page.can(Permission.NOTICE_APPROVE))


def _status(text: str | None) -> str:
    return text if text in {"all", *(s.value for s in ClusterStatus)} else "open"


@router.get("/claims")
def claim_list(page: StaffDep, area: Annotated[str | None, Query(max_length=32)] = None,
               status: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    """Groups of similar claims reported in an area of the reader's scope, most reported
    first; open ones by default."""
    require(page.staff, Permission.CLAIM_TRIAGE)
    return _claims_page(page, area or scope_code(page), _status(status))


def _back(area: str, cluster_id: int) -> Response:
    return RedirectResponse(f"/claims?area={area}&status=all#claim-{cluster_id}",
                            status_code=303)


def _refused(page: Page, area: str, exc: CommunitasError, field: str,
             values: dict[str, str] | None = None, rename: dict[str, str] | None = None
             ) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.from_refusal(exc, rename)
    if not errors.fields:
        errors.general.clear()
        errors.add(field, exc.message, **exc.params)
    return _claims_page(page, area, "all", errors, values, http_status=exc.status,
                        codes={field: exc.code})


@router.post("/claims/{cluster_id}/triage")
def triage(cluster_id: int, page: StaffDep, form: FormDep) -> Response:
    """Verify, rebut or ignore a group; a rebuttal becomes a draft notice to approve."""
    check_csrf(page, form.get("csrf_token"))
    area = field_text(form, "area", 32) or scope_code(page)
    typed = {n: field_text(form, n, 1100) for n in TRIAGE}
    values = {f"{n}-{cluster_id}": v for n, v in typed.items()}
    rename = {n: f"{n}-{cluster_id}" for n in TRIAGE}
    errors = FormErrors(page.locale)
    for name in ("verdict_zh", "verdict_en", "title_zh", "title_en"):
        if contains_private_data(typed[name]):
            errors.add(rename[name], _("Must not contain a phone or identity number"))
    data: dict[str, Any] = {n: typed[n] for n in TRIAGE
                            if typed[n] and rename[n] not in errors.fields}
    if typed["verdict"] not in community_labels.VERDICT:
        errors.add(rename["verdict"], _("Choose one of the options"))
        data["verdict"] = "ignore"  # reported above; the other fields are still checked
    body = validate(ClusterTriage, data, errors, rename)
    if body is None or errors:
        return _claims_page(page, area, "all", errors, values, http_status=422)
    try:
        claims.triage(page.session, principal=page.staff, cluster_id=cluster_id, data=body,
                      issuer=Issuer.from_settings(page.settings))
    except CommunitasError as exc:
        return _refused(page, area, exc, f"verdict-{cluster_id}", values, rename)
    page.session.commit()
    return _back(area, cluster_id)


def _rebuttal(page: Page, cluster_id: int) -> int:
    cluster = page.session.get(ClaimCluster, cluster_id)
    if cluster is None or cluster.notice_id is None:
        raise NotFound(_("Unknown claim {value}"), code="unknown_claim", value=cluster_id)
    return cluster.notice_id


@router.post("/claims/{cluster_id}/approve")
def approve(cluster_id: int, page: StaffDep, form: FormDep) -> Response:
    """Approve the rebuttal notice: a second person, never the one who wrote it."""
    check_csrf(page, form.get("csrf_token"))
    area = field_text(form, "area", 32) or scope_code(page)
    try:
        notices.approve_notice(page.session, principal=page.staff,
                               notice_id=_rebuttal(page, cluster_id))
    except CommunitasError as exc:
        return _refused(page, area, exc, f"approve-{cluster_id}")
    page.session.commit()
    return _back(area, cluster_id)


@router.post("/claims/{cluster_id}/send")
def send(cluster_id: int, page: StaffDep, form: FormDep) -> Response:
    """Send the approved rebuttal to the residents where the claim was heard."""
    check_csrf(page, form.get("csrf_token"))
    area = field_text(form, "area", 32) or scope_code(page)
    try:
        notices.send_notice(page.session, principal=page.staff,
                            notice_id=_rebuttal(page, cluster_id))
    except CommunitasError as exc:
        return _refused(page, area, exc, f"approve-{cluster_id}")
    page.session.commit()
    return _back(area, cluster_id)


# --- reporting (residents, and staff for a resident who called in) -----------------------

def _report_choices(page: Page) -> list[AreaChoice]:
    """Residents: the communities of their street; staff: the communities of their scope."""
    principal = page.staff
    if principal.person_id is None:
        return area_choices(page.session, kinds=(AreaKind.COMMUNITY,),
                            within=scope_code(page))
    person = lookups.people_by_id(page.session, [principal.person_id])[principal.person_id]
    street_id = places_of(page.session, [person.area_id])[person.area_id].street_id
    if street_id is None:
        return []
    street = areas.get_area_by_id(page.session, area_id=street_id)
    return area_choices(page.session, kinds=(AreaKind.COMMUNITY,), within=street.code)


def _report_page(page: Page, errors: FormErrors | None = None,
                 values: dict[str, str] | None = None, status: int = 200,
                 done: ClaimCluster | None = None) -> Response:
    return render(page, "claim_report.html", status=status, title=page.t("Report a rumour"),
                  choices=_report_choices(page), errors=errors or FormErrors(page.locale),
                  values=values or {}, done=done, cl=community_labels,
                  resident=page.staff.person_id is not None,
                  home=_home_community(page.session, page.principal))


@router.get("/claims/report")
def report_form(page: StaffDep, done: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The form; after a report, the thanks (and the verdict if the claim was checked)."""
    cluster = page.session.get(ClaimCluster, done) if done else None
    return _report_page(page, done=cluster)


@router.post("/claims/report")
def report(page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    values = {"text": field_text(form, "text", 600), "area": field_text(form, "area", 40)}
    errors = FormErrors(page.locale)
    if contains_private_data(values["text"]):
        errors.add("text", _("Must not contain a phone or identity number"))
    data = {"area_code": values["area"] or None}
    if "text" not in errors.fields:  # else its message stands, the rest is still checked
        data["text"] = values["text"]
    body = validate(ClaimReportIn, data, errors, {"text": "text", "area_code": "area"})
    if body is None or errors:
        return _report_page(page, errors, values, status=422)
    try:
        result = claims.report_claim(page.session, principal=page.staff, data=body)
    except CommunitasError as exc:
        page.session.rollback()
        errors.from_refusal(exc, {"text": "text", "area_code": "area"})
        if not errors.fields:
            errors.general.clear()
            errors.add("area", exc.message, **exc.params)
        return _report_page(page, errors, values, status=exc.status)
    page.session.commit()
    return RedirectResponse(f"/claims/report?done={result.cluster_id}", status_code=303)


# --- the public feed ----------------------------------------------------------------------

@router.get("/verified")
def choose_area(page: PageDep, area: Annotated[str | None, Query(max_length=32)] = None
                ) -> Response:
    """Pick a community; a signed-in resident goes straight to their own."""
    target = area or _home_community(page.session, page.principal)
    if target:
        return RedirectResponse(f"/verified/{target}", status_code=303)
    return render(page, "verified_choose.html", title=page.t("Verified information"),
                  choices=area_choices(page.session, kinds=(AreaKind.COMMUNITY,)))


@router.get("/verified/{code}")
def verified(code: str, page: PageDep) -> Response:
    """Public: rebuttals and verified claims of the area, and its official notices."""
    try:
        area = areas.get_area(page.session, code=code)
    except NotFound:
        return RedirectResponse("/verified", status_code=303)
    found = claims.verified_claims(page.session, code=code)
    notes = feed.area_notices(page.session, code=code, active_only=True, page_size=50).items
    return render(page, "verified.html", title=page.t("Verified information"), area=area,
                  name=local_name(area, page.locale), claims=found, notices=notes,
                  cl=community_labels, wl=work_labels)
