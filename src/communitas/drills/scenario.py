"""Drill scenario files: the schema (Pydantic), parsed from YAML with errors by line and field.

A scenario file holds one YAML document (docs/drills.md describes every field). Validation
is pure and reuses the located-YAML helpers of the plan files (modes/plans.py): YAML
syntax, duplicate keys and alias blow-ups, then the schema, then cross-field rules
(scenario_checks.py). Whether the area codes exist in a city is checked separately
against that city (``unknown_areas``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from yaml.nodes import Node

from communitas.actors.kinds import MarketSector
from communitas.areas.schemas import HAZARDS
from communitas.modes.levels import Colour
from communitas.modes.plans import (
    PlanIssue,
    _construct,
    _documents,
    _line_of,
    _structure_issues,
    reject,
)
from communitas.modes.triggers import Indicator

__all__ = [
    "SCENARIO_DIR", "AffectedArea", "DemandSpec", "Inject", "Scenario",
    "ServicePoint", "ServiceTime", "VolunteerSpec", "WorkforceSpec", "duration_minutes",
    "load_scenario", "parse_scenario_text", "shipped_scenarios", "unknown_areas",
]

SCENARIO_DIR = Path(__file__).with_name("scenarios")
_DURATION = re.compile(r"(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,6})m)?")
_CODE = r"^\d{6}(\d{6})?(-G\d{2}(-B\d{3})?|-B\d{3})?$"


def duration_minutes(text: str) -> int:
    """Minutes in a duration such as ``90m``, ``6h``, ``3d`` or ``1d12h``; ``0h`` is zero."""
    match = _DURATION.fullmatch(text)
    if match is None or text == "":
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 3d")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 1440 + hours * 60 + minutes


def _duration(text: str) -> str:
    duration_minutes(text)
    return text


Duration = Annotated[str, AfterValidator(_duration)]
AreaCode = Annotated[str, Field(pattern=_CODE)]
TypeCode = Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=64)]
Share = Annotated[float, Field(ge=0, le=1)]


def _hazard(value: str) -> str:
    if value not in HAZARDS:
        raise ValueError(f"unknown hazard {value!r}; allowed: {list(HAZARDS)}")
    return value


Hazard = Annotated[str, AfterValidator(_hazard)]


class ScenarioModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Bilingual(ScenarioModel):
    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)


class AffectedArea(ScenarioModel):
    """An area the hazard strikes; severity 0–1 scales demand and, in the simulator, damage."""

    code: AreaCode
    severity: Share = 1.0


class _Timed(ScenarioModel):
    at: Duration
    until: Duration | None = None  # when the effect ends; None = to the end of the drill


class WarningInject(_Timed):
    kind: Literal["warning"]
    hazard: Hazard | None = None  # default: the scenario's hazard
    colour: Colour
    areas: list[AreaCode] = Field(min_length=1, max_length=2000)


class IndicatorInject(_Timed):
    kind: Literal["indicator"]
    indicator: Indicator
    value: float = Field(ge=-1000, le=1_000_000_000)
    areas: list[AreaCode] = Field(min_length=1, max_length=2000)


class RoadCutInject(_Timed):
    """The road between two areas is impassable: deliveries between them must detour."""

    kind: Literal["road_cut"]
    between: tuple[AreaCode, AreaCode]
    detour_factor: float | None = Field(default=None, ge=1, le=100)  # None: no way through


class ItemShare(ScenarioModel):
    """One line of the item mix: asked by ``share`` of requests, ``quantity`` units each."""

    resource_type: TypeCode
    share: Annotated[float, Field(gt=0, le=1)]
    quantity: int = Field(default=1, ge=1, le=100_000)
    vulnerable_only: bool = False  # asked only by households with a vulnerable member


def _outage_items() -> list[ItemShare]:
    return [ItemShare(resource_type="water.bottled", share=0.6, quantity=12),
            ItemShare(resource_type="power.flashlight", share=0.4, quantity=1),
            ItemShare(resource_type="power.generator", share=0.2, quantity=1,
                      vulnerable_only=True)]


class OutageDemand(ScenarioModel):
    """What residents of an area without power ask for while it lasts, on top of the
    scenario's demand: water (the pumps that lift it to upper floors stop), light, and
    power for home medical devices (oxygen concentrators: vulnerable households only).
    Arrivals follow the scenario's demand formula with this rate and item mix."""

    per_1000_per_day: float = Field(default=5, gt=0, le=10_000)
    items: list[ItemShare] = Field(default_factory=_outage_items, min_length=1, max_length=50)


