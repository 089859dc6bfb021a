"""The lean HTTP path of the one window: ``POST /api/requests`` without FastAPI's machinery.

The public form is the one route that must take a thousand submissions a second on two
cores, and most of a request's CPU went to the framework around it — dependency injection,
routing past every API and page route, request objects — rather than to the work. This ASGI
middleware answers the common case itself, before any routing: an anonymous JSON submission
whose body and ``Idempotency-Key`` are valid. It does the same work as the FastAPI route in
``dispatch/api.py`` — the same ``RequestCreate`` validation (``validate_python`` of the
parsed JSON, as FastAPI does), the same rate-limit key, the same intake writer (acknowledged
only once durable), the same receipt and the same error envelope, rendered by the app's
own exception handlers in the language of ``Accept-Language``.

Everything else goes, body untouched, to the FastAPI route, which stays declared for the
OpenAPI document: a body that does not validate (so every bad input gets exactly the route's
``malformed_json`` / ``validation_error`` envelope), a signed-in submission (a bearer token),
a missing or unusual ``Content-Type``, an invalid or repeated ``Idempotency-Key``. Only the
common, valid case is taken here; no answer differs.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from communitas.dispatch import intake
from communitas.dispatch.acceptance import Accepted, Pending
from communitas.dispatch.intake_writer import IntakeWriter
from communitas.dispatch.schemas import RequestCreate, RequestReceipt
from communitas.dispatch.service import requester_token

__all__ = ["PATH", "IntakeFastPath", "receipt_response"]

PATH = "/api/requests"
_KEY = re.compile(rb"[\x21-\x7e]{1,128}")  # the route's Idempotency-Key constraints
_JSON = (b"application/json", b"application/json; charset=utf-8")


def receipt_response(writer: IntakeWriter, receipt: Accepted) -> JSONResponse:
    """The answer to an accepted submission: 201, or 200 for a replay."""
    answer = RequestReceipt(
        reference=receipt.reference, status=receipt.status, queue_level=receipt.queue_level,
        merged_into=receipt.merged_into, triaged=receipt.triaged,
        requester_token=requester_token(writer.policy, receipt.reference),
        submitted_at=receipt.created_at)
    return JSONResponse(answer.model_dump(mode="json"),
                        status_code=200 if receipt.replayed else 201)


class IntakeFastPath:
    """ASGI middleware: valid anonymous submissions straight to the intake writer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH \
                or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        if more is None:
            return  # the client left before sending its body: nobody to answer
        pending = _pending(scope, body)
        if pending is None:  # not the common case: the FastAPI route answers, as ever
            await self.app(scope, _replay(body, receive), send)
            return
        app = scope["app"]
        writer: IntakeWriter = app.state.intake_writer
        try:
            receipt = await asyncio.wrap_future(writer.submit(pending))
        except Exception as failure:
            handler = _handler(app, failure)
            if handler is None:
                raise  # the server-error middleware answers 500, as for the route
            response = await handler(Request(scope, receive), failure)
        else:
            response = receipt_response(writer, receipt)
        await response(scope, receive, send)


def _pending(scope: Scope, body: bytes) -> Pending | None:
    """The submission, if this request is the common case; else None."""
    content_type = key = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            if content_type is not None:
                return None
            content_type = value
        elif name == b"idempotency-key":
            if key is not None:
                return None
            key = value
        elif name == b"authorization":
            return None  # perhaps signed in: the route resolves the token
    if content_type is None or content_type.lower() not in _JSON or not body:
        return None
    if key is not None and not _KEY.fullmatch(key):
        return None
    try:
        parsed = json.loads(body)
        data = RequestCreate.model_validate(parsed, from_attributes=True)
    except (ValueError, ValidationError):  # bad JSON or bad input: the route explains
        return None
    except Exception:  # anything odd (JSON nested too deep, say): the route, as ever
        return None
    client = scope.get("client")
    return Pending(data=data, principal=None,
                   client=intake.client_key(user_id=None, address=client[0] if client else None),
                   idempotency_key=key.decode("latin-1") if key is not None else None)


async def _read_body(receive: Receive) -> tuple[bytes, bool | None]:
    """The whole body; ``None`` as the second item when the client disconnected."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body on, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _handler(app: Any, failure: Exception) -> Handler | None:
    """The app's handler for ``failure`` (CommunitasError, database errors …), found as
    Starlette's exception middleware finds it; None for the catch-all ``Exception``."""
    handlers: dict[Any, Any] = app.exception_handlers
    for kind in type(failure).__mro__:
        if kind is Exception:
            return None
        if kind in handlers:
            return cast(Handler, handlers[kind])
    return None
