"""The results service's tables (its own metadata, its own database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import AutoString, Field, SQLModel

from cascade_results.domain.report import ProgressState, ReportStatus


class ResultsTable(SQLModel, registry=registry()):
    """Base of the results service's tables."""


metadata = ResultsTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


def new_id() -> str:
    return str(uuid.uuid4())


class UnitView(ResultsTable, table=True):
    """The directory's units, as results needs them (names and levels for the dashboards)."""

    __tablename__ = "unit_view"
    code: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)
    level: str = Field(max_length=20)
    parent: str | None = Field(default=None, index=True, max_length=200)
    kind: str = Field(default="unit", max_length=10, sa_column_kwargs={"server_default": "unit"})
    """``unit`` (a Party committee that makes plans and reports) or ``body`` (an outside body
    registered under its unit: kept so its name resolves, never counted among the units below)."""
    changed_at: datetime | None = None


class PersonView(ResultsTable, table=True):
    """The directory's people, as results names them: who signed a report off and who decided
    on it, by name, for readers in other units."""

    __tablename__ = "person_view"
    username: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    changed_at: datetime | None = None


class ReportingPolicyRow(ResultsTable, table=True):
    """Installed reporting policies; the one installed last is in force."""

    __tablename__ = "reporting_policy"
    version: str = Field(primary_key=True, max_length=50)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    source: str = Field(default="", max_length=200)
    installed_by: str = Field(default="system", max_length=100)
    installed_at: datetime = Field(default_factory=utcnow, index=True)


class TrackedPlan(ResultsTable, table=True):
    """A plan in force, whose tasks and indicators are tracked."""

    __tablename__ = "tracked_plan"
    plan_id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    unit_level: str = Field(max_length=20)
    title: str = Field(max_length=500)
    version: int
    parent_plan_id: str | None = Field(default=None, index=True, max_length=36)
    term_start: int | None = None
    term_end: int | None = None
    approved_at: datetime = Field(default_factory=utcnow)


