"""Routing: which level holds a request, from plain numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from communitas.dispatch.routing import (
    LEVELS,
    Level,
    Need,
    Supply,
    coverage,
    next_level,
    route,
)

WATER = Need(options=("water",), quantity=10)


def _supplies(community: int, street: int, district: int, outside: int = 0) -> list[Supply]:
    return [Supply(Level.COMMUNITY, {"water": community}), Supply(Level.STREET, {"water": street}),
            Supply(Level.DISTRICT, {"water": district}), Supply(Level.OUTSIDE, {"water": outside})]


def test_the_lowest_level_that_meets_the_whole_request_keeps_it() -> None:
    assert route([WATER], _supplies(10, 50, 90)).level is Level.COMMUNITY
    assert route([WATER], _supplies(2, 50, 90)).level is Level.STREET
    decision = route([WATER], _supplies(2, 4, 90))
    assert (decision.level, decision.met_in_full) == (Level.DISTRICT, True)


def test_when_nobody_meets_it_all_the_lowest_meeting_most_keeps_it() -> None:
    decision = route([WATER], _supplies(6, 6, 8))
    assert (decision.level, decision.coverage, decision.met_in_full) == (
        Level.COMMUNITY, 0.6, False)
    assert route([WATER], _supplies(2, 4, 5)).level is Level.DISTRICT  # the most, 50%
    assert route([WATER], _supplies(0, 0, 0)).level is Level.OUTSIDE


def test_market_capacity_makes_outside_support_the_right_level() -> None:
    assert route([WATER], _supplies(0, 1, 2, outside=500)).level is Level.OUTSIDE


def test_escalation_starts_above_the_current_level() -> None:
    assert route([WATER], _supplies(10, 50, 90), floor=Level.STREET).level is Level.STREET
    assert route([WATER], _supplies(10, 0, 90), floor=Level.STREET).level is Level.DISTRICT
    assert route([WATER], _supplies(10, 50, 90), floor=Level.OUTSIDE).level is Level.OUTSIDE


def test_substitutes_count_and_lines_never_share_units() -> None:
    meals = Need(options=("meal", "noodles"), quantity=10)
    noodles = Need(options=("noodles",), quantity=10)
    assert coverage([meals], {"meal": 4, "noodles": 6}) == 1.0
    assert coverage([meals, noodles], {"noodles": 10}) == 0.5


def test_priority_weights_favour_the_life_threatening_line() -> None:
    oxygen = Need(options=("oxygen",), quantity=1, weight=8.0)
    rice = Need(options=("rice",), quantity=10, weight=1.0)
    assert coverage([oxygen, rice], {"oxygen": 1}) == 8 / 9
    assert route([oxygen, rice], [Supply(Level.COMMUNITY, {"oxygen": 1})]).level is \
        Level.COMMUNITY


def test_levels_climb_to_outside_and_stop() -> None:
    assert [next_level(level) for level in LEVELS] == [
        Level.STREET, Level.DISTRICT, Level.OUTSIDE, None]


needs = st.lists(st.builds(Need, options=st.lists(st.sampled_from("abc"), min_size=1,
                                                  max_size=3, unique=True).map(tuple),
                           quantity=st.integers(0, 50),
                           weight=st.sampled_from([1.0, 2.0, 4.0, 8.0])), max_size=5)
stock = st.dictionaries(st.sampled_from("abc"), st.integers(0, 60))


@given(needs, st.lists(stock, min_size=4, max_size=4), st.sampled_from(LEVELS))
@settings(max_examples=300, deadline=None)
def test_a_decision_is_at_or_above_the_floor_and_no_lower_level_meets_it(
    wanted: list[Need], pools: list[dict[str, int]], floor: Level
) -> None:
    supplies = [Supply(level, pool) for level, pool in zip(LEVELS, pools, strict=True)]
    decision = route(wanted, supplies, floor=floor)
    assert 0.0 <= decision.coverage <= 1.0
    assert LEVELS.index(decision.level) >= LEVELS.index(floor)
    for level, pool in zip(LEVELS, pools, strict=True):
        if LEVELS.index(floor) <= LEVELS.index(level) < LEVELS.index(decision.level):
            assert coverage(wanted, pool) < 1.0
    if decision.met_in_full:
        assert coverage(wanted, pools[LEVELS.index(decision.level)]) == 1.0
