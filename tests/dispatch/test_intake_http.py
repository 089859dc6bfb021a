"""The lean path of POST /api/requests answers exactly as the FastAPI route would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from communitas.api.app import create_app
from communitas.config import Settings
from communitas.dispatch import api
from communitas.dispatch.intake_http import IntakeFastPath
from tests.dispatch.helpers import BUILDING_A1, Staff, body, build_dispatch_world, counts
from tests.factories import STREET_A


@pytest.fixture
def route_only(engine: Engine, settings: Settings, session_factory: sessionmaker[Session]
               ) -> Iterator[TestClient]:
    """The same application without the lean path: every submission goes to the route."""
    app = create_app(settings, engine=engine, run_migrations=False)
    app.state.session_factory = session_factory
    app.user_middleware = [m for m in app.user_middleware if m.cls is not IntakeFastPath]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the answers the FastAPI route itself gave."""
    calls: list[int] = []
    original = api.receipt_response

    def counted(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(api, "receipt_response", counted)
    return calls


JSON = {"Content-Type": "application/json"}
CASES: list[tuple[str, bytes, dict[str, str]]] = [
    ("unknown type", b'{"area_code": "%s", "lines": [{"resource_type_code": "water.unknown",'
                     b' "quantity": 1}]}', JSON),
    ("negative quantity", b'{"area_code": "%s", "lines": [{"resource_type_code": '
                          b'"water.bottled", "quantity": -3}]}', JSON),
    ("street as place", b'{"area_code": "' + STREET_A.encode() + b'", "lines": '
                        b'[{"resource_type_code": "water.bottled", "quantity": 1}]}', JSON),
    ("community anonymously", b'{"area_code": "%s", "requester_kind": "community", "lines": '
                              b'[{"resource_type_code": "water.bottled", "quantity": 1}]}', JSON),
    ("unknown field", b'{"area_code": "%s", "surprise": 1, "lines": '
                      b'[{"resource_type_code": "water.bottled", "quantity": 1}]}', JSON),
    ("malformed JSON", b'{not json', JSON),
    ("a list", b'[1, 2]', JSON),
    ("empty body", b'', JSON),
    ("no content type", b'{"area_code": "%s", "lines": '
                        b'[{"resource_type_code": "water.bottled", "quantity": 1}]}', {}),
    ("text content type", b'{"area_code": "%s"}', {"Content-Type": "text/plain"}),
    ("bad key", b'{"area_code": "%s", "lines": '
                b'[{"resource_type_code": "water.bottled", "quantity": 1}]}',
     {**JSON, "Idempotency-Key": "has space"}),
    ("long key", b'{"area_code": "%s", "lines": '
                 b'[{"resource_type_code": "water.bottled", "quantity": 1}]}',
     {**JSON, "Idempotency-Key": "k" * 129}),
]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize(("case", "content", "headers"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_the_routes_envelope_and_changes_nothing(
    db: Session, client: TestClient, route_only: TestClient, case: str, content: bytes,
    headers: dict[str, str], language: str,
) -> None:
    build_dispatch_world(db)
    payload = content.replace(b"%s", BUILDING_A1.encode())
    before = counts(db)
    answers = [c.post("/api/requests", content=payload,
                      headers={**headers, "Accept-Language": language})
               for c in (client, route_only)]
    lean, route = answers
    assert lean.status_code == route.status_code >= 400, (case, lean.text, route.text)
    assert lean.json() == route.json() and set(lean.json()) == {"error"}
    assert counts(db) == before


def test_valid_submissions_get_the_same_receipt_and_replay(
    db: Session, client: TestClient, route_only: TestClient, route_calls: list[int]
) -> None:
    build_dispatch_world(db)
    receipts = []
    for name, c in (("lean", client), ("route", route_only)):
        first = c.post("/api/requests", json=body(), headers={"Idempotency-Key": f"k-{name}"})
        again = c.post("/api/requests", json=body(), headers={"Idempotency-Key": f"k-{name}"})
        other = c.post("/api/requests", json=body(quantity=7),
                       headers={"Idempotency-Key": f"k-{name}", "Accept-Language": "en"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        receipts.append((first.json(), other.status_code, other.json()))
        if name == "lean":
            assert route_calls == []  # answered before routing
    (lean, lean_status, lean_conflict), (route, route_status, route_conflict) = receipts
    assert set(lean) == set(route)
    assert {k: v for k, v in lean.items() if k in ("status", "queue_level", "triaged")} == \
        {k: v for k, v in route.items() if k in ("status", "queue_level", "triaged")}
    assert lean_status == route_status == 409 and lean_conflict == route_conflict


def test_signed_in_submissions_take_the_route(
    db: Session, client: TestClient, route_calls: list[int]
) -> None:
    build_dispatch_world(db)
    staff = Staff(client)
    response = client.post("/api/requests", json=body(), headers=staff.committee)
    assert response.status_code == 201 and response.json()["status"] == "verified"
    assert route_calls == [1]


def test_the_openapi_document_still_describes_the_route(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/requests"]["post"]
    assert {"201", "200"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
