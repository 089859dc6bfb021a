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


P = Permission
_STAFF_READ = {P.ORG_READ, P.PERSON_READ, P.RESOURCE_READ}

# Imports need DATA_IMPORT and then pass every row through the same scoped service checks
# as a single create, so a street commander can import only into their own street.
# Health, disability, phone and identity numbers are read only by the people who visit
# and care for residents: the neighbourhood committee and grid workers, within their area.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(set(P) - {P.PERSON_READ_SENSITIVE}),
    Role.DISTRICT_COMMANDER: frozenset(
        _STAFF_READ | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE, P.RESOURCE_WRITE,
                       P.USER_MANAGE, P.DATA_EXPORT, P.DATA_IMPORT}
    ),
    Role.STREET_COMMANDER: frozenset(
        _STAFF_READ | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE, P.RESOURCE_WRITE,
                       P.USER_MANAGE, P.DATA_EXPORT, P.DATA_IMPORT}
    ),
    Role.STREET_DISPATCHER: frozenset(_STAFF_READ | {P.RESOURCE_WRITE}),
    Role.COMMUNITY_COMMITTEE: frozenset(
        _STAFF_READ | {P.AREA_WRITE, P.ORG_WRITE, P.PERSON_WRITE, P.PERSON_READ_SENSITIVE,
                       P.RESOURCE_WRITE, P.DATA_EXPORT, P.DATA_IMPORT}
    ),
    Role.GRID_WORKER: frozenset(_STAFF_READ | {P.PERSON_WRITE, P.PERSON_READ_SENSITIVE}),
    Role.VOLUNTEER: frozenset({P.ORG_READ, P.RESOURCE_READ}),
    Role.ORG_LIAISON: frozenset({P.ORG_READ, P.ORG_WRITE, P.RESOURCE_READ, P.RESOURCE_WRITE}),
    Role.RESIDENT: frozenset(),
    Role.AUDITOR: frozenset(_STAFF_READ | {P.AUDIT_READ, P.DATA_EXPORT}),
}

AREA_SCOPED = frozenset({
    Role.DISTRICT_COMMANDER, Role.STREET_COMMANDER, Role.STREET_DISPATCHER,
    Role.COMMUNITY_COMMITTEE, Role.GRID_WORKER, Role.VOLUNTEER, Role.AUDITOR,
})
