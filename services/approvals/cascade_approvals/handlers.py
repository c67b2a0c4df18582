"""The approvals service's event handlers."""

from __future__ import annotations

from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.events import PlanDecided, PlanSubmitted
from cascade_shared.service import HandlerContext
from sqlmodel import select

from cascade_approvals.domain.policy import steps_for
from cascade_approvals.models import ApprovalCase, ApprovalStep
from cascade_approvals.store import activate, step_assigned_payload, steps_of


async def on_plan_submitted(ctx: HandlerContext, envelope: Envelope) -> None:
    """Open a case with the policy's steps for the submitted version; the first step waits."""
    submitted = PlanSubmitted.model_validate(envelope.payload)
    session = ctx.session
    existing = (
        await session.exec(
            select(ApprovalCase).where(
                ApprovalCase.plan_id == submitted.plan_id,
                ApprovalCase.plan_version == submitted.version,
            )
        )
    ).first()
    if existing is not None:
        return
    policy = ctx.runtime.state["policy"]
    plan_steps = steps_for(policy, submitted.unit_level, submitted.unit)
    case = ApprovalCase(
        plan_id=submitted.plan_id,
        plan_version=submitted.version,
        plan_unit=submitted.unit,
        plan_title=submitted.title,
        drafter=submitted.drafter,
        submitted_by=submitted.submitted_by,
        content_hash=submitted.content_hash,
        policy_version=policy.version,
    )
    session.add(case)
    steps = [
        ApprovalStep(
            case_id=case.id,
            step_no=s.step_no,
            unit=s.unit,
            role=s.role,
            deadline_days=s.deadline_days,
        )
        for s in plan_steps
    ]
    activate(steps[0])
    session.add_all(steps)
    ctx.emit(
        "approval.case_opened",
        {
            "case_id": case.id,
            "plan_id": case.plan_id,
            "plan_version": case.plan_version,
            "plan_unit": case.plan_unit,
            "policy_version": case.policy_version,
            "steps": [{"step_no": s.step_no, "unit": s.unit, "role": s.role} for s in steps],
        },
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
    )
    ctx.emit(
        "approval.step_assigned",
        step_assigned_payload(case, steps[0]),
        org_unit=steps[0].unit,
        subject_id=case.plan_id,
    )


async def on_plan_withdrawn(ctx: HandlerContext, envelope: Envelope) -> None:
    withdrawn = PlanDecided.model_validate(envelope.payload)
    session = ctx.session
    case = (
        await session.exec(
            select(ApprovalCase).where(
                ApprovalCase.plan_id == withdrawn.plan_id,
                ApprovalCase.plan_version == withdrawn.version,
                ApprovalCase.status == "open",
            )
        )
    ).first()
    if case is None:
        return
    case.status = "withdrawn"
    case.closed_at = utcnow()
    session.add(case)
    for step in await steps_of(session, case.id):
        if step.status in ("waiting", "active"):
            step.status = "cancelled"
            session.add(step)
    ctx.emit(
        "approval.case_completed",
        {
            "case_id": case.id,
            "plan_id": case.plan_id,
            "plan_version": case.plan_version,
            "outcome": "withdrawn",
            "decided_by": envelope.actor,
        },
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
    )


HANDLERS = {"plan.submitted": on_plan_submitted, "plan.withdrawn": on_plan_withdrawn}
