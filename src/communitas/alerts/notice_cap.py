"""Notices as CAP 1.2 alerts and back. Pure: plain values in, models out, no database.

A notice becomes one alert with one ``info`` per language (zh-CN, then en); its areas become
one CAP ``area`` per info holding the notice's polygons and circles and a ``GB/T 2260``
geocode for each division code it names. An imported alert becomes notice fields: the zh and
en infos give the two languages (the first info stands in for a missing one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitas.alerts.area_mapping import DIVISION_VALUE_NAMES, division_prefix
from communitas.alerts.cap import Alert, Area, Circle, Info, NamedValue, Reference

__all__ = ["AreaName", "alert_fields", "format_reference", "notice_alert", "parse_reference"]

GEOCODE_NAME = "GB/T 2260"


@dataclass(frozen=True)
class AreaName:
    code: str
    name_zh: str
    name_en: str


def format_reference(sender: str, identifier: str, sent: datetime) -> list[str]:
    return [sender, identifier, sent.isoformat()]


def parse_reference(triple: Sequence[str]) -> Reference:
    return Reference(sender=triple[0], identifier=triple[1],
                     sent=datetime.fromisoformat(triple[2]))


def _cap_area(fields: dict[str, Any], names: Sequence[AreaName], zh: bool) -> Area:
    desc = ("、" if zh else ", ").join(n.name_zh if zh else n.name_en for n in names)
    geocodes = tuple(NamedValue(value_name=GEOCODE_NAME, value=code)
                     for code in fields["area_codes"] if division_prefix(code) is not None)
    polygons = tuple(tuple((float(lat), float(lon)) for lat, lon in ring)
                     for ring in fields["polygons"])
    circles = tuple(Circle(lat=c[0], lon=c[1], radius_km=c[2]) for c in fields["circles"])
    return Area(area_desc=desc or ("通知范围" if zh else "Notice area"), polygons=polygons,
                circles=circles, geocodes=geocodes)


def _info(fields: dict[str, Any], names: Sequence[AreaName], language: str) -> Info:
    zh = language.startswith("zh")
    return Info(
        language=language, categories=(fields["category"],), event=fields["hazard"],
        urgency=fields["urgency"], severity=fields["severity"], certainty=fields["certainty"],
        expires=fields["expires_at"], sender_name=fields["sender"],
        headline=fields["title_zh" if zh else "title_en"],
        description=fields["body_zh" if zh else "body_en"],
        areas=(_cap_area(fields, names, zh),))


def notice_alert(fields: dict[str, Any], names: Sequence[AreaName]) -> Alert:
    """The notice (its column values by name) as a bilingual CAP alert."""
    sent = fields["sent_at"] or fields["created_at"]
    return Alert(
        identifier=fields["identifier"], sender=fields["sender"], sent=sent,
        status=fields["status"], msg_type=fields["msg_type"], scope=fields["scope"],
        restriction="Staff and subscribers only" if fields["scope"] == "Restricted" else None,
        note=fields["note"], references=tuple(parse_reference(r) for r in fields["references"]),
        infos=(_info(fields, names, "zh-CN"), _info(fields, names, "en")))


def _pick(infos: Sequence[Info], prefix: str) -> Info:
    return next((i for i in infos if i.language.lower().startswith(prefix)), infos[0])


def _text(info: Info) -> str:
    parts = [p for p in (info.description, info.instruction) if p]
    return "\n\n".join(parts) or info.headline or info.event


def _area_codes(areas: Sequence[Area]) -> list[str]:
    codes = [g.value.strip() for a in areas for g in a.geocodes
             if re.sub(r"[\s/_-]", "", g.value_name).upper() in DIVISION_VALUE_NAMES]
    return list(dict.fromkeys(codes))


def alert_fields(alert: Alert) -> dict[str, Any]:
    """Notice column values for an imported alert (an alert without info has placeholders)."""
    infos = alert.infos or (Info(categories=("Other",), event=alert.msg_type,
                                 urgency="Unknown", severity="Unknown", certainty="Unknown"),)
    zh, en = _pick(infos, "zh"), _pick(infos, "en")
    areas = _pick(infos, "en").areas or tuple(a for i in infos for a in i.areas)
    return {
        "identifier": alert.identifier, "sender": alert.sender, "msg_type": alert.msg_type,
        "status": alert.status, "scope": alert.scope, "category": en.categories[0],
        "hazard": en.event[:64], "severity": en.severity, "urgency": en.urgency,
        "certainty": en.certainty, "title_zh": (zh.headline or zh.event)[:255],
        "title_en": (en.headline or en.event)[:255], "body_zh": _text(zh), "body_en": _text(en),
        "note": alert.note, "area_codes": _area_codes(areas),
        "polygons": [[list(p) for p in ring] for a in areas for ring in a.polygons],
        "circles": [[c.lat, c.lon, c.radius_km] for a in areas for c in a.circles],
        "references": [format_reference(r.sender, r.identifier, r.sent)
                       for r in alert.references],
        "expires_at": en.expires, "sent_at": alert.sent,
    }
