"""How long do the supervision, activation and participation pages take on the demo district?

Instance: the demo city (district scale, seed 42) on a SQLite file, the district commander
raising the first street to level II for a flood (the street's plan and its communities'
plans activate), one more cadre sent down to each community of that street (besides the
demo's own), and six finished tasks per community. Each page is fetched in-process through
the real application (FastAPI TestClient: routing, session, services, templates), once to
warm up (its time shown as "first") and then ``--repeats`` times; the median and the
slowest are shown. Target: ≤ 1 s.

    .venv/bin/python benchmarks/web_report_pages.py [--repeats 5] [--seed 42]

Prints a table and writes benchmarks/results/web_report_pages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, update

from communitas.actors import service as actors
from communitas.actors.kinds import PersonKind
from communitas.actors.models import Organisation
from communitas.actors.schemas import PersonCreate
from communitas.api.app import create_app
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth import service as auth
from communitas.auth.permissions import SYSTEM
from communitas.config import Settings
from communitas.db import make_engine, make_session_factory, migrate
from communitas.demo.loader import DEMO_PASSWORD, build_demo
from communitas.modes import activation_reads
from communitas.modes import service as modes
from communitas.modes.schemas import ModeSet
from communitas.supervision import service as supervision
from communitas.supervision.schemas import AssignmentCreate
from communitas.tasks import service as tasks
from communitas.tasks.lifecycle import TaskStatus
from communitas.tasks.models import Task
from communitas.tasks.schemas import TaskCreate

RESULTS = Path(__file__).parent / "results" / "web_report_pages.json"
TARGET_MS = 1000


def _prepare(url: str, seed: int) -> dict[str, Any]:
    """The demo district, street 1 at level II (flood), cadres sent down, tasks finished."""
    engine = make_engine(url)
    migrate(engine)
    with make_session_factory(engine)() as session:
        build_demo(session, seed=seed, scale="district")
        session.commit()
        street = session.execute(select(Area).where(Area.kind == AreaKind.STREET)
                                 .order_by(Area.code).limit(1)).scalar_one()
        commander = auth.principal_for_user(session, auth.get_user(session, username="district"))
        started = time.perf_counter()
        modes.set_mode(session, principal=commander, code=street.code, data=ModeSet(
            level="level_ii", reason="benchmark: heavy rain", hazard="flood"))
        session.commit()
        switch_s = time.perf_counter() - started
        low, high = street.subtree_bounds()
        communities = list(session.execute(select(Area).where(
            Area.kind == AreaKind.COMMUNITY, Area.path >= low, Area.path < high)
            .order_by(Area.code)).scalars())
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
        actors.create_people(session, principal=SYSTEM, items=[PersonCreate(
            code=f"BENCH-{n:03d}", kind=PersonKind.CADRE, name_zh=f"干部{n}",
            name_en=f"Cadre {n}", area_code=community.code)
            for n, community in enumerate(communities)])
        for n, community in enumerate(communities):
            supervision.assign(session, principal=SYSTEM, data=AssignmentCreate(
                person_code=f"BENCH-{n:03d}", community_code=community.code,
                role="grid_support", starts_on=yesterday))
            made = tasks.create_tasks(session, principal=SYSTEM, items=[TaskCreate(
                title=f"Benchmark task {i}", area_code=community.code) for i in range(6)])
            org = session.execute(select(Organisation.id).where(
                Organisation.home_area_id == community.id).order_by(Organisation.id)
                .limit(1)).scalar_one_or_none()
            session.execute(update(Task).where(Task.id.in_([t.id for t in made])).values(
                status=TaskStatus.DONE, done_at=datetime.now(UTC), assignee_org_id=org))
        session.commit()
        latest = activation_reads.latest_by_area(session, principal=SYSTEM, within=street.code)
        result = {"street": street.code, "community": communities[0].code,
                  "street_activation": latest[street.code].id,
                  "community_activation": latest[communities[0].code].id,
                  "switch_seconds": round(switch_s, 3), "communities": len(communities)}
    engine.dispose()
    return result


def _time(client: TestClient, path: str, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    first = client.get(path)
    first_ms = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, (path, first.status_code, first.text[:300])
    runs = []
    for _n in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        runs.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"first_ms": round(first_ms), "median_ms": round(statistics.median(runs)),
            "max_ms": round(max(runs)), "bytes": len(first.content)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        setup = _prepare(url, args.seed)
        app = create_app(Settings(environment="development", database_url=url))
        s, c = setup["street"], setup["community"]
        cases = [
            ("district", "modes", "/modes"),
            ("district", "activations (list)", "/activations"),
            ("district", "activation: street plan", f"/activations/{setup['street_activation']}"),
            ("district", "activation: community plan",
             f"/activations/{setup['community_activation']}"),
            ("committee", "activation: community plan",
             f"/activations/{setup['community_activation']}"),
            ("street", "supervision (street view)", "/supervision"),
            ("district", "supervision (first street)", f"/supervision?street={s}"),
            ("committee", "supervision (own community)", "/supervision"),
            ("district", "participation: district", "/metrics"),
            ("street", "participation: street", "/metrics"),
            ("committee", "participation: community", f"/metrics?area={c}"),
        ]
        clients: dict[str, TestClient] = {}
        results = []
        with TestClient(app) as base:
            base.get("/login")
            for username in ("district", "street", "committee"):
                client = TestClient(app, follow_redirects=False)
                client.get("/login")
                signed = client.post("/login", data={
                    "username": username, "password": DEMO_PASSWORD,
                    "csrf_token": client.cookies.get("communitas_csrf")})
                assert signed.status_code == 303, signed.text[:300]
                clients[username] = client
            for who, name, path in cases:
                results.append({"who": who, "page": name, "path": path,
                                **_time(clients[who], path, args.repeats)})
    table = Table(title=f"Report pages on the demo district (seed {args.seed}, SQLite, "
                        f"street {setup['street']} at level II)")
    for heading in ("account", "page", "first ms", "median ms", "slowest ms", "KB"):
        table.add_column(heading)
    for r in results:
        table.add_row(r["who"], r["page"], str(r["first_ms"]), str(r["median_ms"]),
                      str(r["max_ms"]),
                      str(round(r["bytes"] / 1024)))
    Console(width=120).print(table)
    worst = max(max(r["max_ms"], r["first_ms"]) for r in results)
    print(f"slowest: {worst} ms (target ≤ {TARGET_MS} ms); switch with activation "
          f"{setup['switch_seconds']} s")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "instance": f"demo city district scale, seed {args.seed}, SQLite file; street "
                    f"{setup['street']} at level II (flood), {setup['communities']} "
                    "communities with one more cadre sent down each and 6 finished tasks",
        "cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "repeats": args.repeats, "setup": setup, "pages": results}, indent=1))


if __name__ == "__main__":
    main()
