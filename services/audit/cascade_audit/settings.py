"""The audit service's own settings (environment prefix ``CASCADE_AUDIT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_AUDIT_", env_file=None, extra="ignore")

    signing_key_file: Path | None = Field(
        default=None,
        description="PEM (PKCS#8) Ed25519 private key that signs checkpoints; required in "
        "distributed mode. Embedded mode makes one in the data folder when unset.",
    )
    checkpoint_every: int = Field(default=1000, ge=2, description="records per checkpoint")
    checkpoint_max_age_seconds: float = Field(
        default=3600.0, gt=0, description="seal at least this often while new records arrive"
    )
    seal_poll_interval: float = Field(default=5.0, gt=0, description="sealer wake-up period")
    base_url: str | None = Field(
        default=None,
        description="one base URL (the gateway) where every service's /api/<service>/outbox/"
        "published answers; reconciliation uses it for services not in this process",
    )
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description='per-service base URLs as JSON, e.g. {"plans": "http://plans:8001"}',
    )
    reconcile_timeout: float = 30.0
    reconcile_page: int = Field(default=5000, ge=1, le=10000)

    def url_for(self, service: str) -> str | None:
        return self.service_urls.get(service) or self.base_url
