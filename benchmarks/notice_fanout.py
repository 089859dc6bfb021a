"""How fast does a notice fan out to a million residents, and how fast does the in-app
channel deliver it?

A temporary SQLite file holds a city of 10 streets × 20 communities × 10 buildings and
1,000,000 residents (500 per building, bulk-inserted with one recursive INSERT … SELECT).
A notice covering the whole city is composed and approved, then timed:

- queue: ``send_notice`` — one outbox row per resident and channel (in-app), one
  INSERT … SELECT per covered subtree — and the commit; target ≤ 10 s;
- drain: the outbox worker's in-app channel claiming batches and writing the feed until
  nothing is due; target ≥ 20,000 deliveries per second.

Prints a table and writes benchmarks/results/notice_fanout.json.

    .venv/bin/python benchmarks/notice_fanout.py [--residents 1000000] [--batch 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from communitas.alerts import notice_service as notices
from communitas.alerts.delivery import DrainReport, drain_channel
from communitas.alerts.models import Channel, FeedItem, OutboxMessage
from communitas.alerts.notice_service import Issuer
from communitas.alerts.outbox import OutboxPolicy
from communitas.alerts.schemas import NoticeCreate
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.schemas import AreaCreate
from communitas.auth.permissions import SYSTEM, Principal
from communitas.auth.roles import Role
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work

RESULTS = Path(__file__).parent / "results" / "notice_fanout.json"
CITY, DISTRICT = "310100", "310115"
STREETS, COMMUNITIES, BUILDINGS = 10, 20, 10
TARGETS = {"queue_seconds": 10.0, "deliveries_per_second": 20_000.0}


def _area(kind: AreaKind, code: str, parent: str | None) -> AreaCreate:
    return AreaCreate(kind=kind, code=code, parent_code=parent, name_zh=f"区域{code}",
                      name_en=f"Area {code}")


def build_city(factory: sessionmaker[Session]) -> int:
    items = [_area(AreaKind.CITY, CITY, None), _area(AreaKind.DISTRICT, DISTRICT, CITY)]
    for s in range(1, STREETS + 1):
        street = f"{DISTRICT}{s:03d}000"
        items.append(_area(AreaKind.STREET, street, DISTRICT))
        for c in range(1, COMMUNITIES + 1):
            community = f"{DISTRICT}{s:03d}{c:03d}"
            items += [_area(AreaKind.COMMUNITY, community, street),
                      _area(AreaKind.GRID, f"{community}-G01", community)]
            items += [_area(AreaKind.BUILDING, f"{community}-B{b:03d}", f"{community}-G01")
                      for b in range(1, BUILDINGS + 1)]
    with unit_of_work(factory) as session:
        areas.create_areas(session, principal=SYSTEM, items=items)
    return len(items)


def bulk_residents(factory: sessionmaker[Session], residents: int) -> None:
    """``residents`` people spread evenly over the buildings, in one INSERT … SELECT."""
    buildings = STREETS * COMMUNITIES * BUILDINGS
    per_building = -(-residents // buildings)
    with unit_of_work(factory) as session:
        session.execute(text("CREATE TEMP TABLE bench_buildings "
                             "(idx INTEGER PRIMARY KEY, area_id INTEGER)"))
        session.execute(text("INSERT INTO bench_buildings (area_id) SELECT id FROM areas "
                             "WHERE kind = 'building' ORDER BY id"))
        session.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :n) "
            "INSERT INTO people (code, kind, name_zh, name_en, area_id, skills) "
            "SELECT printf('P%07d', i), 'resident', '居民', '', b.area_id, '[]' "
            "FROM n JOIN bench_buildings b ON b.idx = i / :per + 1"),
            {"n": residents, "per": per_building})


def notice_body() -> NoticeCreate:
    return NoticeCreate(title_zh="台风橙色预警", title_en="Orange typhoon warning",
                        body_zh="请关好门窗，减少外出。", body_en="Close windows; stay indoors.",
                        hazard="typhoon", category="Met", severity="Severe",
                        urgency="Expected", area_codes=[CITY])


def run(residents: int, batch: int, path: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    area_count = build_city(factory)
    bulk_residents(factory, residents)
    setup = time.perf_counter() - started
    issuer = Issuer(sender="communitas.bench", unit_code="31011541600000")
    approver = Principal(username="approver", role=Role.PLATFORM_ADMIN, scope_path="/")
    with unit_of_work(factory) as session:
        notice = notices.compose_notice(session, principal=SYSTEM, data=notice_body(),
                                        issuer=issuer)
        notices.approve_notice(session, principal=approver, notice_id=notice.id)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        queued = notices.send_notice(session, principal=SYSTEM, notice_id=notice.id)
    queue_seconds = time.perf_counter() - started
    report = DrainReport()
    policy = OutboxPolicy(batch_size=batch)
    started = time.perf_counter()
    drain_channel(factory, channel=Channel.IN_APP, clock=_Clock(), policy=policy, sender=None,
                  report=report)
    drain_seconds = time.perf_counter() - started
    with factory() as session:
        outbox_rows = session.execute(select(func.count()).select_from(OutboxMessage)
                                      ).scalar_one()
        feed_rows = session.execute(select(func.count()).select_from(FeedItem)).scalar_one()
    engine.dispose()
    return {"residents": residents, "areas": area_count, "setup_seconds": round(setup, 2),
            "queued": queued, "outbox_rows": outbox_rows,
            "queue_seconds": round(queue_seconds, 3), "delivered": report.delivered,
            "feed_rows": feed_rows, "drain_seconds": round(drain_seconds, 3),
            "deliveries_per_second": round(report.delivered / drain_seconds),
            "batch_size": batch}


class _Clock:
    def now(self) -> Any:
        from communitas.clock import SystemClock
        return SystemClock().now()


def _table(result: dict[str, Any]) -> Table:
    table = Table(title=f"Notice fan-out to {result['residents']:,} residents (SQLite)")
    for column in ("step", "rows", "seconds", "rate /s", "target", "met"):
        table.add_column(column, justify="left" if column == "step" else "right")
    queue_ok = result["queue_seconds"] <= TARGETS["queue_seconds"]
    drain_ok = result["deliveries_per_second"] >= TARGETS["deliveries_per_second"]
    table.add_row("queue (send_notice + commit)", f"{result['outbox_rows']:,}",
                  f"{result['queue_seconds']:.2f}",
                  f"{result['outbox_rows'] / result['queue_seconds']:,.0f}",
                  f"≤ {TARGETS['queue_seconds']:.0f} s", "yes" if queue_ok else "NO")
    table.add_row("drain in-app (claim + feed)", f"{result['delivered']:,}",
                  f"{result['drain_seconds']:.2f}", f"{result['deliveries_per_second']:,}",
                  f"≥ {TARGETS['deliveries_per_second']:,.0f} /s", "yes" if drain_ok else "NO")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        result = run(args.residents, args.batch, Path(directory) / "fanout.db")
    Console(width=120).print(_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "cpus": len(os.sched_getaffinity(0)), "sqlite": sqlite3.sqlite_version,
        "targets": TARGETS, "result": result}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
