"""Mutual-aid enrolment (consent) and pairs of vulnerable residents with able neighbours.

Who may opt a person in: the person themself (an account linked to them), or staff with
``aid.manage`` whose area holds the person's home — who must then say how consent was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.community import lookups
from communitas.community.lookups import PersonRef
from communitas.community.models import AidEnrolment, AidPair, AidRole, PairStatus
from communitas.community.pairing import Candidate, suggest_pairs
from communitas.community.places import closeness, distance_m, places_of
from communitas.community.schemas import (
    EnrolmentCreate,
    EnrolmentRead,
    PairCreate,
    PairRead,
    PairSuggestionRead,
    PartnerRead,
)
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import EventDraft, record_event, record_events
from communitas.i18n import _

__all__ = [
    "answer_pair", "confirm_pair", "end_pair", "enrol", "enrolment_reads", "list_enrolments",
    "list_pairs", "pair_reads", "suggest", "withdraw",
]

OPEN_PAIR = (PairStatus.AWAITING_HELPER, PairStatus.ACTIVE)
HELPER_KINDS = frozenset({PersonKind.RESIDENT, PersonKind.VOLUNTEER, PersonKind.PARTY_MEMBER})


def _acting_for(principal: Principal, person: PersonRef) -> str:
    """'self' when the person acts, 'on_behalf' for staff in scope; anyone else is refused."""
    if principal.person_id == person.id:
        return "self"
    require(principal, Permission.AID_MANAGE, area_path=person.area_path)
    return "on_behalf"


def _event(session: Session, principal: Principal, action: str, subject: str, subject_id: int,
           area_code: str, clock: Clock | None, **payload: Any) -> None:
    record_event(session, actor=principal.actor, action=action, subject_type=subject,
                 subject_id=subject_id, area_code=area_code, payload=payload, clock=clock)


def enrol(session: Session, *, principal: Principal, data: EnrolmentCreate,
          clock: Clock | None = None) -> AidEnrolment:
    """Record a person's consent to mutual aid, as vulnerable or as helper."""
    person = lookups.people_by_code(session, [data.person_code], "person_code")[data.person_code]
    basis = _acting_for(principal, person)
    if basis == "on_behalf" and not data.consent_statement:
        raise ValidationFailed(_("Say how the resident gave consent"),
                               code="consent_statement_required",
                               details={"field": "consent_statement"})
    allowed = {PersonKind.RESIDENT} if data.role is AidRole.VULNERABLE else HELPER_KINDS
    place = places_of(session, [person.area_id])[person.area_id]
    if person.kind not in allowed or place.building_id is None:
        raise ValidationFailed(_("Only people living in a building take part in mutual aid "
                                 "(vulnerable: residents)"), code="not_eligible",
                               details={"field": "person_code"})
    now = (clock or SystemClock()).now()
    row = session.execute(select(AidEnrolment).where(
        AidEnrolment.person_id == person.id, AidEnrolment.role == data.role)).scalar_one_or_none()
    if row is not None and row.withdrawn_at is None:
        raise Conflict(_("Already enrolled"), code="already_enrolled")
    if row is None:
        row = AidEnrolment(person_id=person.id, role=data.role)
        session.add(row)
    row.capacity = data.capacity if data.role is AidRole.HELPER else 1
    row.shared_note, row.consent_statement = data.shared_note, data.consent_statement
    row.consent_by, row.consent_basis, row.consent_at = principal.actor, basis, now
    row.withdrawn_at = None
    session.flush()
    _event(session, principal, "aid.enrolled", "aid_enrolment", row.id, person.area_code,
           clock, person=person.code, role=data.role.value, consent_basis=basis,
           capacity=row.capacity)
    return row


