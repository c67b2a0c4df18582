from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cascade_approvals.domain.case import Decision


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    comment: str | None = Field(default=None, max_length=5000)


class StepPublic(BaseModel):
    id: str
    case_id: str
    step_no: int
    unit: str
    role: str
    status: str
    assigned_at: datetime | None
    due_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None


class CasePublic(BaseModel):
    id: str
    plan_id: str
    plan_version: int
    plan_unit: str
    plan_title: str
    drafter: str
    submitted_by: str
    content_hash: str
    policy_version: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    steps: list[StepPublic]


class QueueItem(BaseModel):
    case_id: str
    plan_id: str
    plan_version: int
    plan_unit: str
    plan_title: str
    step_no: int
    unit: str
    role: str
    due_at: datetime | None
    overdue: bool


class Queue(BaseModel):
    items: list[QueueItem]
    total: int
    overdue: int
