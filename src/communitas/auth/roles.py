"""Roles and what each may do. Pure data; the checks live in permissions.py."""

from __future__ import annotations

from enum import StrEnum

from communitas.i18n import _


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    DISTRICT_COMMANDER = "district_commander"
    STREET_COMMANDER = "street_commander"
    STREET_DISPATCHER = "street_dispatcher"
    COMMUNITY_COMMITTEE = "community_committee"
    GRID_WORKER = "grid_worker"
    VOLUNTEER = "volunteer"
    ORG_LIAISON = "org_liaison"
    RESIDENT = "resident"
    AUDITOR = "auditor"


ROLE_LABELS: dict[Role, str] = {
    Role.PLATFORM_ADMIN: _("Platform admin"),
    Role.DISTRICT_COMMANDER: _("District commander"),
    Role.STREET_COMMANDER: _("Street commander"),
    Role.STREET_DISPATCHER: _("Street dispatcher"),
    Role.COMMUNITY_COMMITTEE: _("Neighbourhood committee member"),
    Role.GRID_WORKER: _("Grid worker"),
    Role.VOLUNTEER: _("Volunteer"),
    Role.ORG_LIAISON: _("Organisation liaison"),
    Role.RESIDENT: _("Resident"),
    Role.AUDITOR: _("Auditor"),
}


class Permission(StrEnum):
    AREA_WRITE = "area.write"
    ORG_READ = "org.read"
    ORG_WRITE = "org.write"
    PERSON_READ = "person.read"
    PERSON_READ_SENSITIVE = "person.read_sensitive"
    PERSON_WRITE = "person.write"
    RESOURCE_READ = "resource.read"
    RESOURCE_WRITE = "resource.write"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    DATA_EXPORT = "data.export"
    DATA_IMPORT = "data.import"
    # Modes, triggers and response plans (modes/).
    MODE_SET = "mode.set"
    WARNING_POST = "warning.post"
    INDICATOR_POST = "indicator.post"
    PLAN_READ = "plan.read"
    PLAN_WRITE = "plan.write"
    TRIGGER_CONFIGURE = "trigger.configure"
    REQUEST_READ = "request.read"
    REQUEST_TRIAGE = "request.triage"
    REQUEST_COMMIT = "request.commit"
    # Tasks, sweeps and volunteer call-outs (tasks/).
    TASK_READ = "task.read"
    TASK_WRITE = "task.write"
    SWEEP_WORK = "sweep.work"
    CALLOUT_MANAGE = "callout.manage"
    # Notices, CAP import and delivery channels (alerts/).
    NOTICE_READ = "notice.read"
    NOTICE_COMPOSE = "notice.compose"
    NOTICE_APPROVE = "notice.approve"
    NOTICE_IMPORT = "notice.import"
    NOTICE_SUBSCRIPTIONS = "notice.subscriptions"
    # Drills and resilience assessment (drills/).
    ASSESSMENT_READ = "assessment.read"
    # Mutual aid, verified information and participation metrics (community/).
    AID_MANAGE = "aid.manage"
    CLAIM_TRIAGE = "claim.triage"
    METRICS_READ = "metrics.read"
    # Normal-time routine (routine/) and supervision of sent-down cadres (supervision/).
    ROUTINE_READ = "routine.read"
    ROUTINE_RUN = "routine.run"
    DRILL_SCHEDULE = "drill.schedule"
    SUPERVISION_READ = "supervision.read"
    SUPERVISION_ASSIGN = "supervision.assign"
    # Plan activations and their after-action reports (modes/activation*.py).
    ACTIVATION_READ = "activation.read"


P = Permission
_STAFF_READ = {P.ORG_READ, P.PERSON_READ, P.RESOURCE_READ, P.REQUEST_READ}
# Requests (docs/requests.md): grid workers and everyone above them triage (verify, reject,
# adjust, escalate) in their area; dispatchers, committees and commanders also approve and
# commit stock. A commit still needs resource.write on the holding it draws from.
_TRIAGE = {P.REQUEST_TRIAGE}
_DISPATCH = {P.REQUEST_TRIAGE, P.REQUEST_COMMIT}

