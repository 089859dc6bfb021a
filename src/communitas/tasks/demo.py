"""A few tasks for the demo city: a door-to-door sweep and everyday committee work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.models import Person  # read-only: pick a grid worker to assign
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.tasks import sweeps
from communitas.tasks.models import Task
from communitas.tasks.schemas import SweepCreate, TaskCreate
from communitas.tasks.service import create_tasks

__all__ = ["create_demo_tasks"]


def create_demo_tasks(session: Session, *, community: str, hold_minutes: int) -> list[Task]:
    """A sweep of ``community`` and three tasks there, one assigned to its grid worker."""
    area = session.execute(select(Area).where(Area.code == community)).scalar_one()
    low, high = area.subtree_bounds()
    worker = session.execute(
        select(Person.code).join(Area, Area.id == Person.area_id)
        .where(Person.kind == PersonKind.GRID_WORKER, Area.path >= low, Area.path < high)
        .order_by(Person.code).limit(1)).scalar_one_or_none()
    sweeps.create_sweep(session, principal=SYSTEM, default_hold_minutes=hold_minutes,
                        data=SweepCreate(area_code=community, title="上门排查：独居老人与用药需求",
                                         checklist=["逐户敲门", "登记需要帮助的住户"]))
    return create_tasks(session, principal=SYSTEM, items=[
        TaskCreate(title="检查地下车库排水泵", area_code=community, priority=2,
                   assignee_person_code=worker, checklist=["试运行水泵", "清理进水口"]),
        TaskCreate(title="清点社区应急物资库", area_code=community, priority=3,
                   checklist=["核对数量", "标记临期物资"]),
        TaskCreate(title="更新楼栋志愿者联络表", area_code=community, priority=4),
    ])
