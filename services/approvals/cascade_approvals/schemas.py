"""What the approvals API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cascade_shared.params import INTEGER_MAX, Id, RequestBody, StoredTime
from pydantic import BaseModel, ConfigDict, Field

from cascade_approvals.domain.case import Decision


class CommentIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=5000)
    task_id: str | None = Field(default=None, max_length=36, description="the task's stable id")
    task_code: str | None = Field(default=None, max_length=50)


class DecisionIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    comment: str | None = Field(default=None, max_length=5000)
    comments: list[CommentIn] = Field(
        default_factory=list, max_length=500, description="comments, each may point at a task"
    )
    content_hash: str | None = Field(
        default=None,
        min_length=64,
        max_length=64,
        description="hash of the plan version you looked at; refused (409) if it is not the "
        "version under decision",
    )
    plan_version: int | None = Field(default=None, ge=1, le=INTEGER_MAX)
    approved_groups: list[Id] | None = Field(
        default=None,
        max_length=500,
        description="a partial decision: with a return, the ids of the task groups that stand "
        "approved (they freeze); every other group goes back to the drafter. Only on a step "
        "the routing policy lets decide in part.",
    )


class DecisionPublic(BaseModel):
    id: str
    step_no: int
    decision: str
    decided_by: str
    decided_by_name: str | None = Field(default=None, description="from the directory")
    on_behalf_of: str | None
    content_hash: str
    comment: str | None
    decided_at: datetime


class StepPublic(BaseModel):
    id: str
    case_id: str
    step_no: int
    name: str
    unit: str
    role: str
    mode: str
    partial: bool = False
    required_approvals: int
    approvals: int
    status: str
    assigned_at: datetime | None
    due_at: datetime | None
    reminded_at: datetime | None
    overdue_at: datetime | None
    escalated_at: datetime | None
    escalated_to_unit: str | None
    decided_by: str | None
    decided_by_name: str | None = Field(default=None, description="from the directory")
    on_behalf_of: str | None
    decided_at: datetime | None
    comment: str | None
    decisions: list[DecisionPublic] = []


class CaseGroupPublic(BaseModel):
    id: str
    code: str
    title: str = ""
    approved_in_version: int | None = Field(
        default=None,
        description="the version in which an approver approved this group: it is frozen and "
        "not under review again",
    )


class CasePublic(BaseModel):
    id: str
    plan_id: str
    plan_version: int
    plan_unit: str
    plan_title: str
    plan_level: str
    drafter: str
    submitted_by: str
    content_hash: str
    policy_version: str
    facts: dict[str, Any]
    task_groups: list[CaseGroupPublic] = []
    status: str
    started_at_step: int
    returned_at_step: int | None
    opened_at: datetime
    closed_at: datetime | None
    steps: list[StepPublic]


class QueueItem(BaseModel):
    case_id: str
    plan_id: str
    plan_version: int
    plan_unit: str
    plan_title: str
    content_hash: str
    step_no: int
    step_name: str
    unit: str
    role: str
    due_at: datetime | None
    overdue: bool
    on_behalf_of: str | None = Field(description="the absent approver you decide for, if any")
    partial: bool = Field(
        default=False,
        description="the step may approve some task groups and return the others",
    )


class Queue(BaseModel):
    items: list[QueueItem]
    total: int
    overdue: int
    by_unit: dict[str, int]


class CommentPublic(BaseModel):
    id: str
    plan_id: str
    case_id: str
    plan_version: int
    task_id: str | None
    task_code: str | None
    text: str
    author: str
    author_name: str | None = Field(default=None, description="from the directory")
    on_behalf_of: str | None
    status: str
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


class ResolveIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    resolution: str | None = Field(default=None, max_length=5000)


class DelegationIn(RequestBody):
    model_config = ConfigDict(extra="forbid")
    delegate: str = Field(min_length=1, max_length=100)
    starts_at: StoredTime | None = Field(default=None, description="default: now")
    ends_at: StoredTime
    reason: str | None = Field(default=None, max_length=500)


class DelegationPublic(BaseModel):
    id: str
    unit: str
    delegator: str
    delegate: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    created_at: datetime
    revoked_at: datetime | None


class StepHistory(BaseModel):
    step_no: int
    name: str
    unit: str
    role: str
    status: str
    assigned_at: datetime | None
    decided_at: datetime | None
    hours_in_step: float | None
    overdue: bool


class CaseHistory(BaseModel):
    case_id: str
    plan_id: str
    plan_version: int
    status: str
    steps: list[StepHistory]


class UnitFigures(BaseModel):
    unit: str
    open_steps: int
    overdue_steps: int
    decided_steps: int
    median_hours_to_decision: float | None
    by_step: dict[str, dict[str, Any]]
