"""Pure rules of plan activation: which plan, which role slots, who holds them, alert text.

No I/O. The service loads plans, areas and candidate holders and writes the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from communitas.alerts.identifiers import BEIJING
from communitas.modes.levels import Mode, severity
from communitas.modes.plan_terms import POINTS
from communitas.modes.plans import PlanAlert, PlanDocument, PlanRole, offset_minutes
from communitas.modes.triggers import HAZARD_ALIASES

__all__ = [
    "ACTIVE_LEVELS", "HAZARD_TEXT", "HOTLINE", "LEVEL_TEXT", "Candidate", "Filled", "PlanKey",
    "Pool", "Slot", "alert_scope", "alert_texts", "assign_holders", "candidate_pools",
    "canonical_hazard", "due", "notice_channels", "notice_severity", "pick_plan_level",
]

# Modes that can carry a plan (normal carries none).
ACTIVE_LEVELS = frozenset(set(Mode) - {Mode.NORMAL})
HOTLINE = "12345"  # the citizens' service hotline, filled into {hotline}

LEVEL_TEXT: dict[Mode, tuple[str, str]] = {
    Mode.WATCH: ("预警观察", "watch"), Mode.RECOVERY: ("恢复", "recovery"),
    Mode.LEVEL_IV: ("Ⅳ级", "level IV"), Mode.LEVEL_III: ("Ⅲ级", "level III"),
    Mode.LEVEL_II: ("Ⅱ级", "level II"), Mode.LEVEL_I: ("Ⅰ级", "level I"),
}
HAZARD_TEXT: dict[str, tuple[str, str]] = {
    "flood": ("暴雨洪涝", "rainstorm and flood"), "typhoon": ("台风", "typhoon"),
    "high_rise_fire": ("高层火灾", "high-rise fire"), "earthquake": ("地震", "earthquake"),
    "epidemic": ("疫情", "epidemic"), "heat_wave": ("高温", "heat wave"),
    "gas_leak": ("燃气泄漏", "gas leak"),
}
_SEVERITY = {Mode.LEVEL_I: "Extreme", Mode.LEVEL_II: "Severe", Mode.LEVEL_III: "Moderate"}
_PUBLIC = frozenset({"everyone", "residents", "vulnerable", "volunteers"})


@dataclass(frozen=True)
class PlanKey:
    hazard: str
    level: Mode
    area_kind: str


def canonical_hazard(hazard: str | None) -> str | None:
    """The plan hazard for a warning's or switch's hazard (``rainstorm`` → ``flood``)."""
    if hazard is None:
        return None
    return HAZARD_ALIASES.get(hazard, hazard)


def pick_plan_level(available: Iterable[Mode], level: Mode) -> Mode | None:
    """The exact level, else the nearest less severe emergency level that has a plan.

    Watch and recovery use only their own plans; normal has none.
    """
    levels = set(available)
    if level in levels:
        return level
    if level in (Mode.NORMAL, Mode.WATCH, Mode.RECOVERY):
        return None
    lower = [m for m in levels if severity(Mode.LEVEL_IV) <= severity(m) < severity(level)]
    return max(lower, key=severity, default=None)


@dataclass(frozen=True)
class Slot:
    """One place a role must be filled: the plan's area, or one community/grid/building."""

    role: PlanRole
    area_code: str
    area_path: str


@dataclass(frozen=True)
class Candidate:
    """Someone who may hold a role: a user account, a person or an organisation."""

    kind: str  # user | person | organisation
    id: int
    code: str  # username, person code or organisation code
    path: str  # where they are based (scope, home area)
    match: str  # the holder reference they satisfy, e.g. "role:grid_worker"
    person_code: str | None = None  # a user linked to a person
    stand_in: bool = False  # not an account of the role, but who that role stands for


@dataclass
class Filled:
    slot: Slot
    holders: list[Candidate] = field(default_factory=list)


def _ancestors(path: str, stop: str) -> list[str]:
    """Paths from ``path`` up to and including ``stop`` (both area paths ending in '/')."""
    parts = path.strip("/").split("/")
    out = []
    for n in range(len(parts), 0, -1):
        candidate = "/" + "/".join(parts[:n]) + "/"
        out.append(candidate)
        if candidate == stop:
            break
    return out


