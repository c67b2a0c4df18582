"""Opening and moving approval cases: persistence plus the events they announce."""

from __future__ import annotations

from typing import Any

from cascade_shared.envelope import utcnow
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_approvals.domain.case import add_working_days
from cascade_approvals.models import ApprovalCase, ApprovalStep


async def steps_of(session: AsyncSession, case_id: str) -> list[ApprovalStep]:
    rows = await session.exec(
        select(ApprovalStep)
        .where(ApprovalStep.case_id == case_id)
        .order_by(col(ApprovalStep.step_no))
    )
    return list(rows.all())


def activate(step: ApprovalStep) -> None:
    now = utcnow()
    step.status = "active"
    step.assigned_at = now
    step.due_at = add_working_days(now, step.deadline_days)


def step_assigned_payload(case: ApprovalCase, step: ApprovalStep) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "plan_id": case.plan_id,
        "plan_version": case.plan_version,
        "step_no": step.step_no,
        "unit": step.unit,
        "role": step.role,
        "due_at": step.due_at.isoformat() if step.due_at else None,
        "plan_title": case.plan_title,
    }


def case_public(case: ApprovalCase, steps: list[ApprovalStep]) -> dict[str, Any]:
    return {**case.model_dump(), "steps": [s.model_dump() for s in steps]}
