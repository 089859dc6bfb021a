"""Reading activations: one with its roles and items, or a page of them, within scope."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.models import Area
from communitas.auth.permissions import Principal, area_range, require
from communitas.auth.roles import Permission
from communitas.errors import NotFound
from communitas.i18n import _
from communitas.modes.activation_models import (
    Activation,
    ActivationItem,
    ActivationRole,
    ActivationStatus,
)
from communitas.modes.activation_schemas import (
    ActivationDetail,
    ActivationItemRead,
    ActivationRead,
    ActivationRoleRead,
)
from communitas.pagination import paginate
from communitas.schemas import Page

__all__ = ["get_activation", "latest_by_area", "list_activations", "newest_id"]


def _get(session: Session, activation_id: int) -> Activation:
    row = session.get(Activation, activation_id)
    if row is None:
        raise NotFound(_("Unknown activation {value}"), code="unknown_activation",
                       value=str(activation_id))
    return row


def get_activation(session: Session, *, principal: Principal,
                   activation_id: int) -> ActivationDetail:
    """One activation with its roles and what it issued, for staff of its area."""
    row = _get(session, activation_id)
    area = areas.get_area_by_id(session, area_id=row.area_id)
    require(principal, Permission.ACTIVATION_READ, area_path=area.path)
    roles = session.execute(select(ActivationRole).where(
        ActivationRole.activation_id == row.id).order_by(ActivationRole.id)).scalars()
    items = session.execute(select(ActivationItem).where(
        ActivationItem.activation_id == row.id).order_by(ActivationItem.id)).scalars()
    return ActivationDetail.model_validate({
        **ActivationRead.model_validate(row).model_dump(),
        "roles": [ActivationRoleRead.model_validate(r) for r in roles],
        "items": [ActivationItemRead.model_validate(i) for i in items]})


def list_activations(
    session: Session, *, principal: Principal, status: ActivationStatus | None = None,
    within: str | None = None, page: int = 1, page_size: int = 50,
) -> Page[ActivationRead]:
    """Activations of areas in the principal's scope, newest first."""
    require(principal, Permission.ACTIVATION_READ)
    query = (select(Activation).join(Area, Area.id == Activation.area_id)
             .order_by(Activation.id.desc()))
    scope = area_range(principal)
    if scope is not None:
        query = query.where(Area.path >= scope[0], Area.path < scope[1])
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        query = query.where(Area.path >= low, Area.path < high)
    if status is not None:
        query = query.where(Activation.status == status)
    rows, total = paginate(session, query, page=page, page_size=page_size)
    return Page(items=[ActivationRead.model_validate(r) for r in rows], total=total,
                page=page, page_size=page_size)


def newest_id(session: Session) -> int:
    """The id of the newest activation (0 when none): what a switch starts comes after it."""
    return int(session.execute(select(func.max(Activation.id))).scalar_one() or 0)


def latest_by_area(session: Session, *, principal: Principal, within: str | None = None,
                   after_id: int = 0) -> dict[str, ActivationRead]:
    """The newest activation of each area in scope (and in ``within``), by area code;
    ``after_id`` keeps only those newer than that id (what one switch started)."""
    require(principal, Permission.ACTIVATION_READ)
    newest = (select(func.max(Activation.id)).join(Area, Area.id == Activation.area_id)
              .where(Activation.id > after_id).group_by(Activation.area_id))
    scope = area_range(principal)
    if scope is not None:
        newest = newest.where(Area.path >= scope[0], Area.path < scope[1])
    if within is not None:
        low, high = areas.get_area(session, code=within).subtree_bounds()
        newest = newest.where(Area.path >= low, Area.path < high)
    rows = session.execute(select(Activation).where(Activation.id.in_(newest))).scalars()
    return {r.area_code: ActivationRead.model_validate(r) for r in rows}
