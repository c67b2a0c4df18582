"""Chasing (đôn đốc): a task that passes its deadline undone is told to its unit's head, and to
the head of the unit above when it is still overdue after the policy's grace days; a report that
falls due soon is reminded, and a unit that has not reported by the due date is chased.

Every notice is claimed in the database in the same transaction as its event (a compare-and-set
on the task, an insert-once on the report chase), so however many replicas scan, and however
often the service restarts, each notice goes out exactly once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import table_of
from cascade_shared.envelope import utcnow
from cascade_shared.events import ReportDueSoon, ReportOverdue, TaskEscalated, TaskOverdue
from cascade_shared.projector import dialect_of
from cascade_shared.units import parent_unit
from sqlalchemy import update
from sqlmodel import col, select

from cascade_results.domain.periods import periods_between
from cascade_results.domain.status import days_overdue
from cascade_results.models import (
    ProgressReport,
    ReportChase,
    TrackedPlan,
    TrackedTask,
)
from cascade_results.reports import settings_of, today_for
from cascade_results.store import current_policy, insert_once

SCAN_BATCH = 2000


def _task_notice(
    stage: str, task: Any, plan: TrackedPlan | None, today: date, to_unit: str
) -> TaskOverdue:
    """An overdue task, told to its unit, or (``escalated``) to the unit above."""
    assert task.deadline is not None
    fields: dict[str, Any] = {
        "task_id": task.id,
        "task_code": task.code,
        "job": task.job[:500],
        "plan_id": task.plan_id,
        "plan_title": plan.title if plan else "",
        "unit": task.unit,
        "lead_unit": task.lead_unit,
        "deadline": task.deadline,
        "days_overdue": days_overdue(task.deadline, task.completed_on, today),
    }
    if stage == "escalated":
        return TaskEscalated(**fields, escalated_to_unit=to_unit)
    return TaskOverdue(**fields)


async def _notice_batch(
    runtime: ServiceRuntime, stage: str, column: str, cutoff: date, today: date
) -> int:
    """Claim up to SCAN_BATCH tasks due a ``stage`` notice and announce each, in one
    transaction: one UPDATE ... RETURNING claims them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
    so replicas take different tasks), and each claimed task's event joins the same commit.
    Returns how many were claimed."""
    claimed_at = getattr(TrackedTask, column)
    async with runtime.sessionmaker() as session, session.begin():
        due = (
            select(TrackedTask.id)
            .where(
                col(TrackedTask.active).is_(True),
                col(TrackedTask.completed_on).is_(None),
                col(TrackedTask.deadline) < cutoff,
                claimed_at.is_(None),
            )
            .order_by(col(TrackedTask.deadline), col(TrackedTask.id))
            .limit(SCAN_BATCH)
        )
        if dialect_of(session) == "postgresql":
            due = due.with_for_update(skip_locked=True)
        table = table_of(TrackedTask)
        claimed = (
            await session.execute(
                update(table)
                .where(table.c.id.in_(due.scalar_subquery()), table.c[column].is_(None))
                .values({column: utcnow()})
                .returning(*table.columns)
            )
        ).all()
        plan_ids = list({task.plan_id for task in claimed})
        plans = {
            p.plan_id: p
            for p in (
                await session.exec(
                    select(TrackedPlan).where(col(TrackedPlan.plan_id).in_(plan_ids))
                )
            ).all()
        }
        for task in claimed:
            to_unit = task.unit
            if stage == "escalated":
                to_unit = parent_unit(task.unit) or task.unit
            runtime.emit(
                session,
                _task_notice(stage, task, plans.get(task.plan_id), today, to_unit),
                actor="results-scheduler",
                org_unit=to_unit,
                subject_id=task.id,
            )
    return len(claimed)


async def scan_overdue_tasks(runtime: ServiceRuntime, today: date | None = None) -> int:
    """Tell every newly overdue task once, and escalate every long-overdue one once, a batch
    per transaction until none is left."""
    today = today or today_for(runtime)
    async with runtime.sessionmaker() as session:
        try:
            policy = await current_policy(session)
        except LookupError:
            return 0
    escalate_before = today - timedelta(days=policy.escalate_after_days)
    sent = 0
    for stage, column, cutoff in (
        ("overdue", "overdue_notified_at", today),
        ("escalated", "escalated_at", escalate_before),
    ):
        while True:
            n = await _notice_batch(runtime, stage, column, cutoff, today)
            sent += n
            if n < SCAN_BATCH:
                break
    return sent


async def scan_reports_due(runtime: ServiceRuntime, today: date | None = None) -> int:
    """Remind each unit that tracks a plan of its report due soon, and chase a missing one."""
    today = today or today_for(runtime)
    sent = 0
    async with runtime.sessionmaker() as session, session.begin():
        try:
            policy = await current_policy(session)
        except LookupError:
            return 0
        units: dict[str, tuple[str, date]] = {}
        for plan in (await session.exec(select(TrackedPlan))).all():
            since = plan.approved_at.date()
            level, first = units.get(plan.unit, (plan.unit_level, since))
            units[plan.unit] = (level, min(first, since))
        sent_reports = {
            (r.unit, r.period)
            for r in (
                await session.exec(
                    select(ProgressReport).where(col(ProgressReport.submitted_at).is_not(None))
                )
            ).all()
        }
        horizon = today + timedelta(days=policy.remind_days_before)
        for unit, (level, since) in sorted(units.items()):
            for kind in policy.kinds_for(level):
                for period in periods_between(kind, since, today):
                    if period.start < since or (unit, period.key) in sent_reports:
                        continue
                    due = policy.due_on(period)
                    if due < today - timedelta(days=366):
                        continue
                    notice = "overdue" if due < today else "due_soon" if due <= horizon else None
                    if notice is None:
                        continue
                    row = {
                        "unit": unit,
                        "period": period.key,
                        "notice": notice,
                        "sent_at": utcnow(),
                    }
                    if not await insert_once(
                        session, table_of(ReportChase), row, ["unit", "period", "notice"]
                    ):
                        continue
                    runtime.emit(
                        session,
                        (ReportOverdue if notice == "overdue" else ReportDueSoon)(
                            unit=unit, unit_level=level, period=period.key, due_on=due
                        ),
                        actor="results-scheduler",
                        org_unit=unit,
                        subject_id=f"{unit}/{period.key}",
                    )
                    sent += 1
    return sent


async def chase(runtime: ServiceRuntime) -> int:
    return await scan_overdue_tasks(runtime) + await scan_reports_due(runtime)


chaser = periodic("results-chaser", chase, lambda runtime: settings_of(runtime).scan_seconds)
