"""Settings of the notifications service (environment prefix ``CASCADE_NOTIFICATIONS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CASCADE_NOTIFICATIONS_", env_file=None, extra="ignore"
    )

    smtp_host: str | None = Field(
        default=None, description="SMTP server; without it no e-mail deliveries are created"
    )
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_start_tls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout: float = 10.0
    mail_from: str = "Cascade <no-reply@cascade.example.gov.vn>"
    message_id_domain: str = "cascade.example.gov.vn"

    webhook_timeout: float = 10.0
    max_attempts: int = Field(default=8, description="tries before a delivery is dead")
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    lease_seconds: float = Field(
        default=120.0, description="a claimed delivery comes back after this if its sender died"
    )
    poll_interval: float = 1.0
    batch_size: int = 100

    digest_hour: int = Field(default=7, description="local hour of the daily digest")
    timezone: str = "Asia/Ho_Chi_Minh"

    announcement_chunk: int = Field(
        default=50_000, description="recipients inserted per transaction of an announcement"
    )
    stream_poll_seconds: float = Field(
        default=2.0, description="how often the SSE stream re-reads the unread count"
    )
