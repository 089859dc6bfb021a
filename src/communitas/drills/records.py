"""What a drill leaves behind for the metrics: plain records, times in minutes from the start.

The simulator (or anything else: a replay of a real incident's event log) fills these; the
metric functions in metrics.py read nothing else. No database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Delivery", "DrillRecord", "ModeSwitch", "RequestRecord", "ServiceVisit"]


@dataclass(frozen=True)
class Delivery:
    at: float  # minutes from the start of the drill
    units: int
    actor_kind: str = "unknown"  # kind of organisation or person that did the work


@dataclass(frozen=True)
class RequestRecord:
    """One line of a request: ``quantity`` units of one type asked at ``created``."""

    area: str
    resource_type: str
    quantity: int
    created: float
    priority: int = 3
    vulnerable: bool = False
    first_response: float | None = None  # first human or platform action after intake
    deliveries: tuple[Delivery, ...] = ()

    @property
    def delivered(self) -> int:
        return min(self.quantity, sum(d.units for d in self.deliveries))

    def delivered_by(self, t: float) -> int:
        return min(self.quantity, sum(d.units for d in self.deliveries if d.at <= t))

    @property
    def fulfilled_at(self) -> float | None:
        """When the last needed unit arrived, or None if some are still missing."""
        total = 0
        for delivery in sorted(self.deliveries, key=lambda d: d.at):
            total += delivery.units
            if total >= self.quantity:
                return delivery.at
        return None


@dataclass(frozen=True)
class ServiceVisit:
    """One client at a service point: arrived, began service, left (None: still there)."""

    point: str
    arrived: float
    started: float | None
    ended: float | None


@dataclass(frozen=True)
class ModeSwitch:
    """A trigger (warning, indicator) and when the area's mode actually switched."""

    area: str
    triggered: float
    switched: float | None


@dataclass
class DrillRecord:
    """Everything one drill run produced, with its horizon and sampling step (minutes)."""

    horizon: float
    step: float
    requests: list[RequestRecord] = field(default_factory=list)
    visits: list[ServiceVisit] = field(default_factory=list)
    switches: list[ModeSwitch] = field(default_factory=list)
    # Units of stock at the start, used, still held and lost, per resource type.
    stock: dict[str, dict[str, int]] = field(default_factory=dict)
    # Actions the services refused during the drill, "event kind:error code" → count.
    refusals: dict[str, int] = field(default_factory=dict)
