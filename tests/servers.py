"""`communitas serve` as a subprocess on a free loopback port, for tests that need a real
server (kill -9 durability, browser journeys)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx  # the maintained fork Starlette's TestClient also uses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def communitas_server(url: str, port: int, log: Path, *, secret: str,
                      env: dict[str, str] | None = None, args: tuple[str, ...] = ()
                      ) -> Iterator[subprocess.Popen[bytes]]:
    """Serve ``url``'s database on ``port`` until the block ends (or the test kills it)."""
    environment = {**os.environ, "COMMUNITAS_DATABASE_URL": url,
                   "COMMUNITAS_ENVIRONMENT": "test", "COMMUNITAS_SECRET_KEY": secret,
                   "COMMUNITAS_REQUEST_RATE_LIMIT": "100000", **(env or {})}
    command = [str(Path(sys.executable).parent / "communitas"), "serve", *args,
               "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=environment, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
