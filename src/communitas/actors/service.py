"""Actor use cases: organisations and people. Callers own the transaction.

Every change appends an event. Sensitive personal fields (phone, identity number, health,
disability) appear in events only by name, never by value, and a person is rendered with
them only for the person themself or a role holding ``person.read_sensitive`` in scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, or_, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import Availability, OrganisationKind, PersonKind
from communitas.actors.models import Organisation, OrganisationArea, Person, Qualification
from communitas.actors.schemas import (
    ExpiringQualification,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    PersonCreate,
    PersonPrivateRead,
    PersonRead,
    PersonUpdate,
    QualificationRead,
    check_area_kind,
    check_sector,
)
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock
from communitas.errors import NotFound
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.privacy import SENSITIVE_FIELDS
from communitas.schemas import Page
from communitas.uniqueness import refuse_duplicate_codes

__all__ = [
    "create_organisations", "create_people", "expiring_qualifications", "get_organisation",
    "get_person_record", "list_organisations", "list_people", "organisation_reads",
    "person_qualifications", "read_organisation", "read_person", "update_organisation",
    "update_person",
]

_CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "address")


# --- shared lookups -----------------------------------------------------------------------


def _areas_by_code(session: Session, codes: Iterable[str], field: str) -> dict[str, Area]:
    """Every named area, or NotFound ``unknown_area`` for the first one missing."""
    wanted = sorted(set(codes))
    found: dict[str, Area] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update((a.code, a) for a in session.execute(
            select(Area).where(Area.code.in_(chunk))).scalars())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(_("Unknown area {value}"), code="unknown_area", value=missing[0],
                       details={"field": field, "codes": missing[:20]})
    return found


def _area_refs(session: Session, area_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Area id → (code, path) for a batch of ids."""
    ids = sorted(set(area_ids))
    if not ids:
        return {}
    rows = session.execute(select(Area.id, Area.code, Area.path).where(Area.id.in_(ids))).all()
    return {area_id: (code, path) for area_id, code, path in rows}


def _subtree(session: Session, code: str) -> ColumnElement[bool]:
    low, high = areas.get_area(session, code=code).subtree_bounds()
    return (Area.path >= low) & (Area.path < high)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_matches(model: type[Organisation] | type[Person], q: str) -> ColumnElement[bool]:
    """Name contains ``q`` (English case-insensitively), or the code starts with it."""
    text = _like_escape(q)
    return or_(model.name_zh.like(f"%{text}%", escape="\\"),
               model.name_en.ilike(f"%{text}%", escape="\\"),
               model.code.like(f"{text.upper()}%", escape="\\"))


# --- organisations ------------------------------------------------------------------------


def get_organisation(session: Session, *, code: str) -> Organisation:
    """The organisation with ``code`` (no permission check; auth uses it for scopes)."""
    org = session.execute(
        select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
    if org is None:
        raise NotFound(_("Unknown organisation {value}"), code="unknown_organisation",
                       value=code)
    return org


def create_organisations(
    session: Session, *, principal: Principal, items: Iterable[OrganisationCreate],
    clock: Clock | None = None,
) -> list[Organisation]:
    """Register organisations with the areas they serve, all or nothing."""
    items = list(items)
    known = _areas_by_code(session, [i.home_area_code for i in items], "home_area_code")
    known.update(_areas_by_code(
        session, [c for i in items for c in i.served_area_codes], "served_area_codes"))
    for item in items:
        require(principal, Permission.ORG_WRITE, area_path=known[item.home_area_code].path)
    refuse_duplicate_codes(session, Organisation.code, [i.code for i in items])
    orgs = [Organisation(**item.model_dump(exclude={"home_area_code", "served_area_codes"}),
                         home_area_id=known[item.home_area_code].id) for item in items]
    session.add_all(orgs)
    session.flush()
    session.add_all([OrganisationArea(organisation_id=org.id, area_id=known[code].id)
                     for org, item in zip(orgs, items, strict=True)
                     for code in item.served_area_codes])
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("organisation.created", "organisation", org.code, item.home_area_code,
                   {"kind": org.kind.value, "sector": org.sector, "name_zh": org.name_zh,
                    "name_en": org.name_en, "served_areas": item.served_area_codes})
        for org, item in zip(orgs, items, strict=True)
    ])
    return orgs


def read_organisation(session: Session, *, principal: Principal, code: str) -> OrganisationRead:
    """One organisation for any signed-in role that may read organisations."""
    require(principal, Permission.ORG_READ)
    return organisation_reads(session, [get_organisation(session, code=code)])[0]


