"""The approvals service's tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ApprovalsTable(SQLModel, registry=registry()):
    """Base of the approvals service's tables."""


metadata = ApprovalsTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


def new_id() -> str:
    return str(uuid.uuid4())


class ApprovalCase(ApprovalsTable, table=True):
    __tablename__ = "approval_case"
    __table_args__ = (UniqueConstraint("plan_id", "plan_version"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    plan_version: int
    plan_unit: str = Field(index=True, max_length=200)
    plan_title: str = Field(max_length=500)
    drafter: str = Field(max_length=100)
    submitted_by: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)
    policy_version: str = Field(max_length=50)
    status: str = Field(default="open", index=True, max_length=20)
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class ApprovalStep(ApprovalsTable, table=True):
    __tablename__ = "approval_step"
    __table_args__ = (UniqueConstraint("case_id", "step_no"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    step_no: int
    unit: str = Field(index=True, max_length=200)
    role: str = Field(max_length=50)
    status: str = Field(default="waiting", index=True, max_length=20)
    deadline_days: int = 10
    assigned_at: datetime | None = None
    due_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None
    comment: str | None = Field(default=None, max_length=5000)
