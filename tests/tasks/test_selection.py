"""Choosing volunteers: availability windows, qualifications, skill and distance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from communitas.actors.kinds import Availability
from communitas.tasks.selection import Candidate, Criteria, available_at, distance_km, select

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
