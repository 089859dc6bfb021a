"""Residents offering help and stating needs: their posts, the matches the platform
proposes (the other side's contact note appears only once both accept, as the service
enforces), and taking part in mutual aid with their own consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from communitas.areas.models import Area
from communitas.auth.roles import Role
from communitas.community import exchange, lookups, neighbours
from communitas.community.lookups import PersonRef
from communitas.community.models import (
    AidMatch,
    AidPost,
    PairStatus,
)
from communitas.community.places import places_of
from communitas.community.schemas import EnrolmentCreate, PostCreate
from communitas.errors import CommunitasError, PermissionDenied
from communitas.i18n import _
from communitas.web import community_labels
from communitas.web.aid_pages import surface_unplaced
from communitas.web.context import Page, StaffDep, check_csrf, render
from communitas.web.forms import FormErrors, field_text, int_or_none, validate
from communitas.web.nav import NAV, NavItem
from communitas.web.pages import FormDep
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["router"]

PEOPLE_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})
NAV.append(NavItem("/offer", _("Offer help"), None, PEOPLE_ROLES))

POST = ("direction", "kind", "description", "display_name", "contact_note", "place")
OPT_IN = ("aid_role", "aid_capacity", "aid_note", "aid_consent")
_POST_RENAME = {**{n: n for n in POST}, "area_code": "place"}
_OPT_RENAME = {"role": "aid_role", "capacity": "aid_capacity", "shared_note": "aid_note",
               "person_code": "aid_role"}
# The resident ticked the consent box on this page; stored as the consent statement.
SELF_CONSENT = "本人在网页上勾选同意 / ticked the consent box on the web page"


@dataclass(frozen=True)
class PlaceChoice:
    code: str
    label: str  # an English msgid


def _me(page: Page) -> PersonRef:
    principal = page.staff
    if principal.person_id is None:
        raise PermissionDenied(_("Only an account linked to a person can post"),
                               code="not_a_person")
    return lookups.people_by_id(page.session, [principal.person_id])[principal.person_id]


def _places(page: Page, me: PersonRef) -> list[PlaceChoice]:
    """Where a post may be placed: the home building, its grid, its community."""
    place = places_of(page.session, [me.area_id])[me.area_id]
    ids = {place.building_id: _("My building"), place.grid_id: _("My grid"),
           place.community_id: _("My whole community")}
    codes = dict(page.session.execute(select(Area.id, Area.code).where(
        Area.id.in_([i for i in ids if i is not None]))).all())
    return [PlaceChoice(codes[i], label) for i, label in ids.items() if i in codes]


def _accepted_by_me(page: Page, match_ids: list[int]) -> set[int]:
    """Matches the reader has already accepted (waiting for the other side)."""
    me = page.staff.person_id
    rows = page.session.execute(
        select(AidMatch.id, AidMatch.offer_accepted_at, AidMatch.need_accepted_at,
               AidPost.person_id).join(AidPost, AidPost.id == AidMatch.offer_id)
        .where(AidMatch.id.in_(match_ids))).all()
    return {mid for mid, offer_at, need_at, offerer in rows
            if (offer_at if offerer == me else need_at) is not None}


def _offer_page(page: Page, errors: FormErrors | None = None,
                values: dict[str, str] | None = None, status: int = 200,
                posted: bool = False) -> Response:
    me = _me(page)
    principal = page.staff
    matches = exchange.my_matches(page.session, principal=principal)
    matches.sort(key=lambda m: (m.status.value != "proposed", -m.id))
    posts = exchange.list_posts(page.session, principal=principal, mine=True)
    posts.sort(key=lambda p: (p.status.value != "open", -p.id))
    enrolments = [e for e in neighbours.list_enrolments(page.session, principal=principal,
                                                        mine=True) if e.withdrawn_at is None]
    pairs = [p for p in neighbours.list_pairs(page.session, principal=principal, mine=True)
             if p.status in (PairStatus.AWAITING_HELPER, PairStatus.ACTIVE)]
    places = _places(page, me)
    errors = errors or FormErrors(page.locale)
    shown = ({f"match-{m.id}" for m in matches} | {f"post-{p.id}" for p in posts}
             | {f"pair-{p.id}" for p in pairs} | {f"enrolment-{e.id}" for e in enrolments})
    surface_unplaced(errors, shown, ("match-", "post-", "pair-", "enrolment-"))
    return render(page, "offer.html", status=status, title=page.t("Offer help"),
                  me=me, matches=matches, accepted=_accepted_by_me(page, [m.id for m in matches]),
                  posts=posts, enrolments=enrolments, pairs=pairs, places=places,
                  enrolled={e.role.value for e in enrolments}, posted=posted,
                  errors=errors, values=values or {"direction": "offer", "kind": "vehicle",
                                    "place": places[0].code if places else "",
                                    "aid_role": "helper", "aid_capacity": "1"},
                  cl=community_labels)


@router.get("/offer")
def offer(page: StaffDep, posted: bool = False) -> Response:
    """The reader's offers and needs, their matches, and their part in mutual aid."""
    return _offer_page(page, posted=posted)


