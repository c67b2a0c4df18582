"""Request bodies of the results API (responses are the dicts the use cases build)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from cascade_shared.params import RequestBody
from pydantic import ConfigDict, Field

from cascade_results.domain.report import MAX_DOCUMENT, MAX_NARRATIVE, ProgressState
from cascade_results.domain.rollup import RollupRule


class Strict(RequestBody):
    model_config = ConfigDict(extra="forbid")


class ReportOpen(Strict):
    unit: str = Field(max_length=200, description="the reporting unit's code")
    period: str = Field(max_length=10, description="2026-03, 2026-Q1 or 2026")


class Evidence(Strict):
    kind: Literal["link", "file"]
    url: str | None = Field(default=None, max_length=2000)
    file_id: str | None = Field(default=None, max_length=36)
    name: str = Field(default="", max_length=255)


class TaskLineIn(Strict):
    task_id: str | None = Field(default=None, max_length=36)
    task_code: str | None = Field(default=None, max_length=50)
    state: ProgressState | None = None
    percent: float | None = Field(default=None, ge=0, le=100)
    product_quantity: float | None = Field(default=None, ge=0)
    product_document: str | None = Field(default=None, max_length=MAX_DOCUMENT)
    narrative: str | None = Field(default=None, max_length=MAX_NARRATIVE)
    blocked_reason: str | None = Field(default=None, max_length=1000)
    completed_on: date | None = None
    milestones_reached: list[str] | None = Field(
        default=None, max_length=24, description="the periods of the task's milestones reached"
    )
    evidence: list[Evidence] | None = Field(default=None, max_length=20)


class IndicatorLineIn(Strict):
    indicator_id: str | None = Field(default=None, max_length=36)
    indicator_code: str | None = Field(default=None, max_length=50)
    actual: float | None = Field(default=None, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=2000)


class LinesIn(Strict):
    tasks: list[TaskLineIn] = Field(default=[], max_length=1000)
    indicators: list[IndicatorLineIn] = Field(default=[], max_length=500)


class LineComment(Strict):
    task_id: str | None = Field(default=None, max_length=36)
    indicator_id: str | None = Field(default=None, max_length=36)
    text: str = Field(min_length=1, max_length=2000)


class ReportDecisionIn(Strict):
    decision: Literal["accept", "return"]
    comment: str | None = Field(default=None, max_length=4000)
    comments: list[LineComment] = Field(default=[], max_length=200)


class ReopenIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class PublishIn(Strict):
    period: str = Field(max_length=10)


class WeightIn(Strict):
    weight: float = Field(ge=0, le=1000)


class IndicatorSettingsIn(Strict):
    rollup: RollupRule | None = None
    parent_indicator_id: str | None = Field(default=None, max_length=36)
    weight: float | None = Field(default=None, ge=0, le=1000)
