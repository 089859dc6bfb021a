"""Area use cases. Callers own the transaction; each function appends its events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas.codes import AreaKind, validate_code
from communitas.areas.models import COUNT_FIELDS, Area
from communitas.areas.schemas import AreaCreate, AreaStatistics, AreaUpdate
from communitas.auth.permissions import Principal, require
from communitas.auth.roles import Permission
from communitas.clock import Clock
from communitas.errors import NotFound
from communitas.events import EventDraft, record_events
from communitas.geo import representative_point
from communitas.i18n import _
from communitas.uniqueness import refuse_duplicate_codes

__all__ = [
    "create_areas", "get_area", "get_area_by_id", "list_areas", "subtree_statistics",
    "update_area",
]


def get_area(session: Session, *, code: str) -> Area:
    area = session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()
    if area is None:
        raise NotFound(_("Unknown area {value}"), code="unknown_area", value=code)
    return area


def get_area_by_id(session: Session, *, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound(_("Unknown area {value}"), code="unknown_area", value=str(area_id))
    return area


def _existing_codes(session: Session, codes: list[str]) -> dict[str, Area]:
    found: dict[str, Area] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        for area in session.execute(select(Area).where(Area.code.in_(chunk))).scalars():
            found[area.code] = area
    return found


def create_areas(
    session: Session,
    *,
    principal: Principal,
    items: Iterable[AreaCreate],
    clock: Clock | None = None,
) -> list[Area]:
    """Create areas in order (a parent may come earlier in the same batch), all or nothing."""
    items = list(items)
    codes = [item.code for item in items]
    refuse_duplicate_codes(session, Area.code, codes)
    parent_codes = [i.parent_code for i in items if i.parent_code and i.parent_code not in codes]
    known = _existing_codes(session, sorted(set(parent_codes)))
    created: dict[str, Area] = {}
    pending: list[tuple[Area, Area | None]] = []
    for item in items:
        parent = None
        if item.parent_code is not None:
            parent = created.get(item.parent_code) or known.get(item.parent_code)
            if parent is None:
                raise NotFound(_("Unknown area {value}"), code="unknown_area",
                               value=item.parent_code, details={"field": "parent_code"})
        validate_code(item.kind, item.code, parent.kind if parent else None,
                      parent.code if parent else None)
        if parent is not None and parent.path:
            require(principal, Permission.AREA_WRITE, area_path=parent.path)
        else:
            require(principal, Permission.AREA_WRITE, area_path="/")
        area = Area(**item.model_dump(exclude={"parent_code"}), path="", depth=0)
        if item.geometry is not None:
            area.lon, area.lat = representative_point(item.geometry)
        created[item.code] = area
        pending.append((area, parent))
    _insert_with_paths(session, pending)
    record_events(session, actor=principal.actor, clock=clock, drafts=[
        EventDraft("area.created", "area", area.code, area.code,
                   {"kind": area.kind.value, "name_zh": area.name_zh, "name_en": area.name_en,
                    "parent": parent.code if parent else None})
        for area, parent in pending
    ])
    return [area for area, _parent in pending]


def _insert_with_paths(session: Session, pending: list[tuple[Area, Area | None]]) -> None:
    """Insert level by level so each parent has an id and a path before its children."""
    by_depth: dict[int, list[tuple[Area, Area | None]]] = {}
    depth_of: dict[int, int] = {}
    for area, parent in pending:
        depth = 0 if parent is None else (
            depth_of[id(parent)] + 1 if id(parent) in depth_of else parent.depth + 1
        )
        depth_of[id(area)] = depth
        by_depth.setdefault(depth, []).append((area, parent))
    for depth in sorted(by_depth):
        level = by_depth[depth]
        for area, parent in level:
            area.parent_id = parent.id if parent else None
            area.depth = depth
        session.add_all([a for a, _p in level])
        session.flush()
        for area, parent in level:
            area.path = f"{parent.path if parent else '/'}{area.id}/"
        session.flush()


def update_area(
    session: Session, *, principal: Principal, code: str, data: AreaUpdate,
    clock: Clock | None = None,
) -> Area:
    area = get_area(session, code=code)
    require(principal, Permission.AREA_WRITE, area_path=area.path)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name_zh", "name_en"):
        if field in changes and changes[field] is None:
            changes.pop(field)
    before = {k: getattr(area, k) for k in changes}
    for key, value in changes.items():
        setattr(area, key, value)
    if "geometry" in changes:
        area.lon, area.lat = (
            representative_point(area.geometry) if area.geometry else (None, None)
        )
    record_events(session, actor=principal.actor, clock=clock, drafts=[EventDraft(
        "area.updated", "area", area.code, area.code,
        {"changes": {k: {"from": before[k], "to": v} for k, v in changes.items()
                     if k != "geometry"}, "geometry_changed": "geometry" in changes},
    )])
    session.flush()
    return area


def list_areas(
    session: Session,
    *,
    within: str | None = None,
    kind: AreaKind | None = None,
    parent_code: str | None = None,
    q: str | None = None,
) -> Any:
    """A select of areas filtered by subtree, kind, parent and name; the caller pages it."""
    query = select(Area).order_by(Area.path)
    if within is not None:
        low, high = get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if kind is not None:
        query = query.where(Area.kind == kind)
    if parent_code is not None:
        query = query.where(Area.parent_id == get_area(session, code=parent_code).id)
    if q:
        pattern = f"%{q}%"
        query = query.where(Area.name_zh.like(pattern) | Area.name_en.ilike(pattern)
                            | Area.code.like(f"{q}%"))
    return query


def subtree_statistics(session: Session, *, code: str) -> AreaStatistics:
    """Population and vulnerability totals for an area (summed over its communities)."""
    area = get_area(session, code=code)
    if area.kind in (AreaKind.GRID, AreaKind.BUILDING, AreaKind.COMMUNITY):
        buildings = 1 if area.kind is AreaKind.BUILDING else 0
        if area.kind is not AreaKind.BUILDING:
            low, high = area.subtree_bounds()
            buildings = session.execute(select(func.count()).where(
                Area.path >= low, Area.path < high, Area.kind == AreaKind.BUILDING)).scalar_one()
        if area.kind is AreaKind.GRID:
            totals = _sum(session, area, AreaKind.BUILDING)
        else:
            totals = {f: getattr(area, f) for f in COUNT_FIELDS}
        return AreaStatistics(code=code, communities=int(area.kind is AreaKind.COMMUNITY),
                              buildings=buildings, **totals)
    totals = _sum(session, area, AreaKind.COMMUNITY)
    low, high = area.subtree_bounds()
    rows = session.execute(select(Area.kind, func.count()).where(
        Area.path >= low, Area.path < high,
        Area.kind.in_([AreaKind.COMMUNITY, AreaKind.BUILDING])).group_by(Area.kind)).all()
    counts = {kind: int(n) for kind, n in rows}
    return AreaStatistics(code=code, communities=counts.get(AreaKind.COMMUNITY, 0),
                          buildings=counts.get(AreaKind.BUILDING, 0), **totals)


def _sum(session: Session, area: Area, kind: AreaKind) -> dict[str, int]:
    low, high = area.subtree_bounds()
    row = session.execute(select(*[func.coalesce(func.sum(getattr(Area, f)), 0)
                                   for f in COUNT_FIELDS]).where(
        Area.path >= low, Area.path < high, Area.kind == kind)).one()
    return {f: int(v) for f, v in zip(COUNT_FIELDS, row, strict=True)}
