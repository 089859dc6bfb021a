"""One typed settings object, read from the environment (prefix ``COMMUNITAS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
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
