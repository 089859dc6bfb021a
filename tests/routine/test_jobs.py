"""The daily jobs on hand-built data: each issues what is due once per period, to the right
holder, and a second run the same day issues nothing."""

from __future__ import annotations

import math
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import PersonKind
from communitas.actors.schemas import QualificationIn
from communitas.auth.permissions import SYSTEM
from communitas.events import Event
from communitas.resources import service as resources
from communitas.resources.models import HoldingCondition
from communitas.resources.reserves import reserve_gaps
from communitas.resources.schemas import HoldingUpdate
from communitas.routine import drills, jobs
from communitas.routine.schemas import DrillCancel, DrillCreate
from communitas.tasks import service as tasks
from communitas.tasks.models import ChecklistItem
from tests.actors.helpers import make_person
from tests.factories import CITY, COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A
from tests.resources.helpers import BUILDING_A1, COMMITTEE_A1, STREET_OFFICE_A, build_world, stock
from tests.routine.helpers import START, clock, counts, routine_tasks

ON = date(2026, 6, 1)


def test_top_ups_follow_the_gaps_once_a_month(db: Session) -> None:
    build_world(db)
    stock(db, "water.bottled", COMMITTEE_A1, COMMUNITY_A1, 500)
    timer = clock()
    gaps = [g for g in reserve_gaps(db, principal=SYSTEM, within=CITY, on=ON) if g.gap > 0]
    short = {g.community_code for g in gaps}
    issued = jobs.top_up_reserves(db, clock=timer)
    assert len(issued) == len(short) == 3
    assert len(routine_tasks(db, "routine_topup")) == 3
    a1 = next(t for t in routine_tasks(db, "routine_topup") if t.area_id == issued[0].area_id)
    assert a1.assignee_org_id is not None  # the committee of A1 keeps its stockroom
    water = next(g for g in gaps if g.community_code == COMMUNITY_A1
                 and g.resource_type_code == "water.bottled")
    items = list(db.execute(select(ChecklistItem.text).where(
        ChecklistItem.task_id == a1.id)).scalars())
    assert f"water.bottled +{math.ceil(water.gap)} box" in items
    assert a1.due_at == START + timedelta(days=14)
    open_tasks = [t for t in routine_tasks(db, "routine_topup") if t.assignee_org_id is None]
    assert len(open_tasks) == 1  # A2 has no committee organisation: open, for its staff
    before = counts(db)
    assert jobs.top_up_reserves(db, clock=timer) == []
    timer.advance(timedelta(days=20))  # still June
    assert jobs.top_up_reserves(db, clock=timer) == []
    assert counts(db) == before
    timer.advance(timedelta(days=15))  # July: a new period, but June's tasks are still open
    assert jobs.top_up_reserves(db, clock=timer) == []
    tasks.stand_down(db, principal=SYSTEM, source_kind="routine_topup", source_id="2026-06",
                     reason="bought in bulk", clock=timer)  # closes them as cannot_complete
    assert len(jobs.top_up_reserves(db, clock=timer)) == 3
    assert jobs.top_up_reserves(db, clock=timer) == []


def test_a_community_whose_reserve_is_full_gets_no_top_up(db: Session) -> None:
    build_world(db)
    for gap in reserve_gaps(db, principal=SYSTEM, within=COMMUNITY_A1, on=ON):
        stock(db, gap.resource_type_code, COMMITTEE_A1, COMMUNITY_A1, gap.required)
    issued = jobs.top_up_reserves(db, clock=clock())
    assert {i.area_id for i in issued} and len(issued) == 2  # A2 and B1 only
    assert all(t.source_id == "2026-06" for t in routine_tasks(db, "routine_topup"))


def test_stock_expiring_soon_gets_one_rotation_task_for_its_holder(db: Session) -> None:
    build_world(db)
    soon = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 40,
                 expires_on=ON + timedelta(days=10))
    later = stock(db, "food.rice", COMMITTEE_A1, BUILDING_A1, 5,
                  expires_on=ON + timedelta(days=60))
    stock(db, "food.rice", STREET_OFFICE_A, STREET_A, 5, expires_on=ON - timedelta(days=1))
    stock(db, "medical.masks", COMMITTEE_A1, BUILDING_A1, 5, expires_on=ON + timedelta(days=5),
          condition=HoldingCondition.DAMAGED)
    timer = clock()
    [item] = jobs.rotate_expiring_stock(db, clock=timer)
    [task] = routine_tasks(db, "routine_rotation")
    assert (task.source_id, task.area_id, task.assignee_org_id) == (
        str(soon.id), soon.area_id, soon.organisation_id)
    assert "40" in task.title and "2026-06-11" in task.title
    assert item.key == f"{soon.id}:2026-06-11"
    assert jobs.rotate_expiring_stock(db, clock=timer) == []
    # restocked with a new expiry date inside the window: a new rotation is due
    resources.update_holding(db, principal=SYSTEM, holding_id=soon.id,
                             data=HoldingUpdate(expires_on=ON + timedelta(days=20)))
    assert len(jobs.rotate_expiring_stock(db, clock=timer)) == 1
    timer.advance(timedelta(days=35))  # the rice now expires within 30 days
    [rice] = jobs.rotate_expiring_stock(db, clock=timer)
    assert rice.key.startswith(f"{later.id}:")


