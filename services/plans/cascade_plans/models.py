"""The plans service's tables (its own metadata, its own database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, Column, UniqueConstraint, false
from sqlalchemy.orm import registry
from sqlmodel import AutoString, Field, SQLModel

from cascade_plans.domain.plan import PlanStatus


class PlansTable(SQLModel, registry=registry()):
    """Base of the plans service's tables; its metadata is this service's alone."""


metadata = PlansTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


def new_id() -> str:
    return str(uuid.uuid4())


class OrgUnit(PlansTable, table=True):
    """An entry of the directory: a unit (a Party committee that makes plans), or an outside
    body registered under the unit it belongs to (a department, an office, the Fatherland
    Front, the police, ...), which may lead or cooperate on a task but makes no plan and is
    never counted among the units below."""

    __tablename__ = "org_unit"
    code: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)
    level: str = Field(max_length=20)
    parent: str | None = Field(default=None, index=True, max_length=200)
    kind: str = Field(default="unit", max_length=10)
    """``unit`` or ``body``."""


class AppUser(PlansTable, table=True):
    __tablename__ = "app_user"
    username: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    unit: str = Field(index=True, max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    email: str | None = Field(default=None, max_length=200)
    language: str = Field(default="vi", max_length=10)


class Plan(PlansTable, table=True):
    __tablename__ = "plan"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    title: str = Field(max_length=500)
    resolution: str = Field(default="", max_length=500)
    term_start: int
    term_end: int
    parent_plan_id: str | None = Field(default=None, index=True, max_length=36)
    status: PlanStatus = Field(default="draft", index=True, sa_type=AutoString(length=20))
    version: int = 1
    in_force_version: int | None = None
    """The approved version in force, if any: a revision being drafted or decided beside it
    leaves it in force until the revision itself is approved."""
    drafter: str = Field(max_length=100)
    seed_key: str | None = Field(default=None, unique=True, max_length=100)
    note: str | None = Field(default=None, max_length=2000)
    previous_plan_id: str | None = Field(default=None, index=True, max_length=36)
    """The plan of the term before, which this one continues (kế thừa)."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PlanVersion(PlansTable, table=True):
    """A submitted version, frozen: what the approvers saw and decided."""

    __tablename__ = "plan_version"
    plan_id: str = Field(primary_key=True, max_length=36)
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    submitted_by: str = Field(max_length=100)
    submitted_at: datetime = Field(default_factory=utcnow)
    outcome: str | None = Field(default=None, max_length=20)


class TaskGroup(PlansTable, table=True):
    __tablename__ = "task_group"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    code: str = Field(max_length=50)
    title: str = Field(max_length=500)
    parent_task_group_id: str | None = Field(default=None, max_length=36)
    not_applicable_reason: str | None = Field(default=None, max_length=1000)
    position: int = 0
    approved_in_version: int | None = None
    """Set when an approver approved this group in a partial decision on that version and
    returned others: the group is frozen (its drafters cannot change it or its tasks) until
    the plan is decided as a whole."""
    approved_by: str | None = Field(default=None, max_length=100)


class Indicator(PlansTable, table=True):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    code: str = Field(max_length=50)
    name: str = Field(max_length=500)
    unit: str = Field(max_length=50)
    baseline: float | None = None
    target: float
    year: int
    comparator: str = Field(default=">=", max_length=2)
    position: int = 0


class Task(PlansTable, table=True):
    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    task_group_id: str | None = Field(default=None, max_length=36)
    code: str = Field(max_length=50)
    job: str = Field(default="", max_length=2000)
    lead_unit: str | None = Field(default=None, max_length=200)
    cooperating_units: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = None
    product_unit: str | None = Field(default=None, max_length=50)
    parent_task_id: str | None = Field(default=None, index=True, max_length=36)
    kind: str = Field(default="task", max_length=20)
    """``task`` (nhiệm vụ), ``scheme`` (đề án), ``project`` (dự án) or ``key_project`` (dự án,
    công trình trọng điểm)."""
    budget: float | None = None
    """Estimated cost in billion VND (tỷ đồng), where the task names one."""
    position: int = 0
    carried_from_task_id: str | None = Field(default=None, max_length=36)
    """The unfinished task of the term before that this one continues."""


class RevisionRequest(PlansTable, table=True):
    """A plan below asked to revise because the plan it concretizes was revised: which parent
    tasks changed (field by field) or went, by when, and whether the child has followed."""

    __tablename__ = "revision_request"
    __table_args__ = (UniqueConstraint("plan_id", "parent_plan_id", "parent_version"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    parent_plan_id: str = Field(max_length=36)
    parent_version: int
    """The parent's revision, now in force, that asks for it."""
    from_version: int
    """The parent's version that was in force before."""
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    due: date
    status: str = Field(default="open", index=True, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by_version: int | None = None


class RevisionPolicy(PlansTable, table=True):
    """The revision deadlines of the routing policy in force, as approvals announced them
    (``approval.policy_installed``); one row, the latest policy wins. Until one is announced,
    plans' own settings apply."""

    __tablename__ = "revision_policy"
    key: str = Field(default="current", primary_key=True, max_length=20)
    version: str = Field(max_length=50)
    days: int
    remind_days_before: int
    escalate_days_after: int
    resolve_returned_comments: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )
    """The policy's comment rule: a returned plan is not submitted again while a comment it was
    returned with is unanswered."""
    changed_at: datetime | None = None


class ReturnedComment(PlansTable, table=True):
    """A comment a plan came back with (``approval.case_completed``, returned), and whether it
    has been answered since (``approval.comment_resolved``), for the policy's comment rule."""

    __tablename__ = "returned_comment"
    comment_id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    plan_version: int
    task_code: str | None = Field(default=None, max_length=50)
    text: str = ""
    status: str = Field(default="open", max_length=10)
    """``open`` until answered, then ``resolved``."""
