"""E-mail channel: one plain-text bilingual message through an SMTP relay (smtplib)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from communitas.alerts.channels import DeliveryError, Message
from communitas.config import Settings

__all__ = ["EmailSender"]


def compose_email(message: Message, sender: str) -> EmailMessage:
    n = message.notice
    prefix = {"Update": "[更新 Update] ", "Cancel": "[取消 Cancel] "}.get(n["msg_type"], "")
    test = "" if n["status"] == "Actual" else f"[{n['status']}] "
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.address
    email["Subject"] = f"{test}{prefix}{n['title_zh']} / {n['title_en']}"
    email["Message-ID"] = f"<communitas-outbox-{message.outbox_id}@{sender.split('@')[-1]}>"
    note = f"\n\n{n['note']}" if n.get("note") else ""
    email.set_content(f"{n['title_zh']}\n\n{n['body_zh']}\n\n---\n\n{n['title_en']}\n\n"
                      f"{n['body_en']}{note}\n\n{n['identifier']}\n")
    return email


class EmailSender:
    def __init__(self, *, host: str, port: int, sender: str, username: str = "",
                 password: str = "", starttls: bool = False, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailSender:
        return cls(host=settings.smtp_host, port=settings.smtp_port,
                   sender=settings.smtp_sender, username=settings.smtp_username,
                   password=settings.smtp_password, starttls=settings.smtp_starttls,
                   timeout=settings.webhook_timeout_seconds)

    def __call__(self, message: Message) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(compose_email(message, self.sender))
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", None)
            raise DeliveryError(f"SMTP failed: {type(exc).__name__}"
                                + (f" {code}" if code else "")) from None
