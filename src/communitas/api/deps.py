"""Shared request dependencies as named Annotated types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from communitas.auth import service as auth
from communitas.auth.permissions import Principal
from communitas.auth.roles import Role
from communitas.config import Settings
from communitas.db import READ_ONLY
from communitas.errors import Unauthenticated
from communitas.i18n import negotiate_locale

bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. Routes commit explicitly so nothing is acknowledged unsaved."""
    session: Session = request.app.state.session_factory()
    if request.method in ("GET", "HEAD") and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options=READ_ONLY)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_principal(
    session: SessionDep, settings: SettingsDep, token: str | None = Depends(bearer)
) -> Principal:
    if not token:
        raise Unauthenticated()
    return auth.principal_from_token(session, token=token, settings=settings)


def get_optional_principal(
    session: SessionDep, settings: SettingsDep, token: str | None = Depends(bearer)
) -> Principal | None:
    if not token:
        return None
    return auth.principal_from_token(session, token=token, settings=settings)


def principal_for_token(app: FastAPI, token: str) -> Principal:
    """Resolve a bearer token in a short session of its own (for async routes)."""
    session: Session = app.state.session_factory()
    try:
        return auth.principal_from_token(session, token=token, settings=app.state.settings)
    finally:
        session.rollback()
        session.close()


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


def get_locale(request: Request) -> str:
    return negotiate_locale(request.headers.get("accept-language"))


LocaleDep = Annotated[str, Depends(get_locale)]


class PageParams:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> None:
        self.page = page
        self.page_size = page_size


PageDep = Annotated[PageParams, Depends()]

ANONYMOUS = Principal(username="anonymous", role=Role.RESIDENT)
