"""CAP files in and out of the notice store: import (idempotent by identifier) and export.

An imported alert becomes a ``received`` notice over the communities it covers; an imported
Update or Cancel of a notice we hold marks that notice superseded or cancelled. A file that
breaks the schema or the rules is refused by the codec with each element named, before
anything is written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.alerts.cap import Alert, build_cap, read_cap
from communitas.alerts.models import Notice, NoticeState
from communitas.alerts.notice_cap import AreaName, alert_fields, notice_alert
from communitas.alerts.notice_service import (
    cover_areas,
    covered_area_rows,
    get_notice,
    notice_reads,
    readable,
    shape_covered_communities,
)
from communitas.alerts.schemas import ImportReceipt
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.events import record_event

__all__ = ["export_cap", "import_cap"]


def _by_identifier(session: Session, identifier: str) -> Notice | None:
    return session.execute(select(Notice).where(
        Notice.identifier == identifier)).scalar_one_or_none()


def _close_referenced(session: Session, principal: Principal, alert: Alert,
                      notice: Notice, clock: Clock | None) -> None:
    if alert.msg_type not in ("Update", "Cancel"):
        return
    for reference in alert.references:
        earlier = _by_identifier(session, reference.identifier)
        if earlier is None or earlier.sender != reference.sender:
            continue
        notice.references_notice_id = earlier.id
        if earlier.state in (NoticeState.SENT, NoticeState.RECEIVED):
            cancel = alert.msg_type == "Cancel"
            earlier.state = NoticeState.CANCELLED if cancel else NoticeState.SUPERSEDED
            record_event(session, actor=principal.actor, subject_type="notice",
                         subject_id=earlier.id, clock=clock,
                         action="notice.cancelled" if cancel else "notice.superseded",
                         payload={"identifier": earlier.identifier, "by": alert.identifier})


def import_cap(session: Session, *, principal: Principal, xml: bytes, oasis: bool = False,
               clock: Clock | None = None) -> ImportReceipt:
    """Store a CAP alert as a received notice; the same identifier again changes nothing."""
    require(principal, Permission.NOTICE_IMPORT)
    reading = read_cap(xml, gbt_identifier=not oasis)
    alert = reading.alert
    warnings = [{"element": w.element, "message": w.message} for w in reading.warnings]
    existing = _by_identifier(session, alert.identifier)
    if existing is not None:
        return ImportReceipt(notice=notice_reads(session, [existing])[0], created=False,
                             warnings=warnings)
    now = (clock or SystemClock()).now()
    fields = alert_fields(alert)
    notice = Notice(**fields, state=NoticeState.RECEIVED, source="imported", channels=[],
                    author=principal.actor, created_at=now, sent_by=alert.sender,
                    cap_xml=xml.decode("utf-8"))
    session.add(notice)
    session.flush()
    covered = shape_covered_communities(session, principal, list(alert.all_areas))
    cover_areas(session, notice, covered)
    _close_referenced(session, principal, alert, notice, clock)
    record_event(session, actor=principal.actor, action="notice.imported",
                 subject_type="notice", subject_id=notice.id, clock=clock, payload={
                     "identifier": alert.identifier, "sender": alert.sender,
                     "msg_type": alert.msg_type, "status": alert.status,
                     "areas": [a.code for a in covered[:50]], "area_count": len(covered)})
    return ImportReceipt(notice=notice_reads(session, [notice])[0], created=True,
                         warnings=warnings)


def export_cap(session: Session, *, principal: Principal, notice_id: int) -> bytes:
    """The notice as CAP 1.2 XML: as received for an imported one, else built (zh-CN, en)."""
    notice = get_notice(session, notice_id=notice_id)
    readable(session, principal, notice)
    if notice.cap_xml is not None:
        return notice.cap_xml.encode("utf-8")
    covered: list[Area] = covered_area_rows(session, notice.id)
    names = [AreaName(a.code, a.name_zh, a.name_en) for a in covered[:20]]
    fields = {c.key: getattr(notice, c.key) for c in Notice.__table__.columns}
    return build_cap(notice_alert(fields, names))
