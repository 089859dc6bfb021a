"""Alerts: CAP 1.2 (OASIS) and its Chinese profile GB/T 35965.1, in and out.

The CAP codec is pure (bytes in, typed models out, and back); mapping CAP areas onto
Communitas areas is pure too (the caller passes the candidate areas). Notices, the delivery
outbox and the channels live beside it (docs/notices.md); import them from their modules.
"""

from communitas.alerts.area_mapping import area_shapes, circle_polygon, covered_areas
from communitas.alerts.cap import (
    Alert,
    Area,
    CapReading,
    Circle,
    Info,
    NamedValue,
    Reference,
    Resource,
    build_cap,
    cancel_of,
    parse_cap,
    read_cap,
    update_of,
)
from communitas.alerts.cap_rules import Problem
from communitas.alerts.identifiers import (
    GbtIdentifier,
    identifier_problem,
    issuing_unit_code,
    make_identifier,
    parse_identifier,
)

__all__ = [
    "Alert", "Area", "CapReading", "Circle", "GbtIdentifier", "Info", "NamedValue", "Problem",
    "Reference", "Resource", "area_shapes", "build_cap", "cancel_of", "circle_polygon",
    "covered_areas", "identifier_problem", "issuing_unit_code", "make_identifier", "parse_cap",
    "parse_identifier", "read_cap", "update_of",
]
