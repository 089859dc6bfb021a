"""Account shapes; no read model ever carries a password hash."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from communitas.auth.roles import Role
from communitas.schemas import ReadModel, StrictModel


class UserCreate(StrictModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field(default="", max_length=128)
    role: Role
    scope_area_code: str | None = None
    scope_org_code: str | None = None
    person_code: str | None = None


class UserRead(ReadModel):
    id: int
    username: str
    display_name: str
    role: Role
    scope_area_code: str | None = None
    scope_org_code: str | None = None
    person_code: str | None = None
    active: bool
    created_at: datetime


class LoginRequest(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Token(ReadModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: Role
