"""What each importable kind looks like as a flat row, and how it maps onto the services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.schemas import AreaCreate
from communitas.auth.permissions import Principal
from communitas.pagination import paginate
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


def batched(session: Session, query: Any, size: int = 1000) -> Iterator[Any]:
    page = 1
    while True:
        rows, _total = paginate(session, query, page=page, page_size=size)
        yield from rows
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


KINDS: dict[str, KindSpec] = {
    "areas": KindSpec(AREA_COLUMNS, _parse_area, _create_area, _export_areas),
}
