"""Requests as plain row copies (:mod:`communitas.row_copies`) for the batch fulfilment
paths: each named request — a merged duplicate's reference names its survivor — with its
lines, their resource types' codes, its areas and what its shipments have moved, read locked
in one SELECT per chunk of references, without ORM objects.

The copies carry the columns the rules of fulfilment and service read or set, and the
relations they follow (``request.lines``, ``line.resource_type.code``), so those rules apply
to them unchanged; ``write_back`` puts their changes in the rows and expires the ORM objects
the session holds for them.

Requests are read ``FOR UPDATE`` in id order (PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
serialises writers already). References that fill more than one chunk are first resolved to
their survivors' ids and read in that order, so concurrent batches lock alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, select
from sqlalchemy.orm import Session

from communitas.areas.models import Area
from communitas.db import IN_CHUNK
from communitas.dispatch.models import RequestLine, ResourceRequest, Shipment
from communitas.resources.models import ResourceType
from communitas.row_copies import RowCopy, mapped_columns

__all__ = [
    "LineCopy",
    "LockedRequests",
    "RequestCopy",
    "TypeCode",
    "aliases",
    "locked_request_rows",
    "survivor_ids",
]

_REQUESTS = cast(Table, ResourceRequest.__table__)
_LINES = cast(Table, RequestLine.__table__)
_SHIPMENTS = cast(Table, Shipment.__table__)
_TYPES = cast(Table, ResourceType.__table__)
# The columns the rules of fulfilment and service read or set: a copy has no others.
_REQUEST_KEYS = ("id", "reference", "status", "priority", "queue_level", "queued_at",
                 "sla_due_at", "updated_at")
_LINE_KEYS = ("id", "position", "quantity", "committed", "min_quantity", "substitutes")


class TypeCode(NamedTuple):
    """A line's resource type, as far as the rules read it."""

    code: str


class LineCopy(RowCopy):
    """A request line's columns the rules read, and its resource type's code."""

    resource_type: TypeCode


class RequestCopy(RowCopy):
    """A request's columns the rules read or set, its lines in position order, its area's
    code (for events) and its queue area's path (for permissions)."""

    lines: list[LineCopy]
    area_code: str
    queue_path: str


@dataclass
class LockedRequests:
    """Reference → its request's copy (two references to one survivor share it), and line
    id → [units shipped, units delivered] over the line's shipments."""

    requests: dict[str, RequestCopy] = field(default_factory=dict)
    moved: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def copies(self) -> list[RequestCopy]:
        """Each request once, in id order."""
        return sorted({id(r): r for r in self.requests.values()}.values(), key=lambda r: r.id)

    def lines(self) -> list[LineCopy]:
        return [line for request in self.copies() for line in request.lines]


def _moved(counter: ColumnElement[Any]) -> ColumnElement[Any]:
    """The line's units at a step, summed over its request's shipments for it (as
    ``service.progress`` sums them)."""
    return select(func.coalesce(func.sum(counter), 0)).where(
        _SHIPMENTS.c.request_id == _REQUESTS.c.id,
        _SHIPMENTS.c.line_id == _LINES.c.id).scalar_subquery()


def _columns(model: type[Any], keys: tuple[str, ...]) -> list[ColumnElement[Any]]:
    columns = mapped_columns(model)[1]
    return [columns[key] for key in keys]


def _query() -> Any:
    """The locked read, for the references bound as ``references``."""
    named, area, queue = _REQUESTS.alias("named"), Area.__table__.alias("area"), \
        Area.__table__.alias("queue")
    return (
        select(named.c.reference, *_columns(ResourceRequest, _REQUEST_KEYS), area.c.code,
               queue.c.path, *_columns(RequestLine, _LINE_KEYS), _TYPES.c.code,
               _moved(_SHIPMENTS.c.shipped), _moved(_SHIPMENTS.c.delivered))
        .select_from(named.join(_REQUESTS, _REQUESTS.c.id == func.coalesce(
            named.c.merged_into_id, named.c.id))
            .join(area, area.c.id == _REQUESTS.c.area_id)
            .join(queue, queue.c.id == _REQUESTS.c.queue_area_id)
            .outerjoin(_LINES, _LINES.c.request_id == _REQUESTS.c.id)
            .outerjoin(_TYPES, _TYPES.c.id == _LINES.c.resource_type_id))
        .where(named.c.reference.in_(bindparam("references", expanding=True)))
        .order_by(_REQUESTS.c.id, _LINES.c.position, _LINES.c.id)
        .with_for_update(of=_REQUESTS))


