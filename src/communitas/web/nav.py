"""The menu and each role's home page.

Other domains add their pages here: append a :class:`NavItem` to ``NAV`` (tasks, alerts,
drills …) from their own web module, and the menu shows it to the roles that hold its
permission. Nothing else in the web package needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitas.auth.permissions import Principal
from communitas.auth.roles import ROLE_PERMISSIONS, Permission, Role
from communitas.i18n import _

__all__ = ["HOME", "NAV", "NavItem", "home_for", "nav_for"]


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # an English msgid
    permission: Permission | None  # None: every signed-in account
    roles: frozenset[Role] | None = None  # None: every role holding the permission


NAV: list[NavItem] = [
    NavItem("/map", _("Situation map"), Permission.REQUEST_READ),
    NavItem("/queue", _("Request queue"), Permission.REQUEST_READ),
    NavItem("/resources", _("Resources"), Permission.RESOURCE_READ),
    NavItem("/modes", _("Modes"), Permission.PLAN_READ),
    NavItem("/plans", _("Plans"), Permission.PLAN_READ),
    NavItem("/my", _("My requests"), None, frozenset({Role.RESIDENT})),
]

# Where each role lands after sign-in.
HOME: dict[Role, str] = {
    Role.PLATFORM_ADMIN: "/map",
    Role.DISTRICT_COMMANDER: "/map",
    Role.STREET_COMMANDER: "/map",
    Role.AUDITOR: "/map",
    Role.STREET_DISPATCHER: "/queue",
    Role.COMMUNITY_COMMITTEE: "/queue",
    Role.GRID_WORKER: "/queue",
    Role.VOLUNTEER: "/resources",
    Role.ORG_LIAISON: "/resources",
    Role.RESIDENT: "/my",
}


def home_for(principal: Principal) -> str:
    return HOME.get(principal.role, "/")


def nav_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    granted = ROLE_PERMISSIONS[principal.role]
    return [item for item in NAV
            if (item.roles is None or principal.role in item.roles)
            and (item.permission is None or item.permission in granted)]
