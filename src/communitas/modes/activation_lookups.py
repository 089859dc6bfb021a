"""Batched, read-only look-ups for activation: areas under a switched area and the people,
organisations and accounts who may hold plan roles there.

Like tasks/lookups.py these read other domains' tables without loading private fields
(no phone, identity or health column is selected).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from communitas.actors.models import Organisation, Person
from communitas.areas.models import Area
from communitas.auth.models import User
from communitas.modes.activation import Candidate

__all__ = ["ROLE_STAND_INS", "candidates", "subtree_areas"]

# When no account of a role is there, who the role stands for: a community committee role is
# held by the neighbourhood committee, a street's by the street office, a grid worker's by a
# grid worker on the register.
ROLE_STAND_INS = {
    "community_committee": "organisation_kind:neighbourhood_committee",
    "street_commander": "organisation_kind:street_office",
    "street_dispatcher": "organisation_kind:street_office",
    "district_commander": "sector:emergency_management",
    "grid_worker": "person_kind:grid_worker",
    "volunteer": "person_kind:volunteer",
}


def subtree_areas(session: Session, root: Area, kinds: Iterable[str]) -> list[Area]:
    """Areas of these kinds in ``root``'s subtree (itself included), by path."""
    low, high = root.subtree_bounds()
    wanted = sorted(set(kinds))
    if not wanted:
        return []
    return list(session.execute(select(Area).where(
        Area.path >= low, Area.path < high, Area.kind.in_(wanted)).order_by(Area.path)
    ).scalars())


def _where(path_col: Any, root: Area, ancestor_ids: list[int], area_id_col: Any) -> Any:
    low, high = root.subtree_bounds()
    return or_(and_(path_col >= low, path_col < high), area_id_col.in_(ancestor_ids))


def candidates(session: Session, root: Area, ancestor_ids: list[int],
               refs: Iterable[str]) -> list[Candidate]:
    """Everyone matching one of the holder references, based in ``root``'s subtree or at one
    of its ancestors (``ancestor_ids``)."""
    wanted = set(refs)
    stand_ins = {ROLE_STAND_INS[r.partition(":")[2]]: r for r in sorted(wanted)
                 if r.startswith("role:") and r.partition(":")[2] in ROLE_STAND_INS}
    by_kind: dict[str, set[str]] = {}
    for ref in wanted | set(stand_ins):
        kind, _sep, value = ref.partition(":")
        by_kind.setdefault(kind, set()).add(value)
    found: list[Candidate] = []
    if by_kind.get("role"):
        found += _users(session, root, ancestor_ids, by_kind["role"])
    if by_kind.get("person_kind"):
        found += _people(session, root, ancestor_ids, by_kind["person_kind"])
    if by_kind.get("organisation_kind") or by_kind.get("sector"):
        found += _organisations(session, root, ancestor_ids, by_kind.get("organisation_kind",
                                                                         set()),
                                by_kind.get("sector", set()))
    extra = [replace(c, match=stand_ins[c.match], stand_in=True) for c in found
             if c.match in stand_ins]
    return [c for c in found if c.match in wanted] + extra


def _users(session: Session, root: Area, ancestor_ids: list[int],
           roles: set[str]) -> list[Candidate]:
    person = aliased(Person)
    rows = session.execute(
        select(User.id, User.username, User.role, Area.path, person.code)
        .join(Area, Area.id == User.scope_area_id)
        .outerjoin(person, person.id == User.person_id)
        .where(User.active.is_(True), User.role.in_(sorted(roles)),
               _where(Area.path, root, ancestor_ids, Area.id))).all()
    return [Candidate("user", uid, name, path, f"role:{role.value}", person_code)
            for uid, name, role, path, person_code in rows]


def _people(session: Session, root: Area, ancestor_ids: list[int],
            kinds: set[str]) -> list[Candidate]:
    rows = session.execute(
        select(Person.id, Person.code, Person.kind, Area.path)
        .join(Area, Area.id == Person.area_id)
        .where(Person.kind.in_(sorted(kinds)),
               _where(Area.path, root, ancestor_ids, Area.id))).all()
    return [Candidate("person", pid, code, path, f"person_kind:{kind.value}", code)
            for pid, code, kind, path in rows]


def _organisations(session: Session, root: Area, ancestor_ids: list[int], kinds: set[str],
                   sectors: set[str]) -> list[Candidate]:
    rows = session.execute(
        select(Organisation.id, Organisation.code, Organisation.kind, Organisation.sector,
               Area.path)
        .join(Area, Area.id == Organisation.home_area_id)
        .where(or_(Organisation.kind.in_(sorted(kinds)),
                   Organisation.sector.in_(sorted(sectors))),
               _where(Area.path, root, ancestor_ids, Area.id))).all()
    out = []
    for oid, code, kind, sector, path in rows:
        if kind.value in kinds:
            out.append(Candidate("organisation", oid, code, path,
                                 f"organisation_kind:{kind.value}"))
        if sector in sectors:
            out.append(Candidate("organisation", oid, code, path, f"sector:{sector}"))
    return out