def organisation_reads(session: Session, orgs: list[Organisation]) -> list[OrganisationRead]:
    """Render organisations with their home and served area codes (two queries per batch)."""
    homes = _area_refs(session, [o.home_area_id for o in orgs])
    served: dict[int, list[str]] = defaultdict(list)
    if orgs:
        rows = session.execute(
            select(OrganisationArea.organisation_id, Area.code)
            .join(Area, Area.id == OrganisationArea.area_id)
            .where(OrganisationArea.organisation_id.in_([o.id for o in orgs]))
            .order_by(Area.code)).all()
        for org_id, area_code in rows:
            served[org_id].append(area_code)
    return [OrganisationRead.model_validate({
        **{f: getattr(o, f) for f in ("code", "kind", "sector", "name_zh", "name_en",
                                      *_CONTACT_FIELDS)},
        "home_area_code": homes[o.home_area_id][0], "served_area_codes": served[o.id],
    }) for o in orgs]


def update_organisation(
    session: Session, *, principal: Principal, code: str, data: OrganisationUpdate,
    clock: Clock | None = None,
) -> Organisation:
    """Change an organisation; its managers in area scope, or its own liaison, may."""
    org = get_organisation(session, code=code)
    home = areas.get_area_by_id(session, area_id=org.home_area_id)
    require(principal, Permission.ORG_WRITE, area_path=home.path, org_id=org.id)
    changes = data.model_dump(exclude_unset=True)
    served = changes.pop("served_area_codes", None)
    new_home_code = changes.pop("home_area_code", None)
    changes = {k: v for k, v in changes.items()
               if not (v is None and k in ("name_zh", "name_en"))}
    changes.update({k: "" for k in _CONTACT_FIELDS if k in changes and changes[k] is None})
    if "sector" in changes:
        check_sector(org.kind, changes["sector"])
    payload: dict[str, Any] = {}
    if new_home_code is not None and new_home_code != home.code:
        new_home = areas.get_area(session, code=new_home_code)
        require(principal, Permission.ORG_WRITE, area_path=new_home.path, org_id=org.id)
        org.home_area_id = new_home.id
        payload["home_area"] = {"from": home.code, "to": new_home.code}
    if served is not None:
        payload["served_areas"] = _replace_served_areas(session, org, served)
    payload["changes"] = {k: {"from": getattr(org, k), "to": v} for k, v in changes.items()
                          if k not in _CONTACT_FIELDS and getattr(org, k) != v}
    payload["contact_fields_changed"] = sorted(
        k for k in _CONTACT_FIELDS if k in changes and getattr(org, k) != changes[k])
    for key, value in changes.items():
        setattr(org, key, value)
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "organisation.updated", "organisation", org.code, new_home_code or home.code, payload)])
    session.flush()
    return org


def _replace_served_areas(session: Session, org: Organisation, codes: list[str]) -> list[str]:
    known = _areas_by_code(session, codes, "served_area_codes")
    session.execute(delete(OrganisationArea).where(OrganisationArea.organisation_id == org.id))
    session.add_all([OrganisationArea(organisation_id=org.id, area_id=known[c].id)
                     for c in codes])
    return codes


def list_organisations(
    session: Session, *, principal: Principal, within: str | None = None,
    kind: OrganisationKind | None = None, sector: str | None = None, q: str | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[OrganisationRead]:
    """Organisations registered in, or serving any area of, the ``within`` subtree."""
    require(principal, Permission.ORG_READ)
    query = select(Organisation).order_by(Organisation.code)
    if within is not None:
        in_subtree = _subtree(session, within)
        served = (select(OrganisationArea.organisation_id)
                  .join(Area, Area.id == OrganisationArea.area_id).where(in_subtree))
        homes = select(Area.id).where(in_subtree)
        query = query.where(or_(Organisation.home_area_id.in_(homes),
                                Organisation.id.in_(served)))
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if sector is not None:
        query = query.where(Organisation.sector == sector)
    if q:
        query = query.where(_name_matches(Organisation, q))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=organisation_reads(session, rows), total=total, page=page,
                page_size=page_size)


# --- people -------------------------------------------------------------------------------

_PUBLIC_FIELDS = ("code", "kind", "name_zh", "name_en", "household_code", "home_unit",
                  "skills", "availability")
_NOT_NULLABLE = frozenset({"kind", "name_zh", "name_en", "area_code", "skills"})


def get_person_record(session: Session, *, code: str) -> Person:
    """The raw person row (internal: no permission check, sensitive fields included)."""
    person = _find_person(session, code)
    if person is None:
        raise NotFound(_("Unknown person {value}"), code="unknown_person", value=code)
    return person


def _find_person(session: Session, code: str) -> Person | None:
    return session.execute(select(Person).where(Person.code == code)).scalar_one_or_none()


