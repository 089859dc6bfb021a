"""Words the task, sweep, call-out and notice pages show for their codes."""

from __future__ import annotations

from communitas.i18n import _

TASK_STATUS: dict[str, str] = {
    "open": _("Open"),
    "assigned": _("Assigned"),
    "accepted": _("Accepted"),
    "in_progress": _("In progress"),
    "done": _("Done, awaiting verification"),
    "verified": _("Verified"),
    "cannot_complete": _("Cannot complete"),
}

TASK_ACTION: dict[str, str] = {
    "assign": _("Assign"),
    "unassign": _("Unassign"),
    "accept": _("Accept"),
    "decline": _("Decline"),
    "start": _("Start"),
    "complete": _("Complete"),
    "verify": _("Verify"),
    "reject": _("Send back"),
    "cannot_complete": _("Cannot complete"),
    "reopen": _("Reopen"),
}

ASSIGNEE_KIND: dict[str, str] = {
    "person": _("Person"),
    "organisation": _("Organisation"),
    "team": _("Team"),
}

INVITATION: dict[str, str] = {
    "invited": _("Invited, no answer yet"),
    "assigned": _("Accepted, placed"),
    "standby": _("Accepted, standing by"),
    "declined": _("Declined"),
}

NOTICE_STATE: dict[str, str] = {
    "draft": _("Draft, awaiting approval"),
    "approved": _("Approved, not sent"),
    "sent": _("Sent"),
    "received": _("Received from another issuer"),
    "superseded": _("Superseded by an update"),
    "cancelled": _("Cancelled"),
}

MSG_TYPE: dict[str, str] = {
    "Alert": _("Notice"),
    "Update": _("Update"),
    "Cancel": _("Cancellation"),
}

SEVERITY: dict[str, str] = {
    "Extreme": _("Extreme"),
    "Severe": _("Severe"),
    "Moderate": _("Moderate"),
    "Minor": _("Minor"),
    "Unknown": _("Unknown"),
}

URGENCY: dict[str, str] = {
    "Immediate": _("Immediate"),
    "Expected": _("Expected"),
    "Future": _("Future"),
    "Past": _("Past"),
    "Unknown": _("Unknown"),
}

CERTAINTY: dict[str, str] = {
    "Observed": _("Observed"),
    "Likely": _("Likely"),
    "Possible": _("Possible"),
    "Unlikely": _("Unlikely"),
    "Unknown": _("Unknown"),
}

NOTICE_STATUS: dict[str, str] = {
    "Actual": _("Actual"),
    "Exercise": _("Exercise"),
    "Test": _("Test"),
}

NOTICE_SCOPE: dict[str, str] = {
    "Public": _("Public (residents)"),
    "Restricted": _("Restricted (staff and subscribers)"),
}

CATEGORY: dict[str, str] = {
    "Met": _("Weather"),
    "Geo": _("Geological"),
    "Safety": _("Public safety"),
    "Security": _("Security"),
    "Rescue": _("Rescue"),
    "Fire": _("Fire"),
    "Health": _("Health"),
    "Env": _("Environment"),
    "Transport": _("Transport"),
    "Infra": _("Utilities and infrastructure"),
    "CBRNE": _("Chemical, biological, radiological"),
    "Other": _("Other"),
}

CHANNEL: dict[str, str] = {
    "in_app": _("In-app feed"),
    "webhook": _("Webhook"),
    "email": _("E-mail"),
    "sms": _("SMS"),
}

DELIVERY: dict[str, str] = {
    "pending": _("Waiting"),
    "claimed": _("Being delivered"),
    "sending": _("Sending"),
    "delivered": _("Delivered"),
    "dead": _("Gave up"),
}