# Imports need DATA_IMPORT and then pass every row through the same scoped service checks
# as a single create, so a street commander can import only into their own street.
# Health, disability, phone and identity numbers are read only by the people who visit
# and care for residents: the neighbourhood committee and grid workers, within their area.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(set(P) - {P.PERSON_READ_SENSITIVE}),
    Role.DISTRICT_COMMANDER: frozenset(
        _STAFF_READ | _DISPATCH | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE,
                                   P.RESOURCE_WRITE, P.USER_MANAGE, P.DATA_EXPORT,
                                   P.DATA_IMPORT}
    ),
    Role.STREET_COMMANDER: frozenset(
        _STAFF_READ | _DISPATCH | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE,
                                   P.RESOURCE_WRITE, P.USER_MANAGE, P.DATA_EXPORT,
                                   P.DATA_IMPORT}
    ),
    Role.STREET_DISPATCHER: frozenset(_STAFF_READ | _DISPATCH | {P.RESOURCE_WRITE}),
    Role.COMMUNITY_COMMITTEE: frozenset(
        _STAFF_READ | _DISPATCH | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE,
                                   P.PERSON_READ_SENSITIVE, P.RESOURCE_WRITE, P.DATA_EXPORT,
                                   P.DATA_IMPORT}
    ),
    Role.GRID_WORKER: frozenset(
        _STAFF_READ | _TRIAGE | {P.PERSON_WRITE, P.PERSON_READ_SENSITIVE}),
    Role.VOLUNTEER: frozenset({P.ORG_READ, P.RESOURCE_READ}),
    Role.ORG_LIAISON: frozenset({P.ORG_READ, P.ORG_WRITE, P.RESOURCE_READ, P.RESOURCE_WRITE}),
    Role.RESIDENT: frozenset(),
    Role.AUDITOR: frozenset(_STAFF_READ | {P.AUDIT_READ, P.DATA_EXPORT}),
}

# Modes and plans (modes/): commanders and committees switch modes, acknowledge warnings and
# decide proposals within their area (how high each role may go is modes/machine.py's
# ROLE_CEILING); district commanders relay warnings and keep the city's plan library; field
# staff post indicator readings; staff read plans. Trigger rules are the platform admin's.
_MODES_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: frozenset({P.MODE_SET, P.WARNING_POST, P.INDICATOR_POST,
                                        P.PLAN_READ, P.PLAN_WRITE}),
    Role.STREET_COMMANDER: frozenset({P.MODE_SET, P.INDICATOR_POST, P.PLAN_READ}),
    Role.STREET_DISPATCHER: frozenset({P.INDICATOR_POST, P.PLAN_READ}),
    Role.COMMUNITY_COMMITTEE: frozenset({P.MODE_SET, P.INDICATOR_POST, P.PLAN_READ}),
    Role.GRID_WORKER: frozenset({P.INDICATOR_POST, P.PLAN_READ}),
    Role.AUDITOR: frozenset({P.PLAN_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _MODES_GRANTS.items()})

# Tasks (tasks/): staff read the tasks of their area; commanders, dispatchers and committees
# create, assign, verify and call volunteers out; grid workers and volunteers sweep
# buildings (claim, submit, verify a colleague's building) in their area. Anyone linked to a
# person (or a liaison, for their organisation) works on the tasks assigned to them without
# any of these permissions.
_TASK_STAFF = frozenset({P.TASK_READ, P.TASK_WRITE, P.SWEEP_WORK, P.CALLOUT_MANAGE})
_TASKS_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: _TASK_STAFF,
    Role.STREET_COMMANDER: _TASK_STAFF,
    Role.STREET_DISPATCHER: _TASK_STAFF,
    Role.COMMUNITY_COMMITTEE: _TASK_STAFF,
    Role.GRID_WORKER: frozenset({P.TASK_READ, P.SWEEP_WORK}),
    Role.VOLUNTEER: frozenset({P.SWEEP_WORK}),
    Role.AUDITOR: frozenset({P.TASK_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _TASKS_GRANTS.items()})
# Notices (alerts/, docs/notices.md): committees and commanders compose and approve notices
# for their area — a public notice needs a second person to approve it (notice_service) —
# district commanders also import CAP files from other issuers and manage subscriptions
# (webhooks, e-mail, SMS); field staff and auditors read drafts and delivery status.
_NOTICE_WRITE = {P.NOTICE_READ, P.NOTICE_COMPOSE, P.NOTICE_APPROVE}
_NOTICES_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: frozenset(_NOTICE_WRITE | {P.NOTICE_IMPORT,
                                                       P.NOTICE_SUBSCRIPTIONS}),
    Role.STREET_COMMANDER: frozenset(_NOTICE_WRITE | {P.NOTICE_SUBSCRIPTIONS}),
    Role.COMMUNITY_COMMITTEE: frozenset(_NOTICE_WRITE),
    Role.STREET_DISPATCHER: frozenset({P.NOTICE_READ}),
    Role.GRID_WORKER: frozenset({P.NOTICE_READ}),
    Role.AUDITOR: frozenset({P.NOTICE_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _NOTICES_GRANTS.items()})
