"""What the injects do to travel and supply while they last. Pure.

* a road cut between areas X and Y multiplies the travel time of every delivery from one
  side to the other by its detour factor, or stops such deliveries until the cut ends;
* reduced market capacity (share s) stretches a market organisation's delivery time by 1/s,
  and at s = 0 holds it until the reduction ends.

* power loss stops the lifts: a delivery to an area without power (or inside one) takes
  the inject's ``stairs_factor`` times longer. Its residents' extra requests are demand's
  (``demand.Outage``).
"""

from __future__ import annotations

from collections.abc import Iterable

from communitas.drills.scenario import (
    MarketCapacityInject,
    PowerLossInject,
    RoadCutInject,
    Scenario,
    duration_minutes,
)

__all__ = ["Conditions"]


class Conditions:
    def __init__(self, scenario: Scenario) -> None:
        self.end = float(scenario.minutes)
        self.injects = list(scenario.injects)

    def _window(self, at: str, until: str | None) -> tuple[float, float]:
        return float(duration_minutes(at)), float(duration_minutes(until)) if until else self.end

    def _active(self, inject: RoadCutInject | MarketCapacityInject | PowerLossInject,
                t: float) -> bool:
        start, stop = self._window(inject.at, inject.until)
        return start <= t < stop

    def road(self, origin: set[str], target: set[str], t: float) -> tuple[float, float]:
        """(travel factor, earliest departure): a blocked road delays departure to its end."""
        factor, depart = 1.0, t
        for cut in self.injects:
            if not isinstance(cut, RoadCutInject) or not self._active(cut, t):
                continue
            x, y = cut.between
            if (x in origin and y in target) or (y in origin and x in target):
                if cut.detour_factor is None:
                    depart = max(depart, self._window(cut.at, cut.until)[1])
                else:
                    factor *= cut.detour_factor
        return factor, depart

    def market(self, sector: str | None, target: set[str], t: float) -> tuple[float, float]:
        """(travel factor, earliest departure) for a market organisation of ``sector``."""
        factor, depart = 1.0, t
        for cut in self.injects:
            if not isinstance(cut, MarketCapacityInject) or not self._active(cut, t):
                continue
            if sector not in cut.sectors or (cut.areas and not set(cut.areas) & target):
                continue
            if cut.share == 0:
                depart = max(depart, self._window(cut.at, cut.until)[1])
            else:
                factor = max(factor, 1 / cut.share)
        return factor, depart

    def stairs(self, codes: Iterable[str], t: float) -> float:
        """The travel factor of a delivery to an area (``codes``: it and its ancestors) at
        ``t``: the largest ``stairs_factor`` of the outages it is in, else 1."""
        have = set(codes)
        return max((i.stairs_factor for i in self.injects if isinstance(i, PowerLossInject)
                    and self._active(i, t) and set(i.areas) & have), default=1.0)

    def powerless(self, codes: Iterable[str], t: float) -> bool:
        """Whether any of ``codes`` (an area and its ancestors) has no power at ``t``."""
        have = set(codes)
        return any(isinstance(i, PowerLossInject) and self._active(i, t) and set(i.areas) & have
                   for i in self.injects)
