"""The plans service's own settings (environment prefix ``CASCADE_PLANS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlansSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_PLANS_", extra="ignore")

    revision_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="days a plan below has to follow its parent's approved revision, until "
        "approvals announces a routing policy (its ``revisions`` then apply)",
    )
    revision_remind_days_before: int = Field(
        default=5, ge=0, le=60, description="days before that date its unit is reminded"
    )
    revision_escalate_days_after: int = Field(
        default=5, ge=0, le=60, description="days after it the heads of the unit above are told"
    )
    revision_chase_seconds: float = Field(
        default=300.0, gt=0, description="how often late revision requests are chased"
    )
    results_url: str | None = Field(
        default=None,
        description="base URL of the results service, for which tasks a term finished when "
        "the next term's plan is started (default: this app, when it embeds results)",
    )
