"""Sign-in and account routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, status

from communitas.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from communitas.auth import service
from communitas.auth.schemas import LoginRequest, Token, UserCreate, UserRead
from communitas.events import record_event

router = APIRouter(prefix="/api/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("/token", response_model=Token)
def token_form(
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Token:
    """OAuth2 password flow (form fields), for Swagger UI and scripts."""
    user = service.authenticate(session, username=username, password=password)
    return service.issue_token(user, settings=settings)


@router.post("/login", response_model=Token)
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> Token:
    user = service.authenticate(session, username=body.username, password=body.password)
    record_event(session, actor=f"user:{user.username}", action="user.signed_in",
                 subject_type="user", subject_id=user.username)
    session.commit()
    return service.issue_token(user, settings=settings)


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    return service.user_read(session, service.get_user(session, username=principal.username))


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    user = service.create_user(session, principal=principal, data=body)
    session.commit()
    return service.user_read(session, user)


@users_router.get("", response_model=list[UserRead])
def list_users(session: SessionDep, principal: CurrentPrincipal) -> list[UserRead]:
    return [service.user_read(session, u) for u in service.list_users(session,
                                                                       principal=principal)]
