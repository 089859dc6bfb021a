"""Sensitive personal fields: who may read them, and keeping them out of logs and exports."""

from __future__ import annotations

import logging
import re
from typing import Any

# Residents' health, disability, phone and identity data (MISSION.md, Privacy).
SENSITIVE_FIELDS = frozenset({"phone", "id_number", "health_conditions", "disability"})
REDACTED = "[redacted]"

__all__ = ["REDACTED", "SENSITIVE_FIELDS", "RedactingFilter", "contains_private_data", "redact"]


def redact(value: Any) -> Any:
    """Copy ``value`` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in SENSITIVE_FIELDS else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


class RedactingFilter(logging.Filter):
    """Masks mainland mobile numbers and identity numbers in any log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _ID_NUMBER.sub(REDACTED, _PHONE.sub(REDACTED, message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def contains_private_data(text: str) -> bool:
    """True if ``text`` holds a mainland mobile number or an identity number."""
    return bool(_PHONE.search(text) or _ID_NUMBER.search(text))