class Pool:
    """The candidates of one holder reference in choosing order, indexed by every area path
    above them, so "who is inside this area" is a look-up, not a scan."""

    def __init__(self, ordered: list[Candidate]) -> None:
        self.ordered = ordered
        self._within: dict[str, list[Candidate]] = {}
        self._above: dict[str, list[Candidate]] = {}
        for cand in ordered:
            parts = cand.path.strip("/").split("/")
            for n in range(1, len(parts) + 1):
                self._within.setdefault("/" + "/".join(parts[:n]) + "/", []).append(cand)

    def within(self, scope: str) -> list[Candidate]:
        """Candidates based in ``scope``'s subtree, in choosing order."""
        if scope == "/":
            return list(self.ordered)
        return self._within.get(scope, [])

    def nearest_above(self, path: str) -> list[Candidate]:
        """Candidates based exactly at the nearest area above ``path`` that has any, in
        choosing order (worked out once per path: every slot of a plan asks the same)."""
        if path not in self._above:
            above = sorted({c.path for c in self.ordered if path.startswith(c.path)},
                           key=len, reverse=True)
            self._above[path] = [c for c in self.ordered if above and c.path == above[0]]
        return self._above[path]


def _nearest(pool: Pool, slot_path: str, plan_path: str) -> list[Candidate]:
    """Holders inside the slot, else inside each enclosing area up to the plan's area, else
    based exactly at an area above it (a street office, a district department)."""
    for scope in _ancestors(slot_path, plan_path):
        inside = pool.within(scope)
        if inside:
            return inside
    return pool.nearest_above(plan_path)


def candidate_pools(candidates: Sequence[Candidate]) -> dict[str, Pool]:
    """The candidates of each holder reference, in the order holders are chosen (accounts
    before stand-ins, then from the top of the tree down)."""
    grouped: dict[str, list[Candidate]] = {}
    for cand in candidates:
        grouped.setdefault(cand.match, []).append(cand)
    return {ref: Pool(sorted(found, key=lambda c: (c.stand_in, len(c.path), c.path, c.code)))
            for ref, found in grouped.items()}


def assign_holders(slots: Sequence[Slot], candidates: Sequence[Candidate],
                   plan_path: str, *, pools: dict[str, Pool] | None = None
                   ) -> list[Filled]:
    """Fill each slot with ``count`` holders of its reference, nearest first; a holder takes
    one slot of a role key at most, so a role left without candidates stays unstaffed.
    ``pools`` is ``candidate_pools(candidates)``, for a caller filling many plans."""
    pools = candidate_pools(candidates) if pools is None else pools
    empty = Pool([])
    used: set[tuple[str, str, int]] = set()
    out = []
    for slot in slots:
        pool = pools.get(slot.role.default_holder, empty)
        filled = Filled(slot)
        for cand in _nearest(pool, slot.area_path, plan_path):
            if len(filled.holders) >= slot.role.count:
                break
            key = (slot.role.key.value, cand.kind, cand.id)
            if key not in used:
                used.add(key)
                filled.holders.append(cand)
        out.append(filled)
    return out


def due(at: datetime, offset: str) -> datetime:
    return at + timedelta(minutes=offset_minutes(offset))


def alert_scope(alert: PlanAlert) -> str:
    """Residents' audiences make a Public notice; staff and organisations a Restricted one."""
    return "Public" if alert.audience.value in _PUBLIC else "Restricted"


def notice_channels(alert: PlanAlert) -> list[str]:
    """The notice channels among the plan's (loudspeakers and door-to-door are people's work,
    carried by the plan's tasks); in-app at least."""
    chosen: list[str] = [c.value for c in alert.channels if c.value in ("in_app", "sms")]
    return chosen or ["in_app"]


def notice_severity(level: Mode) -> str:
    return _SEVERITY.get(level, "Minor")


def alert_texts(alert: PlanAlert, plan: PlanDocument, *, area_name: tuple[str, str],
                level: Mode, at: datetime) -> dict[str, str]:
    """Title and body in both languages with the placeholders filled."""
    time = due(at, alert.send_at).astimezone(BEIJING).strftime("%H:%M")
    values = {
        "zh": {"area_name": area_name[0], "level": LEVEL_TEXT[level][0],
               "hazard": HAZARD_TEXT.get(plan.hazard, (plan.hazard, ""))[0],
               "hotline": HOTLINE, "shelter": POINTS["shelter_site"][0], "time": time},
        "en": {"area_name": area_name[1], "level": LEVEL_TEXT[level][1],
               "hazard": HAZARD_TEXT.get(plan.hazard, ("", plan.hazard))[1],
               "hotline": HOTLINE, "shelter": POINTS["shelter_site"][1], "time": time},
    }
    return {f"{part}_{lang}": getattr(getattr(alert, part), lang).format(**values[lang])
            for part in ("title", "body") for lang in ("zh", "en")}
