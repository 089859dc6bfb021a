"""What each importable kind looks like as a flat row, and how it maps onto the services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.schemas import OrganisationCreate, PersonCreate
from communitas.areas import service as areas
from communitas.areas.schemas import AreaCreate
from communitas.auth.permissions import Principal
from communitas.pagination import paginate
from communitas.privacy import SENSITIVE_FIELDS
from communitas.resources import service as resources
from communitas.resources.schemas import HoldingCreate, ResourceTypeCreate, ResourceTypeRead
from communitas.schemas import Page
from communitas.transfer.formats import SourceRow

Parse = Callable[[SourceRow], BaseModel]
Create = Callable[[Session, Principal, Any], None]
Export = Callable[[Session, Principal, str | None], Iterable[SourceRow]]


@dataclass(frozen=True)
class KindSpec:
    columns: list[str]
    parse: Parse
    create: Create
    export: Export


def clean(fields: dict[str, Any], *, lists: Iterable[str] = ()) -> dict[str, Any]:
    """CSV cells to model input: empty cells are absent, list cells split on ';'."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or value == "":
            continue
        if key in lists and isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        out[key] = value
    return out


def batched(session: Session, query: Any, *, size: int = 1000,
            convert: Callable[[list[Any]], Iterable[Any]] = list) -> Iterator[Any]:
    """Run ``query`` a page at a time, so an export of a whole city stays small in memory."""
    page = 1
    while True:
        rows, _total = paginate(session, query, page=page, page_size=size)
        yield from convert(rows)
        if len(rows) < size:
            return
        page += 1


# --- areas -------------------------------------------------------------------------------

AREA_COLUMNS = [
    "kind", "code", "parent_code", "name_zh", "name_en", "population", "households",
    "aged_65", "aged_80", "living_alone", "disabled", "infants", "chronically_ill", "hazards",
    "floors", "built_year", "lon", "lat",
]


def _parse_area(row: SourceRow) -> AreaCreate:
    fields = clean(row.fields, lists=("hazards",))
    lon, lat = fields.pop("lon", None), fields.pop("lat", None)
    geometry = row.geometry
    if isinstance(fields.get("geometry"), str):
        geometry = json.loads(fields.pop("geometry"))
    if geometry is None and lon is not None and lat is not None:
        geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
    return AreaCreate.model_validate({**fields, "geometry": geometry})


def _create_area(session: Session, principal: Principal, item: AreaCreate) -> None:
    areas.create_areas(session, principal=principal, items=[item])


def _export_areas(session: Session, principal: Principal, within: str | None
                  ) -> Iterator[SourceRow]:
    del principal  # areas are public reference data
    codes: dict[int, str] = {}
    for number, area in enumerate(batched(session, areas.list_areas(session, within=within)), 1):
        codes[area.id] = area.code
        fields = {c: getattr(area, c, None) for c in AREA_COLUMNS}
        fields["parent_code"] = codes.get(area.parent_id) if area.parent_id else None
        if area.parent_id and fields["parent_code"] is None:
            fields["parent_code"] = areas.get_area_by_id(session, area_id=area.parent_id).code
        fields["kind"] = area.kind.value
        yield SourceRow(number, fields, area.geometry)


# --- organisations -----------------------------------------------------------------------

ORGANISATION_COLUMNS = [
    "code", "kind", "sector", "name_zh", "name_en", "home_area_code", "served_area_codes",
    "contact_name", "contact_phone", "contact_email", "address",
]


def _parse_organisation(row: SourceRow) -> OrganisationCreate:
    return OrganisationCreate.model_validate(clean(row.fields, lists=("served_area_codes",)))


def _create_organisation(session: Session, principal: Principal,
                         item: OrganisationCreate) -> None:
    actors.create_organisations(session, principal=principal, items=[item])


def _pages(fetch: Callable[[int], Page[Any]]) -> Iterator[Any]:
    page = 1
    while True:
        result = fetch(page)
        yield from result.items
        if page * result.page_size >= result.total:
            return
        page += 1


def _point_of(session: Session, code: str, cache: dict[str, dict[str, Any] | None]
              ) -> dict[str, Any] | None:
    if code not in cache:
        area = areas.get_area(session, code=code)
        cache[code] = ({"type": "Point", "coordinates": [area.lon, area.lat]}
                       if area.lon is not None else None)
    return cache[code]


def _export_organisations(session: Session, principal: Principal, within: str | None
                          ) -> Iterator[SourceRow]:
    points: dict[str, dict[str, Any] | None] = {}
    reads = _pages(lambda page: actors.list_organisations(
        session, principal=principal, within=within, page=page, page_size=1000))
    for number, org in enumerate(reads, 1):
        fields = org.model_dump(mode="json")
        yield SourceRow(number, fields, _point_of(session, org.home_area_code, points))


