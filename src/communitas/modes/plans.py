"""Response plan files: the schema, and validation that names the YAML line and field.

A plan file holds one or more YAML documents, each one plan for hazard × level × area kind
(docs/modes-and-plans.md). Validation is pure: YAML syntax, then the schema (Pydantic),
then cross-field rules; every problem is reported with its line and field path. Checks
against the database (resource type codes) are the service's.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from communitas.areas.codes import AreaKind
from communitas.areas.schemas import HAZARDS
from communitas.errors import ImportRejected
from communitas.i18n import _
from communitas.modes.levels import Mode
from communitas.modes.machine import MODE_KINDS
from communitas.modes.plan_terms import (
    ALERT_PLACEHOLDERS,
    NORMAL_SERVICES,
    POINTS,
    Audience,
    Channel,
    PlanRoleKey,
    check_holder,
)

__all__ = [
    "MAX_NODES", "Bilingual", "ParsedPlan", "PlanAlert", "PlanDocument", "PlanIssue",
    "PlanRole", "PlanTask", "Preposition", "ServiceChanges", "dump_plans", "offset_minutes",
    "parse_plan_data", "parse_plan_text", "reject",
]

MAX_NODES = 20_000  # aliases can make a small file expand enormously; refuse such files
_OFFSET = re.compile(r"\+(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?")


def offset_minutes(text: str) -> int:
    """Minutes after activation of a relative deadline such as ``+30m``, ``+2h``, ``+1d6h``."""
    match = _OFFSET.fullmatch(text)
    if match is None or text == "+":
        raise ValueError(f"{text!r} is not a relative time such as +30m, +2h or +1d")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 1440 + hours * 60 + minutes


def _offset(text: str) -> str:
    offset_minutes(text)
    return text


def _in(allowed: Any, what: str) -> Any:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; allowed: {sorted(allowed)}")
        return value
    return AfterValidator(check)


def _placeholders(text: str) -> str:
    names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    unknown = sorted(names - ALERT_PLACEHOLDERS)
    if unknown or any(n == "" or n.isdigit() for n in names):
        raise ValueError(f"unknown placeholders {unknown}; allowed: {sorted(ALERT_PLACEHOLDERS)}")
    return text


Offset = Annotated[str, AfterValidator(_offset)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
PlanHazard = Annotated[str, _in(HAZARDS, "hazard")]
PlanLevel = Annotated[Mode, _in(set(Mode) - {Mode.NORMAL}, "plan level")]
PlanAreaKind = Annotated[AreaKind, _in(MODE_KINDS, "area kind")]
PointKey = Annotated[str, _in(POINTS, "point")]
ServiceKey = Annotated[str, _in(NORMAL_SERVICES, "service")]
Holder = Annotated[str, AfterValidator(check_holder)]
Template = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_placeholders)]


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class Bilingual(PlanModel):
    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)


class BilingualTemplate(PlanModel):
    zh: Template
    en: Template


class PlanRole(PlanModel):
    key: PlanRoleKey
    title: Bilingual
    default_holder: Holder
    count: int = Field(default=1, ge=1, le=1000)
    per: Literal["plan", "community", "grid", "building"] = "plan"


class PlanTask(PlanModel):
    code: Slug
    title: Bilingual
    role: PlanRoleKey
    deadline: Offset
    checklist: list[Bilingual] = Field(default_factory=list, max_length=100)


class Preposition(PlanModel):
    resource_type: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    to: PointKey
    deadline: Offset


class PlanAlert(PlanModel):
    code: Slug
    audience: Audience
    channels: list[Channel] = Field(min_length=1, max_length=len(Channel))
    send_at: Offset
    title: BilingualTemplate
    body: BilingualTemplate


class ServiceChanges(PlanModel):
    pause: list[ServiceKey] = Field(default_factory=list)
    continue_: list[ServiceKey] = Field(default_factory=list, alias="continue")


class PlanDocument(PlanModel):
    """One response plan: who leads, what to do by when, what to move, say and pause."""

    schema_version: Literal[1] = 1
    hazard: PlanHazard
    level: PlanLevel
    area_kind: PlanAreaKind
    name: Bilingual
    summary: Bilingual | None = None
    roles: list[PlanRole] = Field(min_length=1, max_length=50)
    tasks: list[PlanTask] = Field(min_length=1, max_length=500)
    prepositioning: list[Preposition] = Field(default_factory=list, max_length=200)
    alerts: list[PlanAlert] = Field(default_factory=list, max_length=100)
    services: ServiceChanges = Field(default_factory=ServiceChanges)

    @property
    def key(self) -> tuple[str, Mode, AreaKind]:
        return self.hazard, self.level, self.area_kind

    def content(self) -> dict[str, Any]:
        """The plan as stored and exported (aliases, no empty optional fields)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def content_hash(self) -> str:
        text = json.dumps(self.content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlanIssue:
    line: int | None
    field: str
    message: str

    def as_dict(self, file: str) -> dict[str, Any]:
        return {"file": file, "line": self.line, "field": self.field or None,
                "message": self.message}


@dataclass(frozen=True)
class ParsedPlan:
    document: PlanDocument
    node: Node | None  # None for plans that came as JSON

    def issue(self, loc: tuple[str | int, ...], message: str) -> PlanIssue:
        return PlanIssue(_line_of(self.node, loc), _field(loc), message)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _line_of(node: Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the field at ``loc``, or of its nearest present ancestor."""
    if node is None:
        return None
    line = node.start_mark.line
    for part in loc:
        if isinstance(node, MappingNode):
            pair = next(((k, v) for k, v in node.value
                         if isinstance(k, ScalarNode) and k.value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


def _structure_issues(root: Node) -> list[PlanIssue]:
    """Duplicate keys (YAML would keep the last silently) and alias blow-ups."""
    issues: list[PlanIssue] = []
    stack, seen = [root], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return [PlanIssue(root.start_mark.line + 1, "", "the document is too large or "
                              "expands too far through aliases")]
        if isinstance(node, MappingNode):
            keys: set[str] = set()
            for key_node, _value in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value in keys:
                    issues.append(PlanIssue(key_node.start_mark.line + 1, key_node.value,
                                            "duplicate key"))
                keys.add(key_node.value)
            stack.extend(v for _k, v in node.value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return issues


def _semantic_issues(plan: ParsedPlan) -> list[PlanIssue]:
    """Rules that span fields: unique codes, tasks led by declared roles, services."""
    doc, issues = plan.document, []
    keys = [r.key for r in doc.roles]
    for i, role in enumerate(doc.roles):
        if keys.index(role.key) != i:
            issues.append(plan.issue(("roles", i, "key"), f"role {role.key} is listed twice"))
    for name, items in (("tasks", doc.tasks), ("alerts", doc.alerts)):
        codes = [item.code for item in items]
        for i, code in enumerate(codes):
            if codes.index(code) != i:
                issues.append(plan.issue((name, i, "code"), f"code {code!r} is used twice"))
    for i, task in enumerate(doc.tasks):
        if task.role not in keys:
            issues.append(plan.issue(("tasks", i, "role"),
                                     f"role {task.role} is not among the plan's roles"))
    for i, service in enumerate(doc.services.continue_):
        if service in doc.services.pause:
            issues.append(plan.issue(("services", "continue", i),
                                     f"service {service} is both paused and continued"))
    return issues


def _validate(data: Any, node: Node | None) -> tuple[ParsedPlan | None, list[PlanIssue]]:
    try:
        parsed = ParsedPlan(PlanDocument.model_validate(data), node)
    except ValidationError as exc:
        return None, [PlanIssue(_line_of(node, tuple(e["loc"])), _field(tuple(e["loc"])),
                                e["msg"]) for e in exc.errors()]
    return parsed, _semantic_issues(parsed)


def _documents(text: str) -> list[Node]:
    loader = yaml.SafeLoader(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                documents.append(node)
        return documents
    finally:
        loader.dispose()


def _construct(node: Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def reject(file: str, issues: list[PlanIssue]) -> ImportRejected:
    ordered = sorted(issues, key=lambda i: (i.line or 0, i.field))
    return ImportRejected(_("{file}: {count} errors; nothing was imported"),
                          code="import_rejected", file=file, count=len(ordered),
                          details={"errors": [i.as_dict(file) for i in ordered[:200]]})


def _check_keys(plans: list[ParsedPlan]) -> list[PlanIssue]:
    seen: set[tuple[str, Mode, AreaKind]] = set()
    issues = []
    for plan in plans:
        if plan.document.key in seen:
            issues.append(plan.issue(("hazard",), "this hazard × level × area kind appears "
                                                  "twice in the file"))
        seen.add(plan.document.key)
    return issues


def parse_plan_text(text: str, *, file: str) -> list[ParsedPlan]:
    """Every plan in a YAML file, or ImportRejected listing each problem by line and field."""
    try:
        nodes = _documents(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise reject(file, [PlanIssue(mark.line + 1 if mark else None, "",
                                      f"not valid YAML: {getattr(exc, 'problem', exc)}")]
                     ) from exc
    if not nodes:
        raise reject(file, [PlanIssue(None, "", "the file holds no plan")])
    plans, issues = [], []
    for node in nodes:
        structure = _structure_issues(node)
        issues += structure
        if structure:
            continue
        plan, found = _validate(_construct(node), node)
        issues += found
        if plan is not None:
            plans.append(plan)
    issues += _check_keys(plans)
    if issues:
        raise reject(file, issues)
    return plans


def parse_plan_data(items: list[Any], *, file: str = "request") -> list[ParsedPlan]:
    """Plans given as already-parsed data (JSON); problems are reported by field only."""
    plans, issues = [], []
    for index, item in enumerate(items):
        plan, found = _validate(item, None)
        issues += [PlanIssue(None, f"{index}.{i.field}".rstrip("."), i.message) for i in found]
        if plan is not None:
            plans.append(plan)
    issues += _check_keys(plans)
    if issues:
        raise reject(file, issues)
    return plans


def dump_plans(documents: list[PlanDocument]) -> str:
    """Plans as one multi-document YAML text, in the order given."""
    return yaml.safe_dump_all([d.content() for d in documents], allow_unicode=True,
                              sort_keys=False, width=100)
