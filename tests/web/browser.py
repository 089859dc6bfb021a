"""The browser tests' machinery: the real server on the demo district, Debian's Chromium,
screenshots and page load times (Performance API navigation timing)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from communitas.db import make_engine, make_session_factory, migrate, unit_of_work
from communitas.demo import loader
from tests.conftest import TEST_SECRET
from tests.servers import communitas_server, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts"
TIMINGS: list[dict[str, Any]] = []
PASSWORD = loader.DEMO_PASSWORD
COMMUNITY = "310115001001"  # the demo committee's community, in the dispatcher's street
STREET = "310115001000"
# Every browser test module starts with ``pytestmark = BROWSER_MARKS``.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium is not installed at /usr/bin/chromium "
                              "(apt-get install -y chromium; .ci/run does it)"),
]

_NAVIGATION = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {ttfb: n.responseStart - n.startTime,
          dom_ready: n.domContentLoadedEventEnd - n.startTime,
          load: n.loadEventEnd - n.startTime,
          map_ready: Number(document.body.dataset.mapReadyMs || 0)};
}"""


@contextmanager
def serve(url: str, port: int, log: Path, secret: str) -> Iterator[str]:
    """``communitas serve`` on ``url``'s database; yields the base URL."""
    with communitas_server(url, port, log, secret=secret, args=("--no-scheduler",),
                           env={"COMMUNITAS_MAP_REFRESH_SECONDS": "2"}):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def demo_server(directory: Path, prepare: Callable[[Session], object] | None = None
                ) -> Iterator[str]:
    """The demo district (seed 42) in a fresh SQLite file under ``directory``, with
    ``prepare`` run on it first, served on a free port; yields the base URL."""
    url = f"sqlite:///{directory / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        loader.build_demo(session, seed=loader.DEMO_SEED, scale="district")
        if prepare is not None:
            prepare(session)
    engine.dispose()
    with serve(url, free_port(), directory / "server.log", TEST_SECRET) as base:
        yield base


def sign_in(page: Any, username: str) -> None:
    """Sign in through the form with a demo login."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state("load")


def record_timing(page: Any, label: str) -> dict[str, Any]:
    """The navigation timing of the page now shown, kept for the report."""
    page.wait_for_function(
        "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    timing = {k: round(float(v)) for k, v in page.evaluate(_NAVIGATION).items()}
    entry = {"page": label, "path": page.url.split("/", 3)[-1], **timing}
    TIMINGS.append(entry)
    return entry


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def write_timings() -> str:
    """The load-time table (also written to tmp/artifacts/page-timings.json)."""
    if not TIMINGS:
        return ""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page-timings.json").write_text(json.dumps(TIMINGS, indent=1))
    lines = [f"{'page':<42} {'ttfb ms':>8} {'DOM ms':>8} {'load ms':>8} {'map data ms':>12}"]
    lines += [f"{t['page']:<42} {t['ttfb']:>8} {t['dom_ready']:>8} {t['load']:>8} "
              f"{t['map_ready'] or '':>12}" for t in TIMINGS]
    worst = max(t["load"] for t in TIMINGS)
    lines.append(f"slowest load: {worst} ms (target ≤ 1000 ms on the demo district)")
    return "\n".join(lines)
