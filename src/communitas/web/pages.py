"""The front door: home, sign-in and sign-out, the language switch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from communitas.auth import service as auth
from communitas.errors import CommunitasError
from communitas.events import record_event
from communitas.i18n import LOCALES, _
from communitas.web.context import (
    LANG_COOKIE,
    SESSION_COOKIE,
    PageDep,
    check_csrf,
    remember_csrf,
    render,
    safe_next,
)
from communitas.web.forms import FormErrors, field_text
from communitas.web.nav import home_for
from communitas.web.routing import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

__all__ = ["FormDep", "read_form", "router"]


async def read_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form; an uploaded file's temporary copy is closed after the page."""
    form = await request.form(max_files=1, max_fields=200)
    try:
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(read_form)]


@router.get("/")
def home(page: PageDep) -> Response:
    """Signed-in staff go to their own home; everyone else sees the residents' front page."""
    if page.principal is not None:
        return RedirectResponse(home_for(page.principal), status_code=303)
    return render(page, "home.html", title=page.t("Communitas"))


@router.get("/login")
def login_form(page: PageDep, next: Annotated[str | None, Query(max_length=500)] = None
               ) -> Response:
    return render(page, "login.html", title=page.t("Sign in"), errors=FormErrors(page.locale),
                  username="", next=safe_next(next, ""))


@router.post("/login")
def login(page: PageDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    errors = FormErrors(page.locale)
    username, password = field_text(form, "username", 64), field_text(form, "password", 256)
    if not username:
        errors.add("username", _("This field is required"))
    if not password:
        errors.add("password", _("This field is required"))
    user = None
    if not errors:
        try:
            user = auth.authenticate(page.session, username=username, password=password)
        except CommunitasError as exc:
            errors.add("password", exc.message, **exc.params)
    if user is None:
        return render(page, "login.html", status=422, title=page.t("Sign in"), errors=errors,
                      username=username, next=safe_next(field_text(form, "next", 500), ""))
    record_event(page.session, actor=f"user:{user.username}", action="user.signed_in",
                 subject_type="user", subject_id=user.username, payload={"via": "web"})
    page.session.commit()
    token = auth.issue_token(user, settings=page.settings)
    home = home_for(auth.principal_for_user(page.session, user))
    response = RedirectResponse(safe_next(field_text(form, "next", 500), home), status_code=303)
    response.set_cookie(SESSION_COOKIE, token.access_token, httponly=True, samesite="lax",
                        secure=page.request.url.scheme == "https", path="/",
                        max_age=page.settings.token_ttl_minutes * 60)
    return response


@router.post("/logout")
def logout(page: PageDep, form: FormDep) -> Response:
    check_csrf(page, form.get("csrf_token"))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{locale}")
def switch_language(locale: str, page: PageDep,
                    next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """Remember the reader's language (a preference, not an action: GET is fine)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, samesite="lax", path="/",
                            max_age=365 * 24 * 3600)
    remember_csrf(page, response)
    return response
