"""Pure pairing suggestions: each vulnerable resident with an able neighbour in the same
building, else the same grid, nearest first, within each helper's capacity."""

from __future__ import annotations

from dataclasses import dataclass

from communitas.community.places import Place, closeness, distance_m

__all__ = ["Candidate", "Suggestion", "suggest_pairs"]

PAIRING_LEVELS = ("building", "grid")  # mutual aid is between close neighbours only


@dataclass(frozen=True)
class Candidate:
    enrolment_id: int
    person_id: int
    place: Place
    free: int = 1  # helpers: places left (capacity minus active and awaiting pairs)


@dataclass(frozen=True)
class Suggestion:
    vulnerable_id: int
    helper_id: int
    basis: str
    distance_m: float | None


def _rank(vulnerable: Candidate, helper: Candidate) -> tuple[int, float, int] | None:
    level = closeness(vulnerable.place, helper.place)
    if level not in PAIRING_LEVELS or vulnerable.person_id == helper.person_id:
        return None
    metres = distance_m(vulnerable.place.point, helper.place.point)
    return PAIRING_LEVELS.index(level), metres if metres is not None else 1e12, helper.enrolment_id


def suggest_pairs(vulnerable: list[Candidate], helpers: list[Candidate]) -> list[Suggestion]:
    """Greedy and deterministic: residents with the fewest possible helpers choose first, each
    takes the best-ranked helper (same building, then same grid; then distance) with room."""
    options = {v.enrolment_id: sorted(
        (rank, h) for h in helpers if (rank := _rank(v, h)) is not None) for v in vulnerable}
    free = {h.enrolment_id: h.free for h in helpers}
    order = sorted(vulnerable, key=lambda v: (len(options[v.enrolment_id]), v.enrolment_id))
    suggestions = []
    for v in order:
        for (level, metres, _id), helper in options[v.enrolment_id]:
            if free[helper.enrolment_id] > 0:
                free[helper.enrolment_id] -= 1
                suggestions.append(Suggestion(
                    v.enrolment_id, helper.enrolment_id, PAIRING_LEVELS[level],
                    None if metres >= 1e12 else round(metres, 1)))
                break
    return sorted(suggestions, key=lambda s: s.vulnerable_id)