def test_qualifications_expiring_soon_remind_the_person(db: Session) -> None:
    build_world(db)
    make_person(db, "V-1", BUILDING_A1, PersonKind.VOLUNTEER, qualifications=[
        QualificationIn(name="first aid certificate", expires_on=ON + timedelta(days=10)),
        QualificationIn(name="lifeguard", expires_on=ON + timedelta(days=90))])
    make_person(db, "V-2", BUILDING_A1, PersonKind.VOLUNTEER, qualifications=[
        QualificationIn(name="first aid certificate", expires_on=ON - timedelta(days=3)),
        QualificationIn(name="driving", expires_on=None)])
    timer = clock()
    [item] = jobs.remind_qualifications(db, clock=timer)
    [task] = routine_tasks(db, "routine_qualification")
    assert item.key == "V-1:first aid certificate:2026-06-11"
    assert task.source_id == "V-1" and task.assignee_person_id is not None
    assert "first aid certificate" in task.title and task.status.value == "assigned"
    assert jobs.remind_qualifications(db, clock=timer) == []
    timer.advance(timedelta(days=61))
    [lifeguard] = jobs.remind_qualifications(db, clock=timer)
    assert lifeguard.key.startswith("V-1:lifeguard:")


def test_drills_within_a_week_remind_who_prepares_them(db: Session) -> None:
    build_world(db)
    timer = clock()
    near = drills.schedule_drill(db, principal=SYSTEM, clock=timer, data=DrillCreate(
        area_code=COMMUNITY_A1, hazard="flood", title="Basement flood drill",
        scheduled_at=START + timedelta(days=3)))
    drills.schedule_drill(db, principal=SYSTEM, clock=timer, data=DrillCreate(
        area_code=STREET_A, hazard="earthquake", title="Street evacuation",
        scheduled_at=START + timedelta(days=20)))
    cancelled = drills.schedule_drill(db, principal=SYSTEM, clock=timer, data=DrillCreate(
        area_code=COMMUNITY_B1, hazard="high_rise_fire", title="Tower fire",
        scheduled_at=START + timedelta(days=2)))
    drills.cancel_drill(db, principal=SYSTEM, drill_id=cancelled.id,
                        data=DrillCancel(reason="typhoon season"), clock=timer)
    [item] = jobs.remind_drills(db, clock=timer)
    [task] = routine_tasks(db, "routine_drill")
    assert task.source_id == str(near.id) and task.due_at == near.scheduled_at
    assert task.assignee_org_id is not None  # the committee of A1
    assert jobs.remind_drills(db, clock=timer) == []
    timer.advance(timedelta(days=14))
    [street] = jobs.remind_drills(db, clock=timer)
    assert street.key != item.key
    [_, street_task] = routine_tasks(db, "routine_drill")
    assert street_task.assignee_org_id is not None  # the street office


def test_nothing_due_issues_nothing(db: Session) -> None:
    build_world(db)
    for gap in reserve_gaps(db, principal=SYSTEM, within=CITY, on=ON):
        stock(db, gap.resource_type_code, COMMITTEE_A1, gap.community_code, gap.required)
    before = counts(db)
    timer = clock()
    for job in (jobs.top_up_reserves, jobs.rotate_expiring_stock, jobs.remind_qualifications,
                jobs.remind_drills):
        assert job(db, clock=timer) == []
    assert counts(db) == before
    assert COMMUNITY_A2  # the city's three communities are all stocked


def test_reminders_carry_no_private_data(db: Session) -> None:
    build_world(db)
    make_person(db, "V-9", BUILDING_A1, PersonKind.VOLUNTEER, phone="13812345678",
                id_number="31011519800101123X", health_conditions="severe asthma",
                qualifications=[QualificationIn(name="first aid certificate",
                                                expires_on=ON + timedelta(days=3))])
    jobs.remind_qualifications(db, clock=clock())
    db.flush()
    texts = [e.payload for e in db.execute(select(Event)).scalars()
             if e.action in ("routine.issued", "task.created")]
    texts += [t.title + t.description for t in routine_tasks(db, "routine_qualification")]
    assert texts and not any(secret in text for text in texts
                             for secret in ("13812345678", "31011519800101123X", "asthma"))


def test_holders_in_one_go_equal_the_one_by_one_lookup(db: Session) -> None:
    from communitas.actors.kinds import OrganisationKind

    build_world(db)
    codes = {COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A, CITY}
    for kind in (OrganisationKind.NEIGHBOURHOOD_COMMITTEE, OrganisationKind.STREET_OFFICE):
        assert jobs._holders(db, codes, kind) == {
            code: jobs._holder(db, code, kind) for code in codes}
    assert jobs._holders(db, {COMMUNITY_A1}, OrganisationKind.NEIGHBOURHOOD_COMMITTEE) == {
        COMMUNITY_A1: COMMITTEE_A1}
