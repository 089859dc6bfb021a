"""What every page needs: the reader's language, the signed-in principal, the CSRF token,
and rendering a template with them.

The session is a cookie carrying the same JWT as ``/api/auth`` (HttpOnly, SameSite=Lax).
Forms carry a CSRF token that must equal the ``communitas_csrf`` cookie (double submit);
SameSite=Lax already keeps the session cookie off cross-site POSTs, the token closes the
rest (sub-domains, old browsers).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from communitas.api.deps import SessionDep, SettingsDep
from communitas.auth import service as auth
from communitas.auth.permissions import Principal, can
from communitas.auth.roles import ROLE_LABELS, Permission
from communitas.config import Settings
from communitas.errors import CommunitasError, PermissionDenied
from communitas.i18n import LOCALES, _, negotiate_locale, translate
from communitas.resources.lookups import CHINA_TZ
from communitas.web.nav import nav_for

__all__ = [
    "CSRF_COOKIE", "LANG_COOKIE", "SESSION_COOKIE", "Page", "PageDep", "SignInNeeded",
    "StaffDep", "locale_of", "render", "safe_next",
]

SESSION_COOKIE = "communitas_session"
CSRF_COOKIE = "communitas_csrf"
LANG_COOKIE = "communitas_lang"
TEMPLATE_DIR = Path(__file__).parent / "templates"

_ENV = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(),
                   trim_blocks=True, lstrip_blocks=True)


def _when(value: datetime | date | None) -> str:
    """Times as people in China read them (the demo and the deployments are in UTC+8)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


_ENV.filters["when"] = _when


class SignInNeeded(Exception):
    """The page needs a signed-in user; the page route turns this into a redirect."""


def locale_of(request: Request) -> str:
    """The language cookie, else Accept-Language, else Simplified Chinese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return str(chosen)
    return negotiate_locale(request.headers.get("accept-language"))


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@dataclass
class Page:
    """One page request: language, who is signed in, the CSRF token, the database."""

    request: Request
    session: Session
    settings: Settings
    locale: str
    principal: Principal | None
    csrf: str
    new_csrf: bool = False

    def t(self, msgid: str, **params: Any) -> str:
        return translate(msgid, self.locale, **params)

    def can(self, permission: Permission, area_path: str | None = None) -> bool:
        return self.principal is not None and can(self.principal, permission,
                                                  area_path=area_path)

    @property
    def staff(self) -> Principal:
        if self.principal is None:
            raise SignInNeeded()
        return self.principal

    def error_text(self, exc: CommunitasError) -> str:
        return translate(exc.message, self.locale, **exc.params)


def _principal(request: Request, session: Session, settings: Settings) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return auth.principal_from_token(session, token=token, settings=settings)
    except CommunitasError:
        return None


def get_page(request: Request, session: SessionDep, settings: SettingsDep) -> Page:
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    new = len(csrf) < 32
    return Page(request=request, session=session, settings=settings,
                locale=locale_of(request), principal=_principal(request, session, settings),
                csrf=secrets.token_urlsafe(32) if new else csrf, new_csrf=new)


PageDep = Annotated[Page, Depends(get_page)]


def get_staff_page(page: PageDep) -> Page:
    """A page for signed-in accounts only; residents without an account go to sign-in."""
    if page.principal is None:
        raise SignInNeeded()
    return page


StaffDep = Annotated[Page, Depends(get_staff_page)]


def check_csrf(page: Page, submitted: object) -> None:
    if page.new_csrf or not isinstance(submitted, str) \
            or not hmac.compare_digest(submitted, page.csrf):
        raise PermissionDenied(_("This form has expired; reload the page and send it again"),
                               code="csrf_failed")


def render(page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the page's language; sets the CSRF cookie on first visit."""
    body = _ENV.get_template(template).render(
        _=page.t, page=page, locale=page.locale, principal=page.principal,
        role_label=page.t(ROLE_LABELS[page.principal.role]) if page.principal else "",
        nav=nav_for(page.principal), here=page.request.url.path,
        here_quoted=quote(_here(page.request)), csrf=page.csrf, **context)
    response = HTMLResponse(body, status_code=status)
    remember_csrf(page, response)
    return response


def remember_csrf(page: Page, response: Response) -> None:
    if page.new_csrf:
        response.set_cookie(CSRF_COOKIE, page.csrf, httponly=True, samesite="lax",
                            secure=page.request.url.scheme == "https", path="/")


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
