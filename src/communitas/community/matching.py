"""Pure offer–need matching: the same kind, the nearest place (building, grid, community),
then distance, then the oldest post; each post in at most one proposal at a time."""

from __future__ import annotations

from dataclasses import dataclass

from communitas.community.places import Place, closeness, distance_m

__all__ = ["MATCH_LEVELS", "OpenPost", "best_counterpart"]

MATCH_LEVELS = ("building", "grid", "community")


@dataclass(frozen=True)
class OpenPost:
    post_id: int
    person_id: int
    kind: str
    place: Place


def best_counterpart(post: OpenPost, others: list[OpenPost], excluded: set[int]
                     ) -> tuple[OpenPost, str, float | None] | None:
    """The best open counterpart of ``post`` among ``others`` (posts of the other direction),
    skipping ids in ``excluded`` (already proposed with it, or declined)."""
    ranked = []
    for other in others:
        if other.kind != post.kind or other.person_id == post.person_id:
            continue
        if other.post_id in excluded:
            continue
        level = closeness(post.place, other.place)
        if level is None:
            continue
        metres = distance_m(post.place.point, other.place.point)
        ranked.append(((MATCH_LEVELS.index(level), metres if metres is not None else 1e12,
                        other.post_id), other, level, metres))
    if not ranked:
        return None
    _key, other, level, metres = min(ranked, key=lambda item: item[0])
    return other, level, None if metres is None else round(metres, 1)
