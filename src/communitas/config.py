"""One typed settings object, read from the environment (prefix ``COMMUNITAS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class Settings(BaseSettings):
    """Runtime configuration; refuses the development secret outside development."""

    model_config = SettingsConfigDict(env_prefix="COMMUNITAS_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{Path('var/communitas.db').as_posix()}"
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 12 * 60
    locale: Literal["zh_CN", "en"] = "zh_CN"
    host: str = "127.0.0.1"
    port: int = 8000
    page_size_max: int = 500
    # Requests (docs/requests.md): minutes from entering a queue to full commitment, per
    # priority (1 life-threatening … 4 low), before the request escalates one level.
    request_sla_minutes_p1: int = Field(default=30, ge=1)
    request_sla_minutes_p2: int = Field(default=120, ge=1)
    request_sla_minutes_p3: int = Field(default=24 * 60, ge=1)
    request_sla_minutes_p4: int = Field(default=72 * 60, ge=1)
    request_unverified_expiry_hours: int = Field(default=24, ge=1)
    request_duplicate_window_hours: int = Field(default=6, ge=0)
    # Submissions per client (user, or hashed IP) per fixed window, counted in the database.
    request_rate_limit: int = Field(default=30, ge=1)
    # Suggested plans: each request line may draw on its nearest holder locations.
    allocation_reach_nearest: int = Field(default=50, ge=1, le=1000)
    allocation_reach_speed_kmh: float = Field(default=20.0, gt=0, le=200)
    request_rate_window_seconds: int = Field(default=600, ge=1)
    # Over HTTP a submission is acknowledged once durable and triaged (dedupe, routing) just
    # after ("deferred"), or triaged before the acknowledgement ("inline": slower, but the
    # receipt says where the request went). See dispatch/intake_writer.py.
    intake_triage: Literal["deferred", "inline"] = "deferred"
    intake_max_batch: int = Field(default=256, ge=1, le=10_000)
    # Sweeps (docs/tasks.md): minutes a claimed building stays held before another may take it.
    sweep_hold_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Notices (docs/notices.md): the CAP sender and GB/T 35965.1 issuing-unit code of our own
    # notices; the outbox worker's batch, retries (exponential back-off) and lease.
    notice_sender: str = "communitas.local"
    notice_unit_code: str = Field(default="31011541600000", pattern=r"^[1-9]\d{13}$")
    outbox_batch_size: int = Field(default=2000, ge=1, le=100_000)
    outbox_max_attempts: int = Field(default=5, ge=1, le=50)
    outbox_backoff_seconds: float = Field(default=30.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    outbox_lease_seconds: float = Field(default=300.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # E-mail through an SMTP relay; no host means the e-mail channel is off.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "alerts@communitas.local"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # A generic HTTP SMS gateway: POST to the URL the template with $phone and $text filled
    # in (JSON-escaped); no URL means the SMS channel is off.
    sms_gateway_url: str = ""
    sms_gateway_template: str = '{"to": "$phone", "text": "$text"}'
    sms_gateway_content_type: str = "application/json"
    sms_gateway_token: str = ""
    # Web pages (docs/web.md): map tiles are optional; without a URL the map draws area
    # outlines only and works offline. A URL looks like https://tile.example/{z}/{x}/{y}.png
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    map_refresh_seconds: int = Field(default=15, ge=2, le=3600)
    # Normal-time routine (docs/routine.md): how far ahead each daily job looks, and the
    # time a top-up task gives the committee.
    routine_rotation_days: int = Field(default=30, ge=1, le=365)
    routine_qualification_days: int = Field(default=30, ge=1, le=365)
    routine_drill_reminder_days: int = Field(default=7, ge=1, le=90)
    routine_topup_due_days: int = Field(default=14, ge=1, le=90)
    # Supervision (docs/supervision.md): hours without any action by a sent-down cadre
    # assigned to a community in an emergency before the street sees an inaction flag.
    supervision_inaction_hours: float = Field(default=4.0, gt=0, le=24 * 7)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "COMMUNITAS_SECRET_KEY must be set to a random value of 32+ characters "
                "outside development"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
