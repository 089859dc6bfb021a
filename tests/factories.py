"""Small builders for test data: a two-street city and accounts on it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.schemas import AreaCreate
from communitas.auth import service as auth
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.auth.schemas import UserCreate

PASSWORD = "correct-horse-battery"

CITY, DISTRICT = "310100", "310115"
STREET_A, STREET_B = "310115001000", "310115002000"
COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1 = "310115001001", "310115001002", "310115002001"


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def area(kind: AreaKind, code: str, parent: str | None, **extra: Any) -> AreaCreate:
    return AreaCreate(kind=kind, code=code, parent_code=parent, name_zh=f"区域{code}",
                      name_en=f"Area {code}", **extra)


def build_city(session: Session) -> None:
    """City → district → 2 streets → 3 communities → a grid and 2 buildings each."""
    items = [
        area(AreaKind.CITY, CITY, None),
        area(AreaKind.DISTRICT, DISTRICT, CITY),
        area(AreaKind.STREET, STREET_A, DISTRICT),
        area(AreaKind.STREET, STREET_B, DISTRICT),
    ]
    for i, (code, street) in enumerate(
        [(COMMUNITY_A1, STREET_A), (COMMUNITY_A2, STREET_A), (COMMUNITY_B1, STREET_B)]
    ):
        items.append(area(AreaKind.COMMUNITY, code, street, population=4000 + i, households=1600,
                          aged_65=650, aged_80=130, living_alone=60, disabled=90, infants=50,
                          chronically_ill=800, hazards=["flood"] if i == 0 else [],
                          geometry=square(121.5 + i * 0.01, 31.2)))
        items.append(area(AreaKind.GRID, f"{code}-G01", code))
        for b in (1, 2):
            items.append(area(AreaKind.BUILDING, f"{code}-B00{b}", f"{code}-G01",
                              population=120, floors=18,
                              geometry={"type": "Point",
                                        "coordinates": [121.5 + i * 0.01 + b * 0.001, 31.205]}))
    areas.create_areas(session, principal=SYSTEM, items=items)
    session.flush()


def make_user(session: Session, username: str, role: Role, *, area_code: str | None = None,
              org_code: str | None = None, person_code: str | None = None) -> None:
    auth.create_user(session, principal=SYSTEM, data=UserCreate(
        username=username, password=PASSWORD, role=role, scope_area_code=area_code,
        scope_org_code=org_code, person_code=person_code))
    session.flush()


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