def _organisation_ids(session: Session, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    rows = session.execute(select(Organisation.code, Organisation.id)
                           .where(Organisation.code.in_(wanted))).all() if wanted else []
    found = {code: org_id for code, org_id in rows}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(_("Unknown organisation {value}"), code="unknown_organisation",
                       value=missing[0], details={"field": "organisation_code"})
    return found


def create_people(
    session: Session, *, principal: Principal, items: Iterable[PersonCreate],
    clock: Clock | None = None,
) -> list[Person]:
    """Register people with their qualifications, all or nothing."""
    items = list(items)
    known = _areas_by_code(session, [i.area_code for i in items], "area_code")
    for item in items:
        check_area_kind(item.kind, known[item.area_code].kind)
        require(principal, Permission.PERSON_WRITE, area_path=known[item.area_code].path)
    orgs = _organisation_ids(session, [i.organisation_code for i in items
                                       if i.organisation_code])
    refuse_duplicate_codes(session, Person.code, [i.code for i in items])
    people = [Person(
        **item.model_dump(exclude={"area_code", "organisation_code", "qualifications"}),
        area_id=known[item.area_code].id,
        organisation_id=orgs[item.organisation_code] if item.organisation_code else None,
    ) for item in items]
    session.add_all(people)
    session.flush()
    session.add_all([Qualification(person_id=person.id, **q.model_dump())
                     for person, item in zip(people, items, strict=True)
                     for q in item.qualifications])
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("person.created", "person", person.code, item.area_code, {
            "kind": item.kind.value, "organisation": item.organisation_code,
            "skills": item.skills, "qualifications": [q.name for q in item.qualifications],
            "sensitive_fields_set": sorted(f for f in SENSITIVE_FIELDS
                                           if getattr(item, f) is not None),
        }) for person, item in zip(people, items, strict=True)
    ])
    return people


def _readable_person(session: Session, principal: Principal, code: str) -> tuple[Person, bool]:
    """The person ``principal`` may read, and whether it is their own record.

    A principal without ``person.read`` is refused before the lookup, so a resident cannot
    tell an unknown code from a neighbour's.
    """
    person = _find_person(session, code)
    if person is not None and principal.person_id == person.id:
        return person, True
    require(principal, Permission.PERSON_READ)
    person = person or get_person_record(session, code=code)
    area = areas.get_area_by_id(session, area_id=person.area_id)
    require(principal, Permission.PERSON_READ, area_path=area.path)
    return person, False


def read_person(session: Session, *, principal: Principal, code: str) -> PersonRead:
    """A person, with sensitive fields only for themself or a carer allowed to see them."""
    person, own = _readable_person(session, principal, code)
    return _person_reads(session, principal, [person], own=own)[0]


def person_qualifications(
    session: Session, *, principal: Principal, code: str
) -> list[QualificationRead]:
    """A person's qualifications, for whoever may read the person."""
    person, _own = _readable_person(session, principal, code)
    return _qualifications_of(session, [person.id])[person.id]


def _qualifications_of(session: Session, person_ids: list[int]
                       ) -> dict[int, list[QualificationRead]]:
    found: dict[int, list[QualificationRead]] = defaultdict(list)
    if person_ids:
        rows = session.execute(select(Qualification).where(
            Qualification.person_id.in_(person_ids)).order_by(Qualification.name)).scalars()
        for row in rows:
            found[row.person_id].append(QualificationRead.model_validate(row))
    return found


def _organisation_codes(session: Session, org_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.code)
                           .where(Organisation.id.in_(ids))).all()
    return {org_id: code for org_id, code in rows}


def _person_reads(
    session: Session, principal: Principal, people: list[Person], *, own: bool = False
) -> list[PersonRead]:
    """Render people; sensitive fields only where ``person.read_sensitive`` reaches."""
    refs = _area_refs(session, [p.area_id for p in people])
    org_ids = [p.organisation_id for p in people if p.organisation_id is not None]
    org_codes = _organisation_codes(session, org_ids)
    quals = _qualifications_of(session, [p.id for p in people])
    reads: list[PersonRead] = []
    for person in people:
        area_code, path = refs[person.area_id]
        public = {**{f: getattr(person, f) for f in _PUBLIC_FIELDS}, "area_code": area_code,
                  "organisation_code": org_codes.get(person.organisation_id or 0),
                  "qualifications": quals[person.id]}
        if own or can(principal, Permission.PERSON_READ_SENSITIVE, area_path=path):
            private = {f: getattr(person, f) for f in SENSITIVE_FIELDS}
            reads.append(PersonPrivateRead.model_validate({**public, **private}))
        else:
            reads.append(PersonRead.model_validate(public))
    return reads


