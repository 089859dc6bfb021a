"""Assignments of sent-down cadres and party members: create, end, list, the roster."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.actors.kinds import PersonKind
from communitas.actors.models import Organisation, Person
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import Conflict, NotFound, ValidationFailed
from communitas.events import record_event
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.resources.lookups import today
from communitas.schemas import Page
from communitas.supervision.models import CadreAssignment
from communitas.supervision.schemas import AssignmentCreate, AssignmentEnd, AssignmentRead

__all__ = [
    "SENT_DOWN_KINDS", "active_on", "assign", "assignment_reads", "end_assignment",
    "get_assignment", "list_assignments",
]

SENT_DOWN_KINDS = frozenset({PersonKind.CADRE, PersonKind.PARTY_MEMBER})


def active_on(day: date) -> ColumnElement[bool]:
    return and_(CadreAssignment.starts_on <= day,
                or_(CadreAssignment.ends_on.is_(None), CadreAssignment.ends_on >= day))


def _overlapping(person_id: int, starts_on: date, ends_on: date | None,
                 skip: int | None = None) -> ColumnElement[bool]:
    clauses = [CadreAssignment.person_id == person_id,
               or_(CadreAssignment.ends_on.is_(None), CadreAssignment.ends_on >= starts_on)]
    if ends_on is not None:
        clauses.append(CadreAssignment.starts_on <= ends_on)
    if skip is not None:
        clauses.append(CadreAssignment.id != skip)
    return and_(*clauses)


def assign(session: Session, *, principal: Principal, data: AssignmentCreate,
           clock: Clock | None = None) -> CadreAssignment:
    """Send a cadre or party member down; one community at a time for each person."""
    community = areas.get_area(session, code=data.community_code)
    require(principal, Permission.SUPERVISION_ASSIGN, area_path=community.path)
    if community.kind is not AreaKind.COMMUNITY:
        raise ValidationFailed(_("Cadres are sent down to a community"),
                               code="wrong_area_kind", details={"field": "community_code"})
    person = actors.get_person_record(session, code=data.person_code)
    if person.kind not in SENT_DOWN_KINDS:
        raise ValidationFailed(_("Only cadres and party members are sent down"),
                               code="not_sent_down_kind", details={"field": "person_code"})
    unit = actors.get_organisation(session, code=data.sending_unit_code) \
        if data.sending_unit_code else None
    clash = session.execute(select(CadreAssignment.id).where(
        _overlapping(person.id, data.starts_on, data.ends_on))).scalars().first()
    if clash is not None:
        raise Conflict(_("This person is already assigned for part of that period"),
                       code="assignment_overlap", details={"assignment_id": clash})
    row = CadreAssignment(
        person_id=person.id, community_id=community.id, role=data.role,
        starts_on=data.starts_on, ends_on=data.ends_on,
        sending_unit_id=unit.id if unit else None, created_by=principal.actor,
        created_at=(clock or SystemClock()).now())
    session.add(row)
    session.flush()
    record_event(session, actor=principal.actor, action="supervision.assigned",
                 subject_type="cadre_assignment", subject_id=row.id, area_code=community.code,
                 clock=clock, payload={"person": person.code, "role": row.role.value,
                                       "starts_on": row.starts_on.isoformat(),
                                       "ends_on": row.ends_on.isoformat() if row.ends_on
                                       else None})
    return row


def get_assignment(session: Session, *, principal: Principal, assignment_id: int,
                   permission: Permission = Permission.SUPERVISION_READ) -> CadreAssignment:
    row = session.get(CadreAssignment, assignment_id)
    if row is None:
        raise NotFound(_("Unknown assignment {value}"), code="unknown_assignment",
                       value=assignment_id)
    community = areas.get_area_by_id(session, area_id=row.community_id)
    require(principal, permission, area_path=community.path)
    return row


def end_assignment(session: Session, *, principal: Principal, assignment_id: int,
                   data: AssignmentEnd, clock: Clock | None = None) -> CadreAssignment:
    """Bring the period to an end on ``ends_on`` (not before it started, not extended)."""
    row = get_assignment(session, principal=principal, assignment_id=assignment_id,
                         permission=Permission.SUPERVISION_ASSIGN)
    if data.ends_on < row.starts_on:
        raise ValidationFailed(_("The period ends before it starts"), code="bad_period",
                               details={"field": "ends_on"})
    if row.ends_on is not None and data.ends_on >= row.ends_on:
        raise Conflict(_("The assignment already ends by then"), code="already_ending",
                       details={"ends_on": row.ends_on.isoformat()})
    row.ends_on, row.end_reason = data.ends_on, data.reason
    session.flush()
    community = areas.get_area_by_id(session, area_id=row.community_id)
    record_event(session, actor=principal.actor, action="supervision.ended",
                 subject_type="cadre_assignment", subject_id=row.id, area_code=community.code,
                 clock=clock, payload={"ends_on": data.ends_on.isoformat()})
    return row


def list_assignments(session: Session, *, principal: Principal, within: str | None = None,
                     active: bool | None = None, clock: Clock | None = None, page: int = 1,
                     page_size: int = 50) -> Page[AssignmentRead]:
    """Assignments to communities in the principal's area; ``active``: on today's date."""
    require(principal, Permission.SUPERVISION_READ)
    query = (select(CadreAssignment).join(Area, Area.id == CadreAssignment.community_id)
             .order_by(Area.code, CadreAssignment.starts_on, CadreAssignment.id))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    day = today(clock)
    if active is not None:
        query = query.where(active_on(day) if active else ~active_on(day))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=assignment_reads(session, rows, on=day), total=total, page=page,
                page_size=page_size)


def assignment_reads(session: Session, rows: list[CadreAssignment], *, on: date
                     ) -> list[AssignmentRead]:
    if not rows:
        return []
    # Only public columns: the private ones (phone, health …) are never loaded here.
    people = {p.id: p for p in session.execute(
        select(Person.id, Person.code, Person.kind, Person.name_zh, Person.name_en)
        .where(Person.id.in_({r.person_id for r in rows})))}
    places = dict(session.execute(select(Area.id, Area.code).where(
        Area.id.in_({r.community_id for r in rows}))).all())
    units = dict(session.execute(select(Organisation.id, Organisation.code).where(
        Organisation.id.in_({r.sending_unit_id for r in rows if r.sending_unit_id}))
    ).all())
    return [AssignmentRead(
        id=r.id, person_code=people[r.person_id].code, person_kind=people[r.person_id].kind,
        person_name_zh=people[r.person_id].name_zh, person_name_en=people[r.person_id].name_en,
        community_code=places[r.community_id], role=r.role, starts_on=r.starts_on,
        ends_on=r.ends_on, sending_unit_code=units.get(r.sending_unit_id or 0),
        active=r.starts_on <= on and (r.ends_on is None or r.ends_on >= on),
        end_reason=r.end_reason) for r in rows]
