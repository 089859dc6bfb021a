"""Notice, CAP import/export, feed, subscription and delivery routes: thin, and they commit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from communitas.alerts import cap_service, feed, subscriptions
from communitas.alerts import notice_service as notices
from communitas.alerts.cap import MAX_CAP_BYTES
from communitas.alerts.models import DeliveryStatus, NoticeState
from communitas.alerts.notice_service import Issuer
from communitas.alerts.schemas import (
    DeliveryRead,
    DeliveryReport,
    FeedItemRead,
    ImportReceipt,
    NoticeCancel,
    NoticeCreate,
    NoticeRead,
    NoticeRelay,
    NoticeRevision,
    SubscriptionCreate,
    SubscriptionRead,
)
from communitas.api.deps import (
    ANONYMOUS,
    CurrentPrincipal,
    OptionalPrincipal,
    PageDep,
    SessionDep,
    SettingsDep,
)
from communitas.schemas import Page

router = APIRouter(tags=["notices"])

CAP_TYPE = "application/cap+xml"


def _read(session: SessionDep, notice_id: int) -> NoticeRead:
    return notices.notice_reads(session, [notices.get_notice(session, notice_id=notice_id)])[0]


@router.post("/api/notices", response_model=NoticeRead, status_code=status.HTTP_201_CREATED)
def compose(body: NoticeCreate, session: SessionDep, principal: CurrentPrincipal,
            settings: SettingsDep) -> NoticeRead:
    """Compose a draft notice (bilingual); it is sent once approved."""
    notice = notices.compose_notice(session, principal=principal, data=body,
                                    issuer=Issuer.from_settings(settings))
    session.commit()
    return _read(session, notice.id)


@router.get("/api/notices", response_model=Page[NoticeRead])
def list_notices(session: SessionDep, principal: CurrentPrincipal, paging: PageDep,
                 state: NoticeState | None = None) -> Page[NoticeRead]:
    """Notices touching the caller's area, drafts included (staff)."""
    return notices.list_notices(session, principal=principal, state=state, page=paging.page,
                                page_size=paging.page_size)


@router.get("/api/notices/{notice_id}", response_model=NoticeRead)
def read_notice(notice_id: int, session: SessionDep,
                principal: OptionalPrincipal) -> NoticeRead:
    """A sent public notice is public; drafts are for staff in scope."""
    notice = notices.get_notice(session, notice_id=notice_id)
    notices.readable(session, principal or ANONYMOUS, notice)
    return notices.notice_reads(session, [notice])[0]


@router.post("/api/notices/{notice_id}/approve", response_model=NoticeRead)
def approve(notice_id: int, session: SessionDep, principal: CurrentPrincipal) -> NoticeRead:
    """Approve a draft: a public notice needs a second person (not its author)."""
    notices.approve_notice(session, principal=principal, notice_id=notice_id)
    session.commit()
    return _read(session, notice_id)


@router.post("/api/notices/{notice_id}/send", response_model=DeliveryReport)
def send(notice_id: int, session: SessionDep, principal: CurrentPrincipal) -> DeliveryReport:
    """Send an approved notice: its deliveries are queued in the same transaction."""
    notices.send_notice(session, principal=principal, notice_id=notice_id)
    session.commit()
    return subscriptions.delivery_report(session, principal=principal, notice_id=notice_id)


@router.post("/api/notices/{notice_id}/update", response_model=NoticeRead,
             status_code=status.HTTP_201_CREATED)
def update(notice_id: int, body: NoticeRevision, session: SessionDep,
           principal: CurrentPrincipal, settings: SettingsDep) -> NoticeRead:
    """A draft CAP Update of a sent notice, referencing it."""
    notice = notices.update_notice(session, principal=principal, notice_id=notice_id,
                                   data=body, issuer=Issuer.from_settings(settings))
    session.commit()
    return _read(session, notice.id)


@router.post("/api/notices/{notice_id}/cancel", response_model=NoticeRead,
             status_code=status.HTTP_201_CREATED)
def cancel(notice_id: int, body: NoticeCancel, session: SessionDep,
           principal: CurrentPrincipal, settings: SettingsDep) -> NoticeRead:
    """A draft CAP Cancel of a sent notice, referencing it."""
    notice = notices.cancel_notice(session, principal=principal, notice_id=notice_id,
                                   data=body, issuer=Issuer.from_settings(settings))
    session.commit()
    return _read(session, notice.id)


@router.post("/api/notices/{notice_id}/relay", response_model=NoticeRead,
             status_code=status.HTTP_201_CREATED)
def relay(notice_id: int, body: NoticeRelay, session: SessionDep,
          principal: CurrentPrincipal, settings: SettingsDep) -> NoticeRead:
    """A draft notice of ours passing an imported alert on to our residents."""
    notice = notices.relay_notice(session, principal=principal, notice_id=notice_id,
                                  channels=list(body.channels),
                                  issuer=Issuer.from_settings(settings))
    session.commit()
    return _read(session, notice.id)