def withdraw(session: Session, *, principal: Principal, enrolment_id: int,
             clock: Clock | None = None) -> AidEnrolment:
    """Withdraw consent: the enrolment ends, and so do its open pairs."""
    row = _enrolment(session, enrolment_id)
    person = lookups.people_by_id(session, [row.person_id])[row.person_id]
    _acting_for(principal, person)
    if row.withdrawn_at is not None:
        raise Conflict(_("Already withdrawn"), code="already_withdrawn")
    now = (clock or SystemClock()).now()
    row.withdrawn_at = now
    pairs = session.execute(select(AidPair).where(
        (AidPair.vulnerable_id == row.id) | (AidPair.helper_id == row.id),
        AidPair.status.in_(OPEN_PAIR))).scalars().all()
    for pair in pairs:
        pair.status, pair.ended_at = PairStatus.ENDED, now
    session.flush()
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("aid.withdrawn", "aid_enrolment", row.id, person.area_code,
                   {"person": person.code, "role": row.role.value}),
        *(EventDraft("aid_pair.ended", "aid_pair", p.id, person.area_code,
                     {"reason": "withdrawn"}) for p in pairs)])
    return row


def _enrolment(session: Session, enrolment_id: int) -> AidEnrolment:
    row = session.get(AidEnrolment, enrolment_id)
    if row is None:
        raise NotFound(_("Unknown enrolment {value}"), code="unknown_enrolment",
                       value=enrolment_id)
    return row


def _active(session: Session, person_id: int, role: AidRole, field: str) -> AidEnrolment:
    # Locked, so two staff pairing the same people at once (PostgreSQL) take turns.
    row = session.execute(select(AidEnrolment).where(
        AidEnrolment.person_id == person_id, AidEnrolment.role == role,
        AidEnrolment.withdrawn_at.is_(None)).with_for_update()).scalar_one_or_none()
    if row is None:
        raise ValidationFailed(_("This person has not opted in as {role}"), code="not_enrolled",
                               role=role.value, details={"field": field})
    return row


def _open_pairs(session: Session, helper_ids: Sequence[int]) -> dict[int, int]:
    return dict(session.execute(
        select(AidPair.helper_id, func.count()).where(
            AidPair.helper_id.in_(helper_ids), AidPair.status.in_(OPEN_PAIR))
        .group_by(AidPair.helper_id)).all())


def confirm_pair(session: Session, *, principal: Principal, data: PairCreate,
                 clock: Clock | None = None) -> AidPair:
    """Staff confirm a pair (usually a suggestion); it waits for the helper's consent."""
    people = lookups.people_by_code(session, [data.vulnerable_person_code],
                                    "vulnerable_person_code")
    people |= lookups.people_by_code(session, [data.helper_person_code], "helper_person_code")
    vul, helper = people[data.vulnerable_person_code], people[data.helper_person_code]
    for person in (vul, helper):
        require(principal, Permission.AID_MANAGE, area_path=person.area_path)
    v_row = _active(session, vul.id, AidRole.VULNERABLE, "vulnerable_person_code")
    h_row = _active(session, helper.id, AidRole.HELPER, "helper_person_code")
    places = places_of(session, [vul.area_id, helper.area_id])
    basis = closeness(places[vul.area_id], places[helper.area_id])
    if basis not in ("building", "grid") or vul.id == helper.id:
        raise ValidationFailed(_("A helper must live in the same building or grid"),
                               code="not_neighbours", details={"field": "helper_person_code"})
    if session.execute(select(AidPair.id).where(AidPair.vulnerable_id == v_row.id,
                                                AidPair.status.in_(OPEN_PAIR))).first():
        raise Conflict(_("This resident already has a helper"), code="already_paired")
    if _open_pairs(session, [h_row.id]).get(h_row.id, 0) >= h_row.capacity:
        raise Conflict(_("This helper has no room for another neighbour"), code="helper_full")
    now = (clock or SystemClock()).now()
    pair = AidPair(vulnerable_id=v_row.id, helper_id=h_row.id,
                   status=PairStatus.AWAITING_HELPER, basis=basis,
                   distance_m=distance_m(places[vul.area_id].point,
                                         places[helper.area_id].point),
                   confirmed_by=principal.actor, confirmed_at=now)
    session.add(pair)
    session.flush()
    _event(session, principal, "aid_pair.confirmed", "aid_pair", pair.id, vul.area_code, clock,
           vulnerable=vul.code, helper=helper.code, basis=basis)
    return pair


