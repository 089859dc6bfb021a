"""Check-on-your-neighbour tasks: one per active pair and origin, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.auth.permissions import SYSTEM, Principal
from communitas.community import neighbours
from communitas.community.checks import CheckRun, start_checks, start_checks_many
from communitas.community.models import AidRole, NeighbourCheck
from communitas.community.schemas import PairCreate
from communitas.errors import PermissionDenied
from communitas.events import Event
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task
from tests.community.helpers import (
    BUILDING_A1,
    BUILDING_A1_2,
    CLOCK,
    SECRETS,
    active_pair,
    build_world,
    counts,
    enrol,
)
from tests.factories import COMMUNITY_A1, DISTRICT
from tests.sequences import each_way


def _paired_world(db: Session) -> dict[str, Principal]:
    who = build_world(db)
    for code in ("OLD-1", "OLD-2", "OLD-B"):
        enrol(db, who["district"], code, AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    enrol(db, who["helper2"], "H-2", AidRole.HELPER)
    enrol(db, who["district"], "H-B", AidRole.HELPER)
    active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    active_pair(db, who["juwei"], who["helper2"], "OLD-2", "H-2")
    # OLD-B's pair waits for its helper's answer: no check for it yet.
    neighbours.confirm_pair(db, principal=who["district"], data=PairCreate(
        vulnerable_person_code="OLD-B", helper_person_code="H-B"))
    return who


def test_each_active_pair_gets_one_task_for_its_helper(db: Session) -> None:
    _paired_world(db)
    result = start_checks(db, area_code=DISTRICT, source_kind="activation", source_id="12",
                          clock=CLOCK)
    assert (result.created, result.already) == (2, 0)
    rows = db.execute(select(Task).where(Task.id.in_(result.task_ids))).scalars().all()
    got = {(t.status, t.priority, t.source_kind, t.source_id) for t in rows}
    assert got == {(TaskStatus.ASSIGNED, 2, "activation", "12")}
    page = tasks.list_tasks(db, principal=SYSTEM, source_kind="activation", source_id="12")
    assert {(t.assignee.code, t.area_code) for t in page.items if t.assignee} == {
        ("H-1", BUILDING_A1), ("H-2", BUILDING_A1_2)}
    assert not any(s in t.description for t in rows for s in SECRETS)


def test_starting_again_for_the_same_origin_adds_nothing(db: Session) -> None:
    _paired_world(db)
    first = start_checks(db, area_code=BUILDING_A1, source_kind="activation", source_id="12")
    assert first.created == 1
    wider = start_checks(db, area_code=COMMUNITY_A1, source_kind="activation", source_id="12")
    assert (wider.created, wider.already) == (1, 1)  # only the pair not yet checked
    before = counts(db)
    again = start_checks(db, area_code=DISTRICT, source_kind="activation", source_id="12")
    assert (again.created, again.already) == (0, 2)
    assert {k: v for k, v in counts(db).items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"}
    other = start_checks(db, area_code=DISTRICT, source_kind="activation", source_id="13")
    assert other.created == 2  # a new emergency, new checks


@pytest.mark.parametrize(("actor", "area"), [("juwei", DISTRICT), ("gw", COMMUNITY_A1),
                                             ("auditor", COMMUNITY_A1)])
def test_refused_checks_create_nothing(db: Session, actor: str, area: str) -> None:
    who = _paired_world(db)
    before = counts(db)
    with pytest.raises(PermissionDenied):
        start_checks(db, principal=who[actor], area_code=area, source_kind="manual",
                     source_id="x")
    assert counts(db) == before


def test_stand_down_closes_the_checks_of_an_origin(db: Session) -> None:
    _paired_world(db)
    start_checks(db, area_code=DISTRICT, source_kind="activation", source_id="12")
    closed = tasks.stand_down(db, principal=SYSTEM, source_kind="activation", source_id="12",
                              reason="all clear")
    assert [t.status for t in closed] == [TaskStatus.CANNOT_COMPLETE] * 2


def test_an_emergency_activation_issues_checks_and_standing_down_closes_them(
        db: Session) -> None:
    from communitas.modes import plan_service
    from communitas.modes import service as modes
    from communitas.modes.levels import Mode
    from communitas.modes.schemas import ModeSet
    from communitas.resources import service as resources

    _paired_world(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    plan_service.install_plan_library(db, principal=SYSTEM)
    modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=CLOCK,
                   data=ModeSet(level=Mode.LEVEL_II, reason="red rainstorm", hazard="rainstorm"))
    checks = list(db.execute(select(Task).where(Task.source_kind == "activation",
                                                Task.assignee_person_id.is_not(None))
                             ).scalars())
    helpers = {t.assignee_person_id for t in checks if "Check on your neighbour" in t.title}
    assert len(helpers) == 2  # H-1 and H-2, the two active pairs of A1
    modes.set_mode(db, principal=SYSTEM, code=COMMUNITY_A1, clock=CLOCK,
                   data=ModeSet(level=Mode.RECOVERY, reason="water receding"))
    statuses = {t.status for t in db.execute(select(Task).where(
        Task.source_kind == "activation")).scalars()}
    assert statuses == {TaskStatus.CANNOT_COMPLETE}


def _check_state(db: Session, since: int) -> dict[str, object]:
    db.flush()
    db.expire_all()
    task_columns = Task.__table__.columns.keys()
    return {
        "tasks": [{c: getattr(t, c) for c in task_columns}
                  for t in db.execute(select(Task).order_by(Task.id)).scalars()],
        "checks": db.execute(select(NeighbourCheck.id, NeighbourCheck.pair_id,
                                    NeighbourCheck.source_kind, NeighbourCheck.source_id,
                                    NeighbourCheck.task_id, NeighbourCheck.created_at)
                             .order_by(NeighbourCheck.id)).all(),
        # The batch appends the tasks' events first, then one per run: same events, in an
        # order of their own, so compared without their place in the chain.
        "events": sorted(db.execute(select(Event.at, Event.actor, Event.action,
                                           Event.subject_type, Event.subject_id,
                                           Event.area_code, Event.payload)
                                    .where(Event.seq > since)).all(), key=repr),
    }


def test_many_runs_at_once_equal_runs_one_by_one(db: Session) -> None:
    _paired_world(db)
    start_checks(db, area_code=BUILDING_A1, source_kind="activation", source_id="12")
    runs = [CheckRun(COMMUNITY_A1, "12"), CheckRun(DISTRICT, "13"), CheckRun(DISTRICT, "12"),
            CheckRun(BUILDING_A1_2, "13")]
    outcomes = each_way(db, (
        lambda: [start_checks(db, area_code=r.area_code, source_kind="activation",
                              source_id=r.source_id, clock=CLOCK) for r in runs],
        lambda: start_checks_many(db, runs=runs, source_kind="activation", clock=CLOCK)),
        _check_state)
    assert outcomes[0] == outcomes[1]
    assert [(s.created, s.already) for s in outcomes[1][0]] == [(1, 1), (2, 0), (0, 2), (0, 1)]


def test_many_runs_refuse_as_one_run_does(db: Session) -> None:
    who = _paired_world(db)
    before = counts(db)
    with pytest.raises(PermissionDenied):
        start_checks_many(db, principal=who["gw"], source_kind="manual",
                          runs=[CheckRun(COMMUNITY_A1, "x")])
    assert counts(db) == before
