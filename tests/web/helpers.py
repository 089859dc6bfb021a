"""Page-level helpers: a browser-like client per person, CSRF-aware form posts."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from lxml import html as lxml_html

from tests.factories import PASSWORD

__all__ = ["Visitor", "field_error", "text_of"]


class Visitor:
    """One person's browser: its own cookies (session, CSRF, language, request tokens)."""

    def __init__(self, app: FastAPI, *, language: str | None = None) -> None:
        self.client = TestClient(app, follow_redirects=False)
        if language:
            self.client.cookies.set("communitas_lang", language)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, **kwargs)

    def csrf(self) -> str:
        if not self.client.cookies.get("communitas_csrf"):
            self.client.get("/login")
        token = self.client.cookies.get("communitas_csrf")
        assert token
        return token

    def post(self, path: str, data: dict[str, Any] | None = None, *,
             csrf: bool = True, **kwargs: Any) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf()
        return self.client.post(path, data=form, **kwargs)

    def sign_in(self, username: str) -> Response:
        response = self.post("/login", {"username": username, "password": PASSWORD})
        assert response.status_code == 303, response.text
        return response


def text_of(response: Response) -> str:
    """The visible text of a page, whitespace collapsed."""
    tree = lxml_html.fromstring(response.text)
    for bad in tree.xpath("//script|//style"):
        bad.getparent().remove(bad)
    return re.sub(r"\s+", " ", tree.text_content()).strip()


def field_error(response: Response, field: str) -> str | None:
    """The message shown next to a form field, if any."""
    tree = lxml_html.fromstring(response.text)
    found = tree.xpath(f'//*[@id="{field}-error"]')
    return found[0].text_content().strip() if found else None
