"""Notice use cases: compose, approve (two people for a public notice), send, update, cancel.

Every step appends an event. Sending queues the deliveries in the same transaction
(alerts/outbox.py), so a notice is sent exactly when its deliveries are committed.
Callers commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from communitas.alerts import outbox
from communitas.alerts.area_mapping import covered_areas
from communitas.alerts.cap import Area as CapArea
from communitas.alerts.cap import Circle
from communitas.alerts.identifiers import make_identifier
from communitas.alerts.models import Notice, NoticeArea, NoticeState
from communitas.alerts.notice_cap import format_reference
from communitas.alerts.schemas import NoticeCancel, NoticeCreate, NoticeRead, NoticeRevision
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, can, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.config import Settings
from communitas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.privacy import contains_private_data
from communitas.schemas import Page

__all__ = [
    "Issuer", "approve_notice", "cancel_notice", "cap_shapes", "check_approval",
    "check_follow_up", "check_sendable", "close_earlier", "compose_checks", "compose_notice",
    "composed_notice", "cover_areas", "covered_area_rows", "event_draft", "follow_up_notice",
    "get_notice", "list_notices", "new_identifier", "no_area_covered", "notice_circles",
    "notice_polygons", "notice_reads", "readable", "relay_notice", "require_in",
    "send_notice", "shape_covered_communities", "update_notice",
]


@dataclass(frozen=True)
class Issuer:
    """Who our notices come from: the CAP sender and the GB/T 35965.1 issuing-unit code."""

    sender: str
    unit_code: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Issuer:
        return cls(sender=settings.notice_sender, unit_code=settings.notice_unit_code)


def unknown_notice(notice_id: int) -> NotFound:
    return NotFound(_("Unknown notice {value}"), code="unknown_notice", value=str(notice_id))


def identifier_exhausted() -> Conflict:
    """GB/T 35965.1 numbers ten notices per unit and second; an eleventh must wait."""
    return Conflict(_("Too many notices in one second; try again"), code="identifier_exhausted")


def get_notice(session: Session, *, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise unknown_notice(notice_id)
    return notice


def new_identifier(session: Session, *, unit_code: str, now: datetime) -> str:
    """The first free GB/T 35965.1 identifier for this unit and second."""
    stem = make_identifier(unit_code=unit_code, entered_at=now)[:-1]
    taken = set(session.execute(select(Notice.identifier).where(
        Notice.identifier.like(f"{stem}%"))).scalars())
    for sequence in range(10):
        candidate = f"{stem}{sequence}"
        if candidate not in taken:
            return candidate
    raise identifier_exhausted()


def _insert_numbered(session: Session, notice: Notice, unit_code: str, now: datetime) -> None:
    """Insert ``notice`` under the first free identifier; a concurrent writer that took the
    same one makes us try the next."""
    for _attempt in range(10):
        notice.identifier = new_identifier(session, unit_code=unit_code, now=now)
        try:
            with session.begin_nested():
                session.add(notice)
                session.flush()
            return
        except IntegrityError:
            continue
    raise identifier_exhausted()


def _named_areas(session: Session, principal: Principal, codes: list[str],
                 permission: Permission) -> list[Area]:
    found = []
    for code in dict.fromkeys(codes):
        try:
            area = areas.get_area(session, code=code)
        except NotFound as exc:
            exc.details = {"field": "area_codes", "code": code}
            raise
        require(principal, permission, area_path=area.path)
        found.append(area)
    return found


def shape_covered_communities(session: Session, principal: Principal,
                              cap_areas: list[CapArea]) -> list[Area]:
    """Communities in the principal's scope that the CAP polygons and circles cover."""
    if not any(a.polygons or a.circles or a.geocodes for a in cap_areas):
        return []
    query = select(Area).where(Area.kind == AreaKind.COMMUNITY)
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    communities = {a.code: a for a in session.execute(query).scalars()}
    codes = covered_areas(cap_areas, [(code, a.geometry) for code, a in communities.items()])
    return [communities[code] for code in codes]


def cap_shapes(polygons: list[Any], circles: list[Any]) -> list[CapArea]:
    if not polygons and not circles:
        return []
    return [CapArea(area_desc="notice",
                    polygons=tuple(tuple((p[0], p[1]) for p in ring) for ring in polygons),
                    circles=tuple(Circle(lat=c[0], lon=c[1], radius_km=c[2]) for c in circles))]


def cover_areas(session: Session, notice: Notice, covered: list[Area]) -> None:
    ids = dict.fromkeys(a.id for a in covered)
    session.add_all([NoticeArea(notice_id=notice.id, area_id=i) for i in ids])
    session.flush()


