"""Mode, warning, proposal, indicator, trigger-rule and plan shapes for the API."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    model_validator,
)

from communitas.areas.codes import AreaKind
from communitas.areas.schemas import HAZARDS, Geometry
from communitas.modes.levels import CapSeverity, Colour, Mode, Urgency
from communitas.modes.machine import ExitCriteria
from communitas.modes.models import ProposalStatus
from communitas.modes.triggers import ANY_HAZARD, Indicator, TriggerAction, normalise_hazard
from communitas.schemas import ReadModel, StrictModel


def _check_hazard(value: str) -> str:
    value = normalise_hazard(value)
    if value not in HAZARDS:
        raise ValueError(f"unknown hazard {value!r}; allowed: {list(HAZARDS)}")
    return value


def _check_polygon(value: dict[str, Any]) -> dict[str, Any]:
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("a warning area must be a GeoJSON Polygon or MultiPolygon")
    return value


Hazard = Annotated[str, BeforeValidator(lambda v: normalise_hazard(v) if isinstance(v, str)
                                        else v), AfterValidator(_check_hazard)]
Reason = Annotated[str, Field(min_length=1, max_length=1000)]
WarningPolygon = Annotated[Geometry, AfterValidator(_check_polygon)]


class ExitCriteriaIn(StrictModel):
    """When recovery may end; omitted fields take the defaults (all zero)."""

    max_open_urgent_requests: float = Field(default=0, ge=0, le=1_000_000)
    max_unmet_demand: float = Field(default=0, ge=0, le=1)
    max_active_warnings: int = Field(default=0, ge=0, le=1000)
    min_hours_in_recovery: float = Field(default=0, ge=0, le=24 * 365)

    def criteria(self) -> ExitCriteria:
        return ExitCriteria(**self.model_dump())


class ModeSet(StrictModel):
    level: Mode
    reason: Reason
    hazard: Hazard | None = None
    exit_criteria: ExitCriteriaIn | None = None


class EffectiveModeRead(BaseModel):
    area_code: str
    area_kind: AreaKind
    mode: Mode
    colour: str
    own_mode: Mode | None  # what is set on the area itself
    source_code: str | None  # the area whose setting is in force (itself or an ancestor)
    hazard: str | None = None
    reason: str | None = None
    set_by: str | None = None
    set_at: datetime | None = None
    exit_criteria: dict[str, Any] | None = None


class ModeSwitchRead(BaseModel):
    area_code: str
    from_mode: Mode
    to_mode: Mode
    effective_before: Mode
    effective_after: Mode
    reason: str
    trigger: str
    hazard: str | None
    at: datetime


class ModeHistoryItem(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    payload: dict[str, Any]


class WarningCreate(StrictModel):
    """A warning as a plain record; CAP 1.2 field names where CAP has one."""

    identifier: str = Field(min_length=1, max_length=255)
    sender: str = Field(default="", max_length=255)
    hazard: Hazard
    colour: Colour | None = None
    severity: CapSeverity | None = None
    urgency: Urgency = Urgency.UNKNOWN
    headline: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=5000)
    area_codes: list[str] = Field(default_factory=list, max_length=2000)
    polygon: WarningPolygon | None = None
    sent_at: AwareDatetime | None = None
    expires_at: AwareDatetime

    @model_validator(mode="after")
    def _colour_and_area(self) -> WarningCreate:
        if self.colour is None and self.severity in (None, CapSeverity.UNKNOWN):
            raise ValueError("give a colour, or a CAP severity other than Unknown")
        if not self.area_codes and self.polygon is None:
            raise ValueError("give area_codes or a polygon")
        return self


class WarningRead(ReadModel):
    id: int
    identifier: str
    sender: str
    hazard: str
    colour: Colour
    level: Mode
    cap_severity: str | None
    urgency: str
    headline: str
    description: str
    area_codes: list[str]
    covered_area_codes: list[str] = Field(default_factory=list)
    polygon: dict[str, Any] | None
    sent_at: datetime | None
    expires_at: datetime
    received_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    respond_by: datetime | None
    escalations: int


class ProposalRead(BaseModel):
    id: int
    area_code: str
    target: Mode
    hazard: str | None
    source: str
    warning_identifier: str | None
    indicator: str | None
    indicator_value: float | None
    reason: str
    status: ProposalStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str


class ProposalDecision(StrictModel):
    reason: str = Field(default="", max_length=1000)


class TriggerOutcome(BaseModel):
    """What a warning or a reading did: switches performed and proposals made."""

    switches: list[ModeSwitchRead] = Field(default_factory=list)
    proposals: list[ProposalRead] = Field(default_factory=list)


class WarningReceipt(TriggerOutcome):
    warning: WarningRead
    created: bool


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class IndicatorPost(StrictModel):
    area_code: str = Field(min_length=4, max_length=32)
    name: Indicator
    value: Annotated[float, AfterValidator(_finite)] = Field(ge=-1000, le=1_000_000_000)
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _range(self) -> IndicatorPost:
        if self.name is not Indicator.WATER_LEVEL_M and self.value < 0:
            raise ValueError(f"{self.name.value} cannot be negative")
        if self.name is Indicator.UNMET_DEMAND and self.value > 1:
            raise ValueError("unmet_demand is a share between 0 and 1")
        return self


class IndicatorReceipt(TriggerOutcome):
    area_code: str
    name: Indicator
    value: float
    at: datetime
    previous: float | None


class NotificationRead(BaseModel):
    id: int
    area_code: str
    audience_role: str
    kind: str
    warning_identifier: str | None
    proposal_id: int | None
    payload: dict[str, Any]
    created_at: datetime


class WarningRuleIn(StrictModel):
    hazard: str = Field(default=ANY_HAZARD, max_length=32)
    colour: Colour
    action: TriggerAction
    target: Mode
    escalate_after_minutes: int | None = Field(default=None, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _known_hazard(self) -> WarningRuleIn:
        if self.hazard != ANY_HAZARD:
            self.hazard = _check_hazard(self.hazard)
        return self


class IndicatorRuleIn(StrictModel):
    indicator: Indicator
    threshold: float = Field(ge=-1000, le=1_000_000_000)
    action: TriggerAction
    target: Mode
    hazard: Hazard | None = None
    area_code: str | None = None


class TriggerRules(StrictModel):
    """The whole configured rule set; empty lists fall back to the defaults."""

    warning_rules: list[WarningRuleIn] = Field(default_factory=list, max_length=500)
    indicator_rules: list[IndicatorRuleIn] = Field(default_factory=list, max_length=5000)


class PlanRef(BaseModel):
    hazard: str
    level: Mode
    area_kind: str
    version: int


class PlanImportReport(BaseModel):
    file: str
    created: list[PlanRef]
    unchanged: list[PlanRef]


class PlanSummary(ReadModel):
    hazard: str
    level: Mode
    area_kind: str
    version: int
    name_zh: str
    name_en: str
    source: str
    created_by: str
    created_at: datetime


class PlanRead(PlanSummary):
    content: dict[str, Any]
