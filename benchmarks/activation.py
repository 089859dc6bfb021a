"""How fast does a red rainstorm warning put a street's response plans in place?

Instance (issue 4): the demo city (district scale, seed 42) on SQLite, with the shipped plan
library and a trigger rule that *performs* level I on a red rainstorm warning. A red warning
names 20 communities of one street (the demo's streets have 30; the first 20 of the first
street are taken). Measured: wall-clock from the call of the warning service
(``warning_service.receive_warning``, what ``POST /api/warnings`` runs) to the commit of the
transaction in which every community's plan is active — roles assigned, tasks issued,
pre-positioning requests created, alerts queued. Each repeat starts from a fresh copy of the
same database file. Also shown, not a target: the same warning naming the whole street
(the street's plan and its 30 communities' plans).

    .venv/bin/python benchmarks/activation.py [--repeats 3] [--seed 42]

Prints a table and writes benchmarks/results/activation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth.permissions import SYSTEM
from communitas.clock import SystemClock
from communitas.db import make_engine, make_session_factory, migrate
from communitas.demo.loader import build_demo
from communitas.modes import trigger_service, warning_service
from communitas.modes.activation_models import Activation, ActivationStatus
from communitas.modes.schemas import TriggerRules, WarningCreate

RESULTS = Path(__file__).parent / "results" / "activation.json"
TARGET_SECONDS = 1.0
COMMUNITIES = 20


def _prepare(path: Path, seed: int) -> tuple[str, list[str]]:
    """Build the demo city and the perform rule into ``path``; the street and 20 codes."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        build_demo(session, seed=seed, scale="district")
        trigger_service.replace_trigger_rules(session, principal=SYSTEM, data=TriggerRules(
            warning_rules=[{"hazard": "flood", "colour": "red", "action": "perform",
                            "target": "level_i", "escalate_after_minutes": 15}]))
        session.commit()
        street = session.execute(select(Area).where(Area.kind == AreaKind.STREET)
                                 .order_by(Area.code).limit(1)).scalar_one()
        low, high = street.subtree_bounds()
        codes = list(session.execute(select(Area.code).where(
            Area.kind == AreaKind.COMMUNITY, Area.path >= low, Area.path < high)
            .order_by(Area.code)).scalars())
    engine.dispose()
    return street.code, codes


def _run(path: Path, area_codes: list[str], identifier: str) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    clock = SystemClock()
    data = WarningCreate.model_validate({
        "identifier": identifier, "sender": "weather.bureau@example.cn", "hazard": "rainstorm",
        "colour": "red", "urgency": "Immediate", "headline": "暴雨红色预警",
        "area_codes": area_codes, "expires_at": (clock.now() + timedelta(hours=12)).isoformat()})
    with factory() as session:
        started = time.perf_counter()
        receipt = warning_service.receive_warning(session, principal=SYSTEM, data=data,
                                                  clock=clock)
        session.commit()
        seconds = time.perf_counter() - started
        rows = list(session.execute(select(Activation).where(
            Activation.status == ActivationStatus.ACTIVE)).scalars())
        again = time.perf_counter()
        warning_service.receive_warning(session, principal=SYSTEM, data=data, clock=clock)
        session.commit()
        redelivery = time.perf_counter() - again
        active_after = session.execute(select(func.count()).select_from(Activation)).scalar_one()
    engine.dispose()
    totals = {k: sum(int(r.counts.get(k, 0)) for r in rows)
              for k in ("roles_filled", "roles_unstaffed", "tasks", "requests", "alerts")}
    return {"seconds": seconds, "switches": len(receipt.switches), "activations": len(rows),
            "communities_active": sum(1 for r in rows if r.area_kind == "community"),
            "every_plan_complete": all(r.counts.get("tasks", 0) > 0 and r.counts.get(
                "requests", 0) > 0 and r.counts.get("alerts", 0) > 0 for r in rows),
            "latency_ms_recorded_max": max((r.latency_ms or 0) for r in rows),
            "redelivery_seconds": redelivery, "activations_after_redelivery": active_after,
            **totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "demo.db"
        street, communities = _prepare(base, args.seed)
        cases = {f"{COMMUNITIES} communities": communities[:COMMUNITIES],
                 f"street ({len(communities)} comm.)": [street]}
        results: dict[str, Any] = {}
        for name, codes in cases.items():
            runs = []
            for n in range(args.repeats):
                copy = Path(tmp) / f"run-{n}.db"
                shutil.copy(base, copy)
                runs.append(_run(copy, codes, f"31000041600000_20260720080000_{n}"))
                copy.unlink()
            results[name] = {**runs[-1], "seconds": statistics.median(r["seconds"] for r in runs),
                             "runs_seconds": [round(r["seconds"], 3) for r in runs]}
    table = Table(title=f"Red rainstorm warning on street {street} → every plan active "
                        "(SQLite, demo city)")
    for heading in ("case", "s (median)", "target", "plans", "roles", "unstaffed", "tasks",
                    "requests", "alerts", "again s"):
        table.add_column(heading)
    for index, (name, r) in enumerate(results.items()):
        table.add_row(name, f"{r['seconds']:.3f}", f"≤ {TARGET_SECONDS}" if index == 0 else "—",
                      str(r["activations"]), str(r["roles_filled"]), str(r["roles_unstaffed"]),
                      str(r["tasks"]), str(r["requests"]), str(r["alerts"]),
                      f"{r['redelivery_seconds']:.3f}")
    Console(width=130).print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "street": street,
        "instance": f"demo city district scale, seed {args.seed}, SQLite file; red rainstorm "
                    "warning, perform level I", "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "target_seconds": TARGET_SECONDS, "results": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
