"""Sensitive personal data stays out of logs and the event payloads."""

from __future__ import annotations

import logging

import pytest

from communitas.api.app import install_log_redaction
from communitas.privacy import REDACTED, redact


def test_redact_reaches_nested_payloads() -> None:
    payload = {"changes": {"phone": {"from": "13900000000", "to": "13811112222"}},
               "people": [{"id_number": "310115198001011234", "name": "王"}]}
    cleaned = redact(payload)
    assert "1390" not in str(cleaned) and "310115198001011234" not in str(cleaned)
    assert cleaned["people"][0]["name"] == "王"
    assert cleaned["changes"]["phone"] == REDACTED


def test_access_log_lines_lose_phone_and_identity_numbers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info('%s - "GET /api/people?q=%s HTTP/1.1" 200', "127.0.0.1", "13812345678")
        logger.info("lookup %s", "31011519800101123X")
    text = caplog.text
    assert "13812345678" not in text and "31011519800101123X" not in text
    assert text.count(REDACTED) == 2
