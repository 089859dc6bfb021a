"""Sign-in, tokens, account scopes, and the settings guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from communitas.auth import service as auth
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.config import DEV_SECRET, Settings
from tests.factories import PASSWORD, STREET_A, STREET_B, build_city, login, make_user


def test_settings_refuse_the_default_secret_outside_development() -> None:
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key=DEV_SECRET)
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="development").secret_key == DEV_SECRET


def test_passwords_are_stored_as_argon2_hashes(db: Session) -> None:
    build_city(db)
    make_user(db, "li", Role.STREET_DISPATCHER, area_code=STREET_A)
    user = auth.get_user(db, username="li")
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash


def test_wrong_password_and_unknown_user_look_the_same(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "li", Role.STREET_DISPATCHER, area_code=STREET_A)
    for username, password in (("li", "nope-nope"), ("ghost", PASSWORD)):
        response = client.post("/api/auth/login", json={"username": username,
                                                         "password": password})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"


def test_token_form_login_and_me(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "li", Role.STREET_DISPATCHER, area_code=STREET_A)
    response = client.post("/api/auth/token", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["role"], me["scope_area_code"]) == ("street_dispatcher", STREET_A)
    assert "password_hash" not in me


def test_expired_and_forged_tokens_are_refused(db: Session, client: TestClient,
                                                settings: Settings) -> None:
    build_city(db)
    make_user(db, "li", Role.STREET_DISPATCHER, area_code=STREET_A)
    user = auth.get_user(db, username="li")
    old = FixedClock(datetime.now(UTC) - timedelta(days=2))
    expired = auth.issue_token(user, settings=settings, clock=old).access_token
    forged = auth.issue_token(user, settings=Settings(secret_key="z" * 40)).access_token
    for token in (expired, forged, "not-a-token"):
        response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"
    assert client.get("/api/auth/me").json()["error"]["code"] == "not_authenticated"


def test_commander_grants_accounts_only_inside_their_street(db: Session,
                                                           client: TestClient) -> None:
    build_city(db)
    make_user(db, "wang", Role.STREET_COMMANDER, area_code=STREET_A)
    headers = login(client, "wang")
    inside = client.post("/api/users", headers=headers, json={
        "username": "zhao", "password": PASSWORD, "role": "street_dispatcher",
        "scope_area_code": STREET_A})
    assert inside.status_code == 201, inside.text
    outside = client.post("/api/users", headers=headers, json={
        "username": "qian", "password": PASSWORD, "role": "street_dispatcher",
        "scope_area_code": STREET_B})
    assert outside.json()["error"]["code"] == "out_of_scope"
    admin = client.post("/api/users", headers=headers, json={
        "username": "sun", "password": PASSWORD, "role": "platform_admin"})
    assert admin.status_code in (403, 422)
    listed = [u["username"] for u in client.get("/api/users", headers=headers).json()]
    assert "zhao" in listed and "qian" not in listed


def test_scoped_role_needs_a_scope(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "root", Role.PLATFORM_ADMIN)
    response = client.post("/api/users", headers=login(client, "root"), json={
        "username": "nowhere", "password": PASSWORD, "role": "grid_worker"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "scope_required"


def test_duplicate_username(db: Session, client: TestClient) -> None:
    build_city(db)
    make_user(db, "root", Role.PLATFORM_ADMIN)
    response = client.post("/api/users", headers=login(client, "root"), json={
        "username": "root", "password": PASSWORD, "role": "platform_admin"})
    assert (response.status_code, response.json()["error"]["code"]) == (409,
                                                                      "duplicate_username")
