"""The approvals service's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import AutoString, Field, SQLModel

from cascade_approvals.domain.case import CaseStatus, StepStatus


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
    plan_level: str = Field(default="ward", max_length=20)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    task_groups: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    """The version's task groups as plan.submitted announced them (id, code, title, and
    ``approved_in_version`` for a group an earlier partial decision froze)."""
    status: CaseStatus = Field(default="open", index=True, sa_type=AutoString(length=20))
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    started_at_step: int = 1
    """1, or the step that returned the previous version when the policy resumes there."""
    returned_at_step: int | None = None


class ApprovalStep(ApprovalsTable, table=True):
    __tablename__ = "approval_step"
    __table_args__ = (UniqueConstraint("case_id", "step_no"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    step_no: int
    name: str = Field(default="", max_length=100)
    unit: str = Field(index=True, max_length=200)
    role: str = Field(max_length=50)
    mode: str = Field(default="any", max_length=10)
    k: int | None = None
    required_approvals: int = 1
    approvals: int = 0
    partial: bool = False
    """The routing policy lets this step approve some task groups and return the others."""
    status: StepStatus = Field(default="waiting", index=True, sa_type=AutoString(length=20))
    deadline_days: int = 10
    assigned_at: datetime | None = None
    due_at: datetime | None = Field(default=None, index=True)
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to_unit: str | None = Field(default=None, max_length=200)
    decided_by: str | None = Field(default=None, max_length=100)
    on_behalf_of: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None
    comment: str | None = Field(default=None, max_length=5000)


class StepDecision(ApprovalsTable, table=True):
    """One approver's decision on a step (a step in "all" or "k of n" mode collects several).

    ``content_hash`` is the hash of the exact plan version the approver looked at."""

    __tablename__ = "step_decision"
    __table_args__ = (UniqueConstraint("step_id", "acting_for"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    step_id: str = Field(max_length=36)
    step_no: int
    plan_id: str = Field(index=True, max_length=36)
    plan_version: int
    decision: str = Field(max_length=20)
    decided_by: str = Field(index=True, max_length=100)
    on_behalf_of: str | None = Field(default=None, max_length=100)
    acting_for: str = Field(max_length=100)
    """Whose decision this counts as: the approver, or the absent approver a delegate stood for."""
    content_hash: str = Field(max_length=64)
    comment: str | None = Field(default=None, max_length=5000)
    decided_at: datetime = Field(default_factory=utcnow)


class ReviewComment(ApprovalsTable, table=True):
    """A comment in a plan's review thread, optionally anchored to a task (its stable id).

    Comments belong to the plan, not to one case, so they carry over to the next version with
    their open or resolved state and a returned plan's comments are answered one by one. What
    an approver says while approving is a ``remark``: kept in the thread, with nothing to
    answer."""

    __tablename__ = "review_comment"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    case_id: str = Field(max_length=36)
    plan_version: int
    task_id: str | None = Field(default=None, max_length=36)
    task_code: str | None = Field(default=None, max_length=50)
    text: str = Field(max_length=5000)
    author: str = Field(max_length=100)
    on_behalf_of: str | None = Field(default=None, max_length=100)
    status: str = Field(default="open", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_by: str | None = Field(default=None, max_length=100)
    resolved_at: datetime | None = None
    resolution: str | None = Field(default=None, max_length=5000)


class Delegation(ApprovalsTable, table=True):
    """An approver hands their decisions to a colleague of the same unit for a period."""

    __tablename__ = "delegation"
    __table_args__ = (Index("ix_delegation_delegate_unit", "delegate", "unit"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(max_length=200)
    delegator: str = Field(index=True, max_length=100)
    delegate: str = Field(max_length=100)
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class IdempotentResponse(ApprovalsTable, table=True):
    """The first answer to a request sent with an Idempotency-Key, returned again on a retry."""

    __tablename__ = "idempotent_response"
    username: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class RoutingPolicy(ApprovalsTable, table=True):
    """Every version of the routing policy; the newest is the one new cases start under."""

    __tablename__ = "routing_policy"
    version: str = Field(primary_key=True, max_length=50)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    created_by: str = Field(max_length=100)


class DirectoryUser(ApprovalsTable, table=True):
    """A user as approvals knows them, kept from ``directory.user_changed`` events: who holds
    which role in which unit (to count an "all" step's approvers and check delegates)."""

    __tablename__ = "directory_user"
    username: str = Field(primary_key=True, max_length=100)
    name: str = Field(default="", max_length=200)
    unit: str = Field(index=True, max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    changed_at: datetime | None = None
    """When the change applied last happened; an older change arriving late is ignored."""
