"""The results service's own settings (environment prefix ``CASCADE_RESULTS_``)."""

from __future__ import annotations

from datetime import date

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ResultsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASCADE_RESULTS_", extra="ignore")

    scan_seconds: float = Field(
        default=60.0, gt=0, description="how often overdue tasks and missing reports are chased"
    )
    today: date | None = Field(
        default=None,
        description="pretend today is this date (demos and tests only; default: the real date)",
    )
    max_evidence_bytes: int = Field(default=5 * 1024 * 1024, description="largest evidence file")
    evidence_types: list[str] = Field(
        default=[
            "application/pdf",
            "image/png",
            "image/jpeg",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ],
        description="the content types accepted as evidence",
    )
