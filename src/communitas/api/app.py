"""The FastAPI application factory."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy import Engine

from communitas import __version__
from communitas.api.errors import install_error_handlers
from communitas.config import Settings, get_settings
from communitas.db import make_engine, make_session_factory, migrate
from communitas.privacy import RedactingFilter

ROUTER_MODULES = (
    "communitas.auth.api",
    "communitas.areas.api",
    "communitas.actors.api",
    "communitas.resources.api",
    "communitas.dispatch.api",
    "communitas.transfer.api",
    "communitas.audit_api",
    "communitas.modes.api",
    "communitas.modes.activation_api",
    "communitas.tasks.api",
    "communitas.alerts.api",
    "communitas.drills.api",
    "communitas.community.api",
    "communitas.routine.api",
    "communitas.supervision.api",
)


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, run_migrations: bool = True
) -> FastAPI:
    """Build the app; migrations run here, at start-up, unless the caller already ran them."""
    import importlib

    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    app = FastAPI(
        title="Communitas",
        version=__version__,
        description="Resilient emergency governance of urban communities / "
        "城市社区韧性应急治理平台",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)
    app.state.intake_writer = _intake_writer(app, settings)
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        for attr in ("router", "users_router"):
            if hasattr(module, attr):
                app.include_router(getattr(module, attr))

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    from communitas import web  # the pages: `/` is their home; the API docs stay at /docs

    web.install(app)
    from communitas.dispatch.intake_http import IntakeFastPath

    app.add_middleware(IntakeFastPath)  # the public form's lean path, before any routing
    install_log_redaction()
    return app


def _intake_writer(app: FastAPI, settings: Settings) -> object:
    from communitas.dispatch.intake_writer import IntakeWriter
    from communitas.dispatch.service import DispatchPolicy

    policy = DispatchPolicy.from_settings(settings)
    return IntakeWriter(lambda: app.state.session_factory, policy=policy,
                        inline=settings.intake_triage == "inline",
                        max_batch=settings.intake_max_batch)


def install_log_redaction() -> None:
    """Mask phone and identity numbers in our logs and uvicorn's (access lines carry URLs)."""
    for name in ("communitas", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
