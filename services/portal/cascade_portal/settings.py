"""The portal's settings (env prefix ``CASCADE_PORTAL_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_PORTAL_", env_file=None, extra="ignore")

    api_url: str | None = Field(
        default=None,
        description="base URL of the APIs (the gateway) in distributed mode; unset in embedded "
        "mode, where the portal calls the APIs of its own app in-process",
    )
    host: str = "127.0.0.1"
    port: int = 8005
    secure_cookies: bool = Field(
        default=False, description="mark the session cookie Secure (set it behind HTTPS)"
    )
    timeout_seconds: float = 30.0