def compose_checks(principal: Principal, data: NoticeCreate, now: datetime) -> None:
    """What compose refuses before it looks at any area."""
    require(principal, Permission.NOTICE_COMPOSE)
    if data.expires_at is not None and data.expires_at <= now:
        raise ValidationFailed(_("The notice would expire before it is sent"),
                               code="notice_expired", details={"field": "expires_at"})


def no_area_covered() -> ValidationFailed:
    return ValidationFailed(_("The notice covers no area in your scope"),
                            code="no_area_covered", details={"field": "polygons"})


def composed_notice(principal: Principal, data: NoticeCreate, issuer: Issuer,
                    now: datetime) -> Notice:
    """The draft row of :func:`compose_notice`, not yet numbered or inserted."""
    return Notice(
        identifier="",
        sender=issuer.sender, msg_type="Alert", status=data.status, scope=data.scope,
        state=NoticeState.DRAFT, source="composed", category=data.category,
        hazard=data.hazard, severity=data.severity, urgency=data.urgency,
        certainty=data.certainty, title_zh=data.title_zh, title_en=data.title_en,
        body_zh=data.body_zh, body_en=data.body_en, area_codes=list(dict.fromkeys(
            data.area_codes)), polygons=notice_polygons(data), circles=notice_circles(data),
        channels=list(dict.fromkeys(data.channels)), references=[], expires_at=data.expires_at,
        author=principal.actor, created_at=now)


def notice_polygons(data: NoticeCreate) -> list[Any]:
    return [[list(p) for p in ring] for ring in data.polygons]


def notice_circles(data: NoticeCreate) -> list[Any]:
    return [[c.lat, c.lon, c.radius_km] for c in data.circles]


def compose_notice(session: Session, *, principal: Principal, data: NoticeCreate,
                   issuer: Issuer, clock: Clock | None = None) -> Notice:
    """A draft notice over the named areas and the communities its shapes cover."""
    now = (clock or SystemClock()).now()
    compose_checks(principal, data, now)
    covered = _named_areas(session, principal, data.area_codes, Permission.NOTICE_COMPOSE)
    covered += shape_covered_communities(session, principal, cap_shapes(
        notice_polygons(data), notice_circles(data)))
    if not covered:
        raise no_area_covered()
    notice = composed_notice(principal, data, issuer, now)
    _insert_numbered(session, notice, issuer.unit_code, now)
    cover_areas(session, notice, covered)
    _event(session, principal, notice, "notice.composed", clock,
           areas=[a.code for a in covered[:50]], area_count=len(covered))
    return notice


def event_draft(principal: Principal, notice: Notice, action: str,
                **payload: Any) -> EventDraft:
    """The event a notice step appends."""
    return EventDraft(action, "notice", notice.id, payload={
        "identifier": notice.identifier, "msg_type": notice.msg_type,
        "status": notice.status, **payload}, actor=principal.actor)


def _event(session: Session, principal: Principal, notice: Notice, action: str,
           clock: Clock | None, **payload: Any) -> None:
    record_events(session, actor=principal.actor, clock=clock,
                  drafts=[event_draft(principal, notice, action, **payload)])


def covered_area_rows(session: Session, notice_id: int) -> list[Area]:
    return list(session.execute(select(Area).join(NoticeArea, NoticeArea.area_id == Area.id)
                                .where(NoticeArea.notice_id == notice_id)
                                .order_by(Area.path)).scalars())


def _require_everywhere(session: Session, principal: Principal, notice: Notice,
                        permission: Permission) -> None:
    require_in(principal, permission, covered_area_rows(session, notice.id))


def require_in(principal: Principal, permission: Permission, covered: Sequence[Area]) -> None:
    """The permission, and the permission in every area the notice covers."""
    require(principal, permission)
    for area in covered:
        require(principal, permission, area_path=area.path)


def _expect(notice: Notice, *states: NoticeState) -> None:
    if notice.state not in states:
        raise Conflict(_("The notice is {state}; this step needs it {expected}"),
                       code="notice_state", state=notice.state.value,
                       expected=" / ".join(s.value for s in states))


def check_approval(principal: Principal, notice: Notice) -> None:
    """A draft only; a public notice needs a second person, not its author."""
    _expect(notice, NoticeState.DRAFT)
    if notice.scope == "Public" and principal.actor == notice.author:
        raise PermissionDenied(_("A public notice must be approved by a second person, not "
                                 "its author"), code="two_person_rule")


