"""Reading notices: a resident's in-app feed and the official notices of an area.

Both show public notice text only; neither ever shows another resident or an address.
"""

from __future__ import annotations

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import Session

from communitas.alerts.models import FeedItem, Notice, NoticeArea, NoticeState
from communitas.alerts.notice_service import notice_reads
from communitas.alerts.schemas import FeedItemRead, NoticeRead
from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal
from communitas.errors import PermissionDenied
from communitas.i18n import _
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = ["area_notices", "resident_feed"]

OFFICIAL_STATES = (NoticeState.SENT, NoticeState.RECEIVED, NoticeState.SUPERSEDED,
                   NoticeState.CANCELLED)


def resident_feed(session: Session, *, principal: Principal, page: int = 1,
                  page_size: int = 50) -> Page[FeedItemRead]:
    """The signed-in resident's feed, newest first."""
    if principal.person_id is None:
        raise PermissionDenied(_("Only a resident account linked to a person has a feed"),
                               code="no_feed")
    query = (select(FeedItem, Notice).join(Notice, Notice.id == FeedItem.notice_id)
             .where(FeedItem.person_id == principal.person_id)
             .order_by(FeedItem.id.desc()))
    total = session.execute(select(func.count()).select_from(FeedItem).where(
        FeedItem.person_id == principal.person_id)).scalar_one()
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    items = [FeedItemRead(
        id=item.id, notice_id=notice.id, identifier=notice.identifier,
        msg_type=notice.msg_type, status=notice.status, severity=notice.severity,
        urgency=notice.urgency, hazard=notice.hazard, title_zh=notice.title_zh,
        title_en=notice.title_en, body_zh=notice.body_zh, body_en=notice.body_en,
        note=notice.note, sent_at=notice.sent_at, delivered_at=item.delivered_at)
        for item, notice in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


def area_notices(session: Session, *, code: str, active_only: bool = False, page: int = 1,
                 page_size: int = 50) -> Page[NoticeRead]:
    """Public official notices covering the area, an area above it or an area inside it."""
    area = areas.get_area(session, code=code)
    low, high = area.subtree_bounds()
    touching = (select(NoticeArea.area_id).join(Area, Area.id == NoticeArea.area_id)
                .where(NoticeArea.notice_id == Notice.id,
                       or_((Area.path >= low) & (Area.path < high),
                           literal(area.path).startswith(Area.path))))
    states = OFFICIAL_STATES[:2] if active_only else OFFICIAL_STATES
    query = (select(Notice).where(Notice.scope == "Public", Notice.state.in_(states),
                                  exists(touching))
             .order_by(Notice.sent_at.desc(), Notice.id.desc()))
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=notice_reads(session, rows), total=total, page=page, page_size=page_size)
