"""The one place where access is decided: role permissions plus area or organisation scope."""

from __future__ import annotations

from dataclasses import dataclass

from communitas.auth.roles import AREA_SCOPED, ROLE_PERMISSIONS, Permission, Role
from communitas.errors import PermissionDenied
from communitas.i18n import _

__all__ = ["SYSTEM", "Principal", "area_range", "can", "require"]


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, or the platform itself (CLI, demo builder)."""

    username: str
    role: Role
    user_id: int | None = None
    scope_path: str | None = None
    scope_area_code: str | None = None
    org_id: int | None = None
    person_id: int | None = None

    @property
    def actor(self) -> str:
        return f"user:{self.username}" if self.user_id is not None else self.username


SYSTEM = Principal(username="system", role=Role.PLATFORM_ADMIN, scope_path="/")


def in_area_scope(principal: Principal, area_path: str) -> bool:
    if principal.role is Role.PLATFORM_ADMIN:
        return True
    if principal.role in AREA_SCOPED and principal.scope_path:
        return area_path.startswith(principal.scope_path)
    return False


def can(
    principal: Principal,
    permission: Permission,
    *,
    area_path: str | None = None,
    org_id: int | None = None,
) -> bool:
    """True when the role grants ``permission`` and the target lies in the principal's scope.

    A target is in scope when its area lies in the principal's area subtree, or, for an
    organisation liaison, when it belongs to the liaison's own organisation.
    """
    if permission not in ROLE_PERMISSIONS[principal.role]:
        return False
    if principal.role is Role.ORG_LIAISON:
        if org_id is not None:
            return org_id == principal.org_id
        return area_path is None
    if area_path is not None:
        return in_area_scope(principal, area_path)
    return True


def require(
    principal: Principal,
    permission: Permission,
    *,
    area_path: str | None = None,
    org_id: int | None = None,
) -> None:
    """Raise PermissionDenied unless :func:`can` allows it."""
    if permission not in ROLE_PERMISSIONS[principal.role]:
        raise PermissionDenied(details={"permission": permission.value})
    if not can(principal, permission, area_path=area_path, org_id=org_id):
        raise PermissionDenied(
            _("This is outside your area or organisation"),
            code="out_of_scope",
            details={"permission": permission.value},
        )


def area_range(principal: Principal) -> tuple[str, str] | None:
    """The [low, high) path range a principal may list, or None for everywhere."""
    if principal.role is Role.PLATFORM_ADMIN:
        return None
    if principal.role in AREA_SCOPED and principal.scope_path:
        return principal.scope_path, principal.scope_path[:-1] + "0"
    return ("", "")  # an empty range: nothing by area
