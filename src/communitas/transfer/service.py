"""Import and export use cases. A file is imported whole or not at all: every row is
validated first, errors are reported by file, line and field, and the rows are written
inside one savepoint that is rolled back on the first refusal."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.errors import CommunitasError, ImportRejected
from communitas.i18n import _, translate
from communitas.transfer.formats import SourceRow, read_rows, write_rows
from communitas.transfer.kinds import KINDS, KindSpec

__all__ = ["export_file", "import_file"]

MAX_REPORTED_ERRORS = 200


def _spec(kind: str) -> KindSpec:
    if kind not in KINDS:
        raise ImportRejected(_("Unknown data kind {value}"), code="unknown_kind", value=kind,
                             details={"kinds": sorted(KINDS)})
    return KINDS[kind]


def _field_errors(path: Path, row: SourceRow, exc: ValidationError) -> list[dict[str, Any]]:
    return [{"file": path.name, "line": row.line,
             "field": ".".join(str(p) for p in err["loc"]) or None,
             "message": err["msg"]} for err in exc.errors()]


def import_file(session: Session, *, principal: Principal, kind: str, path: Path) -> int:
    """Import every row of ``path`` as ``kind``; returns the number of rows imported."""
    spec = _spec(kind)
    require(principal, Permission.DATA_IMPORT)
    rows = read_rows(path)
    parsed: list[tuple[SourceRow, BaseModel]] = []
    errors: list[dict[str, Any]] = []
    for row in rows:
        try:
            parsed.append((row, spec.parse(row)))
        except ValidationError as exc:
            errors.extend(_field_errors(path, row, exc))
    if errors:
        raise ImportRejected(
            _("{file}: {count} errors; nothing was imported"), code="import_rejected",
            file=path.name, count=len(errors), details={"errors": errors[:MAX_REPORTED_ERRORS]})
    savepoint = session.begin_nested()
    for row, item in parsed:
        try:
            spec.create(session, principal, item)
        except CommunitasError as exc:
            savepoint.rollback()
            field = exc.details.get("field") if isinstance(exc.details, dict) else None
            raise ImportRejected(
                _("{file}: {count} errors; nothing was imported"), code="import_rejected",
                file=path.name, count=1,
                details={"errors": [{"file": path.name, "line": row.line, "field": field,
                                     "code": exc.code,
                                     "message": translate(exc.message, "en", **exc.params)}]},
            ) from exc
    savepoint.commit()
    return len(parsed)


def export_file(
    session: Session, *, principal: Principal, kind: str, path: Path, within: str | None = None
) -> int:
    """Write ``kind`` rows (optionally one area subtree) to ``path``; never sensitive fields."""
    spec = _spec(kind)
    require(principal, Permission.DATA_EXPORT)
    rows: Iterable[SourceRow] = spec.export(session, principal, within)
    return write_rows(path, spec.columns, rows)
