"""Request input and output shapes.

A request is read in one of two views: :class:`RequestPublicRead` for anyone who knows the
reference (status, lines and queue, nothing about the person), and :class:`RequestRead`
for the requester and staff in scope. The phone is filled in only for readers allowed to
see it (dispatch.service.sees_phone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from communitas.actors.schemas import SKILL_PATTERN, Phone
from communitas.areas.models import VULNERABILITY_FIELDS
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.models import LineKind, RequesterKind
from communitas.dispatch.routing import Level
from communitas.schemas import ReadModel, StrictModel

__all__ = [
    "MAX_HEAD_COUNT", "MAX_LINE_QUANTITY", "VULNERABILITY_FLAGS", "AcceptSuggestionIn",
    "ActionNote", "CommitIn", "HistoryEntry", "ItemsLine", "LineAdjust", "LinePublicRead",
    "LineRead", "NotificationRead", "PeopleLine", "RatingIn", "RequestAdjust", "RequestCreate",
    "RequestPublicRead", "RequestRead", "RequestReceipt", "RequestSummary", "ShipmentRead",
    "ShipmentState", "ShipmentStep", "SuggestedLine", "SuggestedPlan", "SuggestedShipment",
    "TimersReport",
]

# One line of a community's bulk order stays well under this; more is a typo or an attack.
MAX_LINE_QUANTITY = 1_000_000
MAX_HEAD_COUNT = 10_000
VULNERABILITY_FLAGS = (*VULNERABILITY_FIELDS, "pregnant", "medical_dependency")
TYPE_CODE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"

TypeCode = Annotated[str, Field(min_length=2, max_length=64, pattern=TYPE_CODE)]
Priority = Annotated[int, Field(ge=1, le=4, description="1 life-threatening … 4 low")]
Quantity = Annotated[int, Field(ge=1, le=MAX_LINE_QUANTITY)]
Flag = Literal[VULNERABILITY_FLAGS]  # type: ignore[valid-type]
ShipmentState = Literal["committed", "in_transit", "delivered", "returned"]


def _unique_sorted(values: list[str]) -> list[str]:
    return sorted(set(values))


class Point(StrictModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class ItemsLine(StrictModel):
    """Supplies, equipment or facility places; ``min_quantity`` for group-buying orders."""

    kind: Literal["items"] = "items"
    resource_type_code: TypeCode
    quantity: Quantity
    unit: str | None = Field(default=None, min_length=1, max_length=32)
    min_quantity: Quantity | None = Field(
        default=None, description="smallest commitment worth a delivery (bulk orders)")
    priority: Priority | None = None
    substitutes: Annotated[list[TypeCode], AfterValidator(_unique_sorted),
                           Field(max_length=10)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _minimum_fits(self) -> ItemsLine:
        if self.min_quantity is not None and self.min_quantity > self.quantity:
            raise ValueError("min_quantity cannot exceed quantity")
        return self


class PeopleLine(StrictModel):
    """A team: ``head_count`` people of a team resource type, with skills, for a period."""

    kind: Literal["people"]
    resource_type_code: TypeCode
    head_count: int = Field(ge=1, le=MAX_HEAD_COUNT)
    skills: Annotated[list[Annotated[str, Field(pattern=SKILL_PATTERN)]],
                      AfterValidator(_unique_sorted), Field(max_length=32)] = Field(
        default_factory=list)
    period_start: AwareDatetime | None = None
    period_end: AwareDatetime | None = None
    priority: Priority | None = None

    @model_validator(mode="after")
    def _period_ordered(self) -> PeopleLine:
        if self.period_start and self.period_end and self.period_end <= self.period_start:
            raise ValueError("period_end must come after period_start")
        return self


def _line_kind(value: Any) -> str:
    kind = value.get("kind", "items") if isinstance(value, dict) else getattr(value, "kind", "")
    return kind if kind in ("items", "people") else "items"


Line = Annotated[
    Annotated[ItemsLine, Tag("items")] | Annotated[PeopleLine, Tag("people")],
    Discriminator(_line_kind),
]


class RequestCreate(StrictModel):
    requester_kind: RequesterKind = RequesterKind.RESIDENT
    organisation_code: str | None = Field(default=None, min_length=1, max_length=32)
    contact_name: str = Field(default="", max_length=64)
    phone: Phone | None = Field(default=None, description="sensitive: staff in scope only")
    area_code: str = Field(min_length=4, max_length=32, description="building, grid or community")
    point: Point | None = None
    needed_by: AwareDatetime | None = None
    priority: Priority = 3
    vulnerability: Annotated[list[Flag], AfterValidator(_unique_sorted),
                             Field(max_length=len(VULNERABILITY_FLAGS))] = Field(
        default_factory=list)
    lines: list[Line] = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=2000)


class ActionNote(StrictModel):
    reason: str = Field(default="", max_length=500)


class LineAdjust(StrictModel):
    line_id: int = Field(ge=1)
    quantity: Quantity


class RequestAdjust(StrictModel):
    """Accept-or-adjust before or during fulfilment; fields left out are kept."""

    priority: Priority | None = None
    needed_by: AwareDatetime | None = None
    lines: list[LineAdjust] = Field(default_factory=list, max_length=50)
    reason: str = Field(default="", max_length=500)


class CommitIn(StrictModel):
    line_id: int = Field(ge=1)
    holding_id: int = Field(ge=1)
    quantity: Quantity


class ShipmentStep(StrictModel):
    """Ship, deliver or return units of one shipment; all that can move when no quantity."""

    shipment_id: int = Field(ge=1)
    quantity: Quantity | None = None
    reason: str = Field(default="", max_length=500)


class RatingIn(StrictModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


class RequestReceipt(BaseModel):
    """The acknowledgement of a submission; keep ``requester_token`` to act as requester."""

    reference: str
    status: RequestStatus
    queue_level: Level
    merged_into: str | None = None
    requester_token: str
    submitted_at: datetime
    # False while the request waits, unrouted, in its community's queue for triage
    # (dedupe and routing), which follows the acknowledgement within seconds.
    triaged: bool = True


class LinePublicRead(ReadModel):
    id: int
    position: int
    kind: LineKind
    resource_type_code: str
    unit: str
    quantity: int
    committed: int
    delivered: int


class LineRead(LinePublicRead):
    shipped: int
    min_quantity: int | None
    priority: int | None
    substitutes: list[str]
    skills: list[str]
    period_start: datetime | None
    period_end: datetime | None


class ShipmentRead(ReadModel):
    id: int
    line_id: int
    holding_id: int
    quantity: int
    shipped: int
    delivered: int
    returned: int
    state: ShipmentState
    committed_at: datetime


class RequestPublicRead(BaseModel):
    view: Literal["public"] = "public"
    reference: str
    status: RequestStatus
    priority: int
    community_code: str | None
    queue_level: Level
    created_at: datetime
    updated_at: datetime
    needed_by: datetime | None
    merged_into: str | None
    lines: list[LinePublicRead]


class RequestRead(BaseModel):
    view: Literal["full"] = "full"
    reference: str
    status: RequestStatus
    requester_kind: RequesterKind
    submitted_by_staff: bool
    organisation_code: str | None
    contact_name: str
    phone: str | None
    area_code: str
    community_code: str | None
    lon: float | None
    lat: float | None
    priority: int
    vulnerability: list[str]
    description: str
    needed_by: datetime | None
    created_at: datetime
    updated_at: datetime
    queue_level: Level
    queue_area_code: str
    queued_at: datetime
    sla_due_at: datetime | None
    merged_into: str | None
    aliases: list[str]
    lines: list[LineRead]
    shipments: list[ShipmentRead]
    rating: int | None
    rating_comment: str


class RequestSummary(BaseModel):
    """One row of a dispatcher's queue."""

    reference: str
    status: RequestStatus
    priority: int
    requester_kind: RequesterKind
    area_code: str
    queue_level: Level
    queue_area_code: str
    vulnerability: list[str]
    created_at: datetime
    sla_due_at: datetime | None
    lines: int
    outstanding: int = Field(description="units requested but not yet committed")


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    by: str = Field(description="requester, staff or system; staff see the account")
    details: dict[str, Any]


