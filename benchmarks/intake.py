"""How many public-form submissions per second does intake take over HTTP, and how fast?

The issue's targets, on one machine: >= 1,000 submissions/s sustained for 30 s, and p99
latency <= 50 ms at 300/s — on SQLite, with the same figures reported for PostgreSQL.

For each backend: a fresh database (a temporary SQLite file, or a new database
``communitas_bench_<random>`` on the PostgreSQL server of COMMUNITAS_BENCH_PG_URL, dropped
afterwards) gets the demo district (seed 42); ``communitas serve`` runs it as a subprocess
on a free loopback port (environment development, a random secret key, and the submission
rate limit raised to COMMUNITAS_REQUEST_RATE_LIMIT=1,000,000,000 so it never throttles);
then a load generator in a separate process (an ``asyncio.Protocol`` HTTP/1.1 client over
pre-opened keep-alive connections, every request's bytes built before the clock starts,
uvloop when installed; about 0.1 ms of CPU per request) posts anonymous public-form
submissions open-loop at a fixed rate with a bounded count:

- phase "throughput": target 1,000/s for --duration seconds (30,000 requests by default);
- phase "latency": target 300/s for --duration seconds.

Open loop: request i is due at start + i/rate whatever happened before; its latency is
measured from that due time (not from when a connection became free), so queueing behind a
slow server counts (no coordinated omission). At most --connections requests are in flight
(each connection from its own 127.0.0.x source address, as distinct phones would be);
requests still unsent --grace seconds after the last one was due are reported as "not
sent", and any still in flight as "cut off". Any non-2xx answer is an error (codes in the
JSON). Percentiles are over answered requests. A phase meets its target when nothing failed
or went unsent and: throughput — achieved >= 99% of the target rate; latency — p99 <= 50 ms.

Submissions vary the building (all the district's buildings), one to three item types,
quantities, priorities and vulnerability flags; each has a unique Idempotency-Key; 5% give a
phone number drawn from a small pool, so a few are merged as duplicates (counted).

CPU time is reported beside the rates, as it stays meaningful on a busy machine: the
server's per accepted submission (from /proc, split into each process's main thread — HTTP
and the event loop — and its other threads, chiefly the intake writer), and the generator's
per request (``time.process_time``).

Prints a table and writes benchmarks/results/intake.json.

    .venv/bin/python benchmarks/intake.py [--backend sqlite|postgresql|both] [--duration 30]
        [--quick] [--connections 64] [--grace 10] [--phase throughput|latency|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the maintained fork the test extra installs
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

RESULTS = Path(__file__).parent / "results" / "intake.json"
PG_ADMIN_URL = os.environ.get("COMMUNITAS_BENCH_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RATE_LIMIT = 1_000_000_000
THROUGHPUT_RATE, LATENCY_RATE, P99_TARGET_MS = 1000.0, 300.0, 50.0
FLAGS = ("aged_80", "living_alone", "disabled", "infants", "chronically_ill", "pregnant",
         "medical_dependency")
NOTES = ("", "", "", "Water cut since yesterday", "Elderly resident on the 6th floor, lift down",
         "Infant formula running out", "楼道积水，无法出门", "需要药品，血压药")
console = Console(width=None if sys.stdout.isatty() else 150)


@dataclass(frozen=True)
class World:
    """What a submission may name: building codes and item resource-type codes."""

    buildings: list[str]
    types: list[str]


@dataclass(frozen=True)
class Phase:
    name: str
    rate: float
    duration: float


@dataclass
class PhaseResult:
    backend: str
    phase: str
    target_rate: float
    requests: int
    achieved_rate: float
    ok: int
    errors: int
    not_sent: int
    error_codes: dict[str, int]
    merged: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    send_lag_p99_ms: float | None
    server_cpu_ms_per_ok: float | None
    server_cpu_ms_per_ok_by_thread: dict[str, float] | None
    client_cpu_s: float
    client_cpu_ms_per_request: float | None
    meets_target: bool


# --- the load generator (runs in its own process) -------------------------------------------

def _requests(world: World, count: int, port: int, seed: int) -> list[bytes]:
    """``count`` complete HTTP requests, built before the clock starts."""
    rng = random.Random(seed)
    phones = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
              for _ in range(max(10, count // 50))]
    tag = uuid.uuid4().hex[:8]
    out = []
    for i in range(count):
        kinds = rng.sample(world.types, rng.choices((1, 2, 3), weights=(6, 3, 1))[0])
        body: dict[str, Any] = {
            "area_code": rng.choice(world.buildings),
            "priority": rng.choices((1, 2, 3, 4), weights=(2, 15, 70, 13))[0],
            "lines": [{"resource_type_code": code, "quantity": rng.randint(1, 24)}
                      for code in kinds]}
        if rng.random() < 0.05:
            body["phone"] = rng.choice(phones)
            body["contact_name"] = rng.choice(("王", "李", "张", "刘", "陈")) + "先生"
        if rng.random() < 0.12:
            body["vulnerability"] = sorted(rng.sample(FLAGS, rng.randint(1, 2)))
        if note := rng.choice(NOTES):
            body["description"] = note
        payload = json.dumps(body, ensure_ascii=False).encode()
        head = (f"POST /api/requests HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nAccept-Language: en\r\n"
                f"Idempotency-Key: bench-{tag}-{i}\r\nContent-Length: {len(payload)}\r\n\r\n")
        out.append(head.encode() + payload)
    return out


UNSENT, IN_FLIGHT, TRANSPORT = 0, -1, -2


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight.

    Just enough of a client for this server's answers (a status line, headers with a
    Content-Length, a body): a callback per read and a few byte searches, no streams."""

    def __init__(self, load: _Load) -> None:
        self.load = load
        self.transport: asyncio.Transport | None = None
        self.current = -1
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, i: int) -> None:
        self.current, self.buffer = i, b""
        assert self.transport is not None
        self.transport.write(self.load.requests[i])

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            self.buffer = buffer
            return
        head = buffer[:end].lower()
        start = head.find(b"\r\ncontent-length:")
        if start < 0:  # not an answer this client understands (chunked, say)
            self.buffer = b""
            self._fail()
            return
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17:stop if stop > 0 else len(head)])
        if len(buffer) < end + 4 + length:
            self.buffer = buffer
            return
        self.buffer = b""
        body = buffer[end + 4:end + 4 + length]
        i, self.current = self.current, -1
        close = b"\r\nconnection: close" in head
        self.load.answered(self, i, int(buffer[9:12]), body, close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail()
        self.load.lost(self)

    def _fail(self) -> None:
        if self.current >= 0:
            i, self.current = self.current, -1
            self.load.failed(i)
        if self.transport is not None:
            self.transport.close()


class _Load:
    """Open-loop pacing over a pool of connections, with timestamps of every request."""

    def __init__(self, port: int, requests: list[bytes], rate: float, connections: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.port, self.requests, self.rate, self.connections = port, requests, rate, connections
        n = len(requests)
        self.status = [UNSENT] * n
        self.sent_at = [math.nan] * n
        self.done_at = [math.nan] * n
        self.merged = self.finished = self.next_due = 0
        # FIFO: every connection takes its turn, so none sits idle long enough for the
        # server's keep-alive timeout to close it under a request being sent.
        self.idle: deque[_Connection] = deque()
        self.backlog: deque[int] = deque()
        self.start = 0.0
        self.all_done = self.loop.create_future()
        self.opened = 0

    async def open(self, k: int) -> None:
        source = f"127.0.{1 + k // 250}.{2 + k % 250}"
        try:
            _transport, conn = await self.loop.create_connection(
                lambda: _Connection(self), "127.0.0.1", self.port, local_addr=(source, 0))
        except OSError:
            self.loop.call_later(0.05, lambda: self.loop.create_task(self.open(k)))
            return
        self.opened += 1
        self.ready(conn)

    def ready(self, conn: _Connection) -> None:
        if self.backlog:
            self._send(conn, self.backlog.popleft())
        else:
            self.idle.append(conn)

    def _send(self, conn: _Connection, i: int) -> None:
        self.sent_at[i] = self.loop.time() - self.start
        self.status[i] = IN_FLIGHT
        conn.send(i)

    def tick(self) -> None:
        """Send (or queue) everything due by now; come back when the next one is due."""
        n, now = len(self.requests), self.loop.time() - self.start
        i = self.next_due
        while i < n and i / self.rate <= now:
            if self.idle:
                self._send(self.idle.popleft(), i)
            else:
                self.backlog.append(i)
            i += 1
        self.next_due = i
        if i < n:  # whole milliseconds: the loop's timers have no finer grain (no spinning)
            wait = self.start + i / self.rate - self.loop.time()
            self.loop.call_later(max(math.ceil(wait * 1000), 1) / 1000, self.tick)

    def answered(self, conn: _Connection, i: int, code: int, body: bytes, close: bool) -> None:
        self.done_at[i], self.status[i] = self.loop.time() - self.start, code
        self.merged += code == 201 and b'"merged_into":null' not in body
        self._finish()
        if close:
            conn._fail()
        else:
            self.ready(conn)

    def failed(self, i: int) -> None:
        self.status[i], self.done_at[i] = TRANSPORT, self.loop.time() - self.start
        self._finish()

    def lost(self, conn: _Connection) -> None:
        if conn in self.idle:
            self.idle.remove(conn)
        if not self.all_done.done():  # a fresh connection from the same source
            self.loop.create_task(self.open(self.opened))

    def _finish(self) -> None:
        self.finished += 1
        if self.finished == len(self.requests) and not self.all_done.done():
            self.all_done.set_result(None)


async def _load(port: int, requests: list[bytes], rate: float, connections: int,
                grace: float) -> dict[str, Any]:
    load = _Load(port, requests, rate, connections)
    await asyncio.gather(*(load.open(k) for k in range(connections)))
    load.start = load.loop.time() + 0.2
    load.loop.call_at(load.start, load.tick)
    n = len(requests)
    with suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(load.all_done),
                               load.start + n / rate + grace - load.loop.time())
    load.all_done.cancel()
    for conn in load.idle:
        if conn.transport is not None:
            conn.transport.close()
    return {"status": load.status, "due": [i / rate for i in range(n)], "sent": load.sent_at,
            "done": load.done_at, "merged": load.merged}


def _loadgen(out: Connection, port: int, world: World, phase: Phase, connections: int,
             grace: float, seed: int) -> None:
    """Entry point of the load-generator process: results go back through ``out``."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    requests = _requests(world, int(phase.rate * phase.duration), port, seed)
    cpu = time.process_time()
    result = asyncio.run(_load(port, requests, phase.rate, connections, grace))
    result["client_cpu_s"] = time.process_time() - cpu
    out.send(result)
    out.close()


# --- the parent: database, server, phases, report -------------------------------------------

def _percentile(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _cpu_seconds(pid: int) -> dict[str, float] | None:
    """User + system CPU seconds of a process and its children (the API workers), Linux
    /proc, per kind of thread: ``loop`` (each process's main thread: HTTP and the event
    loop) and ``threads`` (the others: chiefly the intake writer — acceptance, and triage in
    its spare time — plus the scheduler and the thread pool)."""
    totals = {"loop": 0.0, "threads": 0.0}
    found = False
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name != str(pid) and fields[1] != str(pid):
            continue
        found = True
        for task in (stat.parent / "task").glob("[0-9]*"):
            try:
                values = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            kind = "loop" if task.name == stat.parent.name else "threads"
            totals[kind] += (int(values[11]) + int(values[12])) / tick
    return totals if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _database(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty database URL; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'intake-bench.db'}"
        return
    name = f"communitas_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _build_world(url: str) -> tuple[World, float]:
    """The demo district in the database; the codes a submission may name."""
    from communitas.areas.codes import AreaKind
    from communitas.areas.models import Area
    from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
    from communitas.demo import loader
    from communitas.resources.models import ResourceKind, ResourceType

    engine = make_engine(url)
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            loader.build_demo(session, seed=loader.DEMO_SEED, scale="district", progress=False)
        seconds = time.perf_counter() - started
        with unit_of_work(factory) as session:
            buildings = session.execute(select(Area.code).where(
                Area.kind == AreaKind.BUILDING).order_by(Area.code)).scalars().all()
            types = session.execute(select(ResourceType.code).where(
                ResourceType.kind != ResourceKind.TEAM).order_by(ResourceType.code)
            ).scalars().all()
    finally:
        engine.dispose()
    return World(buildings=list(buildings), types=list(types)), seconds


@contextmanager
def _server(url: str, log: Path, serve_args: list[str]) -> Iterator[tuple[int, int]]:
    """``communitas serve`` on a free loopback port; yields (port, pid)."""
    port = _free_port()
    env = {**os.environ, "COMMUNITAS_DATABASE_URL": url,
           "COMMUNITAS_ENVIRONMENT": "development",
           "COMMUNITAS_SECRET_KEY": secrets.token_urlsafe(48),
           "COMMUNITAS_HOST": "127.0.0.1", "COMMUNITAS_PORT": str(port),
           "COMMUNITAS_LOCALE": "en", "COMMUNITAS_REQUEST_RATE_LIMIT": str(RATE_LIMIT)}
    command = [str(Path(sys.executable).parent / "communitas"), "serve", *serve_args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield port, process.pid
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _warm_up(port: int, world: World, count: int = 50) -> None:
    """Sequential submissions before measuring (first-request imports, caches, pools)."""
    rng = random.Random(1)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for i in range(count):
            response = client.post("/api/requests", headers={
                "Idempotency-Key": f"warm-{uuid.uuid4().hex}-{i}"}, json={
                "area_code": rng.choice(world.buildings),
                "lines": [{"resource_type_code": rng.choice(world.types), "quantity": 1}]})
            if response.status_code != 201:
                raise RuntimeError(f"warm-up submission failed: {response.status_code} "
                                   f"{response.text[:500]}")


def _wait_idle(port: int, timeout: float = 60) -> None:
    """Let the server finish what an earlier phase left queued (health answers quickly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with suppress(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
        if time.perf_counter() - started < 0.05:
            time.sleep(1)
            return
        time.sleep(0.5)


def _run_phase(backend: str, phase: Phase, port: int, pid: int, world: World,
               connections: int, grace: float, seed: int) -> PhaseResult:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_loadgen, args=(send, port, world, phase, connections,
                                                     grace, seed))
    cpu_before = _cpu_seconds(pid)
    process.start()
    send.close()
    raw: dict[str, Any] = receive.recv()
    process.join()
    cpu_after = _cpu_seconds(pid)
    return _summarise(backend, phase, raw, cpu_before, cpu_after)


def _summarise(backend: str, phase: Phase, raw: dict[str, Any],
               cpu_before: dict[str, float] | None, cpu_after: dict[str, float] | None
               ) -> PhaseResult:
    status, due, sent, done = raw["status"], raw["due"], raw["sent"], raw["done"]
    codes: Counter[str] = Counter()
    latencies, lags, ok_done = [], [], []
    for code, due_at, sent_at, done_at in zip(status, due, sent, done, strict=True):
        if code == UNSENT:
            continue
        lags.append((sent_at - due_at) * 1000)
        if code == IN_FLIGHT:
            codes["cut off in flight"] += 1
            continue
        if code == TRANSPORT:
            codes["connection error"] += 1
            continue
        latencies.append((done_at - due_at) * 1000)
        if 200 <= code < 300:
            ok_done.append(done_at)
        else:
            codes[str(code)] += 1
    latencies.sort()
    lags.sort()
    ok = len(ok_done)
    not_sent = status.count(UNSENT)
    errors = sum(codes.values())
    achieved = ok / max(ok_done) if ok_done else 0.0
    p99 = _percentile(latencies, 99)
    clean = errors == 0 and not_sent == 0
    if phase.name == "throughput":
        meets = clean and achieved >= 0.99 * phase.rate
    else:
        meets = clean and p99 is not None and p99 <= P99_TARGET_MS
    server_cpu = by_thread = None
    if cpu_before is not None and cpu_after is not None and ok:
        by_thread = {kind: round((cpu_after[kind] - cpu_before[kind]) / ok * 1000, 3)
                     for kind in cpu_after}
        server_cpu = sum(by_thread.values())
    return PhaseResult(
        backend=backend, phase=phase.name, target_rate=phase.rate, requests=len(status),
        achieved_rate=achieved, ok=ok, errors=errors, not_sent=not_sent,
        error_codes=dict(codes), merged=raw["merged"], p50_ms=_percentile(latencies, 50),
        p95_ms=_percentile(latencies, 95), p99_ms=p99,
        max_ms=latencies[-1] if latencies else None,
        send_lag_p99_ms=_percentile(lags, 99), server_cpu_ms_per_ok=server_cpu,
        server_cpu_ms_per_ok_by_thread=by_thread,
        client_cpu_s=raw["client_cpu_s"],
        client_cpu_ms_per_request=raw["client_cpu_s"] / len(status) * 1000 if status else None,
        meets_target=meets)


def _bench_backend(backend: str, phases: list[Phase], args: argparse.Namespace,
                   tmp: Path) -> tuple[list[PhaseResult], dict[str, Any]]:
    with _database(backend, tmp) as url:
        console.print(f"[bold]{backend}[/bold]: building the demo district…")
        world, build_seconds = _build_world(url)
        console.print(f"  demo built in {build_seconds:.1f} s: {len(world.buildings):,} "
                      f"buildings, {len(world.types)} item types")
        results = []
        log = tmp / f"server-{backend}.log"
        with _server(url, log, _serve_args(args)) as (port, pid):
            console.print(f"  communitas serve on 127.0.0.1:{port} (pid {pid}), "
                          f"COMMUNITAS_REQUEST_RATE_LIMIT={RATE_LIMIT:,} so it never throttles")
            _warm_up(port, world)
            for number, phase in enumerate(phases):
                _wait_idle(port)
                console.print(f"  phase {phase.name}: {phase.rate:,.0f}/s for "
                              f"{phase.duration:g} s ({int(phase.rate * phase.duration):,} "
                              f"requests, {args.connections} connections)…")
                result = _run_phase(backend, phase, port, pid, world, args.connections,
                                    args.grace, seed=1000 + number)
                console.print(f"    ok {result.ok:,}, achieved {result.achieved_rate:,.0f}/s, "
                              f"p99 {_ms(result.p99_ms)} ms, errors {result.error_codes}, "
                              f"not sent {result.not_sent:,}")
                results.append(result)
        info = {"build_seconds": round(build_seconds, 1), "buildings": len(world.buildings),
                "item_types": len(world.types),
                "server_log_tail": log.read_text(errors="replace")[-2000:]
                if any(r.errors for r in results) else ""}
    return results, info


def _serve_args(args: argparse.Namespace) -> list[str]:
    return ["--workers", str(args.workers),
            "--access-log" if args.access_log else "--no-access-log"]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _split(by_thread: dict[str, float] | None) -> str:
    return "—" if by_thread is None else f"{by_thread['loop']:.2f} / {by_thread['threads']:.2f}"


def _table(results: list[PhaseResult], title: str) -> Table:
    table = Table(title=title)
    for column in ("backend", "phase", "target /s", "achieved /s", "ok", "errors", "not sent",
                   "p50 ms", "p95 ms", "p99 ms", "server CPU ms/ok", "loop / threads",
                   "client CPU ms/req",
                   "meets target"):
        table.add_column(column, justify="left" if column in ("backend", "phase") else "right")
    for r in results:
        table.add_row(r.backend, r.phase, f"{r.target_rate:,.0f}", f"{r.achieved_rate:,.0f}",
                      f"{r.ok:,}", f"{r.errors:,}", f"{r.not_sent:,}", _ms(r.p50_ms),
                      _ms(r.p95_ms), _ms(r.p99_ms), _ms(r.server_cpu_ms_per_ok),
                      _split(r.server_cpu_ms_per_ok_by_thread),
                      f"{r.client_cpu_ms_per_request or 0:.3f}",
                      "yes" if r.meets_target else "no")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 s phases")
    parser.add_argument("--connections", type=int, default=64,
                        help="most requests in flight at once (one connection each)")
    parser.add_argument("--workers", type=int, default=1,
                        help="`communitas serve --workers`: API processes on the port")
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True,
                        help="`communitas serve --access-log/--no-access-log`")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds after the last due time before unsent/in-flight "
                             "requests are given up")
    parser.add_argument("--phase", choices=["throughput", "latency", "both"], default="both",
                        help="run one phase only")
    args = parser.parse_args()
    duration = 3.0 if args.quick else args.duration
    phases = [Phase(name, rate, duration) for name, rate in
              (("throughput", THROUGHPUT_RATE), ("latency", LATENCY_RATE))
              if args.phase in (name, "both")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: list[PhaseResult] = []
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            backend_results, info[backend] = _bench_backend(backend, phases, args, Path(tmp))
            results.extend(backend_results)
    title = (f"Intake over HTTP: open loop, {duration:g} s phases, {os.cpu_count()} CPUs, "
             f"server and load generator on one machine")
    console.print(_table(results, title))
    console.print(f"Rate limit raised to {RATE_LIMIT:,} per window for the benchmark. "
                  "Latency from each request's due time; percentiles over answered requests.")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "command": " ".join(["benchmarks/intake.py", *sys.argv[1:]]),
        "quick": args.quick, "duration_s": duration, "connections": args.connections,
        "grace_s": args.grace, "cpus": os.cpu_count(), "rate_limit": RATE_LIMIT,
        "serve": " ".join(["communitas serve", *_serve_args(args)]),
        "targets": {"throughput_per_s": THROUGHPUT_RATE, "latency_rate_per_s": LATENCY_RATE,
                    "p99_ms": P99_TARGET_MS},
        "backends": info,
        "results": [{k: round(v, 2) if isinstance(v, float) else v
                     for k, v in asdict(r).items()} for r in results],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
