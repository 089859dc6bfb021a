"""A lower bound for the 14-day city lockdown drill: what a request's writes alone cost.

Issue 7 asks for the lockdown (826,526 requests at seed 1, all fourteen days) in 120 s
through the real services, and ../shared/DESIGN.md has every change append an event to the
hash-chained log. Whatever the services do in Python, each met request at least

- appends its nine events (submitted, queued, verified, approved, committed, shipped,
  holding.adjusted, delivered, confirmed), through ``events.record_events`` itself, with
  the payloads the platform writes;
- writes its own rows: the request and its line inserted, the shipment inserted, the
  request's status moved six times (verified, approved, committed, in transit, delivered,
  confirmed), the line's committed count, the holding's quantity, the shipment's shipped
  and delivered counts.

This benchmark does exactly that and nothing else: the rows go straight through the
sqlite3 driver as executemany batches of ``--batch`` requests, one transaction a batch, on
an in-memory copy of the demo district (the same schema and indexes as the city's; its
tables are smaller, so if anything this floor is low). No validation, no reads, no routing,
no planning, no SQLAlchemy for the rows. Times are CPU seconds of this process. It prints
the cost per request and that cost × the lockdown's requests against the 120 s target, and
writes benchmarks/results/lockdown_floor.json.

With ``--without-event-indexes`` the log's secondary indexes are dropped first (the chain
and its rows stay), to see how far a sandbox with a bare log would get; the results keep
one row for each variant.

    .venv/bin/python benchmarks/lockdown_floor.py [--requests 50000] [--batch 50]
        [--without-event-indexes]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from communitas.clock import FixedClock
from communitas.db import unit_of_work
from communitas.drills.sandbox import copy_of_engine, demo_city
from communitas.events import EventDraft, record_events

RESULTS = Path(__file__).parent / "results" / "lockdown_floor.json"
LOCKDOWN_REQUESTS = 826_526  # the shipped lockdown at seed 1 (demand.arrivals, all 14 days)
TARGET_S = 120.0
AT = datetime(2026, 4, 1, 8, tzinfo=UTC)

_REQUEST = """INSERT INTO requests (id, reference, status, requester_kind, submitted_by_staff,
    contact_name, area_id, priority, vulnerability, description, created_at, updated_at,
    queue_level, queue_area_id, queued_at, body_hash, rating_comment, triaged_at, submitted_by)
    VALUES (?, ?, 'submitted', 'resident', 0, '', ?, 3, '[]', '', ?, ?, 'community', ?, ?, ?,
    '', ?, ?)"""
_LINE = """INSERT INTO request_lines (id, request_id, position, kind, resource_type_id, quantity,
    committed, substitutes, skills) VALUES (?, ?, 1, 'items', ?, ?, 0, '[]', '[]')"""
_SHIPMENT = """INSERT INTO shipments (id, request_id, line_id, holding_id, quantity, shipped,
    delivered, returned, committed_by, committed_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 0, 0, 0, 'system', ?, ?)"""
_STATUS = "UPDATE requests SET status = ?, updated_at = ? WHERE id = ?"
_COMMITTED = "UPDATE request_lines SET committed = ? WHERE id = ?"
_HOLDING = "UPDATE holdings SET quantity = quantity - ?, updated_at = ? WHERE id = ?"
_SHIPPED = "UPDATE shipments SET shipped = ?, updated_at = ? WHERE id = ?"
_DELIVERED = "UPDATE shipments SET delivered = ?, updated_at = ? WHERE id = ?"


def _drafts(reference: str, area: str, line_id: int, shipment_id: int, holding_id: int,
            quantity: int, stock: int) -> list[EventDraft]:
    """A met request's own nine events, with the payloads the platform writes."""
    def request(action: str, payload: dict[str, Any]) -> EventDraft:
        return EventDraft(action, "request", reference, area, payload=payload)

    return [
        request("request.submitted", {
            "by": "requester", "contact_given": False, "kind": "resident", "priority": 3,
            "lines": [{"quantity": quantity, "type": "food.vegetable_pack"}],
            "status": "submitted", "vulnerable": False}),
        request("request.queued", {"by": "requester", "coverage": 1.0, "level": "community",
                                   "status": "submitted"}),
        request("request.verified", {"by": "staff", "reason": "", "status": "verified"}),
        request("request.approved", {"by": "staff", "reason": "", "status": "approved"}),
        request("request.committed", {"by": "staff", "holding_id": holding_id, "line": 1,
                                      "line_id": line_id, "quantity": quantity,
                                      "shipment_id": shipment_id, "status": "committed"}),
        request("request.shipped", {"by": "staff", "quantity": quantity, "reason": "",
                                    "shipment_id": shipment_id, "status": "in_transit"}),
        EventDraft("holding.adjusted", "holding", holding_id, area, payload={
            "delta": -quantity, "from": stock, "reason": f"request {reference}",
            "to": stock - quantity}),
        request("request.delivered", {"by": "staff", "quantity": quantity, "reason": "",
                                      "shipment_id": shipment_id, "status": "delivered"}),
        request("request.confirmed", {"by": "requester", "status": "confirmed", "unmet": {}}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=50, help="requests per transaction")
    parser.add_argument("--without-event-indexes", action="store_true",
                        help="drop the event log's secondary indexes (time, action, area, "
                             "the unique hash) first, as a sandbox that never searched its "
                             "log might")
    args = parser.parse_args()
    factory = copy_of_engine(demo_city(42, "district").kw["bind"])
    dropped = []
    if args.without_event_indexes:
        with unit_of_work(factory) as session:
            raw = session.connection().connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            dropped = [name for (name,) in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
                "AND sql IS NOT NULL ORDER BY name")]
            for name in dropped:
                raw.execute(f"DROP INDEX {name}")
            # the unique hash is part of the table: the table is made again without it
            (create,) = raw.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
            bare = re.sub(r",\s*CONSTRAINT (\w+) UNIQUE \(hash\)", "", create)
            if bare != create:
                raw.execute("ALTER TABLE events RENAME TO events_with_indexes")
                raw.execute(bare)
                raw.execute("INSERT INTO events SELECT * FROM events_with_indexes")
                raw.execute("DROP TABLE events_with_indexes")
                dropped.append("uq_events_hash")
    stamp = AT.strftime("%Y-%m-%d %H:%M:%S.%f")
    with unit_of_work(factory) as session:
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        area_id, area = raw.execute(
            "SELECT id, code FROM areas WHERE kind = 'community' ORDER BY id").fetchone()
        type_id = raw.execute("SELECT id FROM resource_types ORDER BY id").fetchone()[0]
        holdings = [row[0] for row in raw.execute(
            "SELECT id FROM holdings WHERE quantity > 1000 ORDER BY id")]
        first = 1 + max(int(raw.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                            .fetchone()[0]) for table in ("requests", "request_lines",
                                                          "shipments"))
    load_before = os.getloadavg()[0]
    events_cpu = rows_cpu = 0.0
    for start in range(0, args.requests, args.batch):
        ids = range(first + start, first + min(start + args.batch, args.requests))
        refs = {i: f"R20260401-{i:08d}" for i in ids}
        held = {i: holdings[i % len(holdings)] for i in ids}
        clock = FixedClock(AT + timedelta(seconds=start))
        with unit_of_work(factory) as session:
            drafts = [draft for i in ids
                      for draft in _drafts(refs[i], area, i, i, held[i], 40, 10_000)]
            began = time.process_time()  # the drafts are the services' work: not counted
            record_events(session, actor="system", clock=clock, drafts=drafts)
            events_cpu += time.process_time() - began
            raw = session.connection().connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            began = time.process_time()
            raw.executemany(_REQUEST, [(i, refs[i], area_id, stamp, stamp, area_id, stamp,
                                        "0" * 64, stamp, f"requester:{refs[i]}") for i in ids])
            raw.executemany(_LINE, [(i, i, type_id, 40) for i in ids])
            for status in ("verified", "approved", "committed"):
                raw.executemany(_STATUS, [(status, stamp, i) for i in ids])
            raw.executemany(_SHIPMENT, [(i, i, i, held[i], 40, stamp, stamp) for i in ids])
            raw.executemany(_COMMITTED, [(40, i) for i in ids])
            raw.executemany(_HOLDING, [(1, stamp, held[i]) for i in ids])
            raw.executemany(_STATUS, [("in_transit", stamp, i) for i in ids])
            raw.executemany(_SHIPPED, [(40, stamp, i) for i in ids])
            raw.executemany(_DELIVERED, [(40, stamp, i) for i in ids])
            for status in ("delivered", "confirmed"):
                raw.executemany(_STATUS, [(status, stamp, i) for i in ids])
            rows_cpu += time.process_time() - began
    per_event_us = events_cpu / (args.requests * 9) * 1e6
    events_us = events_cpu / args.requests * 1e6
    rows_us = rows_cpu / args.requests * 1e6
    floor_s = (events_cpu + rows_cpu) / args.requests * LOCKDOWN_REQUESTS
    row = {"requests": args.requests, "batch": args.batch,
           "event_indexes_dropped": ", ".join(dropped) or "none",
           "us_per_event": round(per_event_us, 1),
           "us_events_per_request": round(events_us, 1),
           "us_rows_per_request": round(rows_us, 1),
           "us_per_request": round(events_us + rows_us, 1),
           "lockdown_requests": LOCKDOWN_REQUESTS, "lockdown_floor_s": round(floor_s, 1),
           "target_s": TARGET_S, "left_for_everything_else_s": round(TARGET_S - floor_s, 1),
           "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    table = Table(title="A request's writes alone (CPU, in-memory SQLite)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in row.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    # one row per variant: with the schema as it is, and without the log's indexes
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
    rows = [r for r in old if (r.get("event_indexes_dropped", "none") == "none") != (not dropped)]
    rows.append(row)
    rows.sort(key=lambda r: r.get("event_indexes_dropped", "none") != "none")
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
