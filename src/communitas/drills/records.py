"""What a drill leaves behind for the metrics: plain records, times in minutes from the start.

The simulator (or anything else: a replay of a real incident's event log) fills these; the
metric functions in metrics.py read nothing else. No database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AlertRecord", "Delivery", "DrillRecord", "ModeSwitch", "RequestRecord", "ServiceVisit",
           "TaskRecord"]


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


@dataclass(frozen=True)
class TaskRecord:
    """One task the drill's workforce saw: when it was made, who worked it, how far it got.

    ``actor_kind`` is the kind of person (grid_worker, volunteer, cadre …) or organisation
    (neighbourhood_committee, property_company …) it was assigned to, or None while nobody
    took it; ``via`` is ``assigned`` (by its issuer) or ``callout`` (a volunteer took it).
    """

    created: float
    source_kind: str
    priority: int
    actor_kind: str | None
    via: str
    accepted: float | None = None
    done: float | None = None
    verified: float | None = None
    closed: float | None = None  # stood down or given up undone


@dataclass(frozen=True)
class AlertRecord:
    """One plan activation: when it was asked for (warning arrival or the switch request),
    when its first alert was sent (None: none sent) and how many it sent."""

    area: str
    requested: float
    first_sent: float | None
    sent: int = 0


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
    # Tasks the simulated workforce handled (plan activation's), and call-out answers.
    tasks: list[TaskRecord] = field(default_factory=list)
    callouts: dict[str, int] = field(default_factory=dict)
    alerts: list[AlertRecord] = field(default_factory=list)
