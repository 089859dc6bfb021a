"""Page routes answer in HTML: a refusal becomes an error page in the reader's language,
a missing sign-in a redirect to the sign-in page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from communitas.errors import CommunitasError
from communitas.i18n import translate
from communitas.web.context import _ENV, SignInNeeded, locale_of

__all__ = ["PageRoute", "error_page"]


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A bare page (no database needed) saying what went wrong."""
    locale = locale_of(request)

    def t(msgid: str, **params: Any) -> str:
        return translate(msgid, locale, **params)

    body = _ENV.get_template("error.html").render(
        _=t, locale=locale, status=status, message=message, principal=None, nav=[],
        here=request.url.path, here_quoted=quote(request.url.path), page=None,
        title=t("Something went wrong"))
    return HTMLResponse(body, status_code=status)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                target = request.url.path + (f"?{request.url.query}" if request.url.query
                                             else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            except CommunitasError as exc:
                message = translate(exc.message, locale_of(request), **exc.params)
                return error_page(request, exc.status, message)

        return page_handler

