"""Sweeps against a reference model: random claims, releases, submissions, verifications and
clock jumps by several sweepers; after every step the database agrees with the model, and no
building ever has more than one live holder."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.areas import service as areas
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.clock import FixedClock
from communitas.errors import CommunitasError
from communitas.tasks import sweeps
from communitas.tasks.models import Task
from communitas.tasks.schemas import SweepCreate
from tests.actors.helpers import make_person
from tests.factories import COMMUNITY_A1, build_city

HOLD = 20
STEPS = 150


@dataclass
class Building:
    status: str = "open"
    holder: int | None = None
    until: datetime | None = None
    swept_by: int | None = None


def _expected(op: str, b: Building, me: int, now: datetime) -> bool:
    """Whether the model lets sweeper ``me`` do ``op`` now."""
    if op == "claim":
        return b.status == "open" or (b.status == "in_progress" and (
            b.holder == me or (b.until is not None and b.until <= now)))
    if op in ("release", "submit"):
        return b.status == "in_progress" and b.holder == me
    return b.status == "done" and b.swept_by != me  # verify or send back


def _apply(op: str, b: Building, me: int, now: datetime) -> None:
    if op == "claim":
        b.status, b.holder, b.until = "in_progress", me, now + timedelta(minutes=HOLD)
    elif op == "release":
        b.status, b.holder, b.until = "open", None, None
    elif op == "submit":
        b.status, b.holder, b.until, b.swept_by = "done", None, None, me
    elif op == "verify":
        b.status = "verified"
    else:  # sent back to its sweeper, held for them again
        b.status, b.holder = "in_progress", b.swept_by
        b.until = now + timedelta(minutes=HOLD)


def _run(db: Session, sweep_id: int, clock: FixedClock, op: str, task_id: int,
         who: Principal) -> bool:
    """Whether the service allowed the step (a refused step is rolled back)."""
    try:
        with db.begin_nested():
            if op == "claim":
                sweeps.claim_building(db, principal=who, sweep_id=sweep_id, task_id=task_id,
                                      clock=clock)
            elif op == "release":
                sweeps.release_building(db, principal=who, sweep_id=sweep_id,
                                        task_id=task_id, clock=clock)
            elif op == "submit":
                sweeps.submit_building(db, principal=who, sweep_id=sweep_id, task_id=task_id,
                                       clock=clock)
            else:
                sweeps.verify_building(db, principal=who, sweep_id=sweep_id, task_id=task_id,
                                       accept=op == "verify", clock=clock)
    except CommunitasError:
        return False
    return True


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sweeps_follow_the_reference_model(db: Session, seed: int) -> None:
    build_city(db)
    path = areas.get_area(db, code=COMMUNITY_A1).path
    people = [Principal(username=f"s{n}", role=Role.GRID_WORKER, user_id=100 + n,
                        scope_path=path, person_id=make_person(
                            db, f"SW-{n}", COMMUNITY_A1, PersonKind.GRID_WORKER).id)
              for n in range(3)]
    clock = FixedClock(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    sweep = sweeps.create_sweep(db, principal=SYSTEM, default_hold_minutes=HOLD, clock=clock,
                                data=SweepCreate(area_code=COMMUNITY_A1, title="Model"))
    task_ids = list(db.execute(select(Task.id).where(Task.sweep_id == sweep.id)
                               .order_by(Task.id)).scalars())
    model = {t: Building() for t in task_ids}
    rng = random.Random(seed)
    for _step in range(STEPS):
        if rng.random() < 0.15:
            clock.advance(timedelta(minutes=rng.choice((1, 5, HOLD))))
            continue
        op = rng.choice(("claim", "claim", "release", "submit", "verify", "send_back"))
        task_id, who = rng.choice(task_ids), rng.choice(people)
        assert who.person_id is not None
        expected = _expected(op, model[task_id], who.person_id, clock.now())
        assert _run(db, sweep.id, clock, op, task_id, who) == expected, (
            op, model[task_id], who.person_id)
        if expected:
            _apply(op, model[task_id], who.person_id, clock.now())
        row = db.get_one(Task, task_id)
        db.refresh(row)
        b = model[task_id]
        assert (row.status.value, row.holder_person_id, row.hold_expires_at) == (
            b.status, b.holder, b.until)
    assert any(b.status == "verified" for b in model.values())
