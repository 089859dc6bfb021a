"""Response plan use cases: import (all or nothing per file), versions, export, the library.

A plan is kept per hazard × level × area kind; importing a changed plan adds version n+1,
importing an identical one changes nothing, and no version is ever edited. Callers commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock, SystemClock
from communitas.errors import NotFound
from communitas.events import EventDraft, record_events
from communitas.i18n import _
from communitas.modes.levels import Mode, severity
from communitas.modes.models import ResponsePlan
from communitas.modes.plans import (
    ParsedPlan,
    PlanDocument,
    PlanIssue,
    dump_plans,
    parse_plan_data,
    parse_plan_text,
    reject,
)
from communitas.modes.schemas import PlanImportReport, PlanRead, PlanRef, PlanSummary
from communitas.resources import service as resources

__all__ = [
    "LIBRARY_DIR", "export_plan_dir", "export_plans", "export_text", "get_plan", "import_plan_data",
    "import_plan_text", "install_plan_library", "latest_plans", "list_plans", "plan_document",
    "plan_read", "validate_plan_text",
]

LIBRARY_DIR = Path(__file__).parent / "library"


def _catalogue_issues(session: Session, plans: list[ParsedPlan]) -> list[PlanIssue]:
    """Pre-positioning lines whose resource type is not in the catalogue."""
    known = {t.code for t in session.execute(resources.list_resource_types(session)).scalars()}
    return [plan.issue(("prepositioning", i, "resource_type"),
                       f"unknown resource type {line.resource_type!r}")
            for plan in plans for i, line in enumerate(plan.document.prepositioning)
            if line.resource_type not in known]


def validate_plan_text(session: Session, *, text: str, file: str) -> list[ParsedPlan]:
    """Parse and check a plan file against the schema and the catalogue; writes nothing."""
    plans = parse_plan_text(text, file=file)
    issues = _catalogue_issues(session, plans)
    if issues:
        raise reject(file, issues)
    return plans


def _latest(session: Session, key: tuple[str, Mode, str]) -> ResponsePlan | None:
    hazard, level, area_kind = key
    return session.execute(select(ResponsePlan).where(
        ResponsePlan.hazard == hazard, ResponsePlan.level == level,
        ResponsePlan.area_kind == area_kind).order_by(ResponsePlan.version.desc()).limit(1)
    ).scalar_one_or_none()


def _store(session: Session, *, principal: Principal, plans: list[ParsedPlan], file: str,
           clock: Clock | None) -> PlanImportReport:
    now = (clock or SystemClock()).now()
    report = PlanImportReport(file=file, created=[], unchanged=[])
    issues = _catalogue_issues(session, plans)
    if issues:
        raise reject(file, issues)
    created: list[ResponsePlan] = []
    with session.begin_nested():
        for plan in plans:
            doc = plan.document
            latest = _latest(session, (doc.hazard, doc.level, doc.area_kind.value))
            if latest is not None and latest.content_hash == doc.content_hash():
                report.unchanged.append(_ref(latest))
                continue
            row = ResponsePlan(
                hazard=doc.hazard, level=doc.level, area_kind=doc.area_kind.value,
                version=(latest.version + 1) if latest else 1, name_zh=doc.name.zh,
                name_en=doc.name.en, content=doc.content(), content_hash=doc.content_hash(),
                source=file, created_by=principal.actor, created_at=now)
            session.add(row)
            created.append(row)
        session.flush()
    report.created = [_ref(row) for row in created]
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("plan.imported", "response_plan", row.id, None,
                   {**_ref(row).model_dump(mode="json"), "source": file})
        for row in created])
    return report


def _ref(row: ResponsePlan) -> PlanRef:
    return PlanRef(hazard=row.hazard, level=row.level, area_kind=row.area_kind,
                   version=row.version)


def import_plan_text(session: Session, *, principal: Principal, text: str, file: str,
                     clock: Clock | None = None) -> PlanImportReport:
    """Import every plan of a YAML file, or none: errors name the file, line and field."""
    require(principal, Permission.PLAN_WRITE)
    return _store(session, principal=principal, plans=parse_plan_text(text, file=file),
                  file=file, clock=clock)


def import_plan_data(session: Session, *, principal: Principal, items: list[Any],
                     file: str = "request", clock: Clock | None = None) -> PlanImportReport:
    """Import plans given as JSON objects, all or none."""
    require(principal, Permission.PLAN_WRITE)
    return _store(session, principal=principal, plans=parse_plan_data(items, file=file),
                  file=file, clock=clock)


def install_plan_library(session: Session, *, principal: Principal,
                         clock: Clock | None = None) -> PlanImportReport:
    """Import the shipped library's plans that have no version yet; edits are kept."""
    require(principal, Permission.PLAN_WRITE)
    report = PlanImportReport(file=LIBRARY_DIR.name, created=[], unchanged=[])
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        fresh = []
        for plan in parse_plan_text(path.read_text(encoding="utf-8"), file=path.name):
            doc = plan.document
            latest = _latest(session, (doc.hazard, doc.level, doc.area_kind.value))
            if latest is None:
                fresh.append(plan)
            else:
                report.unchanged.append(_ref(latest))
        part = _store(session, principal=principal, plans=fresh, file=path.name, clock=clock)
        report.created += part.created
    return report


