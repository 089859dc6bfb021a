"""Write a generated demo city into the database through the real services.

Nothing here bypasses the domain rules: areas, organisations, stock, capacity offers,
people and accounts go through the same service functions the API uses, so the demo city
passes every check a real city's data would, and every row has its event in the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.schemas import OrganisationCreate, PersonCreate
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.areas.schemas import AreaCreate
from communitas.auth import service as auth
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.auth.schemas import UserCreate
from communitas.community.demo import create_demo_mutual_aid
from communitas.config import get_settings
from communitas.demo import plan as p
from communitas.demo.generator import generate_city, summarise
from communitas.errors import Conflict, NotFound
from communitas.i18n import _, translate
from communitas.modes import plan_service as plan_library
from communitas.resources import capacity as resources_capacity
from communitas.resources import service as resources
from communitas.resources.schemas import (
    CapacityOfferCreate,
    HoldingCreate,
    ResourceCategoryCreate,
    ResourceTypeCreate,
)
from communitas.routine.demo import create_demo_routine
from communitas.tasks.demo import create_demo_tasks

DEMO_SEED = 42
DEMO_PASSWORD = "communitas-demo"
BATCH = 2000
T = TypeVar("T")

__all__ = [
    "DEMO_PASSWORD", "DEMO_SEED", "DemoLogin", "build_demo", "demo_logins", "is_empty",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    scope_label: str


def is_empty(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(Area)).scalar_one() == 0


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """Yields start(label, total) -> advance(n); silent when progress is off."""
    if not enabled:
        yield lambda _label, _total: (lambda _n: None)
        return
    with Progress() as bar:
        def start(label: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(label, total=total)
            return lambda n: bar.advance(task, n)
        yield start


def build_demo(session: Session, *, seed: int = DEMO_SEED, scale: p.Scale = "district",
               progress: bool = False) -> dict[str, float]:
    """Generate the city for ``seed`` and load it into an empty database."""
    if not is_empty(session):
        raise Conflict(_("The demo city needs an empty database"), code="database_not_empty")
    plan = generate_city(seed, scale)
    with _progress(progress) as start:
        _load_catalogue(session, plan)
        plan_library.install_plan_library(session, principal=SYSTEM)
        _load(start, _("Areas"), plan.areas, lambda items: areas.create_areas(
            session, principal=SYSTEM, items=[_area(a) for a in items]))
        _load(start, _("Organisations"), plan.organisations,
              lambda items: actors.create_organisations(
                  session, principal=SYSTEM, items=[_organisation(o) for o in items]))
        _load(start, _("Stock"), plan.holdings, lambda items: resources.create_holdings(
            session, principal=SYSTEM, items=[_holding(h) for h in items]))
        _load(start, _("Capacity offers"), plan.capacity_offers,
              lambda items: resources_capacity.create_capacity_offers(
                  session, principal=SYSTEM, items=[_offer(o) for o in items]))
        _load(start, _("People"), plan.people, lambda items: actors.create_people(
            session, principal=SYSTEM, items=[_person(x) for x in items]))
        _create_logins(session, plan)
        create_demo_tasks(session, community=_first_community(plan),
                          hold_minutes=get_settings().sweep_hold_minutes)
        create_demo_mutual_aid(session, community=_first_community(plan))
        create_demo_routine(session, street=plan.areas_of_kind("street")[0].code)
    return summarise(plan)


def _first_community(plan: p.CityPlan) -> str:
    street = plan.areas_of_kind("street")[0].code
    return next(a.code for a in plan.areas_of_kind("community") if a.parent_code == street)


def _load(start: Callable[[str, int], Callable[[int], None]], label: str,
          items: Sequence[T], create: Callable[[Sequence[T]], Any]) -> None:
    advance = start(translate(label, get_settings().locale), len(items))
    for chunk in _chunks(items):
        create(chunk)
        advance(len(chunk))


def _load_catalogue(session: Session, plan: p.CityPlan) -> None:
    """The default catalogue, plus any category or type the generator uses beyond it."""
    resources.install_default_catalogue(session, principal=SYSTEM)
    have_categories = {c.code for c in session.execute(
        resources.list_categories(session)).scalars()}
    resources.create_categories(session, principal=SYSTEM, items=[
        ResourceCategoryCreate(code=c.code, name_zh=c.name_zh, name_en=c.name_en)
        for c in plan.resource_categories if c.code not in have_categories])
    missing = []
    for t in plan.resource_types:
        try:
            resources.get_resource_type(session, code=t.code)
        except NotFound:
            missing.append(ResourceTypeCreate.model_validate({
                "code": t.code, "category_code": t.category_code, "kind": t.kind,
                "unit": t.unit, "name_zh": t.name_zh, "name_en": t.name_en,
                "shelf_life_days": t.shelf_life_days}))
    resources.create_resource_types(session, principal=SYSTEM, items=missing)


def _area(a: p.Area) -> AreaCreate:
    return AreaCreate.model_validate({
        "kind": a.kind, "code": a.code, "parent_code": a.parent_code, "name_zh": a.name_zh,
        "name_en": a.name_en, "geometry": a.geometry, "population": a.population,
        "households": a.households, "aged_65": a.aged_65, "aged_80": a.aged_80,
        "living_alone": a.living_alone, "disabled": a.disabled, "infants": a.infants,
        "chronically_ill": a.chronically_ill, "hazards": list(a.hazards), "floors": a.floors,
        "built_year": a.built_year})


def _organisation(o: p.Organisation) -> OrganisationCreate:
    return OrganisationCreate.model_validate({
        "code": o.code, "kind": o.kind, "sector": o.sector, "name_zh": o.name_zh,
        "name_en": o.name_en, "home_area_code": o.area_codes[0],
        "served_area_codes": list(o.area_codes), "contact_name": o.contact_name,
        "contact_phone": o.contact_phone})


def _holding(h: p.Holding) -> HoldingCreate:
    return HoldingCreate.model_validate({
        "resource_type_code": h.resource_type_code, "organisation_code": h.org_code,
        "area_code": h.area_code, "quantity": h.quantity, "expires_on": h.expires_on,
        "condition": h.condition})


def _offer(o: p.CapacityOffer) -> CapacityOfferCreate:
    per_hour = o.units_per_hour is not None
    return CapacityOfferCreate.model_validate({
        "organisation_code": o.org_code, "resource_type_code": o.resource_type_code,
        "units_per_period": o.units_per_hour if per_hour else o.units_per_day,
        "period": "hour" if per_hour else "day", "lead_time_minutes": o.lead_time_minutes,
        "area_codes": list(o.area_codes)})


def _person(x: p.Person) -> PersonCreate:
    return PersonCreate.model_validate({
        "code": x.code, "kind": x.kind, "name_zh": x.name_zh, "name_en": x.name_en or x.code,
        "area_code": x.area_code, "household_code": x.household_code,
        "skills": list(x.skills), "availability": x.availability,
        "qualifications": [{"name": q.name, "expires_on": q.expires_on}
                           for q in x.qualifications],
        "phone": x.phone, "id_number": x.id_number,
        "health_conditions": x.health_conditions, "disability": x.disability})


def _create_logins(session: Session, plan: p.CityPlan) -> None:
    """One account per role, each scoped to the first place of its kind."""
    district = plan.areas_of_kind("district")[0].code
    street = plan.areas_of_kind("street")[0].code
    community = next(a.code for a in plan.areas_of_kind("community")
                     if a.parent_code == street)
    liaison_org = next(o.code for o in plan.organisations
                       if o.sector == "delivery_platform")
    resident = next(x.code for x in plan.people if x.kind == "resident"
                    and x.area_code.startswith(community))
    # The grid worker and volunteer logins are people, so they can take tasks and sweep.
    grid_worker = min((x.code for x in plan.people if x.kind == "grid_worker"
                       and x.area_code == community), default=None)
    volunteer = min((x.code for x in plan.people if x.kind == "volunteer"
                     and x.area_code.startswith(community)), default=None)
    specs: list[tuple[str, Role, dict[str, str]]] = [
        ("admin", Role.PLATFORM_ADMIN, {}),
        ("district", Role.DISTRICT_COMMANDER, {"scope_area_code": district}),
        ("street", Role.STREET_COMMANDER, {"scope_area_code": street}),
        ("dispatcher", Role.STREET_DISPATCHER, {"scope_area_code": street}),
        ("committee", Role.COMMUNITY_COMMITTEE, {"scope_area_code": community}),
        ("grid", Role.GRID_WORKER, {"scope_area_code": community,
                                    **({"person_code": grid_worker} if grid_worker else {})}),
        ("volunteer", Role.VOLUNTEER, {"scope_area_code": community,
                                       **({"person_code": volunteer} if volunteer else {})}),
        ("liaison", Role.ORG_LIAISON, {"scope_org_code": liaison_org}),
        ("resident", Role.RESIDENT, {"person_code": resident}),
        ("auditor", Role.AUDITOR, {"scope_area_code": district}),
    ]
    for username, role, scope in specs:
        auth.create_user(session, principal=SYSTEM, data=UserCreate(
            username=username, password=DEMO_PASSWORD, role=role,
            display_name=username, **scope))


def demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts present in the database, with their scopes."""
    logins = []
    for user in auth.list_users(session, principal=SYSTEM):
        read = auth.user_read(session, user)
        scope = read.scope_area_code or read.scope_org_code or read.person_code or "*"
        logins.append(DemoLogin(read.username, read.role, scope))
    return logins