def answer_pair(session: Session, *, principal: Principal, pair_id: int, accept: bool,
                clock: Clock | None = None) -> AidPair:
    """The helper consents to (or declines) a pair; staff may record the answer for them."""
    pair = session.get(AidPair, pair_id, with_for_update=True)
    if pair is None:
        raise NotFound(_("Unknown pair {value}"), code="unknown_pair", value=pair_id)
    h_row = _enrolment(session, pair.helper_id)
    helper = lookups.people_by_id(session, [h_row.person_id])[h_row.person_id]
    basis = _acting_for(principal, helper)
    if pair.status is not PairStatus.AWAITING_HELPER:
        raise Conflict(_("This pair is {state}"), code="pair_state", state=pair.status.value)
    pair.status = PairStatus.ACTIVE if accept else PairStatus.DECLINED
    pair.helper_answer_by, pair.helper_answer_at = principal.actor, (clock or SystemClock()).now()
    session.flush()
    _event(session, principal, "aid_pair.accepted" if accept else "aid_pair.declined",
           "aid_pair", pair.id, helper.area_code, clock, answered=basis)
    return pair


def end_pair(session: Session, *, principal: Principal, pair_id: int,
             clock: Clock | None = None) -> AidPair:
    """End an open pair (a helper moves away): either partner, or staff in scope."""
    pair = session.get(AidPair, pair_id, with_for_update=True)
    if pair is None:
        raise NotFound(_("Unknown pair {value}"), code="unknown_pair", value=pair_id)
    rows = {r.id: r for r in session.execute(select(AidEnrolment).where(
        AidEnrolment.id.in_([pair.vulnerable_id, pair.helper_id]))).scalars()}
    people = lookups.people_by_id(session, [r.person_id for r in rows.values()])
    vul = people[rows[pair.vulnerable_id].person_id]
    if principal.person_id not in people:
        require(principal, Permission.AID_MANAGE, area_path=vul.area_path)
    if pair.status not in OPEN_PAIR:
        raise Conflict(_("This pair is {state}"), code="pair_state", state=pair.status.value)
    pair.status, pair.ended_at = PairStatus.ENDED, (clock or SystemClock()).now()
    session.flush()
    _event(session, principal, "aid_pair.ended", "aid_pair", pair.id, vul.area_code, clock,
           reason="ended")
    return pair


def suggest(session: Session, *, principal: Principal, area_code: str
            ) -> list[PairSuggestionRead]:
    """Suggested pairs for unpaired vulnerable residents of an area (a grid or community)."""
    area = lookups.area_by_code(session, area_code)
    require(principal, Permission.AID_MANAGE, area_path=area.path)
    rows = _enrolled_in(session, area)
    paired = set(session.execute(select(AidPair.vulnerable_id).where(
        AidPair.status.in_(OPEN_PAIR))).scalars())
    people = lookups.people_by_id(session, [r.person_id for r in rows])
    places = places_of(session, [p.area_id for p in people.values()])
    used = _open_pairs(session, [r.id for r in rows if r.role is AidRole.HELPER])

    def candidate(r: AidEnrolment) -> Candidate:
        person = people[r.person_id]
        return Candidate(r.id, person.id, places[person.area_id], r.capacity - used.get(r.id, 0))

    vul = [candidate(r) for r in rows if r.role is AidRole.VULNERABLE and r.id not in paired]
    helpers = [candidate(r) for r in rows if r.role is AidRole.HELPER]
    by_id = {r.id: r for r in rows}
    return [PairSuggestionRead(
        vulnerable=_partner(by_id[s.vulnerable_id], people), helper=_partner(
            by_id[s.helper_id], people), basis=s.basis, distance_m=s.distance_m)
        for s in suggest_pairs(vul, helpers)]