# --- people ------------------------------------------------------------------------------

PERSON_COLUMNS = [
    "code", "kind", "name_zh", "name_en", "area_code", "household_code", "organisation_code",
    "home_unit", "skills", "availability", "qualifications",
]
# Accepted on import only: sensitive fields are never exported.
PERSON_IMPORT_ONLY = ["phone", "id_number", "health_conditions", "disability"]


def _parse_qualifications(value: Any) -> Any:
    """CSV cells hold ``name@YYYY-MM-DD;name2`` (a date is optional)."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        if isinstance(item, str):
            name, _sep, expires = item.partition("@")
            out.append({"name": name.strip(), "expires_on": expires.strip() or None})
        else:
            out.append(item)
    return out


def _parse_person(row: SourceRow) -> PersonCreate:
    fields = clean(row.fields, lists=("skills", "qualifications"))
    if "qualifications" in fields:
        fields["qualifications"] = _parse_qualifications(fields["qualifications"])
    return PersonCreate.model_validate(fields)


def _create_person(session: Session, principal: Principal, item: PersonCreate) -> None:
    actors.create_people(session, principal=principal, items=[item])


def _export_people(session: Session, principal: Principal, within: str | None
                   ) -> Iterator[SourceRow]:
    points: dict[str, dict[str, Any] | None] = {}
    reads = _pages(lambda page: actors.list_people(
        session, principal=principal, within=within, page=page, page_size=1000))
    for number, person in enumerate(reads, 1):
        fields = {k: v for k, v in person.model_dump(mode="json").items()
                  if k not in SENSITIVE_FIELDS}
        quals = actors.person_qualifications(session, principal=principal, code=person.code)
        fields["qualifications"] = [
            f"{q.name}@{q.expires_on.isoformat()}" if q.expires_on else q.name for q in quals]
        yield SourceRow(number, fields, _point_of(session, person.area_code, points))


# --- resource types ----------------------------------------------------------------------

RESOURCE_TYPE_COLUMNS = [
    "code", "category_code", "kind", "unit", "name_zh", "name_en", "shelf_life_days",
]


def _parse_resource_type(row: SourceRow) -> ResourceTypeCreate:
    return ResourceTypeCreate.model_validate(clean(row.fields))


def _create_resource_type(session: Session, principal: Principal,
                          item: ResourceTypeCreate) -> None:
    resources.create_resource_types(session, principal=principal, items=[item])


def _export_resource_types(session: Session, principal: Principal, within: str | None
                           ) -> Iterator[SourceRow]:
    del principal, within  # the catalogue is the same everywhere
    for number, row in enumerate(batched(session, resources.list_resource_types(session)), 1):
        yield SourceRow(number, ResourceTypeRead.model_validate(row).model_dump(mode="json"))


# --- holdings ----------------------------------------------------------------------------

HOLDING_COLUMNS = [
    "resource_type_code", "organisation_code", "area_code", "quantity", "expires_on",
    "condition", "note",
]


def _parse_holding(row: SourceRow) -> HoldingCreate:
    return HoldingCreate.model_validate(clean(row.fields))


def _create_holding(session: Session, principal: Principal, item: HoldingCreate) -> None:
    resources.create_holdings(session, principal=principal, items=[item])


def _export_holdings(session: Session, principal: Principal, within: str | None
                     ) -> Iterator[SourceRow]:
    points: dict[str, dict[str, Any] | None] = {}
    query = resources.list_holdings(session, principal=principal, within=within)
    reads = batched(session, query, convert=lambda rows: resources.holding_reads(session, rows))
    for number, read in enumerate(reads, 1):
        yield SourceRow(number, read.model_dump(mode="json"),
                        _point_of(session, read.area_code, points))


KINDS: dict[str, KindSpec] = {
    "resource-types": KindSpec(RESOURCE_TYPE_COLUMNS, _parse_resource_type,
                               _create_resource_type, _export_resource_types),
    "holdings": KindSpec(HOLDING_COLUMNS, _parse_holding, _create_holding, _export_holdings),
    "areas": KindSpec(AREA_COLUMNS, _parse_area, _create_area, _export_areas),
    "organisations": KindSpec(ORGANISATION_COLUMNS, _parse_organisation, _create_organisation,
                              _export_organisations),
    "people": KindSpec(PERSON_COLUMNS, _parse_person, _create_person, _export_people),
}
