"""Read-only lookups of areas, people and organisations for tasks, in batches.

Like resources/lookups.py, these read the actors' tables without writing them, and select
only public columns: a person's phone, identity number, health and disability are never
loaded here, so they cannot leak into a task response or event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import Availability, OrganisationKind, PersonKind
from communitas.actors.models import Organisation, Person, Qualification
from communitas.areas.models import Area
from communitas.errors import NotFound
from communitas.i18n import _
from communitas.tasks.schemas import AssigneeRead
from communitas.tasks.selection import Candidate

__all__ = [
    "TEAM_KINDS", "AreaRef", "area_refs", "areas_by_code", "assignees", "org_ids",
    "person_codes", "person_ids", "volunteer_candidates",
]

# Organisations that are teams: a "team" assignee is an organisation of one of these kinds.
TEAM_KINDS = frozenset({OrganisationKind.VOLUNTEER_TEAM, OrganisationKind.RESCUE_TEAM})
CHUNK = 500

AreaRef = tuple[str, str, float | None, float | None]  # code, path, lon, lat


def _chunks(values: Iterable[int | str]) -> Iterable[list[int | str]]:
    ordered = sorted(set(values), key=str)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def areas_by_code(session: Session, codes: Iterable[str], field: str) -> dict[str, Area]:
    """Every named area, or NotFound ``unknown_area`` naming the first one missing."""
    wanted = sorted(set(codes))
    found: dict[str, Area] = {}
    for chunk in _chunks(wanted):
        found.update((a.code, a) for a in session.execute(
            select(Area).where(Area.code.in_(chunk))).scalars())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(_("Unknown area {value}"), code="unknown_area", value=missing[0],
                       details={"field": field})
    return found


def area_refs(session: Session, ids: Iterable[int]) -> dict[int, AreaRef]:
    refs: dict[int, AreaRef] = {}
    for chunk in _chunks(ids):
        rows = session.execute(select(Area.id, Area.code, Area.path, Area.lon, Area.lat)
                               .where(Area.id.in_(chunk))).all()
        refs.update((row[0], (row[1], row[2], row[3], row[4])) for row in rows)
    return refs


def person_ids(session: Session, codes: Iterable[str], field: str) -> dict[str, int]:
    """Person code → id, or NotFound ``unknown_person``."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update((c, i) for c, i in session.execute(
            select(Person.code, Person.id).where(Person.code.in_(chunk))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(_("Unknown person {value}"), code="unknown_person", value=missing[0],
                       details={"field": field})
    return found


def org_ids(session: Session, codes: Iterable[str], field: str) -> dict[str, int]:
    """Organisation code → id, or NotFound ``unknown_organisation``."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update((c, i) for c, i in session.execute(
            select(Organisation.code, Organisation.id)
            .where(Organisation.code.in_(chunk))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(_("Unknown organisation {value}"), code="unknown_organisation",
                       value=missing[0], details={"field": field})
    return found


def person_codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        found.update((i, c) for i, c in session.execute(
            select(Person.id, Person.code).where(Person.id.in_(chunk))).all())
    return found


def assignees(session: Session, people: Iterable[int], orgs: Iterable[int]
              ) -> tuple[dict[int, AssigneeRead], dict[int, AssigneeRead]]:
    """Public name cards of assignee people and organisations, by id."""
    by_person: dict[int, AssigneeRead] = {}
    for chunk in _chunks(people):
        for pid, code, zh, en in session.execute(
                select(Person.id, Person.code, Person.name_zh, Person.name_en)
                .where(Person.id.in_(chunk))).all():
            by_person[pid] = AssigneeRead(kind="person", code=code, name_zh=zh, name_en=en)
    by_org: dict[int, AssigneeRead] = {}
    for chunk in _chunks(orgs):
        for oid, code, kind, zh, en in session.execute(
                select(Organisation.id, Organisation.code, Organisation.kind,
                       Organisation.name_zh, Organisation.name_en)
                .where(Organisation.id.in_(chunk))).all():
            by_org[oid] = AssigneeRead(kind="team" if kind in TEAM_KINDS else "organisation",
                                       code=code, name_zh=zh, name_en=en)
    return by_person, by_org


def person_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Person id → (code, Chinese name)."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        found.update((i, (c, n)) for i, c, n in session.execute(
            select(Person.id, Person.code, Person.name_zh).where(Person.id.in_(chunk))).all())
    return found


def volunteer_candidates(session: Session, *, bounds: tuple[str, str] | None,
                         skill: str | None) -> list[Candidate]:
    """Volunteers registered in the path range ``bounds`` (None: everywhere)."""
    query = (select(Person.id, Person.code, Person.skills, Person.availability, Area.lon,
                    Area.lat).join(Area, Area.id == Person.area_id)
             .where(Person.kind == PersonKind.VOLUNTEER))
    if bounds is not None:
        query = query.where(Area.path >= bounds[0], Area.path < bounds[1])
    if skill:  # skills are slugs in a JSON list: a quoted element of its text
        query = query.where(cast(Person.skills, String).like(f'%"{skill}"%'))
    rows = session.execute(query).all()
    quals: dict[int, dict[str, date | None]] = defaultdict(dict)
    for chunk in _chunks(row[0] for row in rows):
        for pid, name, expires in session.execute(
                select(Qualification.person_id, Qualification.name, Qualification.expires_on)
                .where(Qualification.person_id.in_(chunk))).all():
            quals[pid][name] = expires
    return [Candidate(
        person_id=pid, code=code, skills=frozenset(skills or ()),
        availability=Availability(avail) if avail else None,
        home=(lon, lat) if lon is not None and lat is not None else None,
        qualifications=quals[pid]) for pid, code, skills, avail, lon, lat in rows]