def update_person(
    session: Session, *, principal: Principal, code: str, data: PersonUpdate,
    clock: Clock | None = None,
) -> Person:
    """Change a person in scope; a move needs scope over the new area too."""
    require(principal, Permission.PERSON_WRITE)
    person = get_person_record(session, code=code)
    area = areas.get_area_by_id(session, area_id=person.area_id)
    require(principal, Permission.PERSON_WRITE, area_path=area.path)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
               if not (v is None and k in _NOT_NULLABLE)}
    qualifications = changes.pop("qualifications", None)
    new_area = area
    if "area_code" in changes:
        new_area = areas.get_area(session, code=changes["area_code"])
        require(principal, Permission.PERSON_WRITE, area_path=new_area.path)
    check_area_kind(changes.get("kind", person.kind), new_area.kind)
    before = _public_view(session, person, area.code)
    payload: dict[str, Any] = {
        "changes": {k: {"from": before[k], "to": v} for k, v in changes.items()
                    if k in before and before[k] != v},
        "sensitive_fields_changed": sorted(
            k for k in SENSITIVE_FIELDS if k in changes and getattr(person, k) != changes[k]),
    }
    if "organisation_code" in changes:
        org_code = changes["organisation_code"]
        person.organisation_id = get_organisation(session, code=org_code).id if org_code \
            else None
    person.area_id = new_area.id
    for key, value in changes.items():
        if key not in ("area_code", "organisation_code"):
            setattr(person, key, value)
    if qualifications is not None:
        _replace_qualifications(session, person, qualifications)
        payload["qualifications"] = [q["name"] for q in qualifications]
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "person.updated", "person", person.code, new_area.code, payload)])
    session.flush()
    return person


def _public_view(session: Session, person: Person, area_code: str) -> dict[str, Any]:
    """The non-sensitive fields of a person as an API client names them (for events)."""
    org_code = _organisation_codes(session, [person.organisation_id]).get(
        person.organisation_id) if person.organisation_id is not None else None
    return {**{f: getattr(person, f) for f in _PUBLIC_FIELDS if f != "code"},
            "area_code": area_code, "organisation_code": org_code}


def _replace_qualifications(session: Session, person: Person, items: list[dict[str, Any]]
                            ) -> None:
    session.execute(delete(Qualification).where(Qualification.person_id == person.id))
    session.add_all([Qualification(person_id=person.id, **q) for q in items])


def _in_scope(session: Session, principal: Principal, within: str | None
              ) -> list[ColumnElement[bool]]:
    """Conditions on ``Area`` (joined to people) for the principal's scope and ``within``."""
    conditions: list[ColumnElement[bool]] = []
    scope = area_range(principal)
    if scope is not None:
        conditions += [Area.path >= scope[0], Area.path < scope[1]]
    if within is not None:
        conditions.append(_subtree(session, within))
    return conditions


def list_people(
    session: Session, *, principal: Principal, within: str | None = None,
    kind: PersonKind | None = None, skill: str | None = None, available: bool | None = None,
    q: str | None = None, page: int = 1, page_size: int = 50,
) -> Page[PersonRead]:
    """People in the principal's scope; sensitive fields only where they may see them."""
    require(principal, Permission.PERSON_READ)
    query = (select(Person).join(Area, Area.id == Person.area_id)
             .where(*_in_scope(session, principal, within)).order_by(Person.code))
    if kind is not None:
        query = query.where(Person.kind == kind)
    if skill:
        # Skills are slugs in a JSON list; match one quoted element of its text.
        query = query.where(cast(Person.skills, String).like(
            f'%"{_like_escape(skill)}"%', escape="\\"))
    if available is not None:
        ready = Person.availability == Availability.ANYTIME.value  # can be called at any hour
        query = query.where(ready if available
                            else or_(Person.availability.is_(None), ~ready))
    if q:
        query = query.where(_name_matches(Person, q))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=_person_reads(session, principal, rows), total=total, page=page,
                page_size=page_size)


def expiring_qualifications(
    session: Session, *, principal: Principal, within: str | None = None, before: date,
    page: int = 1, page_size: int = 50,
) -> Page[ExpiringQualification]:
    """Qualifications in scope that expire before ``before`` (expired ones included)."""
    require(principal, Permission.PERSON_READ)
    query = (select(Qualification).join(Person, Person.id == Qualification.person_id)
             .join(Area, Area.id == Person.area_id)
             .where(Qualification.expires_on < before, *_in_scope(session, principal, within))
             .order_by(Qualification.expires_on, Person.code, Qualification.name))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    people = {p.id: p for p in session.execute(select(Person).where(
        Person.id.in_({r.person_id for r in rows}))).scalars()} if rows else {}
    refs = _area_refs(session, [p.area_id for p in people.values()])
    items = [ExpiringQualification(
        person_code=people[r.person_id].code, person_kind=people[r.person_id].kind,
        person_name_zh=people[r.person_id].name_zh, area_code=refs[people[r.person_id].area_id][0],
        name=r.name, expires_on=r.expires_on) for r in rows if r.expires_on is not None]
    return Page(items=items, total=total, page=page, page_size=page_size)
