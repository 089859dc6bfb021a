"""Words the mutual-aid, offer-help and rumour pages show for the community domain's codes."""

from __future__ import annotations

from communitas.i18n import _

AID_ROLE: dict[str, str] = {
    "vulnerable": _("Wants to be checked on"),
    "helper": _("Helper"),
}

PAIR_STATUS: dict[str, str] = {
    "awaiting_helper": _("Waiting for the helper's answer"),
    "active": _("Active"),
    "declined": _("Declined by the helper"),
    "ended": _("Ended"),
}

BASIS: dict[str, str] = {
    "building": _("Same building"),
    "grid": _("Same grid"),
    "community": _("Same community"),
}

CONSENT_BASIS: dict[str, str] = {
    "self": _("Given by the resident"),
    "on_behalf": _("Recorded by staff"),
}

DIRECTION: dict[str, str] = {
    "offer": _("I can offer"),
    "need": _("I need"),
}

DIRECTION_SHORT: dict[str, str] = {
    "offer": _("Offer"),
    "need": _("Need"),
}

POST_KIND: dict[str, str] = {
    "vehicle": _("A car or a lift"),
    "generator": _("A generator or power"),
    "first_aid": _("First aid"),
    "food": _("Food"),
    "water": _("Water"),
    "medicine_run": _("Fetching medicine"),
    "shelter": _("A place to stay"),
    "childcare": _("Looking after children"),
    "other": _("Something else"),
}

POST_STATUS: dict[str, str] = {
    "open": _("Waiting for a match"),
    "matched": _("Matched"),
    "closed": _("Withdrawn"),
}

MATCH_STATUS: dict[str, str] = {
    "proposed": _("Proposed"),
    "accepted": _("Both accepted"),
    "declined": _("Declined"),
}

CLAIM_STATUS: dict[str, str] = {
    "open": _("Waiting for triage"),
    "verified": _("Verified: true"),
    "rebutted": _("Rebutted: false"),
    "ignored": _("Ignored"),
}

VERDICT: dict[str, str] = {
    "verify": _("Verify (it is true)"),
    "rebut": _("Rebut (it is false)"),
    "ignore": _("Ignore (noise)"),
}
