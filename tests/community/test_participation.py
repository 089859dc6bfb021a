"""Participation metrics on hand-built data: who finished the tasks, volunteers per 1,000
residents, call-out acceptance, and requests answered by non-government holders."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors.kinds import OrganisationKind
from communitas.actors.models import Person
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM, Principal
from communitas.community import exchange
from communitas.community.models import AidRole
from communitas.community.participation import participation
from communitas.community.schemas import PostCreate
from communitas.dispatch.lifecycle import RequestStatus
from communitas.dispatch.models import (
    LineKind,
    RequesterKind,
    RequestLine,
    ResourceRequest,
    Shipment,
)
from communitas.dispatch.routing import Level
from communitas.errors import PermissionDenied
from communitas.resources import service as resources
from communitas.resources.models import Holding
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import CallOut, CallOutInvitation, InvitationStatus
from communitas.tasks.schemas import TaskCreate
from tests.community.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    CLOCK,
    SECRETS,
    START,
    active_pair,
    build_world,
    enrol,
)
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, DISTRICT
from tests.resources.helpers import make_org, stock

_REFERENCES = itertools.count(1)
SINCE, UNTIL = START, START + timedelta(days=1)
IN_PERIOD, BEFORE = START + timedelta(hours=3), START - timedelta(days=2)


def _task(db: Session, area: str, done_at: object, *, person: str | None = None,
          org: str | None = None) -> int:
    [task] = tasks.create_tasks(db, principal=SYSTEM, items=[TaskCreate(
        title="Work", area_code=area, assignee_person_code=person, assignee_org_code=org)])
    if done_at is not None:
        task.status, task.done_at = TaskStatus.DONE, done_at  # hand-built: finished
    db.flush()
    return task.id


def _request(db: Session, area: str, holdings: list[Holding], at: object) -> None:
    area_id = db.execute(select(Area.id).where(Area.code == area)).scalar_one()
    request = ResourceRequest(
        reference=f"R-TEST-{next(_REFERENCES)}",
        status=RequestStatus.COMMITTED, requester_kind=RequesterKind.RESIDENT, area_id=area_id,
        priority=3, created_at=at, updated_at=at, queue_level=Level.COMMUNITY,
        queue_area_id=area_id, queued_at=at)
    db.add(request)
    db.flush()
    line = RequestLine(request_id=request.id, position=1, kind=LineKind.ITEMS,
                       resource_type_id=holdings[0].resource_type_id, quantity=10,
                       committed=len(holdings))
    db.add(line)
    db.flush()
    db.add_all([Shipment(request_id=request.id, line_id=line.id, holding_id=h.id, quantity=1,
                         committed_by="test", committed_at=at, updated_at=at)
                for h in holdings])
    db.flush()


def _callout(db: Session, task_id: int, answers: list[InvitationStatus]) -> None:
    callout = CallOut(task_id=task_id, head_count=1, at=IN_PERIOD, created_by="test",
                      created_at=IN_PERIOD)
    db.add(callout)
    db.flush()
    people = db.execute(select(Person.id).where(Person.code.in_(
        ["OLD-1", "OLD-2", "H-1", "H-2"])).order_by(Person.id)).scalars().all()
    db.add_all([CallOutInvitation(callout_id=callout.id, person_id=person, status=status,
                                  invited_at=IN_PERIOD)
                for person, status in zip(people, answers, strict=True)])
    db.flush()


def _world(db: Session) -> dict[str, Principal]:
    who = build_world(db)
    resources.install_default_catalogue(db, principal=SYSTEM)
    make_org(db, "NC-A1", OrganisationKind.NEIGHBOURHOOD_COMMITTEE, COMMUNITY_A1)
    make_org(db, "OWN-A1", OrganisationKind.OWNERS_COMMITTEE, COMMUNITY_A1)
    make_org(db, "MK-1", OrganisationKind.MARKET_ORGANISATION, DISTRICT)
    for _n in range(4):
        _task(db, BUILDING_A1, IN_PERIOD, org="NC-A1")
    _task(db, COMMUNITY_A1, IN_PERIOD, person="GW-1")
    volunteer_task = _task(db, BUILDING_A1, IN_PERIOD, person="H-2")
    _task(db, BUILDING_A1, BEFORE, org="OWN-A1")  # before the period
    _task(db, BUILDING_A1, None, org="OWN-A1")  # not finished
    _task(db, BUILDING_B1, IN_PERIOD, person="H-B")  # another community
    _callout(db, volunteer_task, [InvitationStatus.ASSIGNED, InvitationStatus.STANDBY,
                                  InvitationStatus.DECLINED, InvitationStatus.INVITED])
    committee = stock(db, "water.bottled", "NC-A1", COMMUNITY_A1, 100)
    market = stock(db, "water.bottled", "MK-1", COMMUNITY_A1, 100)
    _request(db, BUILDING_A1, [committee], IN_PERIOD)
    _request(db, BUILDING_A1, [committee, market], IN_PERIOD)
    _request(db, BUILDING_A1, [market], IN_PERIOD)
    _request(db, BUILDING_A1, [market], BEFORE)
    _request(db, BUILDING_B1, [market], IN_PERIOD)
    return who


def test_metrics_of_a_community_over_a_day(db: Session) -> None:
    who = _world(db)
    got = participation(db, principal=who["juwei"], area_code=COMMUNITY_A1, since=SINCE,
                        until=UNTIL)
    assert got.tasks_done == 6
    assert [(s.actor_kind, s.tasks_done, s.share) for s in got.by_actor_kind] == [
        ("neighbourhood_committee", 4, 0.6667), ("grid_worker", 1, 0.1667),
        ("volunteer", 1, 0.1667)]
    assert got.by_actor_kind[0].label_zh != got.by_actor_kind[0].label_en
    assert (got.largest_actor_kind, got.overloaded) == ("neighbourhood_committee", True)
    assert (got.volunteers, got.residents, got.volunteers_per_1000) == (1, 4000, 0.25)
    assert (got.callouts_answered, got.callout_acceptance_rate) == (3, 0.6667)
    assert (got.requests_answered, got.requests_answered_by_non_government,
            got.non_government_share) == (3, 2, 0.6667)
    assert not any(secret in got.model_dump_json() for secret in SECRETS)


def test_without_a_period_everything_counts_and_few_tasks_flag_nothing(db: Session) -> None:
    who = _world(db)
    whole = participation(db, principal=who["district"], area_code=DISTRICT)
    assert whole.tasks_done == 8 and whole.requests_answered == 5
    other = participation(db, principal=who["district"], area_code=COMMUNITY_B1, since=SINCE,
                          until=UNTIL)
    assert (other.tasks_done, other.largest_share, other.overloaded) == (1, 1.0, False)


@pytest.mark.parametrize("actor", ["juwei_b", "old1", "gw"])
def test_metrics_are_for_staff_of_the_area(db: Session, actor: str) -> None:
    who = _world(db)
    with pytest.raises(PermissionDenied):
        participation(db, principal=who[actor], area_code=COMMUNITY_A1)


def test_mutual_aid_counts(db: Session) -> None:
    who = build_world(db)
    enrol(db, who["old1"], "OLD-1", AidRole.VULNERABLE)
    enrol(db, who["helper1"], "H-1", AidRole.HELPER)
    active_pair(db, who["juwei"], who["helper1"], "OLD-1", "H-1")
    for person, direction in (("helper1", "offer"), ("old1", "need")):
        _post, match = exchange.create_post(db, principal=who[person], clock=CLOCK,
                                            data=PostCreate.model_validate({
                                                "direction": direction, "kind": "water",
                                                "description": "bottled water"}))
    assert match is not None
    for person in ("helper1", "old1"):
        exchange.answer_match(db, principal=who[person], match_id=match.id, accept=True,
                              clock=CLOCK)
    got = participation(db, principal=who["juwei"], area_code=COMMUNITY_A1, since=SINCE,
                        until=UNTIL)
    assert (got.aid_pairs_active, got.aid_matches_accepted) == (1, 1)
    later = participation(db, principal=who["juwei"], area_code=COMMUNITY_A1, since=UNTIL)
    assert (later.aid_pairs_active, later.aid_matches_accepted) == (1, 0)
    elsewhere = participation(db, principal=who["district"], area_code=COMMUNITY_B1)
    assert (elsewhere.aid_pairs_active, elsewhere.aid_matches_accepted) == (0, 0)