class NotificationRead(BaseModel):
    id: int
    created_at: datetime
    recipient_role: str
    recipient_area_code: str
    message_key: str
    request_reference: str | None
    payload: dict[str, Any]


class TimersReport(BaseModel):
    expired: list[str]
    escalated: list[str]


# --- suggested plans (dispatch/suggestion.py) -------------------------------------------------

class SuggestedShipment(BaseModel):
    """Commit ``quantity`` from this holding; ``minutes`` is the estimated travel time."""

    holding_id: int
    organisation_code: str
    area_code: str
    quantity: int
    minutes: float


class SuggestedLine(BaseModel):
    """One open line of the queue: what the plan sends to it and what stays unmet."""

    reference: str
    line_id: int
    position: int
    resource_type_code: str
    priority: int
    open: int = Field(description="units requested but not yet committed")
    shipments: list[SuggestedShipment]
    unmet: int


class SuggestedPlan(BaseModel):
    """The optimiser's plan for a queue; committed units are neither planned nor counted."""

    within: str
    generated_at: datetime
    status: str = Field(description="optimal (proven) or feasible")
    supply_points: int = Field(description="holder locations (area and organisation) used")
    lines: list[SuggestedLine]
    metrics: dict[str, Any]


class AcceptSuggestionIn(StrictModel):
    """The request's suggested shipments as the dispatcher saw them."""

    shipments: list[CommitIn] = Field(min_length=1, max_length=200)
