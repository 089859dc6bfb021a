"""Run one scenario under several variants and seeds, one by one, and compare them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from communitas.db import unit_of_work
from communitas.drills.compare import compare_runs
from communitas.drills.metrics import compute
from communitas.drills.scenario import Scenario
from communitas.drills.simulator import Drill, DrillClock
from communitas.drills.variants import VARIANTS

__all__ = ["run_variants"]


def run_variants(scenario: Scenario, copy: Callable[[], sessionmaker[Session]], *,
                 variants: list[str], seeds: list[int], until_minutes: float | None = None,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Every (variant, seed) drill on a fresh copy; their metrics and the comparison."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        for seed in seeds:
            if progress:
                progress(variant, seed)
            factory = copy()
            with unit_of_work(factory) as session:
                VARIANTS[variant](session, DrillClock(scenario.start))
            record = Drill(scenario, factory, seed=seed, until_minutes=until_minutes).run()
            runs.setdefault(variant, []).append(compute(record))
    return {"seeds": seeds, "variants": variants, "comparison": compare_runs(runs),
            "runs": runs}
