"""The deadline scheduler: reminders before a step falls due, an overdue notice after, and an
escalation to the head of the unit above (đôn đốc).

The schedule is the steps' own ``due_at`` in the database, so it survives restarts. Each notice
is claimed with a compare-and-set on its ``*_at`` column (and ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), in the same transaction as its event's outbox row: however many replicas scan at
once, each notice fires exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import rows_matched
from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.units import parent_unit
from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_approvals.domain.case import (
    add_working_days,
    deadline_stages,
    subtract_working_days,
)
from cascade_approvals.domain.policy import Policy
from cascade_approvals.models import ApprovalCase, ApprovalStep
from cascade_approvals.settings import ApprovalsSettings
from cascade_approvals.store import current_policy, step_deadline

log = logging.getLogger(__name__)

SCAN_BATCH = 200
_STAGE_COLUMN = {"remind": "reminded_at", "overdue": "overdue_at", "escalate": "escalated_at"}


def escalation_unit(step_unit: str) -> str:
    """The unit above the deciding unit; central escalates to its own head."""
    return parent_unit(step_unit) or step_unit


def _due_now(now: datetime, remind_days_before: int, escalate_days_after: int) -> Any:
    """The steps with a notice due at ``now``: the same three conditions as ``deadline_stages``,
    so a batch never fills up with steps that have nothing to send (reminded but not yet due,
    overdue but not yet escalated) while a step further on misses its reminder for good."""
    due_at = col(ApprovalStep.due_at)
    return or_(
        and_(
            col(ApprovalStep.reminded_at).is_(None),
            col(ApprovalStep.overdue_at).is_(None),
            due_at > now,
            due_at <= add_working_days(now, remind_days_before),
        ),
        and_(col(ApprovalStep.overdue_at).is_(None), due_at <= now),
        and_(
            col(ApprovalStep.escalated_at).is_(None),
            due_at <= now,
            due_at <= subtract_working_days(now, escalate_days_after),
        ),
    )


async def scan_deadlines(
    runtime: ServiceRuntime, now: datetime | None = None, batch: int | None = None
) -> int:
    """One pass over the active steps that have a notice due now; returns the notices sent.

    The steps are read ``batch`` at a time (soonest deadline first) until none is left, so every
    due notice goes out in this pass however many there are."""
    now = now or utcnow()
    batch = batch or SCAN_BATCH
    sent = 0
    async with runtime.sessionmaker() as session, session.begin():
        try:
            policy: Policy = await current_policy(session)
        except LookupError:
            return 0
        after: tuple[datetime, str] | None = None
        while True:
            rows = await _due_batch(session, now, policy, batch, after)
            sent += await _send_notices(runtime, session, now, policy, rows)
            if len(rows) < batch:
                break
            last = rows[-1][0]
            assert last.due_at is not None
            after = (last.due_at, last.id)
    return sent


async def _due_batch(
    session: AsyncSession,
    now: datetime,
    policy: Policy,
    batch: int,
    after: tuple[datetime, str] | None,
) -> list[tuple[ApprovalStep, ApprovalCase]]:
    """The next ``batch`` steps with a notice due, in (due_at, id) order after ``after``."""
    query = (
        select(ApprovalStep, ApprovalCase)
        .join(ApprovalCase, col(ApprovalCase.id) == col(ApprovalStep.case_id))
        .where(
            ApprovalStep.status == "active",
            col(ApprovalStep.due_at).is_not(None),
            _due_now(
                now,
                policy.deadlines.remind_days_before,
                policy.deadlines.escalate_days_after,
            ),
        )
        .order_by(col(ApprovalStep.due_at), col(ApprovalStep.id))
        .limit(batch)
    )
    if after is not None:
        due_at, step_id = after
        query = query.where(
            or_(
                col(ApprovalStep.due_at) > due_at,
                and_(col(ApprovalStep.due_at) == due_at, col(ApprovalStep.id) > step_id),
            )
        )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ApprovalStep)
    return [(step, case) for step, case in (await session.exec(query)).all()]


async def _send_notices(
    runtime: ServiceRuntime,
    session: AsyncSession,
    now: datetime,
    policy: Policy,
    rows: list[tuple[ApprovalStep, ApprovalCase]],
) -> int:
    """Claim and announce each due notice of ``rows``; returns how many were sent."""
    remind_before = policy.deadlines.remind_days_before
    sent = 0
    for step, case in rows:
        assert step.due_at is not None
        stages = deadline_stages(
            now,
            as_utc(step.due_at),
            remind_before,
            policy.deadlines.escalate_days_after,
            reminded=step.reminded_at is not None,
            overdue=step.overdue_at is not None,
            escalated=step.escalated_at is not None,
        )
        for stage in stages:
            column = _STAGE_COLUMN[stage]
            values: dict[str, object] = {column: now}
            if stage == "escalate":
                values["escalated_to_unit"] = escalation_unit(step.unit)
            claimed = await session.execute(
                update(ApprovalStep)
                .where(
                    col(ApprovalStep.id) == step.id,
                    col(ApprovalStep.status) == "active",
                    getattr(ApprovalStep, column).is_(None),
                )
                .values(**values)
            )
            if rows_matched(claimed) != 1:
                continue
            escalated_to = values.get("escalated_to_unit")
            notice = step_deadline(stage, case, step, str(escalated_to) if escalated_to else None)
            runtime.emit(
                session,
                notice,
                actor="deadline-scheduler",
                org_unit=step.unit,
                subject_id=case.plan_id,
            )
            sent += 1
    return sent


deadline_scheduler = periodic(
    "deadline_scheduler",
    scan_deadlines,
    lambda runtime: ApprovalsSettings().deadline_poll_seconds,
)
"""Scan for due notices every ``CASCADE_APPROVALS_DEADLINE_POLL_SECONDS``, forever."""
