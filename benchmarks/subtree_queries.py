"""How fast are the queries every screen makes over an area subtree, on the demo city?

Builds the demo city (seed 42) into a fresh SQLite file, or uses PostgreSQL when
COMMUNITAS_BENCH_DATABASE_URL names an empty database, then times each query over several
repeats and reports the median. Prints a table and writes benchmarks/results/subtree_queries.json.

    .venv/bin/python benchmarks/subtree_queries.py [--scale district|city] [--repeats 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from communitas.actors import service as actors
from communitas.areas import service as areas
from communitas.areas.codes import AreaKind
from communitas.areas.models import Area
from communitas.auth import service as auth
from communitas.auth.permissions import SYSTEM
from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.demo import loader
from communitas.pagination import paginate
from communitas.resources import reserves as resources_reserves
from communitas.resources import service as resources

RESULTS = Path(__file__).parent / "results" / "subtree_queries.json"


def _median_ms(run: Callable[[], Any], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _queries(session: Session) -> dict[str, Callable[[], Any]]:
    district = session.execute(select(Area).where(Area.kind == AreaKind.DISTRICT)
                               .order_by(Area.code)).scalars().first()
    street = session.execute(select(Area).where(Area.kind == AreaKind.STREET)
                             .order_by(Area.code)).scalars().first()
    assert district is not None and street is not None
    city = session.execute(select(Area).where(Area.kind == AreaKind.CITY)).scalar_one()
    committee = auth.principal_for_user(session, auth.get_user(session, username="committee"))
    return {
        "city statistics (sum over communities)": lambda: areas.subtree_statistics(
            session, code=city.code),
        "district statistics": lambda: areas.subtree_statistics(session, code=district.code),
        "street statistics": lambda: areas.subtree_statistics(session, code=street.code),
        "communities of a street, page 1": lambda: paginate(session, areas.list_areas(
            session, within=street.code, kind=AreaKind.COMMUNITY), page=1, page_size=50),
        "buildings of a district, page 1 + count": lambda: paginate(session, areas.list_areas(
            session, within=district.code, kind=AreaKind.BUILDING), page=1, page_size=50),
        "committee member lists residents": lambda: actors.list_people(
            session, principal=committee, page_size=50),
        "organisations serving a street": lambda: actors.list_organisations(
            session, principal=SYSTEM, within=street.code, page_size=50),
        "holdings in a district, page 1 + count": lambda: paginate(
            session, resources.list_holdings(session, principal=SYSTEM, within=district.code),
            page=1, page_size=50),
        "reserve gaps of a street": lambda: resources_reserves.reserve_gaps(
            session, principal=SYSTEM, within=street.code),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["district", "city"], default="district")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("COMMUNITAS_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            loader.build_demo(session, seed=loader.DEMO_SEED, scale=args.scale, progress=True)
        build_seconds = time.perf_counter() - started
        with unit_of_work(factory) as session:
            counts = {kind.value: len(session.execute(select(Area.id).where(Area.kind == kind))
                                      .all()) for kind in AreaKind}
            timings = {name: _median_ms(run, args.repeats)
                       for name, run in _queries(session).items()}
        engine.dispose()
    backend = url.split(":", 1)[0]
    table = Table(title=f"Subtree queries on the demo {args.scale} ({backend}), "
                        f"median of {args.repeats}")
    table.add_column("query")
    table.add_column("ms", justify="right")
    for name, ms in timings.items():
        table.add_row(name, f"{ms:.1f}")
    Console().print(table)
    Console().print(f"demo build: {build_seconds:.1f} s; areas: {counts}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "scale": args.scale, "backend": backend, "repeats": args.repeats,
        "build_seconds": round(build_seconds, 1), "areas": counts,
        "median_ms": {k: round(v, 2) for k, v in timings.items()},
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
