"""The demo city loaded into the database through the services: it matches its calibration,
every kind of actor is there, the event chain verifies, and the demo logins work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from communitas.actors.kinds import GovernmentSector, MarketSector, OrganisationKind
from communitas.actors.models import Organisation, Person
from communitas.api.app import create_app
from communitas.areas import service as areas
from communitas.auth.permissions import SYSTEM
from communitas.config import Settings
from communitas.demo import calibration, loader
from communitas.errors import Conflict
from communitas.events import verify_chain
from communitas.resources import reserves as resources_reserves
from communitas.resources.models import CapacityOffer, Holding


@pytest.fixture(scope="module")
def demo_connection(engine: Engine) -> Iterator[Connection]:
    """The demo city, built once per backend inside a transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        loader.build_demo(session, seed=loader.DEMO_SEED)
        session.commit()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def demo_sessions(demo_connection: Connection) -> Iterator[sessionmaker[Session]]:
    nested = demo_connection.begin_nested()
    yield sessionmaker(bind=demo_connection, join_transaction_mode="create_savepoint",
                       expire_on_commit=False)
    nested.rollback()


@pytest.fixture
def demo(demo_sessions: sessionmaker[Session]) -> Iterator[Session]:
    with demo_sessions() as session:
        yield session


@pytest.fixture
def demo_client(engine: Engine, settings: Settings,
                demo_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine, run_migrations=False)
    app.state.session_factory = demo_sessions
    with TestClient(app) as client:
        yield client


def _share(value: int, total: int) -> float:
    return value / total


def test_demo_district_in_the_database_matches_calibration(demo: Session) -> None:
    stats = areas.subtree_statistics(demo, code="310115")
    assert stats.communities == 300
    realised = {
        "mean_residents_per_community": stats.population / stats.communities,
        "mean_household_size": stats.population / stats.households,
        "share_aged_65": _share(stats.aged_65, stats.population),
        "share_aged_80": _share(stats.aged_80, stats.population),
        "share_living_alone_of_65": _share(stats.living_alone, stats.aged_65),
        "share_disabled": _share(stats.disabled, stats.population),
        "share_infants": _share(stats.infants, stats.population),
        "share_chronically_ill": _share(stats.chronically_ill, stats.population),
    }
    for key, value in realised.items():
        target = calibration.TARGETS[key]
        assert abs(value - target) / target <= calibration.TOLERANCES[key], (key, value, target)


def test_every_kind_of_actor_and_stock_is_present(demo: Session) -> None:
    kinds = set(demo.execute(select(Organisation.kind).distinct()).scalars())
    assert kinds == set(OrganisationKind)
    sectors = set(demo.execute(select(Organisation.sector).distinct()).scalars())
    assert {s.value for s in GovernmentSector} | {s.value for s in MarketSector} <= sectors
    assert demo.execute(select(func.count()).select_from(Holding)).scalar_one() > 1000
    assert demo.execute(select(func.count()).select_from(CapacityOffer)).scalar_one() > 10
    assert demo.execute(select(func.count()).select_from(Person)).scalar_one() > 1000
    gaps = resources_reserves.reserve_gaps(demo, principal=SYSTEM, within="310115001000")
    assert gaps and any(g.gap > 0 for g in gaps)


def test_event_chain_covers_the_whole_build(demo: Session) -> None:
    checked, broken = verify_chain(demo)
    assert broken is None
    assert checked > 10_000


def test_building_twice_is_refused(demo: Session) -> None:
    with pytest.raises(Conflict) as caught:
        loader.build_demo(demo, seed=7)
    assert caught.value.code == "database_not_empty"


def test_demo_logins_land_in_their_scope(demo: Session, demo_client: TestClient) -> None:
    client = demo_client
    logins = {login.username: login for login in loader.demo_logins(demo)}
    assert {"admin", "district", "street", "dispatcher", "committee", "grid", "volunteer",
            "liaison", "resident", "auditor"} <= set(logins)
    token = client.post("/api/auth/login", json={
        "username": "committee", "password": loader.DEMO_PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/people", headers=headers, params={"page_size": 500}).json()
    community = logins["committee"].scope_label
    assert page["total"] > 0
    assert all(p["area_code"].startswith(community) for p in page["items"])
    resident = client.post("/api/auth/login", json={
        "username": "resident", "password": loader.DEMO_PASSWORD}).json()["access_token"]
    own = client.get(f"/api/people/{logins['resident'].scope_label}",
                     headers={"Authorization": f"Bearer {resident}"})
    assert own.status_code == 200 and "phone" in own.json()


def test_the_plan_library_ships_with_the_demo_city(demo: Session) -> None:
    from communitas.modes import plan_service

    hazards = {plan.hazard for plan in plan_service.latest_plans(demo)}
    assert {"flood", "typhoon", "high_rise_fire", "earthquake", "epidemic", "heat_wave",
            "gas_leak"} <= hazards