class PowerLossInject(_Timed):
    """Areas (buildings or larger) lose power: their residents ask for more (``demand``;
    null for none) and deliveries to them take ``stairs_factor`` times longer (no lifts:
    everything is carried up the stairs)."""

    kind: Literal["power_loss"]
    areas: list[AreaCode] = Field(min_length=1, max_length=20_000)
    demand: OutageDemand | None = Field(default_factory=OutageDemand)
    stairs_factor: float = Field(default=1.5, ge=1, le=10)


class MarketCapacityInject(_Timed):
    """Market organisations can deliver only ``share`` of their published capacity."""

    kind: Literal["market_capacity"]
    share: Share
    sectors: list[MarketSector] = Field(default_factory=lambda: list(MarketSector))
    areas: list[AreaCode] = Field(default_factory=list)  # empty: everywhere


class StockLostInject(_Timed):
    """A share of the stock of some types held in some areas is destroyed (until is unused)."""

    kind: Literal["stock_lost"]
    areas: list[AreaCode] = Field(min_length=1, max_length=2000)
    resource_types: list[TypeCode] = Field(default_factory=list)  # empty: every type
    share: Share


Inject = Annotated[
    WarningInject | IndicatorInject | RoadCutInject | PowerLossInject | MarketCapacityInject
    | StockLostInject,
    Field(discriminator="kind"),
]


class RatePhase(ScenarioModel):
    """From ``at`` on, arrivals run at ``factor`` × the base rate (a step profile)."""

    at: Duration
    factor: float = Field(ge=0, le=100)


class DemandSpec(ScenarioModel):
    """Poisson arrivals of requests per affected area.

    rate per hour = severity × (per_1000_per_day × population / 1000
                                + Σ weight[group] × group count / 1000 × per_1000_per_day) / 24
    """

    per_1000_per_day: float = Field(gt=0, le=10_000)
    vulnerability_weights: dict[
        Literal["aged_65", "aged_80", "living_alone", "disabled", "infants", "chronically_ill"],
        Annotated[float, Field(ge=0, le=100)],
    ] = Field(default_factory=dict)
    profile: list[RatePhase] = Field(default_factory=list, max_length=500)
    items: list[ItemShare] = Field(min_length=1, max_length=50)
    confirm_probability: Share = 0.9  # residents who confirm a delivery


class ServiceTime(ScenarioModel):
    """Minutes one server needs per client.

    exponential: ``mean``; fixed: ``mean``; lognormal: ``median`` and ``sigma`` (log scale).
    """

    distribution: Literal["exponential", "fixed", "lognormal"]
    mean: float | None = Field(default=None, gt=0, le=10_000)
    median: float | None = Field(default=None, gt=0, le=10_000)
    sigma: float | None = Field(default=None, gt=0, le=5)


