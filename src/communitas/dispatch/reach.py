"""Which supply point may serve which demand point, and in how many minutes. Pure numpy.

Links are sorted by (demand, minutes, supply), so a demand's links form one contiguous run,
nearest first; every engine relies on that order for deterministic output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = ["EARTH_RADIUS_KM", "Links", "explicit_links", "nearest_links"]

EARTH_RADIUS_KM = 6371.0088
# Chord lengths (on the unit sphere) this close count as one distance: about 6 µm on the
# ground, far above floating-point noise and far below any two real places.
_TIE = 1e-12


@dataclass(frozen=True, eq=False)
class Links:
    """Parallel arrays, one row per (supply, demand) pair that may ship."""

    supply: NDArray[np.int64]
    demand: NDArray[np.int64]
    minutes: NDArray[np.float64]  # travel plus the supply's lead time

    def __len__(self) -> int:
        return len(self.supply)

    def starts(self, n_demand: int) -> NDArray[np.int64]:
        """Offsets of each demand's run of links (length n_demand + 1)."""
        return np.searchsorted(self.demand, np.arange(n_demand + 1)).astype(np.int64)


def _sorted(supply: NDArray[np.int64], demand: NDArray[np.int64],
            minutes: NDArray[np.float64]) -> Links:
    order = np.lexsort((supply, minutes, demand))
    return Links(supply=supply[order], demand=demand[order], minutes=minutes[order])


def _unit_vectors(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def nearest_links(supply_lat: NDArray[np.float64], supply_lon: NDArray[np.float64],
                  demand_lat: NDArray[np.float64], demand_lon: NDArray[np.float64], *,
                  lead_minutes: NDArray[np.float64], nearest: int, speed_kmh: float) -> Links:
    """Each demand's ``nearest`` supply points by great-circle distance, and every other
    point exactly as near as the last of them: which of several tied points (depots of
    different holders in one area share its point) is "the nearest" is not for the k-d
    tree's order to decide, so one with stock is never left out for one without.

    A k-d tree over unit vectors finds them (chord length orders points as the great circle
    does); minutes = distance / speed + the supply's lead time.
    """
    n_s, n_d = len(supply_lat), len(demand_lat)
    k = min(nearest, n_s)
    if k == 0 or n_d == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Links(supply=empty, demand=empty.copy(), minutes=np.zeros(0))
    tree = cKDTree(_unit_vectors(supply_lat, supply_lon))
    points = _unit_vectors(demand_lat, demand_lon)
    chord, index = tree.query(points, k=k)
    chord, index = np.asarray(chord).reshape(n_d, k), np.asarray(index).reshape(n_d, k)
    supply, demand, chords = index.ravel().astype(np.int64), \
        np.repeat(np.arange(n_d, dtype=np.int64), k), chord.ravel()
    if k < n_s:  # ties at the cut: the demands with more points within it get them all
        cut = chord[:, -1] + _TIE
        tied = np.flatnonzero(tree.query_ball_point(points, cut, return_length=True) > k)
        if len(tied):
            keep = ~np.isin(demand, tied)
            extra = [(int(s), int(d)) for d in tied
                     for s in tree.query_ball_point(points[d], cut[d])]
            extra_supply = np.array([s for s, _d in extra], dtype=np.int64)
            extra_demand = np.array([d for _s, d in extra], dtype=np.int64)
            supply = np.concatenate([supply[keep], extra_supply])
            demand = np.concatenate([demand[keep], extra_demand])
            chords = np.concatenate([chords[keep], np.linalg.norm(
                points[extra_demand] - tree.data[extra_supply], axis=1)])
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chords / 2, 0.0, 1.0))
    minutes = km / speed_kmh * 60.0 + lead_minutes[supply]
    return _sorted(supply, demand, minutes)


def explicit_links(supply: NDArray[np.int64], demand: NDArray[np.int64],
                   minutes: NDArray[np.float64], *, lead_minutes: NDArray[np.float64]) -> Links:
    """Links given pair by pair with their travel minutes (the lead time is added)."""
    supply = np.asarray(supply, dtype=np.int64)
    return _sorted(supply, np.asarray(demand, dtype=np.int64),
                   np.asarray(minutes, dtype=np.float64) + lead_minutes[supply])