def approve_notice(session: Session, *, principal: Principal, notice_id: int,
                   clock: Clock | None = None) -> Notice:
    """Approve a draft; a public notice must be approved by someone other than its author."""
    notice = get_notice(session, notice_id=notice_id)
    _require_everywhere(session, principal, notice, Permission.NOTICE_APPROVE)
    check_approval(principal, notice)
    notice.state = NoticeState.APPROVED
    notice.approved_by, notice.approved_at = principal.actor, (clock or SystemClock()).now()
    session.flush()
    _event(session, principal, notice, "notice.approved", clock, author=notice.author)
    return notice


def check_sendable(notice: Notice, now: datetime) -> None:
    """Approved, and not expired by now."""
    _expect(notice, NoticeState.APPROVED)
    if notice.expires_at is not None and notice.expires_at <= now:
        raise ValidationFailed(_("The notice would expire before it is sent"),
                               code="notice_expired", details={"field": "expires_at"})


def send_notice(session: Session, *, principal: Principal, notice_id: int,
                clock: Clock | None = None) -> dict[str, int]:
    """Send an approved notice: queue one delivery per recipient and channel; the counts."""
    notice = get_notice(session, notice_id=notice_id)
    _require_everywhere(session, principal, notice, Permission.NOTICE_COMPOSE)
    now = (clock or SystemClock()).now()
    check_sendable(notice, now)
    notice.state, notice.sent_by, notice.sent_at = NoticeState.SENT, principal.actor, now
    if notice.references_notice_id is not None:
        _close_earlier(session, principal, notice, clock)
    session.flush()
    queued = outbox.queue_notice(session, notice=notice,
                                 covered=covered_area_rows(session, notice.id), now=now)
    _event(session, principal, notice, "notice.sent", clock, queued=queued,
           references=notice.references)
    return queued


def close_earlier(principal: Principal, notice: Notice, earlier: Notice) -> EventDraft | None:
    """A sent Cancel cancels what it references, an Update supersedes it; the event."""
    if earlier.state not in (NoticeState.SENT, NoticeState.RECEIVED):
        return None
    cancel = notice.msg_type == "Cancel"
    earlier.state = NoticeState.CANCELLED if cancel else NoticeState.SUPERSEDED
    return event_draft(principal, earlier, "notice.cancelled" if cancel
                       else "notice.superseded", by=notice.identifier)


def _close_earlier(session: Session, principal: Principal, notice: Notice,
                   clock: Clock | None) -> None:
    earlier = get_notice(session, notice_id=notice.references_notice_id or 0)
    draft = close_earlier(principal, notice, earlier)
    if draft is not None:
        record_events(session, actor=principal.actor, drafts=[draft], clock=clock)


def check_follow_up(earlier: Notice, issuer: Issuer) -> None:
    """Only a sent notice of our own sender can be updated or cancelled."""
    _expect(earlier, NoticeState.SENT)
    if earlier.sender != issuer.sender:
        raise Conflict(_("Only the sender of a notice may update or cancel it"),
                       code="not_our_notice")


def follow_up_notice(principal: Principal, earlier: Notice, msg_type: str,
                     changes: dict[str, Any], now: datetime) -> Notice:
    """The draft Update or Cancel of ``earlier``, not yet numbered or inserted."""
    copied = {c.key: getattr(earlier, c.key) for c in Notice.__table__.columns
              if c.key not in ("id", "cap_xml")}
    assert earlier.sent_at is not None
    reference = format_reference(earlier.sender, earlier.identifier, earlier.sent_at)
    return Notice(**{
        **copied, **changes, "identifier": "",
        "msg_type": msg_type, "state": NoticeState.DRAFT, "source": "composed",
        "references": [*earlier.references, reference], "references_notice_id": earlier.id,
        "author": principal.actor, "created_at": now, "approved_by": None,
        "approved_at": None, "sent_by": None, "sent_at": None})


def _follow_up(session: Session, principal: Principal, earlier: Notice, msg_type: str,
               changes: dict[str, Any], issuer: Issuer, clock: Clock | None) -> Notice:
    _require_everywhere(session, principal, earlier, Permission.NOTICE_COMPOSE)
    check_follow_up(earlier, issuer)
    now = (clock or SystemClock()).now()
    notice = follow_up_notice(principal, earlier, msg_type, changes, now)
    _insert_numbered(session, notice, issuer.unit_code, now)
    cover_areas(session, notice, covered_area_rows(session, earlier.id))
    _event(session, principal, notice, f"notice.{msg_type.lower()}_composed", clock,
           references=notice.references)
    return notice


