"""Webhook channel: an HTTP POST of the notice as JSON to the subscriber's URL."""

from __future__ import annotations

import httpx2 as httpx

from communitas.alerts.channels import DeliveryError, Message

__all__ = ["WebhookSender"]


class WebhookSender:
    """POSTs ``{"delivery_id", "notice"}``; ``Idempotency-Key`` lets receivers drop repeats."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def __call__(self, message: Message) -> None:
        body = {"delivery_id": message.outbox_id, "notice": message.notice}
        headers = {"Idempotency-Key": f"communitas-outbox-{message.outbox_id}",
                   "User-Agent": "communitas-notices"}
        try:
            response = httpx.post(message.address, json=body, headers=headers,
                                  timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")
