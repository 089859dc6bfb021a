"""Read-only look-ups of people and areas for the community domain, in batches.

Like tasks/lookups.py they read the actors' and areas' tables without writing them and
select public columns only: a person's phone, identity number, health and disability are
never loaded here, so they cannot leak into a response, a feed or an event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.models import Person
from communitas.areas.models import Area
from communitas.errors import NotFound
from communitas.i18n import _

__all__ = ["PersonRef", "area_by_code", "people_by_code", "people_by_id"]


@dataclass(frozen=True)
class PersonRef:
    id: int
    code: str
    kind: PersonKind
    name_zh: str
    name_en: str
    area_id: int
    area_code: str
    area_path: str


def _select() -> object:
    return (select(Person.id, Person.code, Person.kind, Person.name_zh, Person.name_en,
                   Person.area_id, Area.code, Area.path)
            .join(Area, Area.id == Person.area_id))


def people_by_id(session: Session, ids: Iterable[int]) -> dict[int, PersonRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(_select().where(Person.id.in_(wanted))).all()  # type: ignore[attr-defined]
    return {row[0]: PersonRef(*row) for row in rows}


def people_by_code(session: Session, codes: Iterable[str], field: str) -> dict[str, PersonRef]:
    """People by code; an unknown code is a 404 naming the field."""
    wanted = set(codes)
    rows = session.execute(_select().where(Person.code.in_(wanted))).all()  # type: ignore[attr-defined]
    found = {row[1]: PersonRef(*row) for row in rows}
    for code in sorted(wanted - set(found)):
        raise NotFound(_("Unknown person {value}"), code="unknown_person", value=code,
                       details={"field": field})
    return found


def area_by_code(session: Session, code: str, field: str = "area_code") -> Area:
    area = session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()
    if area is None:
        raise NotFound(_("Unknown area {value}"), code="unknown_area", value=code,
                       details={"field": field})
    return area
