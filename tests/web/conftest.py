"""A world with dispatch staff, stock and a resident, and the app to visit it with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from communitas.api.app import create_app
from communitas.auth.permissions import SYSTEM
from communitas.auth.roles import Role
from communitas.config import Settings
from communitas.modes import plan_service
from tests.dispatch.helpers import COMMITTEE_A1, build_dispatch_world
from tests.factories import COMMUNITY_A1, COMMUNITY_B1, STREET_A, make_user
from tests.resources.helpers import stock
from tests.web.helpers import Visitor


@pytest.fixture
def world(db: Session) -> Session:
    """The dispatch test city, water in community A1, a street commander, the plan library."""
    build_dispatch_world(db)
    stock(db, "water.bottled", COMMITTEE_A1, COMMUNITY_A1, 200)
    make_user(db, "jiedao", Role.STREET_COMMANDER, area_code=STREET_A)
    make_user(db, "juweiB", Role.COMMUNITY_COMMITTEE, area_code=COMMUNITY_B1)
    plan_service.install_plan_library(db, principal=SYSTEM)
    db.commit()
    return db


@pytest.fixture
def app(engine: Engine, settings: Settings, session_factory: sessionmaker[Session],
        world: Session) -> FastAPI:
    application = create_app(settings, engine=engine, run_migrations=False)
    application.state.session_factory = session_factory
    return application


@pytest.fixture
def visitor(app: FastAPI) -> Callable[..., Visitor]:
    """A new browser for one person: ``visitor()`` or ``visitor(language="en")``."""
    return lambda **kwargs: Visitor(app, **kwargs)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, for one module of browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def person(chromium: Any, server: str) -> Iterator[Callable[..., Any]]:
    """A new browser profile (cookies of its own), reading Simplified Chinese, on the
    module's ``server``: ``person()`` is a phone, ``person(1280, 900)`` a desk."""
    contexts = []

    def open_page(width: int = 412, height: int = 915) -> Any:
        context = chromium.new_context(base_url=server, locale="zh-CN",
                                       viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the browser tests' page load times (target ≤ 1 s on the demo district)."""
    from tests.web.browser import write_timings

    table = write_timings()
    if table:
        terminalreporter.write_sep("-", "page load times (navigation timing, Chromium)")
        terminalreporter.write_line(table)
