"""Accounts, passwords (argon2), signed tokens (JWT), and principals for requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.models import User
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import AREA_SCOPED, Permission, Role
from communitas.auth.schemas import Token, UserCreate, UserRead
from communitas.clock import Clock, SystemClock
from communitas.config import Settings
from communitas.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from communitas.events import record_event
from communitas.i18n import _

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"

__all__ = [
    "authenticate", "create_user", "issue_token", "list_users", "principal_for_user",
    "principal_from_token", "user_read",
]


def _lookup_org_id(session: Session, code: str) -> int:
    from communitas.actors import service as actors  # actors builds on auth; import late

    return actors.get_organisation(session, code=code).id


def _lookup_person_id(session: Session, code: str) -> int:
    from communitas.actors import service as actors

    return actors.get_person_record(session, code=code).id


def create_user(
    session: Session, *, principal: Principal, data: UserCreate, clock: Clock | None = None
) -> User:
    """Create an account; the creator may only grant scopes inside their own."""
    clock = clock or SystemClock()
    area = areas.get_area(session, code=data.scope_area_code) if data.scope_area_code else None
    require(principal, Permission.USER_MANAGE, area_path=area.path if area else None)
    if data.role in AREA_SCOPED and area is None:
        raise ValidationFailed(_("This role needs an area scope"), code="scope_required",
                               details={"field": "scope_area_code"})
    if data.role is Role.ORG_LIAISON and not data.scope_org_code:
        raise ValidationFailed(_("This role needs an organisation scope"),
                               code="scope_required", details={"field": "scope_org_code"})
    if data.role is Role.RESIDENT and not data.person_code:
        raise ValidationFailed(_("A resident account must name its person record"),
                               code="scope_required", details={"field": "person_code"})
    if data.role is Role.PLATFORM_ADMIN and principal.role is not Role.PLATFORM_ADMIN:
        raise ValidationFailed(_("Only a platform admin can create a platform admin"),
                               code="role_not_grantable")
    exists = session.execute(select(User.id).where(User.username == data.username)).first()
    if exists:
        raise Conflict(_("Username {value} is taken"), code="duplicate_username",
                       value=data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=_HASHER.hash(data.password),
        role=data.role,
        scope_area_id=area.id if area else None,
        scope_org_id=_lookup_org_id(session, data.scope_org_code) if data.scope_org_code
        else None,
        person_id=_lookup_person_id(session, data.person_code) if data.person_code else None,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    record_event(session, actor=principal.actor, action="user.created", subject_type="user",
                 subject_id=user.username, area_code=area.code if area else None,
                 payload={"role": user.role.value}, clock=clock)
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise Unauthenticated(_("Wrong username or password"), code="invalid_credentials")
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthenticated(_("Wrong username or password"),
                              code="invalid_credentials") from exc
    return user


def issue_token(user: User, *, settings: Settings, clock: Clock | None = None) -> Token:
    now = (clock or SystemClock()).now()
    expires = now + timedelta(minutes=settings.token_ttl_minutes)
    claims: dict[str, Any] = {"sub": str(user.id), "role": user.role.value,
                              "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    token = jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)
    return Token(access_token=token, expires_at=expires, role=user.role)


def principal_for_user(session: Session, user: User) -> Principal:
    area = areas.get_area_by_id(session, area_id=user.scope_area_id) if user.scope_area_id \
        else None
    return Principal(
        username=user.username, role=user.role, user_id=user.id,
        scope_path=area.path if area else None, scope_area_code=area.code if area else None,
        org_id=user.scope_org_id, person_id=user.person_id,
    )


def principal_from_token(session: Session, *, token: str, settings: Settings) -> Principal:
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[_ALGORITHM],
                            options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise Unauthenticated(_("Your sign-in has expired or is not valid"),
                              code="invalid_token") from exc
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.active:
        raise Unauthenticated(_("Your sign-in has expired or is not valid"), code="invalid_token")
    return principal_for_user(session, user)


def get_user(session: Session, *, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(_("Unknown user {value}"), code="unknown_user", value=username)
    return user


def list_users(session: Session, *, principal: Principal) -> list[User]:
    """Accounts scoped inside the principal's area (all of them for a platform admin)."""
    require(principal, Permission.USER_MANAGE)
    query = select(User).order_by(User.username)
    bounds = area_range(principal)
    if bounds is not None:
        query = query.join(Area, Area.id == User.scope_area_id).where(
            Area.path >= bounds[0], Area.path < bounds[1])
    return list(session.execute(query).scalars())


def user_read(session: Session, user: User) -> UserRead:
    from communitas.actors.models import Organisation, Person

    read = UserRead.model_validate(user)
    if user.scope_area_id:
        read.scope_area_code = areas.get_area_by_id(session, area_id=user.scope_area_id).code
    if user.scope_org_id:
        read.scope_org_code = session.get_one(Organisation, user.scope_org_id).code
    if user.person_id:
        read.person_code = session.get_one(Person, user.person_id).code
    return read
