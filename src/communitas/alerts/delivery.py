"""The outbox worker: claim due deliveries in batches and hand them to their channels.

Background work receives ids and opens its own sessions: each claim, each in-app batch and
each external send's mark and outcome is its own short transaction (alerts/outbox.py says
why that keeps deliveries at most once). ``communitas serve`` and ``communitas worker`` run
:func:`drain` from the scheduler; several workers may drain at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from communitas.actors.models import Person
from communitas.alerts import outbox
from communitas.alerts.channels import DeliveryError, Message, Sender
from communitas.alerts.models import Channel, Notice, NoticeSubscription, OutboxMessage
from communitas.alerts.outbox import Batch, OutboxPolicy
from communitas.clock import Clock, SystemClock
from communitas.db import unit_of_work
from communitas.events import record_event

__all__ = ["DrainReport", "drain", "drain_channel", "public_fields"]

log = logging.getLogger("communitas.notices")

PUBLIC_FIELDS = ("identifier", "sender", "msg_type", "status", "scope", "category", "hazard",
                 "severity", "urgency", "certainty", "title_zh", "title_en", "body_zh",
                 "body_en", "note", "area_codes", "references")


@dataclass
class DrainReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def add(self, channel: Channel, status: str | None) -> None:
        if status == "delivered":
            self.delivered += 1
            self.by_channel[channel.value] = self.by_channel.get(channel.value, 0) + 1
        elif status == "pending":
            self.retried += 1
        elif status == "dead":
            self.dead += 1


def public_fields(notice: Notice) -> dict[str, object]:
    fields: dict[str, object] = {name: getattr(notice, name) for name in PUBLIC_FIELDS}
    fields["sent_at"] = notice.sent_at.isoformat() if notice.sent_at else None
    fields["expires_at"] = notice.expires_at.isoformat() if notice.expires_at else None
    return fields


def _message(session: Session, outbox_id: int, channel: Channel) -> Message | None:
    row = session.get_one(OutboxMessage, outbox_id)
    if row.subscription_id is not None:
        subscription = session.get_one(NoticeSubscription, row.subscription_id)
        address = subscription.address if subscription.active else None
    else:
        address = session.execute(select(Person.phone).where(
            Person.id == row.person_id)).scalar_one_or_none()
    if not address:
        return None
    notice = session.get_one(Notice, row.notice_id)
    return Message(outbox_id=outbox_id, channel=channel, address=address,
                   notice=public_fields(notice))


def _send_one(factory: sessionmaker[Session], batch: Batch, outbox_id: int, sender: Sender,
              clock: Clock, policy: OutboxPolicy) -> str | None:
    with unit_of_work(factory) as session:
        if not outbox.start_sending(session, outbox_id=outbox_id, token=batch.token):
            return None  # another worker took it over; it is theirs now
        message = _message(session, outbox_id, batch.channel)
    error: str | None = "no address for this recipient" if message is None else None
    if message is not None:
        try:
            sender(message)
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a bug in a channel must not stop the others
            log.exception("channel %s failed on delivery %s", batch.channel.value, outbox_id)
            error = f"channel error: {type(exc).__name__}"
    with unit_of_work(factory) as session:
        status = outbox.finish(session, outbox_id=outbox_id, token=batch.token,
                               now=clock.now(), policy=policy, error=error)
        if status == "dead":
            record_event(session, actor="system", action="notice.delivery_dead",
                         subject_type="notice_outbox", subject_id=outbox_id, clock=clock,
                         payload={"channel": batch.channel.value, "reason": error})
    if error is not None:
        log.warning("delivery %s on %s failed: %s", outbox_id, batch.channel.value, error)
    return None if status is None else status.value


def drain_channel(factory: sessionmaker[Session], *, channel: Channel, clock: Clock,
                  policy: OutboxPolicy, sender: Sender | None, report: DrainReport,
                  max_batches: int | None = None) -> None:
    """Claim and deliver batches of one channel until nothing is due (or ``max_batches``)."""
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        if channel is Channel.IN_APP:
            with unit_of_work(factory) as session:
                done = outbox.deliver_in_app(session, now=clock.now(), limit=policy.batch_size)
            if not done:
                return
            report.delivered += done
            report.by_channel["in_app"] = report.by_channel.get("in_app", 0) + done
            continue
        with unit_of_work(factory) as session:
            batch = outbox.claim(session, channel=channel, now=clock.now(), policy=policy)
        if not batch.ids:
            return
        if sender is None:
            with unit_of_work(factory) as session:
                report.dead += outbox.give_up(session, batch=batch,
                                              reason=f"channel {channel.value} is not set up")
        else:
            for outbox_id in batch.ids:
                report.add(channel, _send_one(factory, batch, outbox_id, sender, clock,
                                              policy))


def drain(factory: sessionmaker[Session], *, senders: Mapping[Channel, Sender],
          policy: OutboxPolicy, clock: Clock | None = None,
          max_batches: int | None = None) -> DrainReport:
    """Deliver everything due on every channel; the in-app feed first (it is the fastest)."""
    clock = clock or SystemClock()
    report = DrainReport()
    with unit_of_work(factory) as session:
        report.dead += outbox.expire_interrupted(session, now=clock.now())
    for channel in Channel:
        drain_channel(factory, channel=channel, clock=clock, policy=policy,
                      sender=senders.get(channel), report=report, max_batches=max_batches)
    return report
