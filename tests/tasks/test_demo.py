"""The demo city's tasks: a sweep of a community and everyday work, one task assigned."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.tasks.demo import create_demo_tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Sweep, Task
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, build_city


def test_demo_tasks_sweep_the_community_and_assign_its_grid_worker(db: Session) -> None:
    build_city(db)
    make_person(db, "GW-9", COMMUNITY_A1, PersonKind.GRID_WORKER)
    created = create_demo_tasks(db, community=COMMUNITY_A1, hold_minutes=60)
    assert [t.status for t in created] == [TaskStatus.ASSIGNED, TaskStatus.OPEN,
                                           TaskStatus.OPEN]
    sweep = db.execute(select(Sweep)).scalar_one()
    buildings = db.execute(select(Task).where(Task.sweep_id == sweep.id)).scalars().all()
    assert len(buildings) == 2 and all(b.status is TaskStatus.OPEN for b in buildings)