def _refused(page: Page, exc: CommunitasError, field: str, values: dict[str, str] | None,
             rename: dict[str, str] | None = None) -> Response:
    page.session.rollback()
    errors = FormErrors(page.locale)
    errors.from_refusal(exc, rename)
    if not errors.fields:
        errors.general.clear()
        errors.add(field, exc.message, **exc.params)
    return _offer_page(page, errors, values, status=exc.status)


@router.post("/offer")
def post(page: StaffDep, form: FormDep) -> Response:
    """An offer or a need; the best counterpart nearby is proposed at once, if there is one."""
    check_csrf(page, form.get("csrf_token"))
    me = _me(page)
    values = {n: field_text(form, n, 400) for n in POST}
    errors = FormErrors(page.locale)
    if values["place"] not in {p.code for p in _places(page, me)}:
        errors.add("place", _("Choose one of the options"))
    data: dict[str, Any] = {n: values[n] for n in POST if n != "place"}
    data["area_code"] = values["place"] or None
    body = validate(PostCreate, data, errors, _POST_RENAME)
    if body is None or errors:
        return _offer_page(page, errors, values, status=422)
    try:
        exchange.create_post(page.session, principal=page.staff, data=body)
    except CommunitasError as exc:
        return _refused(page, exc, "description", values, _POST_RENAME)
    page.session.commit()
    return RedirectResponse("/offer?posted=true#matches", status_code=303)


@router.post("/offer/matches/{match_id}")
def answer_match(match_id: int, page: StaffDep, form: FormDep) -> Response:
    """Accept or decline a proposed match (each side answers for themself)."""
    check_csrf(page, form.get("csrf_token"))
    try:
        exchange.answer_match(page.session, principal=page.staff, match_id=match_id,
                              accept=field_text(form, "accept", 5) == "1")
    except CommunitasError as exc:
        return _refused(page, exc, f"match-{match_id}", None)
    page.session.commit()
    return RedirectResponse(f"/offer#match-{match_id}", status_code=303)


@router.post("/offer/posts/{post_id}/close")
def close_post(post_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        exchange.close_post(page.session, principal=page.staff, post_id=post_id)
    except CommunitasError as exc:
        return _refused(page, exc, f"post-{post_id}", None)
    page.session.commit()
    return RedirectResponse("/offer#posts", status_code=303)


@router.post("/offer/aid")
def opt_in(page: StaffDep, form: FormDep) -> Response:
    """Take part in mutual aid, with the resident's own consent (the box must be ticked)."""
    check_csrf(page, form.get("csrf_token"))
    me = _me(page)
    values = {n: field_text(form, n, 400) for n in OPT_IN}
    errors = FormErrors(page.locale)
    if values["aid_consent"] != "1":
        errors.add("aid_consent", _("Tick the box to give your consent"))
    capacity = int_or_none(values["aid_capacity"])
    body = validate(EnrolmentCreate, {
        "person_code": me.code, "role": values["aid_role"],
        "capacity": 1 if capacity is None else capacity,
        "shared_note": values["aid_note"], "consent_statement": SELF_CONSENT},
        errors, _OPT_RENAME)
    if body is None or errors:
        return _offer_page(page, errors, values, status=422)
    try:
        neighbours.enrol(page.session, principal=page.staff, data=body)
    except CommunitasError as exc:
        return _refused(page, exc, "aid_role", values, _OPT_RENAME)
    page.session.commit()
    return RedirectResponse("/offer#aid", status_code=303)


@router.post("/offer/aid/{enrolment_id}/withdraw")
def opt_out(enrolment_id: int, page: StaffDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    try:
        neighbours.withdraw(page.session, principal=page.staff, enrolment_id=enrolment_id)
    except CommunitasError as exc:
        return _refused(page, exc, f"enrolment-{enrolment_id}", None)
    page.session.commit()
    return RedirectResponse("/offer#aid", status_code=303)


@router.post("/offer/pairs/{pair_id}")
def answer_pair(pair_id: int, page: StaffDep, form: FormDep) -> Response:
    """The helper agrees (or not) to check on the neighbour staff paired them with."""
    check_csrf(page, form.get("csrf_token"))
    try:
        neighbours.answer_pair(page.session, principal=page.staff, pair_id=pair_id,
                               accept=field_text(form, "accept", 5) == "1")
    except CommunitasError as exc:
        return _refused(page, exc, f"pair-{pair_id}", None)
    page.session.commit()
    return RedirectResponse("/offer#aid", status_code=303)

