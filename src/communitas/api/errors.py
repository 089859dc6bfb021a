"""Every failure leaves the API in one envelope: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from communitas.errors import Busy, CommunitasError, Conflict
from communitas.i18n import _, negotiate_locale, translate
from communitas.privacy import redact

log = logging.getLogger("communitas.api")


def envelope(request: Request, *, status: int, code: str, message: str, details: Any = None,
             params: dict[str, Any] | None = None) -> JSONResponse:
    locale = negotiate_locale(request.headers.get("accept-language"))
    body = {"error": {"code": code, "message": translate(message, locale, **(params or {})),
                      "details": details}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        details.append({
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "type": err.get("type"),
            "message": err.get("msg"),
        })
    return list(redact(details))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CommunitasError)
    async def _domain(request: Request, exc: CommunitasError) -> JSONResponse:
        return envelope(request, status=exc.status, code=exc.code, message=exc.message,
                        details=exc.details, params=exc.params)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return envelope(request, status=400, code="malformed_json",
                            message=_("The request body is not valid JSON"),
                            details=_validation_details(exc))
        return envelope(request, status=422, code="validation_error",
                        message=_("The input is not valid"), details=_validation_details(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: ("not_found", _("Not found")),
                 405: ("method_not_allowed", _("Method not allowed"))}
        code, message = codes.get(exc.status_code, ("http_error", _("Request failed")))
        return envelope(request, status=exc.status_code, code=code, message=message)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        return envelope(request, status=409, code=Conflict.default_code,
                        message=Conflict.default_message)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        if "locked" in str(exc.orig) or "could not serialize" in str(exc.orig):
            return envelope(request, status=503, code=Busy.default_code,
                            message=Busy.default_message)
        log.exception("database error on %s", request.url.path)
        return envelope(request, status=500, code="internal_error", message=_("Internal error"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return envelope(request, status=500, code="internal_error", message=_("Internal error"))
