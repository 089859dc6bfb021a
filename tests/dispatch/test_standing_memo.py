"""The standing routing memo lasts until an event says stock (or a place) changed."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from communitas.areas import service as areas
from communitas.areas.schemas import AreaUpdate
from communitas.auth.permissions import SYSTEM
from communitas.dispatch import triage
from communitas.dispatch.standing_memo import StandingMemo
from communitas.dispatch.triage import RoutingMemo
from communitas.events import record_event
from communitas.resources import capacity as resources_capacity
from communitas.resources import service as resources
from communitas.resources.models import HoldingCondition
from communitas.resources.schemas import CapacityOfferCreate, HoldingUpdate
from tests.dispatch.helpers import (
    BUILDING_A1,
    BUILDING_B1,
    COMMITTEE_A1,
    STREET_OFFICE_A,
    build_dispatch_world,
)
from tests.factories import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, DISTRICT, STREET_A, STREET_B
from tests.resources.helpers import COMMITTEE_B1, MARKET, build_world, stock

TODAY = date(2020, 1, 1)


def test_the_memo_forgets_stock_when_it_moves_and_keeps_places(db: Session) -> None:
    build_dispatch_world(db)
    holding = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    water = resources.get_resource_type(db, code="water.bottled").id
    standing = StandingMemo()
    first = standing.current(db)
    place = first.place(db, areas.get_area(db, code=BUILDING_A1).id)
    assert [held.get(water) for held in first.held(db, place, TODAY)] == [10, 10, 10]
    assert standing.current(db) is first  # nothing happened
    resources.adjust_holding(db, principal=SYSTEM, holding_id=holding.id, delta=-1,
                             reason="used")
    second = standing.current(db)
    assert second is first and second.place(db, place.area.id) is place  # places stay
    assert [held.get(water) for held in second.held(db, place, TODAY)] == [9, 9, 9]
    assert standing.current(db) is second


def test_a_changed_area_starts_a_new_memo(db: Session) -> None:
    build_dispatch_world(db)
    standing = StandingMemo()
    first = standing.current(db)
    record_event(db, actor="test", action="mode.switched", subject_type="area",
                 subject_id=BUILDING_A1, payload={})
    assert standing.current(db) is first  # about the area, but nothing routing reads
    areas.update_area(db, principal=SYSTEM, code=BUILDING_A1,
                      data=AreaUpdate(name_en="Renamed"))
    assert standing.current(db) is not first


def test_stock_read_a_district_at_a_time_equals_stock_read_per_area(db: Session) -> None:
    build_dispatch_world(db)
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 4, expires_on=date(2019, 12, 31))
    stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 0)
    stock(db, "food.rice", COMMITTEE_A1, BUILDING_A1, 3, condition=HoldingCondition.DAMAGED)
    stock(db, "food.rice", STREET_OFFICE_A, STREET_A, 7, expires_on=TODAY)
    stock(db, "food.rice", COMMITTEE_B1, BUILDING_B1, 5)
    stock(db, "food.rice", COMMITTEE_B1, DISTRICT, 2)
    memo = RoutingMemo()
    for building in (BUILDING_A1, BUILDING_B1):
        place = memo.place(db, areas.get_area(db, code=building).id)
        per_area = [triage._held_by_type(db, area, None, TODAY)
                    for area in (place.community, place.street, place.district)]
        assert memo.held(db, place, TODAY) == per_area
    rice = resources.get_resource_type(db, code="food.rice").id
    assert per_area[2][rice] == 14  # the district: good, unexpired, at every level


def test_offers_read_once_equal_offers_read_per_community(db: Session) -> None:
    build_world(db)
    offer = {"organisation_code": MARKET, "units_per_period": 5, "period": "hour"}
    created = resources_capacity.create_capacity_offers(db, principal=SYSTEM, items=[
        CapacityOfferCreate(**offer, resource_type_code="water.bottled", area_codes=[DISTRICT]),
        CapacityOfferCreate(**offer, resource_type_code="water.bottled",
                            area_codes=[COMMUNITY_A1, STREET_B]),
        CapacityOfferCreate(**{**offer, "period": "day"}, resource_type_code="food.rice",
                            area_codes=[f"{COMMUNITY_A2}-G01"]),
        CapacityOfferCreate(**offer, resource_type_code="food.rice", area_codes=[STREET_A],
                            active=False)])
    assert len(created) == 4
    memo = RoutingMemo()
    for code in (COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1):
        community = areas.get_area(db, code=code)
        assert memo.offered(db, community) == triage._offered_by_type(db, community)
    water = resources.get_resource_type(db, code="water.bottled").id
    rice = resources.get_resource_type(db, code="food.rice").id
    assert memo.offered(db, areas.get_area(db, code=COMMUNITY_A1)) == {water: 240}
    assert memo.offered(db, areas.get_area(db, code=COMMUNITY_A2)) == {water: 120, rice: 5}


def test_stock_read_again_holding_by_holding_equals_stock_read_afresh(db: Session) -> None:
    """Changed, emptied, spoilt and new holdings: the standing memo reads just those
    again, and sees what a fresh memo sees."""
    build_dispatch_world(db)
    kept = stock(db, "water.bottled", COMMITTEE_A1, BUILDING_A1, 10)
    spoilt = stock(db, "food.rice", COMMITTEE_A1, BUILDING_A1, 3)
    emptied = stock(db, "food.rice", COMMITTEE_B1, BUILDING_B1, 5)
    stock(db, "food.rice", STREET_OFFICE_A, STREET_A, 7)
    standing = StandingMemo()
    first = standing.current(db)
    places = [first.place(db, areas.get_area(db, code=code).id)
              for code in (BUILDING_A1, BUILDING_B1)]
    for place in places:
        first.held(db, place, TODAY)
    resources.adjust_holding(db, principal=SYSTEM, holding_id=kept.id, delta=-4,
                             reason="used")
    resources.adjust_holding(db, principal=SYSTEM, holding_id=emptied.id, delta=-5,
                             reason="used")
    resources.update_holding(db, principal=SYSTEM, holding_id=spoilt.id,
                             data=HoldingUpdate(condition=HoldingCondition.DAMAGED))
    stock(db, "food.instant_noodles", COMMITTEE_B1, BUILDING_B1, 2)
    second = standing.current(db)
    assert second is first
    fresh = RoutingMemo()
    for place in places:
        assert second.held(db, place, TODAY) == fresh.held(db, place, TODAY)
    rice = resources.get_resource_type(db, code="food.rice").id
    assert rice not in second.held(db, places[0], TODAY)[0]  # only a damaged holding left