@router.get("/api/notices/{notice_id}/cap", response_class=Response,
            responses={200: {"content": {CAP_TYPE: {}}}})
def export_cap(notice_id: int, session: SessionDep, principal: OptionalPrincipal) -> Response:
    """The notice as CAP 1.2 XML, one info block per language."""
    xml = cap_service.export_cap(session, principal=principal or ANONYMOUS,
                                 notice_id=notice_id)
    return Response(content=xml, media_type=CAP_TYPE)


_CAP_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    CAP_TYPE: {"schema": {"type": "string"}},
    "application/xml": {"schema": {"type": "string"}}}}}


async def _cap_body(request: Request) -> bytes:
    """The raw body, read up to one byte past the codec's limit (which then refuses it)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_CAP_BYTES:
            break
    return bytes(raw)


@router.post("/api/cap/import", response_model=ImportReceipt,
             status_code=status.HTTP_201_CREATED, openapi_extra=_CAP_BODY,
             responses={200: {"description": "already imported: nothing changed"}})
def import_cap(xml: Annotated[bytes, Depends(_cap_body)], response: Response,
               session: SessionDep, principal: CurrentPrincipal,
               oasis: Annotated[bool, Query(description="plain CAP 1.2 identifiers")] = False
               ) -> ImportReceipt:
    """Import a CAP 1.2 file (the request body); a bad file is refused naming each element."""
    receipt = cap_service.import_cap(session, principal=principal, xml=xml, oasis=oasis)
    session.commit()
    if not receipt.created:
        response.status_code = status.HTTP_200_OK
    return receipt


@router.get("/api/notices/{notice_id}/deliveries", response_model=Page[DeliveryRead])
def deliveries(notice_id: int, session: SessionDep, principal: CurrentPrincipal,
               paging: PageDep, status: DeliveryStatus | None = None) -> Page[DeliveryRead]:
    """Per-recipient delivery status (people by code, never by address)."""
    return subscriptions.list_deliveries(session, principal=principal, notice_id=notice_id,
                                         status=status, page=paging.page,
                                         page_size=paging.page_size)


@router.get("/api/notices/{notice_id}/delivery-report", response_model=DeliveryReport)
def delivery_report(notice_id: int, session: SessionDep,
                    principal: CurrentPrincipal) -> DeliveryReport:
    return subscriptions.delivery_report(session, principal=principal, notice_id=notice_id)


@router.get("/api/outbox/dead-letters", response_model=Page[DeliveryRead])
def dead_letters(session: SessionDep, principal: CurrentPrincipal,
                 paging: PageDep) -> Page[DeliveryRead]:
    """Deliveries that used up their attempts or were interrupted while sending."""
    return subscriptions.list_deliveries(session, principal=principal,
                                         status=DeliveryStatus.DEAD, page=paging.page,
                                         page_size=paging.page_size)


@router.post("/api/outbox/{outbox_id}/requeue", response_model=DeliveryRead)
def requeue(outbox_id: int, session: SessionDep, principal: CurrentPrincipal) -> DeliveryRead:
    """Try a dead letter again (approvers of the notice's areas)."""
    read = subscriptions.requeue_delivery(session, principal=principal, outbox_id=outbox_id)
    session.commit()
    return read


@router.get("/api/me/feed", response_model=Page[FeedItemRead])
def my_feed(session: SessionDep, principal: CurrentPrincipal,
            paging: PageDep) -> Page[FeedItemRead]:
    """The signed-in resident's in-app feed of notices, newest first."""
    return feed.resident_feed(session, principal=principal, page=paging.page,
                              page_size=paging.page_size)


@router.get("/api/areas/{code}/notices", response_model=Page[NoticeRead])
def area_notices(code: str, session: SessionDep, paging: PageDep,
                 active: bool = False) -> Page[NoticeRead]:
    """Official public notices for an area (public, for the residents' pages)."""
    return feed.area_notices(session, code=code, active_only=active, page=paging.page,
                             page_size=paging.page_size)


@router.post("/api/notice-subscriptions", response_model=SubscriptionRead,
             status_code=status.HTTP_201_CREATED)
def subscribe(body: SubscriptionCreate, session: SessionDep,
              principal: CurrentPrincipal) -> SubscriptionRead:
    read = subscriptions.create_subscription(session, principal=principal, data=body)
    session.commit()
    return read


@router.get("/api/notice-subscriptions", response_model=list[SubscriptionRead])
def list_subs(session: SessionDep, principal: CurrentPrincipal) -> list[SubscriptionRead]:
    return subscriptions.list_subscriptions(session, principal=principal)


@router.delete("/api/notice-subscriptions/{subscription_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(subscription_id: int, session: SessionDep, principal: CurrentPrincipal
                ) -> Response:
    subscriptions.remove_subscription(session, principal=principal,
                                      subscription_id=subscription_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