# Built once: a statement this wide costs more to build than to run on a drill's batches.
_LOCKED_READ = _query()


def survivor_ids(session: Session, references: Sequence[str]) -> dict[str, int]:
    """Reference → the id of the request it names or, for a merged duplicate, of the
    survivor it was merged into (unknown references left out), read a chunk at a time."""
    survivor: dict[str, int] = {}
    for start in range(0, len(references), IN_CHUNK):
        survivor.update({ref: survivor_id for ref, survivor_id in session.execute(
            select(_REQUESTS.c.reference,
                   func.coalesce(_REQUESTS.c.merged_into_id, _REQUESTS.c.id))
            .where(_REQUESTS.c.reference.in_(references[start:start + IN_CHUNK])))})
    return survivor


def _in_lock_order(session: Session, references: list[str]) -> list[list[str]]:
    """The references in chunks, ordered by their survivors' ids when there is more than one
    chunk (unknown references left out: they name nothing to read)."""
    if len(references) <= IN_CHUNK:
        return [references] if references else []
    survivor = survivor_ids(session, references)
    ordered = sorted(survivor, key=lambda ref: survivor[ref])
    return [ordered[i:i + IN_CHUNK] for i in range(0, len(ordered), IN_CHUNK)]


def locked_request_rows(session: Session, references: Sequence[str]) -> LockedRequests:
    """The named requests' copies, locked, with their lines and what their shipments moved.
    Pending changes are flushed first, as an ORM query would."""
    if session.autoflush:
        session.flush()
    request_keys, line_keys = _REQUEST_KEYS, _LINE_KEYS
    areas_at = 1 + len(request_keys)  # after the named reference and the request's columns
    lines_at, types_at = areas_at + 2, areas_at + 2 + len(line_keys)
    request_id_at, line_id_at = 1 + request_keys.index("id"), lines_at + line_keys.index("id")
    found, by_id = LockedRequests(), dict[int, RequestCopy]()
    for chunk in _in_lock_order(session, list(dict.fromkeys(references))):
        for row in session.execute(_LOCKED_READ, {"references": chunk}):
            request = by_id.get(row[request_id_at])
            if request is None:
                request = by_id[row[request_id_at]] = RequestCopy(
                    request_keys, dict(zip(request_keys, row[1:areas_at], strict=True)))
                request.area_code, request.queue_path = row[areas_at], row[areas_at + 1]
                request.lines = []
            found.requests[row[0]] = request
            line_id = row[line_id_at]
            if line_id is None or line_id in found.moved:  # no lines, or read already
                continue
            line = LineCopy(line_keys, dict(zip(line_keys, row[lines_at:types_at], strict=True)))
            code, shipped, delivered = row[types_at:]
            line.resource_type = TypeCode(code)
            request.lines.append(line)
            found.moved[line_id] = [int(shipped), int(delivered)]
    return found


_ALIASES = select(_REQUESTS.c.merged_into_id, _REQUESTS.c.reference) \
    .where(_REQUESTS.c.merged_into_id.in_(bindparam("ids", expanding=True))) \
    .order_by(_REQUESTS.c.id)


def aliases(session: Session, request_ids: Sequence[int]) -> dict[int, list[str]]:
    """Request id → references of the duplicates merged into it (as ``service.aliases``)."""
    found: dict[int, list[str]] = defaultdict(list)
    ordered = sorted(set(request_ids))
    for start in range(0, len(ordered), IN_CHUNK):
        for survivor, reference in session.execute(
                _ALIASES, {"ids": ordered[start:start + IN_CHUNK]}):
            found[survivor].append(reference)
    return found