class TrackedTask(ResultsTable, table=True):
    """A task of a plan in force, and where it stands (from the reports that count)."""

    __tablename__ = "tracked_task"
    __table_args__ = (
        Index("ix_tracked_task_open_deadline", "active", "completed_on", "deadline"),
        # A subtree is ``unit = X OR unit LIKE 'X.%'``: on PostgreSQL the prefix match uses this
        # index whatever the database's collation.
        Index(
            "ix_tracked_task_unit_prefix", "unit", postgresql_ops={"unit": "varchar_pattern_ops"}
        ),
        # The chaser's work lists: only tasks not yet told, so each batch starts at its first
        # row instead of stepping over every task already claimed.
        Index(
            "ix_tracked_task_overdue_untold",
            "deadline",
            "id",
            postgresql_where=text("overdue_notified_at IS NULL AND completed_on IS NULL"),
            sqlite_where=text("overdue_notified_at IS NULL AND completed_on IS NULL"),
        ),
        Index(
            "ix_tracked_task_escalation_untold",
            "deadline",
            "id",
            postgresql_where=text("escalated_at IS NULL AND completed_on IS NULL"),
            sqlite_where=text("escalated_at IS NULL AND completed_on IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    """The unit whose plan holds the task (it reports on it)."""
    code: str = Field(max_length=50)
    job: str = Field(default="", max_length=5000)
    task_group: str | None = Field(default=None, max_length=50)
    lead_unit: str | None = Field(default=None, max_length=200)
    responsible_person: str | None = Field(default=None, max_length=200)
    start: date | None = None
    deadline: date | None = None
    milestones: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    product_description: str | None = Field(default=None, max_length=1000)
    product_quantity: float | None = None
    product_unit: str | None = Field(default=None, max_length=50)
    parent_task_id: str | None = Field(default=None, index=True, max_length=36)
    weight: float = 1.0
    """This task's weight in its parent task's roll-up (set by the unit above)."""
    active: bool = True
    """False once a revision of the plan removed the task (its reports stay)."""
    plan_version: int = 1
    # Where it stands, from the latest report that counts:
    percent: float | None = None
    progress_state: str | None = Field(default=None, max_length=20)
    product_delivered: float | None = None
    reported_period: str | None = Field(default=None, max_length=10)
    completed_on: date | None = None
    milestones_reached: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    """Milestone period -> the day a report that counts first said it was reached."""
    # The overdue scheduler's claims (each notice once):
    overdue_notified_at: datetime | None = None
    escalated_at: datetime | None = None


class TrackedIndicator(ResultsTable, table=True):
    __tablename__ = "tracked_indicator"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(index=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    code: str = Field(max_length=50)
    name: str = Field(max_length=500)
    measure: str = Field(default="", max_length=50)
    baseline: float | None = None
    target: float
    year: int
    comparator: str = Field(default=">=", max_length=2)
    rollup: str = Field(default="none", max_length=20)
    """How the indicators below combine into this one: none, sum, mean, weighted_mean, ..."""
    parent_indicator_id: str | None = Field(default=None, index=True, max_length=36)
    weight: float = 1.0
    active: bool = True
    actual: float | None = None
    actual_period: str | None = Field(default=None, max_length=10)


class ProgressReport(ResultsTable, table=True):
    """One version of a unit's report for one period. A correction is a new version."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("unit", "period", "version"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    unit_level: str = Field(max_length=20)
    period: str = Field(index=True, max_length=10)
    version: int = 1
    status: ReportStatus = Field(default="draft", index=True, sa_type=AutoString(length=20))
    due_on: date
    policy_version: str = Field(max_length=50)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_by: str | None = Field(default=None, max_length=100)
    submitted_at: datetime | None = None
    late: bool = False
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = None
    comment: str | None = Field(default=None, max_length=4000)
    comments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    reopened_by: str | None = Field(default=None, max_length=100)
    reopen_reason: str | None = Field(default=None, max_length=2000)
    idempotency_key: str | None = Field(default=None, unique=True, max_length=200)


class ReportTaskLine(ResultsTable, table=True):
    __tablename__ = "report_task_line"
    report_id: str = Field(primary_key=True, max_length=36)
    task_id: str = Field(primary_key=True, max_length=36, index=True)
    state: ProgressState = Field(default="not_started", sa_type=AutoString(length=20))
    percent: float = 0.0
    product_quantity: float | None = None
    product_document: str | None = Field(default=None, max_length=500)
    narrative: str = Field(default="", max_length=4000)
    blocked_reason: str | None = Field(default=None, max_length=1000)
    completed_on: date | None = None
    milestones_reached: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class ReportIndicatorLine(ResultsTable, table=True):
    __tablename__ = "report_indicator_line"
    report_id: str = Field(primary_key=True, max_length=36)
    indicator_id: str = Field(primary_key=True, max_length=36, index=True)
    actual: float | None = None
    note: str = Field(default="", max_length=2000)


class EvidenceFile(ResultsTable, table=True):
    """An uploaded piece of evidence, kept with its content hash."""

    __tablename__ = "evidence_file"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(default_factory=utcnow)


class ReportChase(ResultsTable, table=True):
    """Which due and overdue notices a unit's report for a period has had (each once)."""

    __tablename__ = "report_chase"
    unit: str = Field(primary_key=True, max_length=200)
    period: str = Field(primary_key=True, max_length=10)
    notice: str = Field(primary_key=True, max_length=20)
    sent_at: datetime = Field(default_factory=utcnow)


class PublishedEvaluation(ResultsTable, table=True):
    __tablename__ = "evaluation"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    period: str = Field(max_length=10)
    formula_version: str = Field(max_length=50)
    score: float
    terms: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    published_by: str = Field(max_length=100)
    published_at: datetime = Field(default_factory=utcnow)
