"""The pure cores: pairing suggestions, offer–need ranking and claim similarity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from communitas.community.matching import OpenPost, best_counterpart
from communitas.community.pairing import Candidate, suggest_pairs
from communitas.community.places import Place, distance_m
from communitas.community.similarity import SIMILAR_AT, normalise, similarity


def place(building: int, grid: int = 1, community: int = 1, lon: float = 121.5) -> Place:
    return Place(area_id=building, building_id=building, grid_id=grid, community_id=community,
                 street_id=1, point=(lon, 31.2))


def test_pairing_prefers_the_building_then_the_nearest_in_the_grid() -> None:
    vulnerable = [Candidate(1, 101, place(10)), Candidate(2, 102, place(11, lon=121.501))]
    helpers = [Candidate(3, 103, place(12, lon=121.5012)), Candidate(4, 104, place(10)),
               Candidate(5, 105, place(13, lon=121.52))]
    got = suggest_pairs(vulnerable, helpers)
    assert [(s.vulnerable_id, s.helper_id, s.basis) for s in got] == [
        (1, 4, "building"), (2, 3, "grid")]
    assert got[1].distance_m is not None and got[1].distance_m < 30


def test_the_scarcest_resident_chooses_first_and_capacity_holds() -> None:
    # Resident 1 could take either helper; resident 2 only helper 4 (other grid for 3).
    vulnerable = [Candidate(1, 101, place(10)), Candidate(2, 102, place(20, grid=2))]
    helpers = [Candidate(4, 104, place(21, grid=2), free=1), Candidate(3, 103, place(11))]
    got = {(s.vulnerable_id, s.helper_id) for s in suggest_pairs(vulnerable, helpers)}
    assert got == {(1, 3), (2, 4)}
    assert suggest_pairs(vulnerable, [Candidate(3, 103, place(10), free=0)]) == []


def test_nobody_is_paired_with_themself_or_outside_the_grid() -> None:
    me = Candidate(1, 101, place(10))
    assert suggest_pairs([me], [Candidate(2, 101, place(10))]) == []
    assert suggest_pairs([me], [Candidate(2, 102, place(30, grid=3))]) == []


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 2)), max_size=12),
       st.lists(st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(0, 3)),
                max_size=8))
def test_suggestions_never_exceed_capacity_or_repeat_a_resident(
        vul: list[tuple[int, int]], helpers: list[tuple[int, int, int]]) -> None:
    vs = [Candidate(i, 1000 + i, place(b, grid=g)) for i, (b, g) in enumerate(vul)]
    hs = [Candidate(100 + i, 2000 + i, place(b, grid=g), free=c)
          for i, (b, g, c) in enumerate(helpers)]
    got = suggest_pairs(vs, hs)
    assert len({s.vulnerable_id for s in got}) == len(got)
    free = {h.enrolment_id: h.free for h in hs}
    for h in hs:
        assert sum(1 for s in got if s.helper_id == h.enrolment_id) <= free[h.enrolment_id]


def test_matching_ranks_building_grid_community_and_skips_kinds_and_excluded() -> None:
    need = OpenPost(1, 100, "vehicle", place(10))
    others = [OpenPost(2, 200, "vehicle", place(30, grid=3)),
              OpenPost(3, 300, "vehicle", place(11)),
              OpenPost(4, 400, "food", place(10)),
              OpenPost(5, 100, "vehicle", place(10)),  # the same person
              OpenPost(6, 600, "vehicle", place(40, grid=4, community=2))]
    best = best_counterpart(need, others, excluded=set())
    assert best is not None and (best[0].post_id, best[1]) == (3, "grid")
    fallback = best_counterpart(need, others, excluded={3})
    assert fallback is not None and (fallback[0].post_id, fallback[1]) == (2, "community")
    assert best_counterpart(need, others, excluded={2, 3}) is None


def test_similarity_of_rumours() -> None:
    a = normalise("听说自来水被污染了，千万不能喝！")
    assert normalise("ＡＢＣ  abc!") == "abcabc"
    assert similarity(a, normalise("听说 自来水被污染了 不能喝")) >= SIMILAR_AT
    assert similarity(a, normalise("明天全区停电三天")) < SIMILAR_AT
    assert similarity(normalise("The bridge on East Road is closed"),
                      normalise("the BRIDGE on east road is closed!!")) == 1.0
    assert similarity("", a) == 0.0


def test_distance_is_in_metres() -> None:
    d = distance_m((121.5, 31.2), (121.5, 31.21))
    assert d is not None and 1100 < d < 1120
    assert distance_m(None, (121.5, 31.2)) is None
