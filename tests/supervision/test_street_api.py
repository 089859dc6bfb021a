"""The street supervisor's view over HTTP: requests closed in the community and residents'
ratings count for the people sent down there; scope and bad codes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dispatch.helpers import body, submit
from tests.factories import COMMUNITY_A1, STREET_A, STREET_B, login
from tests.resources.helpers import BUILDING_A1, COMMITTEE_A1, stock
from tests.supervision.helpers import CADRE, build_supervision_world


@pytest.fixture
def world(db: Session) -> Session:
    build_supervision_world(db)
    db.commit()
    return db


def _headers(client: TestClient, username: str) -> dict[str, str]:
    return {**login(client, username), "Accept-Language": "en"}


def _post(client: TestClient, path: str, headers: dict[str, str], **json: Any
          ) -> dict[str, Any]:
    response = client.post(path, headers=headers, json=json or None)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def test_requests_closed_and_ratings_count_for_the_community(
    client: TestClient, world: Session,
) -> None:
    street, juwei, cadre = (_headers(client, n) for n in ("jiedao", "juwei", "ganbu"))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assignment = _post(client, "/api/supervision/assignments", street, person_code=CADRE,
                       community_code=COMMUNITY_A1, role="grid_support", starts_on=yesterday)
    holding = stock(world, "water.bottled", COMMITTEE_A1, BUILDING_A1, 40)
    world.commit()
    receipt = submit(client, body(quantity=6))
    ref, token = receipt["reference"], {"X-Requester-Token": receipt["requester_token"]}
    base = f"/api/requests/{ref}"
    _post(client, f"{base}/verify", cadre)  # the cadre checked it was real
    line = _post(client, f"{base}/approve", juwei)["lines"][0]["id"]
    shipment = _post(client, f"{base}/commit", juwei, line_id=line, holding_id=holding.id,
                     quantity=6)["shipments"][0]["id"]
    _post(client, f"{base}/ship", juwei, shipment_id=shipment)
    _post(client, f"{base}/deliver", juwei, shipment_id=shipment)
    _post(client, f"{base}/confirm", token)
    _post(client, f"{base}/rate", token, score=2, comment="late")
    _post(client, f"{base}/rate", token, score=4, comment="on reflection, fine")
    found = client.get(f"/api/supervision/assignments/{assignment['id']}/record",
                       headers=street).json()
    assert (found["requests_handled"], found["requests_closed_in_community"]) == (1, 1)
    assert (found["ratings"], found["rating_mean"]) == (1, 4.0)  # the latest rating counts
    assert found["last_action_at"] is not None and found["inaction"] is None
    view = client.get(f"/api/supervision/streets/{STREET_A}", headers=street).json()
    a1 = next(c for c in view["communities"] if c["community_code"] == COMMUNITY_A1)
    assert [r["assignment"]["person_code"] for r in a1["records"]] == [CADRE]
    assert a1["records"][0]["requests_closed_in_community"] == 1
    assert "check" not in str(view).lower()  # results only: no check-in anywhere
    assert "13800000000" not in str(view)  # the cadre's phone never shows


@pytest.mark.parametrize(("who", "code", "status", "error"), [
    ("juwei", STREET_A, 403, "out_of_scope"),  # a committee sees its community's roster only
    ("jiedao", STREET_B, 403, "out_of_scope"),
    ("jiedao", COMMUNITY_A1, 422, "wrong_area_kind"),
    ("jiedao", "999999999999", 404, "unknown_area"),
])
def test_the_street_view_is_refused_outside_scope(client: TestClient, world: Session,
                                                  who: str, code: str, status: int,
                                                  error: str) -> None:
    response = client.get(f"/api/supervision/streets/{code}", headers=_headers(client, who))
    assert (response.status_code, response.json()["error"]["code"]) == (status, error)
