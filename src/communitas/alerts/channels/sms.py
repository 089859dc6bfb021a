"""SMS channel: a generic HTTP gateway, the request body built from a template.

The template (Settings ``sms_gateway_template``) names ``$phone`` and ``$text``; both are
JSON-escaped before they are put in. The phone number is never logged, kept in an error or
put in a URL.
"""

from __future__ import annotations

import json
from string import Template

import httpx2 as httpx

from communitas.alerts.channels import DeliveryError, Message
from communitas.config import Settings

__all__ = ["SmsGatewaySender", "render_body"]


def _escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render_body(template: str, *, phone: str, text: str) -> str:
    return Template(template).substitute(phone=_escape(phone), text=_escape(text))


class SmsGatewaySender:
    def __init__(self, *, url: str, template: str, content_type: str = "application/json",
                 token: str = "", timeout: float = 10.0) -> None:
        self.url, self.template, self.content_type = url, template, content_type
        self.token, self.timeout = token, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsGatewaySender:
        return cls(url=settings.sms_gateway_url, template=settings.sms_gateway_template,
                   content_type=settings.sms_gateway_content_type,
                   token=settings.sms_gateway_token, timeout=settings.webhook_timeout_seconds)

    def __call__(self, message: Message) -> None:
        body = render_body(self.template, phone=message.address, text=message.short_text())
        headers = {"Content-Type": self.content_type,
                   "Idempotency-Key": f"communitas-outbox-{message.outbox_id}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = httpx.post(self.url, content=body.encode("utf-8"), headers=headers,
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"SMS gateway answered HTTP {response.status_code}")
