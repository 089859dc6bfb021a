"""Checks of allocation problem documents: every bad field is reported with its path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from communitas.i18n import _

__all__ = ["MAX_MINUTES", "MAX_QUANTITY", "Checker", "demands", "links", "reach",
           "resource_types", "supplies"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Largest quantity of one stock, need or capacity; keeps every cost sum inside int64.
MAX_QUANTITY = 1_000_000_000
MAX_MINUTES = 100_000.0
MINUTES_MESSAGE = _("Must be a number of minutes from 0 to 100,000")


class Checker:
    """Collects every problem of a file with the path of the field at fault."""

    def __init__(self) -> None:
        self.problems: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append({"path": path, "message": message})

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.fail(path, _("Must be an object"))
        return None

    def items(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        if key not in parent:
            self.fail(path, _("Required field is missing"))
            return []
        value = parent[key]
        if not isinstance(value, list):
            self.fail(path, _("Must be a list"))
            return []
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, required: bool = True
             ) -> str | None:
        if key not in parent:
            if required:
                self.fail(path, _("Required field is missing"))
            return None
        value = parent[key]
        if isinstance(value, str) and value.strip():
            return value
        self.fail(path, _("Must be a non-empty string"))
        return None

    def number(self, parent: dict[str, Any], key: str, path: str, *, low: float, high: float,
               message: str, required: bool = True) -> float | None:
        """A finite number in [low, high] (a zero ``low`` excluded when ``low`` is negative)."""
        if key not in parent or parent[key] is None:
            if required:
                self.fail(path, _("Required field is missing"))
            return None
        value = parent[key]
        if (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and low <= value <= high):
            return float(value)
        self.fail(path, message)
        return None

    def quantity(self, value: Any, path: str) -> int | None:
        if (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and value == int(value)
                and 0 <= value <= MAX_QUANTITY):
            return int(value)
        self.fail(path, _("Must be a whole number of units from 0 to 1,000,000,000"))
        return None

    def per_type(self, parent: dict[str, Any], key: str, path: str, types: dict[str, int],
                 row: IntArray) -> None:
        """Fill ``row`` from an object {type: quantity}, naming unknown types."""
        mapping = self.obj(parent[key], path) if key in parent else None
        if key not in parent:
            self.fail(path, _("Required field is missing"))
        for name, value in (mapping or {}).items():
            if name not in types:
                self.fail(f"{path}.{name}", _("Unknown resource type"))
                continue
            quantity = self.quantity(value, f"{path}.{name}")
            if quantity is not None:
                row[types[name]] = quantity


def resource_types(check: Checker, data: dict[str, Any]) -> dict[str, int]:
    types: dict[str, int] = {}
    for i, name in enumerate(check.items(data, "resource_types", "resource_types")):
        if not isinstance(name, str) or not name.strip():
            check.fail(f"resource_types[{i}]", _("Must be a non-empty string"))
        elif name in types:
            check.fail(f"resource_types[{i}]", _("Duplicate resource type"))
        else:
            types[name] = len(types)
    return types


def _unique_id(check: Checker, entry: dict[str, Any], path: str, seen: dict[str, int]) -> str:
    ident = check.text(entry, "id", f"{path}.id")
    if ident is not None and ident in seen:
        check.fail(f"{path}.id", _("Duplicate id"))
    elif ident is not None:
        seen[ident] = len(seen)
    return ident or f"#{path}"


def _coordinates(check: Checker, entry: dict[str, Any], path: str, required: bool
                 ) -> tuple[float, float]:
    lat = check.number(entry, "lat", f"{path}.lat", low=-90, high=90, required=required,
                       message=_("Latitude must be a number from -90 to 90"))
    lon = check.number(entry, "lon", f"{path}.lon", low=-180, high=180, required=required,
                       message=_("Longitude must be a number from -180 to 180"))
    return (math.nan if lat is None else lat), (math.nan if lon is None else lon)


def supplies(check: Checker, data: dict[str, Any], types: dict[str, int], located: bool
              ) -> dict[str, Any]:
    entries = check.items(data, "supplies", "supplies")
    seen: dict[str, int] = {}
    ids, lats, lons, leads, caps = [], [], [], [], []
    stock = np.zeros((len(entries), len(types)), dtype=np.int64)
    for i, raw in enumerate(entries):
        path = f"supplies[{i}]"
        entry = check.obj(raw, path) or {}
        ids.append(_unique_id(check, entry, path, seen))
        lat, lon = _coordinates(check, entry, path, located)
        lats.append(lat)
        lons.append(lon)
        check.per_type(entry, "stock", f"{path}.stock", types, stock[i])
        lead = check.number(entry, "lead_minutes", f"{path}.lead_minutes", low=0,
                            high=MAX_MINUTES, required=False, message=MINUTES_MESSAGE)
        leads.append(lead or 0.0)
        cap = entry.get("capacity")
        caps.append(-1 if cap is None else check.quantity(cap, f"{path}.capacity") or 0)
    return {"supply_ids": tuple(ids), "supply_lat": np.array(lats, dtype=np.float64),
            "supply_lon": np.array(lons, dtype=np.float64), "stock": stock,
            "lead_minutes": np.array(leads, dtype=np.float64),
            "capacity": np.array(caps, dtype=np.int64)}


def demands(check: Checker, data: dict[str, Any], types: dict[str, int], located: bool
             ) -> dict[str, Any]:
    entries = check.items(data, "demands", "demands")
    seen: dict[str, int] = {}
    ids, lats, lons, communities, priorities = [], [], [], [], []
    needs = np.zeros((len(entries), len(types)), dtype=np.int64)
    for i, raw in enumerate(entries):
        path = f"demands[{i}]"
        entry = check.obj(raw, path) or {}
        ids.append(_unique_id(check, entry, path, seen))
        lat, lon = _coordinates(check, entry, path, located)
        lats.append(lat)
        lons.append(lon)
        communities.append(check.text(entry, "community", f"{path}.community",
                                      required=False) or "")
        priority = entry.get("priority")
        if "priority" not in entry:
            check.fail(f"{path}.priority", _("Required field is missing"))
        elif isinstance(priority, bool) or priority not in (1, 2, 3, 4):
            check.fail(f"{path}.priority", _("Priority must be 1, 2, 3 or 4"))
        priorities.append(priority if priority in (1, 2, 3, 4) else 4)
        check.per_type(entry, "needs", f"{path}.needs", types, needs[i])
    return {"demand_ids": tuple(ids), "demand_lat": np.array(lats, dtype=np.float64),
            "demand_lon": np.array(lons, dtype=np.float64), "community": tuple(communities),
            "priority": np.array(priorities, dtype=np.int64), "needs": needs}


def reach(check: Checker, data: dict[str, Any]) -> tuple[int, float] | None:
    raw = check.obj(data["reach"], "reach")
    if raw is None:
        return None
    nearest = raw.get("nearest")
    if "nearest" not in raw:
        check.fail("reach.nearest", _("Required field is missing"))
    elif isinstance(nearest, bool) or not isinstance(nearest, int) or not 1 <= nearest <= 1000:
        check.fail("reach.nearest", _("Must be a whole number from 1 to 1,000"))
    speed = check.number(raw, "speed_kmh", "reach.speed_kmh", low=0.001, high=1000,
                         message=_("Speed must be a positive number of km/h up to 1,000"))
    if speed is None or not isinstance(nearest, int) or isinstance(nearest, bool):
        return None
    return max(1, min(nearest, 1000)), speed


def links(check: Checker, data: dict[str, Any], supplies: dict[str, Any],
           demands: dict[str, Any]) -> tuple[IntArray, IntArray, FloatArray]:
    s_index = {ident: i for i, ident in enumerate(supplies["supply_ids"])}
    d_index = {ident: i for i, ident in enumerate(demands["demand_ids"])}
    rows: dict[tuple[int, int], float] = {}
    for i, raw in enumerate(check.items(data, "links", "links")):
        path = f"links[{i}]"
        entry = check.obj(raw, path) or {}
        supply = check.text(entry, "supply", f"{path}.supply")
        demand = check.text(entry, "demand", f"{path}.demand")
        minutes = check.number(entry, "minutes", f"{path}.minutes", low=0, high=MAX_MINUTES,
                               message=MINUTES_MESSAGE)
        if supply is not None and supply not in s_index:
            check.fail(f"{path}.supply", _("Unknown supply id"))
        if demand is not None and demand not in d_index:
            check.fail(f"{path}.demand", _("Unknown demand id"))
        if supply in s_index and demand in d_index and minutes is not None:
            key = (s_index[supply], d_index[demand])
            if key in rows:
                check.fail(path, _("Duplicate link"))
            rows[key] = minutes
    pairs = np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)
    minutes_arr = np.array([rows[(int(s), int(d))] for s, d in pairs], dtype=np.float64)
    return pairs[:, 0].copy(), pairs[:, 1].copy(), minutes_arr
