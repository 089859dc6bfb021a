"""What does appending to the event log cost per event, and what floor does that set for a drill?

Every state change appends a hash-chained event (../shared/DESIGN.md, "Every change is an
event"); a request that is met goes through nine of its own (submitted, queued, verified,
approved, committed, shipped, holding.adjusted, delivered, confirmed). This benchmark times
``events.record_events`` on an in-memory SQLite copy of the demo district, in batches of
``--batch`` drafts shaped like a drill's (a request event with a small payload), and splits
the cost into the canonical JSON and SHA-256 of each event and the rest (redaction, the
INSERT, the head). It then prints the floor that cost alone sets for the 14-day city
lockdown: its requests (826,526 at seed 1) × the request and stock events per request of
the longest lockdown run in benchmarks/results/drills.json (nine, a met request's own, if
there is none), against issue 7's 120 s. Prints a table and writes
benchmarks/results/event_log.json.

    .venv/bin/python benchmarks/event_log.py [--batch 50] [--events 200000]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from communitas.clock import FixedClock
from communitas.db import unit_of_work
from communitas.drills.sandbox import copy_of_engine, demo_city
from communitas.events import EventDraft, _digest, canonical_json, record_events
from communitas.privacy import redact

RESULTS = Path(__file__).parent / "results" / "event_log.json"
LOCKDOWN_REQUESTS = 826_526  # the shipped lockdown at seed 1 (demand.arrivals, all 14 days)
EVENTS_PER_REQUEST = 9  # a met request's own events (module docstring)
TARGET_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=50, help="drafts per record_events call")
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    factory = copy_of_engine(demo_city(42, "district").kw["bind"])
    clock = FixedClock(datetime(2026, 7, 20, 8, tzinfo=UTC))
    drafts = [EventDraft("request.queued", "request", f"R2607{i:08d}", "310115001001",
                         payload={"by": "requester", "level": "community", "coverage": 0.5})
              for i in range(args.batch)]
    calls = max(1, args.events // args.batch)
    with unit_of_work(factory) as session:
        began = time.process_time()
        for _call in range(calls):
            record_events(session, actor="system", drafts=drafts, clock=clock)
        append = (time.process_time() - began) / (calls * args.batch)
    at = clock.now()
    began = time.process_time()
    for _call in range(calls):
        for draft in drafts:
            body = canonical_json(redact(draft.payload or {}))
            _digest(seq=1, at=at, actor="system", action=draft.action,
                    subject_type=draft.subject_type, subject_id=str(draft.subject_id),
                    area_code=draft.area_code, payload=body, prev_hash="0" * 64)
    hashing = (time.process_time() - began) / (calls * args.batch)
    per_request, measured_in = _events_per_request()
    events = round(LOCKDOWN_REQUESTS * per_request)
    row = {"events": calls * args.batch, "batch": args.batch,
           "us_per_event": round(append * 1e6, 1),
           "us_json_and_hash": round(hashing * 1e6, 1),
           "events_per_request": round(per_request, 2), "measured_in": measured_in,
           "lockdown_events": events, "lockdown_log_floor_s": round(events * append, 1),
           "lockdown_target_s": TARGET_S}
    table = Table(title="Appending to the event log (CPU seconds, in-memory SQLite)")
    for column in row:
        table.add_column(column)
    table.add_row(*(f"{value:,}" if isinstance(value, int) else str(value)
                    for value in row.values()))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=1), encoding="utf-8")


def _events_per_request() -> tuple[float, str]:
    """The request and stock events per request of the longest lockdown run on record (those
    of plan activation's tasks, notices … left out: they do not grow with the days), else a
    met request's own nine."""
    drills = RESULTS.parent / "drills.json"
    rows = [row for row in json.loads(drills.read_text(encoding="utf-8"))
            if row["scenario"] == "lockdown_14d_city" and row.get("events_by_subject")] \
        if drills.exists() else []
    if not rows:
        return float(EVENTS_PER_REQUEST), "a met request's own events"
    longest = max(rows, key=lambda row: row["hours"])
    own = sum(longest["events_by_subject"].get(kind, 0) for kind in ("request", "holding"))
    return own / longest["requests"], f"lockdown, first {longest['hours']} h"


if __name__ == "__main__":
    main()
