"""Delivery channels beyond the in-app feed: webhook, SMTP e-mail and an HTTP SMS gateway.

A sender takes one :class:`Message` and returns, or raises :class:`DeliveryError` with a
reason that names no address (phone numbers and e-mail addresses are never logged or kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from communitas.alerts.models import Channel
from communitas.config import Settings

__all__ = ["DeliveryError", "Message", "Sender", "senders_from_settings"]


class DeliveryError(Exception):
    """A failed send; the message says why, without the recipient's address."""


@dataclass(frozen=True)
class Message:
    """One notice for one recipient. ``notice`` holds public notice fields only."""

    outbox_id: int
    channel: Channel
    address: str
    notice: dict[str, Any]

    def __repr__(self) -> str:  # keep the address out of tracebacks and logs
        return f"Message(outbox_id={self.outbox_id}, channel={self.channel.value})"

    def short_text(self, limit: int = 500) -> str:
        n = self.notice
        prefix = {"Update": "[更新 Update] ", "Cancel": "[取消 Cancel] "}.get(n["msg_type"], "")
        test = "" if n["status"] == "Actual" else f"[{n['status']}] "
        text = f"{test}{prefix}{n['title_zh']}：{n['body_zh']} / {n['title_en']}"
        return text[:limit]


Sender = Callable[[Message], None]


def senders_from_settings(settings: Settings) -> dict[Channel, Sender]:
    """The external channels that are set up; rows of any other channel go dead-letter."""
    from communitas.alerts.channels.email import EmailSender
    from communitas.alerts.channels.sms import SmsGatewaySender
    from communitas.alerts.channels.webhook import WebhookSender

    senders: dict[Channel, Sender] = {
        Channel.WEBHOOK: WebhookSender(timeout=settings.webhook_timeout_seconds)}
    if settings.smtp_host:
        senders[Channel.EMAIL] = EmailSender.from_settings(settings)
    if settings.sms_gateway_url:
        senders[Channel.SMS] = SmsGatewaySender.from_settings(settings)
    return senders
