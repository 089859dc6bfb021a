"""Notice, feed, subscription and delivery shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from communitas.alerts.cap import Category, Certainty, Severity, Urgency
from communitas.alerts.models import Channel, DeliveryStatus, NoticeState
from communitas.privacy import contains_private_data
from communitas.schemas import ReadModel, StrictModel

__all__ = [
    "CircleIn", "DeliveryCount", "DeliveryRead", "DeliveryReport", "FeedItemRead",
    "ImportReceipt", "NoticeCancel", "NoticeCreate", "NoticeRead", "NoticeRelay",
    "NoticeRevision",
    "ResidentChannel", "SubscriptionCreate", "SubscriptionRead",
]

ResidentChannel = Literal["in_app", "sms"]
NoticeStatus = Literal["Actual", "Exercise", "Test"]
NoticeScope = Literal["Public", "Restricted"]


def _public_text(value: str) -> str:
    """Notices are public: refuse text carrying a phone or identity number."""
    if contains_private_data(value):
        raise ValueError("a notice must not contain phone or identity numbers")
    return value


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_public_text)]
Body = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_public_text)]
Note = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_public_text)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class CircleIn(StrictModel):
    lat: Latitude
    lon: Longitude
    radius_km: float = Field(gt=0, le=500)


class NoticeCreate(StrictModel):
    """A new notice. Areas by code (any level) and/or CAP shapes mapped onto communities."""

    title_zh: Title
    title_en: Title
    body_zh: Body
    body_en: Body
    hazard: str = Field(min_length=1, max_length=64, pattern=r"^[\w .-]+$")
    category: Category = "Safety"
    severity: Severity
    urgency: Urgency
    certainty: Certainty = "Likely"
    status: NoticeStatus = "Actual"
    scope: NoticeScope = "Public"
    area_codes: list[str] = Field(default_factory=list, max_length=500)
    polygons: list[list[tuple[Latitude, Longitude]]] = Field(
        default_factory=list, max_length=20,
        description="CAP polygons: rings of [lat, lon], at least 4 points, closed")
    circles: list[CircleIn] = Field(default_factory=list, max_length=20)
    channels: list[ResidentChannel] = Field(
        default_factory=lambda: list[ResidentChannel](["in_app"]), max_length=2)
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _check_areas(self) -> NoticeCreate:
        if not (self.area_codes or self.polygons or self.circles):
            raise ValueError("a notice needs at least one area code, polygon or circle")
        for ring in self.polygons:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError("a polygon needs at least 4 points, the first repeated last")
        return self


class NoticeRevision(StrictModel):
    """An Update: the fields that change; the rest are copied from the notice it updates."""

    title_zh: Title | None = None
    title_en: Title | None = None
    body_zh: Body | None = None
    body_en: Body | None = None
    severity: Severity | None = None
    urgency: Urgency | None = None
    certainty: Certainty | None = None
    expires_at: AwareDatetime | None = None
    note: Note | None = None


class NoticeCancel(StrictModel):
    """A Cancel; the note says why (it is part of the public message)."""

    note: Note


class NoticeRelay(StrictModel):
    """Pass a received alert on to our residents, on these channels."""

    channels: list[ResidentChannel] = Field(
        default_factory=lambda: list[ResidentChannel](["in_app"]), max_length=2)


class NoticeRead(ReadModel):
    id: int
    identifier: str
    sender: str
    msg_type: str
    status: str
    scope: str
    state: NoticeState
    source: str
    category: str
    hazard: str
    severity: str
    urgency: str
    certainty: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    note: str | None
    area_codes: list[str]
    covered_area_codes: list[str]
    channels: list[str]
    references: list[str] = Field(description="earlier messages as sender,identifier,sent")
    references_notice_id: int | None
    expires_at: datetime | None
    author: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    sent_by: str | None
    sent_at: datetime | None


class ImportReceipt(BaseModel):
    notice: NoticeRead
    created: bool
    warnings: list[dict[str, str]] = Field(default_factory=list)


class FeedItemRead(BaseModel):
    """A notice as a resident sees it in their feed."""

    id: int
    notice_id: int
    identifier: str
    msg_type: str
    status: str
    severity: str
    urgency: str
    hazard: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    note: str | None
    sent_at: datetime | None
    delivered_at: datetime


class SubscriptionCreate(StrictModel):
    channel: Literal["webhook", "email", "sms"]
    address: str = Field(min_length=3, max_length=500,
                         description="a URL (webhook), an e-mail address, or a phone number")
    area_code: str = Field(min_length=1, max_length=32)
    label: str = Field(default="", max_length=128)

    @model_validator(mode="after")
    def _check_address(self) -> SubscriptionCreate:
        if self.channel == "webhook" and not self.address.startswith(("http://", "https://")):
            raise ValueError("a webhook address is an http:// or https:// URL")
        if self.channel == "email" and "@" not in self.address:
            raise ValueError("an e-mail address needs an @")
        if self.channel == "sms" and not self.address.lstrip("+").isdigit():
            raise ValueError("an SMS address is a phone number of digits")
        return self


class SubscriptionRead(BaseModel):
    """A subscription; phone numbers are shown masked."""

    id: int
    channel: Channel
    address: str
    label: str
    area_code: str
    active: bool
    created_at: datetime


class DeliveryCount(BaseModel):
    channel: Channel
    status: DeliveryStatus
    count: int


class DeliveryRead(BaseModel):
    """One recipient's delivery: the person's code or the subscription, never an address."""

    id: int
    notice_id: int
    channel: Channel
    person_code: str | None
    subscription_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


class DeliveryReport(BaseModel):
    notice_id: int
    counts: list[DeliveryCount]
