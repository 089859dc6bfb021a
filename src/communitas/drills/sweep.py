"""Sweeps: many drills — seeds × variants — in parallel on Dask, the same numbers as one by one.

The city is copied once into an *image* (the bytes of its SQLite database); each drill
deserialises the image into its own in-memory database, applies its variant, plays and
returns its metrics. Nothing is shared between drills, and every random stream is seeded by
strings, so where a drill runs (this process, a worker process, another machine) changes
nothing in its numbers. A local cluster is started unless a scheduler address is given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from communitas.db import unit_of_work
from communitas.drills.compare import compare_runs
from communitas.drills.metrics import compute
from communitas.drills.sandbox import from_image
from communitas.drills.scenario import Scenario
from communitas.drills.simulator import Drill, DrillClock
from communitas.drills.variants import VARIANTS

__all__ = ["DrillJob", "city_image", "play", "run_sweep", "sweep_result"]


@dataclass(frozen=True)
class DrillJob:
    """One drill of a sweep: plain data, so it travels to any worker."""

    variant: str
    seed: int
    until_minutes: float | None = None


def city_image(factory: sessionmaker[Session]) -> bytes:
    """The bytes of a drill city's in-memory SQLite database."""
    raw = factory.kw["bind"].raw_connection()
    try:
        connection = raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        image = bytearray(connection.serialize())
    finally:
        raw.close()
    # A copy of a WAL database keeps the WAL flag in its header (bytes 18-19); an in-memory
    # database cannot open in WAL mode, so the image says "rollback journal" instead.
    image[18:20] = b"\x01\x01"
    return bytes(image)


def play(image: bytes, scenario: Scenario, job: DrillJob) -> dict[str, Any]:
    """One drill on a fresh copy of the image, its variant applied first; its metrics."""
    import communitas.models  # noqa: F401  (every table mapped, in a fresh worker too)

    factory = from_image(image)
    try:
        with unit_of_work(factory) as session:
            VARIANTS[job.variant](session, DrillClock(scenario.start))
        record = Drill(scenario, factory, seed=job.seed, until_minutes=job.until_minutes).run()
        return compute(record)
    finally:
        factory.kw["bind"].dispose()


def jobs_for(variants: list[str], seeds: list[int],
             until_minutes: float | None) -> list[DrillJob]:
    return [DrillJob(v, s, until_minutes) for v in variants for s in seeds]


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def run_sweep(image: bytes, scenario: Scenario, jobs: list[DrillJob], *,
              parallel: bool = True, scheduler: str | None = None, workers: int = 2,
              progress: Callable[[DrillJob], None] | None = None) -> list[dict[str, Any]]:
    """Every job's metrics, in the order of ``jobs``; on Dask unless ``parallel`` is off."""
    if not parallel:
        results = []
        for job in jobs:
            results.append(play(image, scenario, job))
            if progress:
                progress(job)
        return results
    from dask.distributed import as_completed

    with _client(scheduler, workers) as client:
        shared_image, shared_scenario = client.scatter([image, scenario], broadcast=True)
        futures = [client.submit(play, shared_image, shared_scenario, job, pure=False)
                   for job in jobs]
        by_future = dict(zip(futures, jobs, strict=True))
        for future in as_completed(futures):
            if progress:
                progress(by_future[future])
        return client.gather(futures)


def sweep_result(jobs: list[DrillJob], metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs grouped by variant (seed order kept) with the comparison, as drill compare."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for job, result in zip(jobs, metrics, strict=True):
        runs.setdefault(job.variant, []).append(result)
    return {"seeds": sorted({j.seed for j in jobs}),
            "variants": list(dict.fromkeys(j.variant for j in jobs)),
            "comparison": compare_runs(runs), "runs": runs}
