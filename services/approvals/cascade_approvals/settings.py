"""The approvals service's own settings (environment prefix ``CASCADE_APPROVALS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApprovalsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_APPROVALS_", extra="ignore")

    deadline_poll_seconds: float = Field(
        default=30.0, gt=0, description="how often the deadline scheduler looks for due steps"
    )
    plans_url: str | None = Field(
        default=None,
        description="base URL of the plans service, for version diffs (default: this app)",
    )
