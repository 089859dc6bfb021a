"""Subscribers (webhooks, e-mail boxes, phones) and delivery status per recipient.

Addresses are shown only to those who manage subscriptions, phone numbers masked; delivery
rows name a person by code or a subscription by id, never by address.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.models import Person
from communitas.alerts import outbox
from communitas.alerts.models import (
    Channel,
    DeliveryStatus,
    NoticeArea,
    NoticeSubscription,
    OutboxMessage,
)
from communitas.alerts.notice_service import covered_area_rows, get_notice, readable
from communitas.alerts.schemas import (
    DeliveryCount,
    DeliveryRead,
    DeliveryReport,
    SubscriptionCreate,
    SubscriptionRead,
)
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound
from communitas.events import record_event
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = ["create_subscription", "delivery_report", "list_deliveries", "list_subscriptions",
           "remove_subscription", "requeue_delivery"]


def _mask(channel: Channel, address: str) -> str:
    return address[:3] + "*" * max(len(address) - 5, 0) + address[-2:] \
        if channel is Channel.SMS else address


def _read(row: NoticeSubscription, area_code: str) -> SubscriptionRead:
    return SubscriptionRead(id=row.id, channel=row.channel, address=_mask(row.channel,
                            row.address), label=row.label, area_code=area_code,
                            active=row.active, created_at=row.created_at)


def create_subscription(session: Session, *, principal: Principal, data: SubscriptionCreate,
                        clock: Clock | None = None) -> SubscriptionRead:
    area = areas.get_area(session, code=data.area_code)
    require(principal, Permission.NOTICE_SUBSCRIPTIONS, area_path=area.path)
    row = NoticeSubscription(channel=Channel(data.channel), address=data.address,
                             label=data.label, area_id=area.id, active=True,
                             created_by=principal.actor,
                             created_at=(clock or SystemClock()).now())
    session.add(row)
    session.flush()
    record_event(session, actor=principal.actor, action="notice_subscription.created",
                 subject_type="notice_subscription", subject_id=row.id, area_code=area.code,
                 clock=clock, payload={"channel": data.channel, "label": data.label})
    return _read(row, area.code)


def list_subscriptions(session: Session, *, principal: Principal) -> list[SubscriptionRead]:
    require(principal, Permission.NOTICE_SUBSCRIPTIONS)
    query = (select(NoticeSubscription, Area.code)
             .join(Area, Area.id == NoticeSubscription.area_id)
             .where(NoticeSubscription.active.is_(True)).order_by(NoticeSubscription.id))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    return [_read(row, code) for row, code in session.execute(query)]


def remove_subscription(session: Session, *, principal: Principal, subscription_id: int,
                        clock: Clock | None = None) -> None:
    """Stop a subscription; deliveries already queued for it are not sent."""
    row = session.get(NoticeSubscription, subscription_id)
    if row is None or not row.active:
        raise NotFound(_("Unknown subscription {value}"), code="unknown_subscription",
                       value=str(subscription_id))
    area = areas.get_area_by_id(session, area_id=row.area_id)
    require(principal, Permission.NOTICE_SUBSCRIPTIONS, area_path=area.path)
    row.active = False
    record_event(session, actor=principal.actor, action="notice_subscription.removed",
                 subject_type="notice_subscription", subject_id=row.id, area_code=area.code,
                 clock=clock)


def requeue_delivery(session: Session, *, principal: Principal, outbox_id: int,
                     clock: Clock | None = None) -> DeliveryRead:
    """Put a dead letter back in the queue (a person decided to try again); it may reach a
    recipient twice if it died while sending, which is why only a person can do this."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.status is not DeliveryStatus.DEAD:
        raise NotFound(_("No dead letter {value}"), code="unknown_dead_letter",
                       value=str(outbox_id))
    notice = get_notice(session, notice_id=row.notice_id)
    for area in covered_area_rows(session, notice.id):
        require(principal, Permission.NOTICE_APPROVE, area_path=area.path)
    require(principal, Permission.NOTICE_APPROVE)
    row.status, row.attempts, row.claim_token = DeliveryStatus.PENDING, 0, None
    row.next_attempt_at, row.last_error = (clock or SystemClock()).now(), None
    session.flush()
    record_event(session, actor=principal.actor, action="notice.delivery_requeued",
                 subject_type="notice_outbox", subject_id=row.id, clock=clock,
                 payload={"notice": notice.identifier, "channel": row.channel.value})
    return list_deliveries(session, principal=principal, notice_id=notice.id,
                           only=row.id).items[0]


def delivery_report(session: Session, *, principal: Principal, notice_id: int
                    ) -> DeliveryReport:
    notice = get_notice(session, notice_id=notice_id)
    require(principal, Permission.NOTICE_READ)
    readable(session, principal, notice)
    counts = [DeliveryCount(channel=c, status=s, count=n)
              for c, s, n in outbox.count_by_status(session, notice_id=notice_id)]
    return DeliveryReport(notice_id=notice_id, counts=counts)


def list_deliveries(session: Session, *, principal: Principal, notice_id: int | None = None,
                    status: DeliveryStatus | None = None, page: int = 1, page_size: int = 50,
                    only: int | None = None) -> Page[DeliveryRead]:
    """Delivery rows of a notice (or of all notices: the dead-letter list with ``dead``)."""
    require(principal, Permission.NOTICE_READ)
    if notice_id is not None:
        readable(session, principal, get_notice(session, notice_id=notice_id))
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if notice_id is not None:
        query = query.where(OutboxMessage.notice_id == notice_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if only is not None:
        query = query.where(OutboxMessage.id == only)
    scope = area_range(principal)
    if notice_id is None and scope is not None:
        query = query.where(OutboxMessage.notice_id.in_(
            select(NoticeArea.notice_id).join(Area, Area.id == NoticeArea.area_id)
            .where(Area.path >= scope[0], Area.path < scope[1])))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    person_ids = {r.person_id for r in rows if r.person_id is not None}
    codes: dict[int, str] = {pid: code for pid, code in session.execute(
        select(Person.id, Person.code).where(Person.id.in_(person_ids)))} if person_ids else {}
    items = [DeliveryRead(
        id=r.id, notice_id=r.notice_id, channel=r.channel,
        person_code=codes.get(r.person_id) if r.person_id else None,
        subscription_id=r.subscription_id, status=r.status, attempts=r.attempts,
        next_attempt_at=r.next_attempt_at, last_error=r.last_error,
        delivered_at=r.delivered_at) for r in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)