class ServicePoint(ScenarioModel):
    """A relief distribution point, clinic or testing site: a queue with ``servers``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    kind: Literal["distribution_point", "clinic", "sampling_site", "shelter_intake"]
    area: AreaCode
    servers: int = Field(ge=1, le=1000)
    service_time: ServiceTime
    arrivals_per_hour: float = Field(ge=0, le=100_000)
    opens: Duration = "0h"
    closes: Duration | None = None


class VolunteerSpec(ScenarioModel):
    """How registered volunteers behave: who turns out, who accepts a call-out, how fast.

    Each open task gets a call-out inviting the ``invite`` nearest fitting volunteers within
    ``max_km``; a volunteer who turned out answers after a delay (exponential, mean
    ``response_delay_minutes``) and accepts with ``response_probability``; a placed volunteer
    works the task for an exponential time of mean ``task_minutes``.
    """

    turnout: Share = 0.5
    response_probability: Share = 0.7
    response_delay_minutes: float = Field(default=30, ge=0, le=10_000)
    task_minutes: float = Field(default=60, gt=0, le=10_000)
    invite: int = Field(default=3, ge=1, le=500)
    max_km: float = Field(default=5, gt=0, le=100)


class WorkforceSpec(ScenarioModel):
    """How assigned staff work their tasks: people (grid workers, cadres …) one at a time,
    organisations with ``organisation_crews`` tasks at once; each accepts after an
    exponential delay of mean ``response_delay_minutes`` and works for an exponential time
    of mean ``task_minutes``."""

    response_delay_minutes: float = Field(default=15, ge=0, le=10_000)
    task_minutes: float = Field(default=60, gt=0, le=10_000)
    organisation_crews: int = Field(default=2, ge=1, le=1000)


class DispatchSpec(ScenarioModel):
    """How the simulated dispatchers work: accept the suggested plan every ``plan_every``."""

    plan_every: Duration = "30m"
    travel_speed_kmh: float = Field(default=15, gt=0, le=200)


class Scenario(ScenarioModel):
    """One drill scenario: a hazard, where it strikes, what happens when, and who needs what."""

    schema_version: Literal[1] = 1
    name: Bilingual
    summary: Bilingual | None = None
    hazard: Hazard
    city_scale: Literal["district", "city"] = "district"
    start: AwareDatetime
    duration: Duration
    step: Duration = "10m"  # metrics are sampled on this grid
    affected: list[AffectedArea] = Field(min_length=1, max_length=10_000)
    injects: list[Inject] = Field(default_factory=list, max_length=5000)
    demand: DemandSpec
    service_points: list[ServicePoint] = Field(default_factory=list, max_length=500)
    volunteers: VolunteerSpec = Field(default_factory=VolunteerSpec)
    workforce: WorkforceSpec = Field(default_factory=WorkforceSpec)
    dispatch: DispatchSpec = Field(default_factory=DispatchSpec)

    @property
    def minutes(self) -> int:
        return duration_minutes(self.duration)

    def area_codes(self) -> list[str]:
        """Every area code the scenario names, in order of first mention."""
        codes: dict[str, None] = {a.code: None for a in self.affected}
        for inject in self.injects:
            for code in getattr(inject, "areas", []) or []:
                codes[code] = None
            if isinstance(inject, RoadCutInject):
                codes.update(dict.fromkeys(inject.between))
        codes.update({p.area: None for p in self.service_points})
        return list(codes)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _pydantic_issues(exc: ValidationError, node: Node) -> list[PlanIssue]:
    issues = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        # A tagged union puts the tag ("warning") after the inject's index; not a YAML key.
        if len(loc) > 2 and loc[0] == "injects" and loc[2] in _INJECT_KINDS:
            loc = loc[:2] + loc[3:]
        issues.append(PlanIssue(_line_of(node, loc), _field(loc), error["msg"]))
    return issues


_INJECT_KINDS = frozenset({"warning", "indicator", "road_cut", "power_loss", "market_capacity",
                           "stock_lost"})


def parse_scenario_text(text: str, *, file: str) -> Scenario:
    """The scenario in a YAML text, or ImportRejected listing each problem by line and field."""
    from communitas.drills.scenario_checks import semantic_issues

    try:
        nodes = _documents(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise reject(file, [PlanIssue(mark.line + 1 if mark else None, "",
                                      f"not valid YAML: {getattr(exc, 'problem', exc)}")]
                     ) from exc
    if len(nodes) != 1:
        raise reject(file, [PlanIssue(None, "", "a scenario file holds exactly one document")])
    node = nodes[0]
    structure = _structure_issues(node)
    if structure:
        raise reject(file, structure)
    try:
        scenario = Scenario.model_validate(_construct(node))
    except ValidationError as exc:
        raise reject(file, _pydantic_issues(exc, node)) from exc
    issues = [PlanIssue(_line_of(node, loc), _field(loc), message)
              for loc, message in semantic_issues(scenario)]
    if issues:
        raise reject(file, issues)
    return scenario


def load_scenario(path: Path) -> Scenario:
    return parse_scenario_text(path.read_text(encoding="utf-8"), file=path.name)


def shipped_scenarios() -> list[Path]:
    """The scenario files that ship with Communitas, by name."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def unknown_areas(scenario: Scenario, known: Iterable[str]) -> list[str]:
    """Codes the scenario names that the city does not have."""
    have = set(known)
    return [code for code in scenario.area_codes() if code not in have]
