"""Choosing volunteers: availability windows, qualifications, skill and distance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from communitas.actors.kinds import Availability
from communitas.tasks.selection import (
    Candidate,
    Criteria,
    Homes,
    available_at,
    distance_km,
    select,
    select_nearby,
)

A = Availability
SATURDAY_10_UTC = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 Beijing, a Saturday
MONDAY_10_UTC = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
MONDAY_20_UTC = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MONDAY_03_UTC = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # 03:00 Monday in Beijing
TASK = (121.5, 31.2)


def person(n: int, window: Availability | None = A.ANYTIME, *, km_east: float = 0.0,
           skills: tuple[str, ...] = ("first_aid",), expires: date | None = None,
           qualified: bool = True) -> Candidate:
    return Candidate(person_id=n, code=f"V-{n}", skills=frozenset(skills), availability=window,
                     home=(TASK[0] + km_east / 95.0, TASK[1]),
                     qualifications={"cert": expires} if qualified else {})


def test_windows_follow_beijing_time() -> None:
    assert available_at(A.WEEKENDS, SATURDAY_10_UTC)
    assert not available_at(A.WEEKENDS, MONDAY_10_UTC)
    assert available_at(A.WEEKDAY_DAYTIME, MONDAY_10_UTC)
    assert not available_at(A.WEEKDAY_DAYTIME, MONDAY_20_UTC)
    assert available_at(A.WEEKDAY_EVENINGS, MONDAY_20_UTC)
    assert not available_at(A.WEEKDAY_EVENINGS, MONDAY_03_UTC)
    assert available_at(A.ANYTIME, MONDAY_03_UTC)
    assert not available_at(A.UNAVAILABLE, SATURDAY_10_UTC)
    assert not available_at(None, SATURDAY_10_UTC)


def test_nearest_qualified_volunteers_come_first() -> None:
    pool = [person(1, km_east=3), person(2, km_east=1), person(3, A.WEEKDAY_DAYTIME),
            person(4, expires=date(2026, 11, 27)), person(5, skills=("driving",)),
            person(6, qualified=False), person(7, km_east=2, expires=date(2026, 11, 28))]
    chosen = select(pool, Criteria(at=SATURDAY_10_UTC, place=TASK, skill="first_aid",
                                   qualification="cert"), 10)
    assert [c.code for c, _km in chosen] == ["V-2", "V-7", "V-1"]
    assert [round(km or 0) for _c, km in chosen] == [1, 2, 3]


def test_reach_limit_and_count() -> None:
    pool = [person(n, km_east=n) for n in range(1, 6)]
    near = select(pool, Criteria(at=SATURDAY_10_UTC, place=TASK, max_km=3.5), 10)
    assert [c.code for c, _km in near] == ["V-1", "V-2", "V-3"]
    assert len(select(pool, Criteria(at=SATURDAY_10_UTC, place=TASK), 2)) == 2


@given(st.floats(-179, 179), st.floats(-80, 80), st.floats(-179, 179), st.floats(-80, 80))
def test_distance_is_symmetric_and_non_negative(a: float, b: float, c: float, d: float
                                               ) -> None:
    assert distance_km((a, b), (c, d)) >= 0
    assert abs(distance_km((a, b), (c, d)) - distance_km((c, d), (a, b))) < 1e-6
    assert distance_km((a, b), (a, b)) < 1e-9


_homes = st.tuples(st.sampled_from([121.49, 121.5, 121.51, 121.52]),
                   st.sampled_from([31.18, 31.2, 31.21, 31.25]))
_pool = st.lists(st.tuples(_homes, st.booleans(), st.sampled_from([A.ANYTIME, A.WEEKDAY_DAYTIME]),
                           st.floats(-0.05, 0.05)), max_size=40)


@given(_pool, st.integers(1, 6), st.sampled_from([0.5, 1.0, 2.2, 5.0]),
       st.sampled_from([None, "cert"]))
def test_select_nearby_chooses_as_select(pool: list[tuple[tuple[float, float], bool,
                                                          Availability, float]],
                                         count: int, max_km: float, qualification: str | None
                                         ) -> None:
    # Few distinct homes, so distances tie often and the code breaks the ties.
    people = [Candidate(person_id=n, code=f"V-{(n * 7) % 40:02d}", skills=frozenset(),
                        availability=window, home=(home[0] + jitter * (n % 2), home[1]),
                        qualifications={"cert": None} if qualified else {})
              for n, (home, qualified, window, jitter) in enumerate(pool)]
    criteria = Criteria(at=SATURDAY_10_UTC, place=TASK, qualification=qualification,
                        max_km=max_km)
    assert select_nearby(Homes(people), criteria, count) == select(people, criteria, count)
    assert (select_nearby(Homes(people), criteria, count, 2, 30)
            == select(people[2:30], criteria, count))
