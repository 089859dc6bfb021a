"""Server-rendered pages over the same services as the API (docs/web.md).

:func:`install` adds the page routers and the static files (our CSS and JavaScript, and
Leaflet from the xstatic-leaflet package, so no CDN is needed) to the application.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGE_MODULES", "STATIC_DIR", "install", "warm_templates"]

STATIC_DIR = Path(__file__).parent / "static"
# Each module has a ``router``; other domains' page modules are added here.
PAGE_MODULES = (
    "communitas.web.pages",
    "communitas.web.residents",
    "communitas.web.queue",
    "communitas.web.situation",
    "communitas.web.stock",
    "communitas.web.modes_pages",
    "communitas.web.task_pages",
    "communitas.web.sweep_pages",
    "communitas.web.notice_compose",
    "communitas.web.notice_pages",
    "communitas.web.resident_notices",
    "communitas.web.aid_pages",
    "communitas.web.offer_pages",
    "communitas.web.claim_pages",
    "communitas.web.activation_pages",
    "communitas.web.supervision_pages",
    "communitas.web.metrics_pages",
)


def install(app: FastAPI) -> None:
    import xstatic.pkg.leaflet as leaflet

    app.mount("/static/web", StaticFiles(directory=STATIC_DIR), name="web-static")
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    for name in PAGE_MODULES:
        app.include_router(importlib.import_module(name).router)
    warm_templates()


def warm_templates() -> None:
    """Compile every template at start-up, not on the first visitor's request."""
    from communitas.web.context import _ENV, TEMPLATE_DIR

    for path in sorted(TEMPLATE_DIR.glob("*.html")):
        _ENV.get_template(path.name)
