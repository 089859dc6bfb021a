"""What plan activation told the public during a drill: per activation, when it was asked
for and when its first alert went out (activation sends them itself; the drill only reads)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.alerts.models import Notice
from communitas.drills.records import AlertRecord
from communitas.modes.activation_models import Activation, ActivationItem, ItemKind

__all__ = ["activation_alerts"]


def activation_alerts(session: Session, *, start: datetime, after_id: int) -> list[AlertRecord]:
    """Activations made during the drill (id > ``after_id``), with their alerts' send times."""
    def minute(at: datetime) -> float:
        return (at - start).total_seconds() / 60

    sent = dict(session.execute(
        select(ActivationItem.activation_id, func.min(Notice.sent_at))
        .join(Notice, Notice.id == ActivationItem.ref_id)
        .where(ActivationItem.kind == ItemKind.ALERT, ActivationItem.activation_id > after_id,
               Notice.sent_at.is_not(None))
        .group_by(ActivationItem.activation_id)).all())
    counts = dict(session.execute(
        select(ActivationItem.activation_id, func.count())
        .join(Notice, Notice.id == ActivationItem.ref_id)
        .where(ActivationItem.kind == ItemKind.ALERT, ActivationItem.activation_id > after_id,
               Notice.sent_at.is_not(None))
        .group_by(ActivationItem.activation_id)).all())
    rows = session.execute(select(Activation.id, Activation.area_code, Activation.requested_at)
                           .where(Activation.id > after_id).order_by(Activation.id)).all()
    records = []
    for i, code, at in rows:
        first = sent.get(i)
        records.append(AlertRecord(area=code, requested=minute(at),
                                   first_sent=minute(first) if first is not None else None,
                                   sent=int(counts.get(i, 0))))
    return records