def relay_notice(session: Session, *, principal: Principal, notice_id: int,
                 channels: list[str], issuer: Issuer, clock: Clock | None = None) -> Notice:
    """A draft notice of ours passing a received (imported) alert on to our residents.

    It copies the text and the covered areas, names the original in its CAP references,
    and goes through approval and sending like any notice."""
    received = get_notice(session, notice_id=notice_id)
    _require_everywhere(session, principal, received, Permission.NOTICE_COMPOSE)
    _expect(received, NoticeState.RECEIVED)
    if received.scope != "Public":
        raise Conflict(_("Only a public alert can be passed on to residents"),
                       code="not_public")
    now = (clock or SystemClock()).now()
    if received.expires_at is not None and received.expires_at <= now:
        raise ValidationFailed(_("The notice would expire before it is sent"),
                               code="notice_expired", details={"field": "expires_at"})
    texts = (received.title_zh, received.title_en, received.body_zh, received.body_en)
    if any(contains_private_data(text) for text in texts):
        raise ValidationFailed(_("A notice must not contain phone or identity numbers"),
                               code="private_data")
    copied = {c.key: getattr(received, c.key) for c in Notice.__table__.columns
              if c.key not in ("id", "cap_xml", "identifier", "sender", "note")}
    assert received.sent_at is not None
    notice = Notice(**{
        **copied, "sender": issuer.sender, "msg_type": "Alert", "state": NoticeState.DRAFT,
        "source": "relayed", "channels": list(dict.fromkeys(channels)),
        "references": [format_reference(received.sender, received.identifier,
                                        received.sent_at)],
        "author": principal.actor, "created_at": now, "approved_by": None,
        "approved_at": None, "sent_by": None, "sent_at": None})
    _insert_numbered(session, notice, issuer.unit_code, now)
    cover_areas(session, notice, covered_area_rows(session, received.id))
    _event(session, principal, notice, "notice.relay_composed", clock,
           relays=received.identifier)
    return notice


def update_notice(session: Session, *, principal: Principal, notice_id: int,
                  data: NoticeRevision, issuer: Issuer, clock: Clock | None = None) -> Notice:
    """A draft Update of a sent notice, referencing it (and what it referenced)."""
    earlier = get_notice(session, notice_id=notice_id)
    changes = data.model_dump(exclude_none=True)
    return _follow_up(session, principal, earlier, "Update", {"note": None, **changes},
                      issuer, clock)


def cancel_notice(session: Session, *, principal: Principal, notice_id: int,
                  data: NoticeCancel, issuer: Issuer, clock: Clock | None = None) -> Notice:
    """A draft Cancel of a sent notice; it goes through approval and sending like any notice."""
    earlier = get_notice(session, notice_id=notice_id)
    return _follow_up(session, principal, earlier, "Cancel", {"note": data.note}, issuer,
                      clock)


def notice_reads(session: Session, rows: list[Notice]) -> list[NoticeRead]:
    covered: dict[int, list[str]] = {n.id: [] for n in rows}
    if rows:
        for notice_id, code in session.execute(
                select(NoticeArea.notice_id, Area.code).join(Area, Area.id == NoticeArea.area_id)
                .where(NoticeArea.notice_id.in_(covered)).order_by(Area.code)):
            covered[notice_id].append(code)
    return [NoticeRead.model_validate({
        **{c.key: getattr(n, c.key) for c in Notice.__table__.columns},
        "covered_area_codes": covered[n.id],
        "references": [",".join(r) for r in n.references]}) for n in rows]


def readable(session: Session, principal: Principal, notice: Notice) -> None:
    """Staff in scope read any notice; everyone reads public notices once sent."""
    public = notice.scope == "Public" and notice.state not in (
        NoticeState.DRAFT, NoticeState.APPROVED)
    if public:
        return
    require(principal, Permission.NOTICE_READ)
    if not any(can(principal, Permission.NOTICE_READ, area_path=a.path)
               for a in covered_area_rows(session, notice.id)):
        raise PermissionDenied(_("This is outside your area or organisation"),
                               code="out_of_scope")


def list_notices(session: Session, *, principal: Principal, state: NoticeState | None = None,
                 page: int = 1, page_size: int = 50) -> Page[NoticeRead]:
    """Notices touching the principal's scope, newest first."""
    require(principal, Permission.NOTICE_READ)
    query = select(Notice).order_by(Notice.id.desc())
    if state is not None:
        query = query.where(Notice.state == state)
    scope = area_range(principal)
    if scope is not None:
        query = query.where(exists(select(NoticeArea.area_id)
                                   .join(Area, Area.id == NoticeArea.area_id)
                                   .where(NoticeArea.notice_id == Notice.id,
                                          Area.path >= scope[0], Area.path < scope[1])))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=notice_reads(session, rows), total=total, page=page, page_size=page_size)
