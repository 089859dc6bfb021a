"""The reserve-norm formula, without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from communitas.resources.catalogue import DEFAULT_NORMS
from communitas.resources.norms import (
    CommunityStats,
    NormRule,
    daily_need,
    hazard_factor,
    required_quantity,
    reserve_gap,
    street_share,
)

# Community A1 of tests/factories.py.
A1 = CommunityStats(population=4000, aged_65=650, aged_80=130, living_alone=60, disabled=90,
                    infants=50, chronically_ill=800)


def test_daily_need_sums_residents_and_each_group() -> None:
    rule = NormRule(per_1000_residents=2, per_100_aged_80=10, per_100_infants=4)
    assert daily_need(rule, A1) == 2 * 4 + 10 * 1.3 + 4 * 0.5


def test_days_of_cover_and_the_largest_hazard_factor_multiply() -> None:
    rule = NormRule(per_1000_residents=228, days_of_cover=2,
                    hazard_multipliers={"flood": 1.5, "typhoon": 1.2, "earthquake": 2.0})
    assert hazard_factor(rule, ["flood", "typhoon"]) == 1.5
    assert required_quantity(rule, A1, ["flood", "typhoon"]) == 228 * 4 * 2 * 1.5
    assert required_quantity(rule, A1, []) == 228 * 4 * 2
    assert required_quantity(rule, A1, ["heat_wave"]) == 228 * 4 * 2


def test_a_hazard_specific_rule_needs_nothing_without_its_hazard() -> None:
    rule = NormRule(per_1000_residents=100, hazard_specific=True,
                    hazard_multipliers={"flood": 1.0, "typhoon": 0.5})
    assert required_quantity(rule, A1, []) == 0
    assert required_quantity(rule, A1, ["epidemic"]) == 0
    assert required_quantity(rule, A1, ["typhoon"]) == 200
    assert required_quantity(rule, A1, ["typhoon", "flood"]) == 400


def test_whole_units_round_up_but_float_noise_does_not() -> None:
    assert required_quantity(NormRule(per_1000_residents=0.25), A1, []) == 1
    assert required_quantity(NormRule(per_1000_residents=0.26), A1, []) == 2
    # 0.1 × 3 × 1000 is 300.00000000000006 in binary floating point.
    noisy = NormRule(per_1000_residents=0.1, days_of_cover=3)
    assert required_quantity(noisy, CommunityStats(population=1_000_000), []) == 300


def test_default_ready_meal_norm_for_community_a1() -> None:
    # (130 aged 80+ × 3 + 60 living alone × 3 + 90 disabled × 1.5) meals a day, for 3 days.
    assert required_quantity(NormRule(**_coefficients("food.ready_meal")), A1, ["flood"]) \
        == (390 + 180 + 135) * 3


def _coefficients(code: str) -> dict[str, object]:
    return DEFAULT_NORMS[code].model_dump(exclude={"note", "source"})


def test_street_share_is_proportional_and_counts_each_unit_once() -> None:
    assert street_share(1000, 4000, 8001) == 1000 * 4000 / 8001
    assert street_share(1000, 4000, 8001) + street_share(1000, 4001, 8001) == 1000
    assert street_share(2, 1000, 10_000) == 0.2, "small equipment still shows"
    assert street_share(1000, 4000, 4000) == 1000
    assert street_share(1000, 0, 8001) == 0
    assert street_share(1000, 10, 0) == 0
    assert street_share(0, 4000, 8001) == 0


def test_gap_never_goes_below_zero() -> None:
    gap = reserve_gap(required=1368, held=500 + 1000 * 4000 / 8001)
    assert (gap.held, gap.gap, gap.shortfall) == (999.94, 368.06, 0.2691)
    assert reserve_gap(required=10, held=25).gap == 0
    assert reserve_gap(required=0, held=0).shortfall == 0.0


@given(population=st.integers(0, 200_000), extra=st.integers(0, 200_000),
       held=st.integers(0, 10**7), per_1000=st.floats(0, 1000), days=st.integers(1, 30))
def test_more_residents_never_need_less(population: int, extra: int, held: int,
                                        per_1000: float, days: int) -> None:
    rule = NormRule(per_1000_residents=per_1000, days_of_cover=days)
    small = required_quantity(rule, CommunityStats(population=population), [])
    large = required_quantity(rule, CommunityStats(population=population + extra), [])
    assert 0 <= small <= large
    gap = reserve_gap(required=large, held=held)
    assert 0 <= gap.gap <= large
    assert 0.0 <= gap.shortfall <= 1.0


def test_every_default_norm_is_well_formed() -> None:
    for code, rule in DEFAULT_NORMS.items():
        assert rule.source, code
        assert rule.note, code
        assert required_quantity(NormRule(**_coefficients(code)), A1,
                                 ["flood", "earthquake", "epidemic", "typhoon"]) > 0, code
