"""CAP 1.2 rules the XML schema cannot express (CAP 1.2 section 3 and GB/T 35965.1).

Pure checks over an already schema-valid ``<alert>`` element tree; each problem names the
element by a path such as ``alert/info[1]/area[0]/polygon[0]`` (indices count from 0 among
siblings of the same name). Problems are errors unless marked as warnings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lxml import etree

from communitas.alerts.identifiers import identifier_problem
from communitas.i18n import _

__all__ = ["CAP_NS", "Problem", "check_alert", "parse_cap_datetime"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
_FORBIDDEN = re.compile(r"[\s,<&]")
_NEEDS_REFERENCES = ("Update", "Cancel", "Ack", "Error")


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (``element``), what (an English msgid and its params), how bad."""

    element: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: Literal["error", "warning"] = "error"

    @property
    def message(self) -> str:
        return self.msgid.format(**self.params) if self.params else self.msgid

    def detail(self) -> dict[str, str]:
        return {"element": self.element, "message": self.message}


def parse_cap_datetime(text: str) -> datetime | None:
    """A CAP date-time (explicit offset, no ``Z``) as an aware datetime, or None if malformed."""
    if _DATETIME.fullmatch(text) is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return parent.findall(f"{{{CAP_NS}}}{name}")


def _text(parent: etree._Element, name: str) -> str | None:
    child = parent.find(f"{{{CAP_NS}}}{name}")
    return None if child is None else (child.text or "").strip()


def _check_datetime(text: str, path: str) -> list[Problem]:
    if parse_cap_datetime(text) is None:
        return [Problem(path, _("Date and time {value} must look like 2024-07-20T08:00:00+08:00: "
                                "seconds and a +hh:mm or -hh:mm offset, no Z"), {"value": text})]
    if text.endswith("+00:00"):
        return [Problem(path, _("UTC should be written -00:00, not +00:00"), severity="warning")]
    return []


def _check_token(text: str, path: str) -> list[Problem]:
    if _FORBIDDEN.search(text):
        return [Problem(path, _("Must not contain spaces, commas, < or &"))]
    return []


def _check_references(text: str, path: str) -> list[Problem]:
    problems = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts) or parse_cap_datetime(parts[2]) is None:
            problems.append(Problem(path, _("References must be space-separated "
                                            "sender,identifier,sent triples; {value} is not"),
                                    {"value": triple}))
    return problems


def _point(pair: str, path: str) -> tuple[tuple[float, float] | None, list[Problem]]:
    parts = pair.split(",")
    try:
        lat, lon = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None, [Problem(path, _("{value} is not a lat,lon coordinate pair"),
                              {"value": pair})]
    problems = []
    if not -90 <= lat <= 90:
        problems.append(Problem(path, _("Latitude {value} is outside -90..90"), {"value": lat}))
    if not -180 <= lon <= 180:
        problems.append(Problem(path, _("Longitude {value} is outside -180..180"),
                                {"value": lon}))
    return (lat, lon), problems


def _check_polygon(text: str, path: str) -> list[Problem]:
    pairs = text.split()
    problems: list[Problem] = []
    points = []
    for pair in pairs:
        point, found = _point(pair, path)
        problems += found
        points.append(point)
    if len(pairs) < 4:
        problems.append(Problem(path, _("A polygon needs at least 4 coordinate pairs; this one "
                                        "has {count}"), {"count": len(pairs)}))
    if pairs and None not in points and points[0] != points[-1]:
        problems.append(Problem(path, _("A polygon must be closed: its first and last points "
                                        "must be equal")))
    return problems


def _check_circle(text: str, path: str) -> list[Problem]:
    parts = text.split()
    if len(parts) != 2:
        return [Problem(path, _("A circle must be 'lat,lon radius' with the radius in "
                                "kilometres; {value} is not"), {"value": text})]
    _centre, problems = _point(parts[0], path)
    try:
        radius = float(parts[1])
    except ValueError:
        radius = math.nan
    if not (math.isfinite(radius) and radius >= 0):
        problems.append(Problem(path, _("Radius {value} must be a non-negative number of "
                                        "kilometres"), {"value": parts[1]}))
    return problems


