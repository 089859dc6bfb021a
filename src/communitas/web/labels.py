"""Words the pages show for the domain's codes (statuses, levels, history steps)."""

from __future__ import annotations

from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.routing import Level
from communitas.i18n import _

S = RequestStatus

STATUS: dict[str, str] = {
    S.SUBMITTED: _("Received, not yet checked"),
    S.VERIFIED: _("Checked"),
    S.APPROVED: _("Approved"),
    S.COMMITTED: _("Supplies set aside"),
    S.IN_TRANSIT: _("On the way"),
    S.DELIVERED: _("Delivered"),
    S.CONFIRMED: _("Receipt confirmed"),
    S.REJECTED: _("Rejected"),
    S.DECLINED: _("Declined"),
    S.CANCELLED: _("Cancelled"),
    S.EXPIRED: _("Expired unchecked"),
    S.MERGED: _("Merged into another request"),
}

# The steps a resident sees on the way to delivery.
PROGRESS = (S.SUBMITTED, S.VERIFIED, S.APPROVED, S.COMMITTED, S.IN_TRANSIT, S.DELIVERED,
            S.CONFIRMED)

LEVEL: dict[str, str] = {
    Level.COMMUNITY: _("Community"),
    Level.STREET: _("Street"),
    Level.DISTRICT: _("District"),
    Level.OUTSIDE: _("Outside support"),
}

PRIORITY: dict[int, str] = {
    1: _("1 – life-threatening"),
    2: _("2 – urgent"),
    3: _("3 – routine"),
    4: _("4 – low"),
}

VULNERABILITY: dict[str, str] = {
    "aged_65": _("Aged 65 or over"),
    "aged_80": _("Aged 80 or over"),
    "living_alone": _("Living alone"),
    "disabled": _("Disabled"),
    "infants": _("Infants"),
    "chronically_ill": _("Chronically ill"),
    "pregnant": _("Pregnant"),
    "medical_dependency": _("Depends on a medical device"),
}

HISTORY: dict[str, str] = {
    "request.submitted": _("Request received"),
    "request.queued": _("Placed in a queue"),
    "request.verified": _("Checked by staff"),
    "request.rejected": _("Rejected"),
    "request.approved": _("Approved"),
    "request.declined": _("Declined"),
    "request.cancelled": _("Cancelled"),
    "request.adjusted": _("Adjusted"),
    "request.escalated": _("Escalated"),
    "request.expired": _("Expired"),
    "request.merged": _("Merged"),
    "request.duplicate_merged": _("A duplicate was merged in"),
    "request.committed": _("Supplies set aside"),
    "request.shipped": _("Shipped"),
    "request.delivered": _("Delivered"),
    "request.returned": _("Returned to stock"),
    "request.confirmed": _("Receipt confirmed"),
    "request.rated": _("Rated"),
}

BY: dict[str, str] = {
    "requester": _("the requester"),
    "staff": _("staff"),
    "system": _("the system"),
}

SHIPMENT: dict[str, str] = {
    "committed": _("Set aside"),
    "in_transit": _("On the way"),
    "delivered": _("Delivered"),
    "returned": _("Returned"),
}

CONDITION: dict[str, str] = {
    "good": _("Good"),
    "damaged": _("Damaged"),
    "expired": _("Expired"),
}

PERIOD: dict[str, str] = {"hour": _("per hour"), "day": _("per day")}

HAZARD: dict[str, str] = {
    "flood": _("Flood"),
    "high_rise_fire": _("High-rise fire"),
    "earthquake": _("Earthquake"),
    "epidemic": _("Epidemic"),
    "typhoon": _("Typhoon"),
    "heat_wave": _("Heat wave"),
    "gas_leak": _("Gas leak"),
}

AREA_KIND: dict[str, str] = {
    "city": _("City"),
    "district": _("District"),
    "street": _("Street"),
    "community": _("Community"),
    "grid": _("Grid"),
    "building": _("Building"),
}