def get_plan(session: Session, *, principal: Principal, hazard: str, level: Mode,
             area_kind: str, version: int | None = None) -> ResponsePlan:
    """The latest version of a plan, or the version asked for."""
    require(principal, Permission.PLAN_READ)
    query = select(ResponsePlan).where(ResponsePlan.hazard == hazard,
                                       ResponsePlan.level == level,
                                       ResponsePlan.area_kind == area_kind)
    if version is not None:
        query = query.where(ResponsePlan.version == version)
    row = session.execute(query.order_by(ResponsePlan.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No response plan for {value}"), code="unknown_plan",
                       value=f"{hazard}/{level.value}/{area_kind}"
                       + (f" v{version}" if version else ""))
    return row


def latest_plans(session: Session, *, hazard: str | None = None,
                 area_kind: str | None = None) -> list[ResponsePlan]:
    """The newest version of every plan, by hazard, area kind and severity."""
    query = select(ResponsePlan).order_by(ResponsePlan.version.desc())
    if hazard is not None:
        query = query.where(ResponsePlan.hazard == hazard)
    if area_kind is not None:
        query = query.where(ResponsePlan.area_kind == area_kind)
    newest: dict[tuple[str, Mode, str], ResponsePlan] = {}
    for row in session.execute(query).scalars():
        newest.setdefault((row.hazard, row.level, row.area_kind), row)
    return sorted(newest.values(), key=lambda r: (r.hazard, r.area_kind, severity(r.level)))


def list_plans(session: Session, *, principal: Principal, hazard: str | None = None,
               area_kind: str | None = None) -> list[PlanSummary]:
    require(principal, Permission.PLAN_READ)
    return [PlanSummary.model_validate(row)
            for row in latest_plans(session, hazard=hazard, area_kind=area_kind)]


def plan_document(row: ResponsePlan) -> PlanDocument:
    """A stored plan as the schema object activation works from."""
    return PlanDocument.model_validate(row.content)


def plan_read(row: ResponsePlan) -> PlanRead:
    return PlanRead.model_validate(row)


def export_plans(session: Session, *, principal: Principal) -> dict[str, str]:
    """The latest plans as YAML texts, one per hazard (``flood.yaml`` …)."""
    require(principal, Permission.PLAN_READ)
    by_hazard: dict[str, list[PlanDocument]] = {}
    for row in latest_plans(session):
        by_hazard.setdefault(row.hazard, []).append(plan_document(row))
    return {f"{hazard}.yaml": dump_plans(docs) for hazard, docs in by_hazard.items()}


def export_text(session: Session, *, principal: Principal, hazard: str | None = None) -> str:
    """The latest plans (of one hazard, or all) as one multi-document YAML text."""
    require(principal, Permission.PLAN_READ)
    return dump_plans([plan_document(row) for row in latest_plans(session, hazard=hazard)])


def export_plan_dir(session: Session, *, principal: Principal, directory: Path) -> list[Path]:
    """Write :func:`export_plans` into ``directory``; returns the files written."""
    texts = export_plans(session, principal=principal)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(texts.items()):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
