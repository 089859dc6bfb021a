"""CAP 1.2 codec: untrusted XML in, typed models out, and back (no I/O, no database).

``parse_cap`` refuses hostile XML (``hostile_xml``), then checks the vendored OASIS schema and
the rules of :mod:`communitas.alerts.cap_rules` (``invalid_cap``, each problem naming its
element). ``build_cap`` writes a model and checks its own output the same way, so nothing
invalid leaves the platform. Signatures (``ds:Signature``) are not kept.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedElementTree
from lxml import etree
from pydantic import BaseModel, ConfigDict

from communitas.alerts.cap_rules import CAP_NS, Problem, check_alert, parse_cap_datetime
from communitas.errors import ValidationFailed
from communitas.i18n import _, translate

__all__ = [
    "Alert", "Area", "CapReading", "Category", "Certainty", "Circle", "Info", "MsgType",
    "NamedValue", "Reference", "Resource", "ResponseType", "Scope", "Severity", "Status",
    "Urgency", "build_cap", "cancel_of", "parse_cap", "read_cap", "update_of",
]

MAX_CAP_BYTES = 2_000_000
SCHEMA_PATH = Path(__file__).parent / "schema" / "CAP-v1.2.xsd"
_XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
_REPEATED = {"code", "info", "category", "responseType", "eventCode", "parameter", "resource",
             "area", "polygon", "circle", "geocode"}
_EXPECTED_ONE = re.compile(r"Expected is \( (\w+) \)")
_RESOURCE_TAGS = (("resource_desc", "resourceDesc"), ("mime_type", "mimeType"), ("size", "size"),
                  ("uri", "uri"), ("deref_uri", "derefUri"), ("digest", "digest"))

Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
MsgType = Literal["Alert", "Update", "Cancel", "Ack", "Error"]
Scope = Literal["Public", "Restricted", "Private"]
Category = Literal["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                   "Transport", "Infra", "CBRNE", "Other"]
ResponseType = Literal["Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess",
                       "AllClear", "None"]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class NamedValue(_Model):
    """A ``valueName``/``value`` pair: geocode, eventCode or parameter."""

    value_name: str
    value: str


class Reference(_Model):
    """One earlier message, as ``sender,identifier,sent`` in ``<references>``."""

    sender: str
    identifier: str
    sent: datetime


class Circle(_Model):
    lat: float
    lon: float
    radius_km: float


class Area(_Model):
    """Polygons are rings of (lat, lon) pairs, first pair repeated last, as CAP writes them."""

    area_desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[NamedValue, ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


class Resource(_Model):
    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


class Info(_Model):
    """One language's view of the alert; a bilingual alert has a zh-CN and an en info."""

    language: str = "en-US"
    categories: tuple[Category, ...]
    event: str
    response_types: tuple[ResponseType, ...] = ()
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    audience: str | None = None
    event_codes: tuple[NamedValue, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[NamedValue, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()


class Alert(_Model):
    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    source: str | None = None
    scope: Scope
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: str | None = None
    infos: tuple[Info, ...] = ()

    @property
    def all_areas(self) -> tuple[Area, ...]:
        return tuple(area for info in self.infos for area in info.areas)


@dataclass(frozen=True)
class CapReading:
    """A valid alert and the warnings (advice, not errors) found while reading it."""

    alert: Alert
    warnings: list[Problem]


# --- reading ------------------------------------------------------------------------------

class _RefuseResolver(etree.Resolver):
    """Resolve every external reference to nothing, so no file or URL is ever read."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        return self.resolve_string("", context)


def _hardened_parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False)
    parser.resolvers.add(_RefuseResolver())
    return parser


def _hostile(reason: str) -> ValidationFailed:
    return ValidationFailed(_("The XML was refused as unsafe: {reason}"), code="hostile_xml",
                            reason=reason, details=[{"element": "(document)", "message": reason}])


def _invalid(problems: list[Problem]) -> ValidationFailed:
    details = [{**p.detail(), "message_zh": translate(p.msgid, "zh_CN", **p.params)}
               for p in problems]
    return ValidationFailed(_("The CAP message is not valid; problems found: {count}"),
                            code="invalid_cap", count=len(problems), details=details)


def _load(xml: bytes) -> etree._Element:
    """Parse untrusted bytes, refusing DTDs, entities, XInclude and oversized documents."""
    if len(xml) > MAX_CAP_BYTES:
        raise _hostile(f"larger than {MAX_CAP_BYTES} bytes")
    try:  # expat via defusedxml refuses any DOCTYPE before a single entity is expanded
        DefusedElementTree.fromstring(xml, forbid_dtd=True, forbid_entities=True,
                                      forbid_external=True)
    except DefusedXmlException as exc:
        raise _hostile(f"{type(exc).__name__}: DOCTYPE and ENTITY declarations are "
                       "not accepted") from exc
    except DefusedElementTree.ParseError as exc:
        raise _invalid([Problem("(document)", _("Not well-formed XML: {reason}"),
                                {"reason": str(exc)})]) from exc
    try:
        root = etree.fromstring(xml, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise _invalid([Problem("(document)", _("Not well-formed XML: {reason}"),
                                {"reason": str(exc)})]) from exc
    if any(etree.QName(el).namespace in _XINCLUDE for el in root.iter(etree.Element)):
        raise _hostile("XInclude is not accepted")
    return root


_per_thread = threading.local()


def _schema() -> etree.XMLSchema:
    """The vendored schema; one validator per thread, as lxml validators keep their error log."""
    schema: etree.XMLSchema | None = getattr(_per_thread, "schema", None)
    if schema is None:
        schema = etree.XMLSchema(etree.fromstring(_schema_bytes(), _hardened_parser()))
        _per_thread.schema = schema
    return schema


@lru_cache(maxsize=1)
def _schema_bytes() -> bytes:
    return SCHEMA_PATH.read_bytes()


def _element_path(element: etree._Element) -> str:
    steps = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        if name in _REPEATED and node.getparent() is not None:
            parent = node.getparent()
            assert parent is not None
            index = parent.findall(node.tag).index(node)
            name = f"{name}[{index}]"
        steps.append(name)
        node = node.getparent()
    return "/".join(reversed(steps))


def _schema_problems(root: etree._Element) -> list[Problem]:
    schema = _schema()
    if schema.validate(root):
        return []
    problems = []
    for error in schema.error_log:
        found = root.getroottree().xpath(error.path) if error.path else []
        where = _element_path(found[0]) if isinstance(found, list) and found else "alert"
        reason = error.message.replace(f"{{{CAP_NS}}}", "")
        missing = _EXPECTED_ONE.search(reason)
        if missing:  # name the element that is missing, not the one found in its place
            parent = where if "Missing child" in reason else where.rpartition("/")[0]
            where = f"{parent}/{missing[1]}"
        problems.append(Problem(where, _("Not valid against the CAP 1.2 schema: {reason}"),
                                {"reason": reason}))
    return problems


def _validate(root: etree._Element, *, gbt_identifier: bool) -> list[Problem]:
    """Warnings of a valid tree; raise ``invalid_cap`` with every error otherwise."""
    problems = _schema_problems(root) or check_alert(root, gbt_identifier=gbt_identifier)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise _invalid(errors)
    return problems


def read_cap(xml: bytes, *, gbt_identifier: bool = True) -> CapReading:
    """Parse and validate untrusted CAP 1.2 XML; the alert and any warnings."""
    root = _load(xml)
    warnings = _validate(root, gbt_identifier=gbt_identifier)
    try:
        alert = _to_alert(root)
    except ValueError as exc:  # a gap in the rules; refuse rather than guess
        raise _invalid([Problem("alert", _("Not valid against the CAP 1.2 schema: {reason}"),
                                {"reason": str(exc)})]) from exc
    return CapReading(alert=alert, warnings=warnings)


def parse_cap(xml: bytes, *, gbt_identifier: bool = True) -> Alert:
    """Parse and validate untrusted CAP 1.2 XML into an :class:`Alert`."""
    return read_cap(xml, gbt_identifier=gbt_identifier).alert


def _q(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


def _text(el: etree._Element, name: str) -> str | None:
    child = el.find(_q(name))
    return None if child is None else (child.text or "").strip()


def _texts(el: etree._Element, name: str) -> list[str]:
    return [(child.text or "").strip() for child in el.findall(_q(name))]


def _when(el: etree._Element, name: str) -> datetime | None:
    text = _text(el, name)
    return None if text is None else parse_cap_datetime(text)


def _pairs(el: etree._Element, name: str) -> tuple[NamedValue, ...]:
    return tuple(NamedValue(value_name=_text(c, "valueName") or "", value=_text(c, "value") or "")
                 for c in el.findall(_q(name)))


def _number(text: str | None) -> float | None:
    return None if text is None else float(text)


def _to_area(el: etree._Element) -> Area:
    polygons = tuple(tuple((float(lat), float(lon)) for lat, lon in
                           (pair.split(",") for pair in text.split()))
                     for text in _texts(el, "polygon"))
    circles = []
    for text in _texts(el, "circle"):
        centre, radius = text.split()
        lat, lon = centre.split(",")
        circles.append(Circle(lat=float(lat), lon=float(lon), radius_km=float(radius)))
    return Area(area_desc=_text(el, "areaDesc") or "", polygons=polygons, circles=tuple(circles),
                geocodes=_pairs(el, "geocode"), altitude=_number(_text(el, "altitude")),
                ceiling=_number(_text(el, "ceiling")))


def _to_info(el: etree._Element) -> Info:
    singles = {name: _text(el, tag) for name, tag in (
        ("event", "event"), ("urgency", "urgency"), ("severity", "severity"),
        ("certainty", "certainty"), ("audience", "audience"), ("sender_name", "senderName"),
        ("headline", "headline"), ("description", "description"),
        ("instruction", "instruction"), ("web", "web"), ("contact", "contact"))}
    resources = [{name: _text(r, tag) for name, tag in _RESOURCE_TAGS}
                 for r in el.findall(_q("resource"))]
    return Info.model_validate({
        **singles, "language": _text(el, "language") or "en-US",
        "categories": _texts(el, "category"), "response_types": _texts(el, "responseType"),
        "event_codes": _pairs(el, "eventCode"), "effective": _when(el, "effective"),
        "onset": _when(el, "onset"), "expires": _when(el, "expires"),
        "parameters": _pairs(el, "parameter"), "resources": resources,
        "areas": [_to_area(a) for a in el.findall(_q("area"))],
    })


def _to_alert(root: etree._Element) -> Alert:
    references = []
    for triple in (_text(root, "references") or "").split():
        sender, identifier, sent = triple.split(",")
        references.append(Reference(sender=sender, identifier=identifier,
                                    sent=datetime.fromisoformat(sent)))
    singles = {name: _text(root, tag) for name, tag in (
        ("identifier", "identifier"), ("sender", "sender"), ("sent", "sent"),
        ("status", "status"), ("msg_type", "msgType"), ("source", "source"), ("scope", "scope"),
        ("restriction", "restriction"), ("addresses", "addresses"), ("note", "note"),
        ("incidents", "incidents"))}
    return Alert.model_validate({
        **singles, "codes": _texts(root, "code"), "references": references,
        "infos": [_to_info(i) for i in root.findall(_q("info"))],
    })


# --- writing ------------------------------------------------------------------------------

def _format_when(value: datetime) -> str:
    """CAP date-time: seconds and an explicit offset, UTC written ``-00:00`` (CAP 1.2 3.3.2)."""
    text = value.isoformat(timespec="seconds")
    return text[:-6] + "-00:00" if value.utcoffset() == timedelta(0) else text


def _format_number(value: float) -> str:
    return format(Decimal(repr(value)), "f")


def _add(parent: etree._Element, name: str, value: str | float | datetime | None) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        text = _format_when(value)
    elif isinstance(value, float):
        text = _format_number(value)
    else:
        text = str(value)
    etree.SubElement(parent, _q(name)).text = text


def _add_pairs(parent: etree._Element, name: str, pairs: tuple[NamedValue, ...]) -> None:
    for pair in pairs:
        element = etree.SubElement(parent, _q(name))
        _add(element, "valueName", pair.value_name)
        _add(element, "value", pair.value)


def _add_area(parent: etree._Element, area: Area) -> None:
    element = etree.SubElement(parent, _q("area"))
    _add(element, "areaDesc", area.area_desc)
    for ring in area.polygons:
        _add(element, "polygon", " ".join(
            f"{_format_number(lat)},{_format_number(lon)}" for lat, lon in ring))
    for circle in area.circles:
        _add(element, "circle", f"{_format_number(circle.lat)},{_format_number(circle.lon)} "
                                f"{_format_number(circle.radius_km)}")
    _add_pairs(element, "geocode", area.geocodes)
    _add(element, "altitude", area.altitude)
    _add(element, "ceiling", area.ceiling)


def _add_info(parent: etree._Element, info: Info) -> None:
    element = etree.SubElement(parent, _q("info"))
    _add(element, "language", info.language)
    for category in info.categories:
        _add(element, "category", category)
    _add(element, "event", info.event)
    for response in info.response_types:
        _add(element, "responseType", response)
    for name in ("urgency", "severity", "certainty", "audience"):
        _add(element, name, getattr(info, name))
    _add_pairs(element, "eventCode", info.event_codes)
    for name in ("effective", "onset", "expires", "sender_name", "headline", "description",
                 "instruction", "web", "contact"):
        _add(element, "senderName" if name == "sender_name" else name, getattr(info, name))
    _add_pairs(element, "parameter", info.parameters)
    for resource in info.resources:
        res = etree.SubElement(element, _q("resource"))
        for name, tag in _RESOURCE_TAGS:
            _add(res, tag, getattr(resource, name))
    for area in info.areas:
        _add_area(element, area)


def build_cap(alert: Alert, *, gbt_identifier: bool = True) -> bytes:
    """The alert as CAP 1.2 XML (UTF-8); raise ``invalid_cap`` if it would not validate."""
    root = etree.Element(_q("alert"), nsmap={None: CAP_NS})
    for name in ("identifier", "sender", "sent", "status", "msg_type", "source", "scope",
                 "restriction", "addresses"):
        _add(root, "msgType" if name == "msg_type" else name, getattr(alert, name))
    for code in alert.codes:
        _add(root, "code", code)
    _add(root, "note", alert.note)
    if alert.references:
        _add(root, "references", " ".join(
            f"{r.sender},{r.identifier},{_format_when(r.sent)}" for r in alert.references))
    _add(root, "incidents", alert.incidents)
    for info in alert.infos:
        _add_info(root, info)
    _validate(root, gbt_identifier=gbt_identifier)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _follow_up(alert: Alert, msg_type: MsgType, identifier: str, sent: datetime,
               infos: tuple[Info, ...] | None, note: str | None) -> Alert:
    earlier = Reference(sender=alert.sender, identifier=alert.identifier, sent=alert.sent)
    references = tuple(dict.fromkeys((*alert.references, earlier)))
    return alert.model_copy(update={
        "identifier": identifier, "sent": sent, "msg_type": msg_type, "references": references,
        "note": note, "infos": alert.infos if infos is None else infos,
    })


def update_of(alert: Alert, *, identifier: str, sent: datetime,
              infos: tuple[Info, ...] | None = None, note: str | None = None) -> Alert:
    """An Update superseding ``alert``; it references ``alert`` and everything ``alert`` did."""
    return _follow_up(alert, "Update", identifier, sent, infos, note)


def cancel_of(alert: Alert, *, identifier: str, sent: datetime,
              infos: tuple[Info, ...] | None = None, note: str | None = None) -> Alert:
    """A Cancel of ``alert`` (and of the messages it referenced), keeping its infos by default."""
    return _follow_up(alert, "Cancel", identifier, sent, infos, note)