def _enrolled_in(session: Session, area: Area) -> list[AidEnrolment]:
    from communitas.actors.models import Person  # read-only, public columns (lookups.py)

    low, high = area.subtree_bounds()
    return list(session.execute(
        select(AidEnrolment).join(Person, Person.id == AidEnrolment.person_id)
        .join(Area, Area.id == Person.area_id)
        .where(Area.path >= low, Area.path < high, AidEnrolment.withdrawn_at.is_(None))
        .order_by(AidEnrolment.id)).scalars())


def _partner(row: AidEnrolment, people: dict[int, PersonRef]) -> PartnerRead:
    person = people[row.person_id]
    return PartnerRead(person_code=person.code, name_zh=person.name_zh,
                       name_en=person.name_en, area_code=person.area_code,
                       shared_note=row.shared_note)


def pair_reads(session: Session, pairs: Sequence[AidPair]) -> list[PairRead]:
    enrolments = {r.id: r for r in session.execute(select(AidEnrolment).where(AidEnrolment.id.in_(
        {p.vulnerable_id for p in pairs} | {p.helper_id for p in pairs}))).scalars()}
    people = lookups.people_by_id(session, [r.person_id for r in enrolments.values()])
    return [PairRead(id=p.id, status=p.status, basis=p.basis, distance_m=p.distance_m,
                     vulnerable=_partner(enrolments[p.vulnerable_id], people),
                     helper=_partner(enrolments[p.helper_id], people),
                     confirmed_by=p.confirmed_by, helper_answer_at=p.helper_answer_at)
            for p in pairs]


def list_pairs(session: Session, *, principal: Principal, within: str | None = None,
               mine: bool = False) -> list[PairRead]:
    """Staff: the pairs of an area; anyone: the pairs they belong to (``mine``)."""
    query = select(AidPair).join(AidEnrolment, AidEnrolment.id == AidPair.vulnerable_id)
    if mine:
        if principal.person_id is None:
            raise PermissionDenied(_("Only an account linked to a person has pairs"),
                                   code="not_a_person")
        own = select(AidEnrolment.id).where(AidEnrolment.person_id == principal.person_id)
        query = query.where(AidPair.vulnerable_id.in_(own) | AidPair.helper_id.in_(own))
    else:
        from communitas.actors.models import Person  # read-only, as in lookups.py

        area = lookups.area_by_code(session, within or principal.scope_area_code or "",
                                    "within")
        require(principal, Permission.AID_MANAGE, area_path=area.path)
        low, high = area.subtree_bounds()
        query = (query.join(Person, Person.id == AidEnrolment.person_id)
                 .join(Area, Area.id == Person.area_id)
                 .where(Area.path >= low, Area.path < high))
    return pair_reads(session, list(session.execute(query.order_by(AidPair.id)).scalars()))


def list_enrolments(session: Session, *, principal: Principal, within: str | None = None,
                    mine: bool = False) -> list[EnrolmentRead]:
    """One's own enrolments (``mine``), or (staff with aid.manage) the active ones of an area."""
    if mine:
        rows = session.execute(select(AidEnrolment).where(
            AidEnrolment.person_id == (principal.person_id or -1)).order_by(AidEnrolment.id))
        return enrolment_reads(session, list(rows.scalars()))
    area = lookups.area_by_code(session, within or principal.scope_area_code or "", "within")
    require(principal, Permission.AID_MANAGE, area_path=area.path)
    return enrolment_reads(session, _enrolled_in(session, area))


def enrolment_reads(session: Session, rows: Sequence[AidEnrolment]) -> list[EnrolmentRead]:
    people = lookups.people_by_id(session, [r.person_id for r in rows])
    return [EnrolmentRead(
        id=r.id, person_code=people[r.person_id].code, name_zh=people[r.person_id].name_zh,
        name_en=people[r.person_id].name_en, area_code=people[r.person_id].area_code,
        role=r.role, capacity=r.capacity, shared_note=r.shared_note,
        consent_basis=r.consent_basis, consent_by=r.consent_by, consent_at=r.consent_at,
        withdrawn_at=r.withdrawn_at) for r in rows]
