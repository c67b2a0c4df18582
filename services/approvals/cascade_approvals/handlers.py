"""The approvals service's event handlers: submitted versions open cases; withdrawals close them;
directory changes keep the read model of who holds which role where."""

from __future__ import annotations

from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.events import (
    CaseCompleted,
    CaseOpened,
    PlanDecided,
    PlanSubmitted,
    StepCarriedOver,
    UserChanged,
)
from cascade_shared.projector import project_latest
from cascade_shared.service import HandlerContext
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_approvals.domain.case import first_step
from cascade_approvals.domain.policy import steps_for
from cascade_approvals.models import ApprovalCase, ApprovalStep, DirectoryUser, StepDecision
from cascade_approvals.store import (
    activate,
    close_case,
    current_policy,
    step_assigned,
    step_ref,
)


def routing_facts(submitted: PlanSubmitted) -> dict[str, float]:
    """The facts conditional steps look at: those the plan announced (plans' ``plan_facts``),
    and the task count (which events from before the facts carry alone)."""
    return {"task_count": float(submitted.task_count), **submitted.facts}


async def carried_over(
    session: AsyncSession, case: ApprovalCase, step: ApprovalStep, previous: ApprovalCase | None
) -> StepCarriedOver:
    """What the people of a step the new case resumes after are told: who approved it, in
    which version, and at which step the plan was returned."""
    approval = (
        await session.exec(
            select(StepDecision)
            .where(
                StepDecision.plan_id == case.plan_id,
                StepDecision.step_no == step.step_no,
                StepDecision.decision == "approved",
            )
            .order_by(col(StepDecision.plan_version).desc(), col(StepDecision.decided_at).desc())
        )
    ).first()
    return StepCarriedOver(
        **step_ref(case, step),
        approved_in_version=approval.plan_version if approval else None,
        approved_by=approval.decided_by if approval else None,
        returned_at_step=previous.returned_at_step if previous else None,
    )


async def on_plan_submitted(ctx: HandlerContext, envelope: Envelope) -> None:
    """Open a case for the submitted version under the current policy. Earlier open cases of
    the plan are superseded; after a return, the policy may resume at the returning step."""
    submitted = PlanSubmitted.model_validate(envelope.payload)
    session = ctx.session
    earlier = list(
        (
            await session.exec(
                select(ApprovalCase)
                .where(ApprovalCase.plan_id == submitted.plan_id)
                .order_by(col(ApprovalCase.plan_version))
            )
        ).all()
    )
    if any(c.plan_version >= submitted.version for c in earlier):
        return  # a repeat, or an older version arriving late
    policy = await current_policy(session)
    facts = routing_facts(submitted)
    plan_steps = steps_for(policy, submitted.unit_level, submitted.unit, facts)
    previous = earlier[-1] if earlier else None
    start = first_step(
        policy.chains[submitted.unit_level].resubmission,
        previous.status if previous else None,
        previous.returned_at_step if previous else None,
        len(plan_steps),
    )
    now = utcnow()
    for old in earlier:
        if old.status == "open":
            await close_case(session, old, "superseded", now)
    case = ApprovalCase(
        plan_id=submitted.plan_id,
        plan_version=submitted.version,
        plan_unit=submitted.unit,
        plan_title=submitted.title,
        drafter=submitted.drafter,
        submitted_by=submitted.submitted_by,
        content_hash=submitted.content_hash,
        policy_version=policy.version,
        plan_level=submitted.unit_level,
        facts=facts,
        task_groups=[g.model_dump() for g in submitted.task_groups],
        started_at_step=start,
    )
    session.add(case)
    steps = [
        ApprovalStep(
            case_id=case.id,
            step_no=s.step_no,
            name=s.name,
            unit=s.unit,
            role=s.role,
            mode=s.mode,
            k=s.k,
            deadline_days=s.deadline_days,
            partial=s.partial,
            status="carried_over" if s.step_no < start else "waiting",
        )
        for s in plan_steps
    ]
    first = steps[start - 1]
    await activate(session, first, now)
    session.add_all(steps)
    for step in steps[: start - 1]:
        ctx.emit(
            await carried_over(session, case, step, previous),
            org_unit=step.unit,
            subject_id=case.plan_id,
        )
    ctx.emit(
        CaseOpened(
            case_id=case.id,
            plan_id=case.plan_id,
            plan_version=case.plan_version,
            plan_unit=case.plan_unit,
            policy_version=case.policy_version,
            steps=[
                {
                    "step_no": s.step_no,
                    "name": s.name,
                    "unit": s.unit,
                    "role": s.role,
                    "mode": s.mode,
                    "status": s.status,
                }
                for s in steps
            ],
        ),
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
    )
    ctx.emit(
        step_assigned(case, first),
        org_unit=first.unit,
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
    if case is None or not await close_case(session, case, "withdrawn", utcnow()):
        return  # not open, or a final decision closed it meanwhile: it has its outcome
    ctx.emit(
        CaseCompleted(
            case_id=case.id,
            plan_id=case.plan_id,
            plan_version=case.plan_version,
            outcome="withdrawn",
            decided_by=envelope.actor,
        ),
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
    )


async def on_user_changed(ctx: HandlerContext, envelope: Envelope) -> None:
    """Keep who holds which role where; the latest change of a user wins, whatever order
    concurrent consumers or a replay deliver the changes in."""
    user = UserChanged.model_validate(envelope.payload)
    fresh = {
        "username": user.username,
        "name": user.name,
        "unit": user.unit,
        "roles": list(user.roles),
        "active": user.active,
    }
    await project_latest(ctx.session, DirectoryUser, fresh, envelope.occurred_at)


HANDLERS = {
    "plan.submitted": on_plan_submitted,
    "plan.withdrawn": on_plan_withdrawn,
    "directory.user_changed": on_user_changed,
}