# Drills and assessment (drills/): staff who plan for an area read its assessment. Drills
# run from the CLI on a private copy of the data, so they need no permission yet.
_DRILLS_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: frozenset({P.ASSESSMENT_READ}),
    Role.STREET_COMMANDER: frozenset({P.ASSESSMENT_READ}),
    Role.STREET_DISPATCHER: frozenset({P.ASSESSMENT_READ}),
    Role.COMMUNITY_COMMITTEE: frozenset({P.ASSESSMENT_READ}),
    Role.AUDITOR: frozenset({P.ASSESSMENT_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _DRILLS_GRANTS.items()})

# Community (community/, docs/mutual-aid.md, docs/verified-information.md): committees and
# grid workers enrol residents who consented, confirm mutual-aid pairs and see offers and
# needs in their area (starting neighbour checks also needs task.write); committees and
# commanders triage rumours (a rebuttal is then composed as a notice, so it also needs
# notice.compose); staff and auditors read the participation metrics of their area.
_COMMUNITY_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: frozenset({P.AID_MANAGE, P.CLAIM_TRIAGE, P.METRICS_READ}),
    Role.STREET_COMMANDER: frozenset({P.AID_MANAGE, P.CLAIM_TRIAGE, P.METRICS_READ}),
    Role.STREET_DISPATCHER: frozenset({P.METRICS_READ}),
    Role.COMMUNITY_COMMITTEE: frozenset({P.AID_MANAGE, P.CLAIM_TRIAGE, P.METRICS_READ}),
    Role.GRID_WORKER: frozenset({P.AID_MANAGE}),
    Role.AUDITOR: frozenset({P.METRICS_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _COMMUNITY_GRANTS.items()})

# Routine (routine/, docs/routine.md): staff see the routine's reminders and the drill
# calendar of their area; commanders and committees put drills on the calendar; running the
# jobs by hand is the platform admin's (the scheduler runs them daily as the platform).
# Supervision (supervision/, docs/supervision.md): the street office and the district send
# cadres and party members down and supervise them; committees and auditors read the record.
_ROUTINE_STAFF = frozenset({P.ROUTINE_READ, P.DRILL_SCHEDULE})
_SUPERVISORS = frozenset({P.SUPERVISION_READ, P.SUPERVISION_ASSIGN})
_ROUTINE_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_COMMANDER: _ROUTINE_STAFF | _SUPERVISORS,
    Role.STREET_COMMANDER: _ROUTINE_STAFF | _SUPERVISORS,
    Role.COMMUNITY_COMMITTEE: _ROUTINE_STAFF | {P.SUPERVISION_READ},
    Role.STREET_DISPATCHER: frozenset({P.ROUTINE_READ}),
    Role.GRID_WORKER: frozenset({P.ROUTINE_READ}),
    Role.AUDITOR: frozenset({P.ROUTINE_READ, P.SUPERVISION_READ}),
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _ROUTINE_GRANTS.items()})

# Activations (docs/activation.md): made by mode switches, not by hand; staff who command,
# dispatch or audit in an area read its activations and after-action reports.
_ACTIVATION_GRANTS: dict[Role, frozenset[Permission]] = {
    role: frozenset({P.ACTIVATION_READ}) for role in (
        Role.DISTRICT_COMMANDER, Role.STREET_COMMANDER, Role.STREET_DISPATCHER,
        Role.COMMUNITY_COMMITTEE, Role.GRID_WORKER, Role.AUDITOR)
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra
                         for role, extra in _ACTIVATION_GRANTS.items()})

AREA_SCOPED = frozenset({
    Role.DISTRICT_COMMANDER, Role.STREET_COMMANDER, Role.STREET_DISPATCHER,
    Role.COMMUNITY_COMMITTEE, Role.GRID_WORKER, Role.VOLUNTEER, Role.AUDITOR,
})