def _check_area(area: etree._Element, path: str) -> list[Problem]:
    problems = []
    for k, polygon in enumerate(_children(area, "polygon")):
        problems += _check_polygon(polygon.text or "", f"{path}/polygon[{k}]")
    for k, circle in enumerate(_children(area, "circle")):
        problems += _check_circle(circle.text or "", f"{path}/circle[{k}]")
    altitude, ceiling = _text(area, "altitude"), _text(area, "ceiling")
    if ceiling is not None and altitude is None:
        problems.append(Problem(f"{path}/ceiling", _("<ceiling> may only be used with "
                                                     "<altitude>")))
    elif ceiling is not None and altitude is not None and float(ceiling) < float(altitude):
        problems.append(Problem(f"{path}/ceiling", _("Ceiling must not be below altitude")))
    return problems


def _check_info(info: etree._Element, path: str, sent: datetime | None) -> list[Problem]:
    problems: list[Problem] = []
    times: dict[str, datetime | None] = {"sent": sent}
    for name in ("effective", "onset", "expires"):
        text = _text(info, name)
        if text is not None:
            problems += _check_datetime(text, f"{path}/{name}")
            times[name] = parse_cap_datetime(text)
    expires = times.get("expires")
    for name in ("sent", "effective", "onset"):
        other = times.get(name)
        if expires is not None and other is not None and expires <= other:
            problems.append(Problem(f"{path}/expires", _("Expires must be later than {field} "
                                                         "({value})"),
                                    {"field": name, "value": other.isoformat()}))
    for j, area in enumerate(_children(info, "area")):
        problems += _check_area(area, f"{path}/area[{j}]")
    return problems


def check_alert(root: etree._Element, *, gbt_identifier: bool = True) -> list[Problem]:
    """Every rule broken by a schema-valid ``<alert>``; GB/T identifier misses are warnings
    when ``gbt_identifier`` is False (a foreign, plain CAP 1.2 issuer)."""
    problems: list[Problem] = []
    identifier = _text(root, "identifier") or ""
    problems += _check_token(identifier, "alert/identifier")
    if identifier_problem(identifier) is not None:
        problems.append(Problem(
            "alert/identifier", _("Identifier {value} is not in the GB/T 35965.1 format "
                                  "ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N"), {"value": identifier},
            severity="error" if gbt_identifier else "warning"))
    problems += _check_token(_text(root, "sender") or "", "alert/sender")
    sent_text = _text(root, "sent") or ""
    problems += _check_datetime(sent_text, "alert/sent")
    msg_type, references = _text(root, "msgType"), _text(root, "references")
    if msg_type in _NEEDS_REFERENCES and not references:
        problems.append(Problem("alert/references", _("{msg_type} messages must list the "
                                                      "messages they refer to in <references>"),
                                {"msg_type": msg_type}))
    if references:
        problems += _check_references(references, "alert/references")
    scope = _text(root, "scope")
    if scope == "Private" and not _text(root, "addresses"):
        problems.append(Problem("alert/addresses", _("Scope Private requires <addresses>")))
    if scope == "Restricted" and not _text(root, "restriction"):
        problems.append(Problem("alert/restriction", _("Scope Restricted requires "
                                                       "<restriction>")))
    infos = _children(root, "info")
    if msg_type == "Alert" and not infos:
        problems.append(Problem("alert/info", _("An Alert message should carry at least one "
                                                "<info> block"), severity="warning"))
    sent = parse_cap_datetime(sent_text)
    for i, info in enumerate(infos):
        problems += _check_info(info, f"alert/info[{i}]", sent)
    return problems
