"""The plans service's event handlers: approval outcomes drive the plan's lifecycle."""

from __future__ import annotations

from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.events import CaseCompleted
from cascade_shared.service import HandlerContext

from cascade_plans.domain.plan import in_force, level_of, status_after_case
from cascade_plans.models import Plan, PlanVersion


async def on_case_completed(ctx: HandlerContext, envelope: Envelope) -> None:
    case = CaseCompleted.model_validate(envelope.payload)
    session = ctx.session
    plan = await session.get(Plan, case.plan_id, with_for_update=True)
    if plan is None:
        return
    new_status = status_after_case(plan.status, plan.version, case.plan_version, case.outcome)
    if new_status == plan.status:
        return  # stale or repeated decision about another version
    plan.status = new_status
    plan.updated_at = utcnow()
    session.add(plan)
    version = await session.get(PlanVersion, (plan.id, case.plan_version))
    if version is not None:
        version.outcome = case.outcome
        session.add(version)
    if case.outcome == "withdrawn":
        return  # plans itself announced plan.withdrawn when the drafter withdrew
    tracked = in_force(version.content) if case.outcome == "approved" and version else {}
    ctx.emit(
        f"plan.{case.outcome}",
        {
            **tracked,
            "plan_id": plan.id,
            "version": plan.version,
            "unit": plan.unit,
            "unit_level": level_of(plan.unit),
            "title": plan.title,
            "drafter": plan.drafter,
            "case_id": case.case_id,
            "comment": case.comment,
            "comments": [c.model_dump() for c in case.comments],
            "parent_plan_id": plan.parent_plan_id,
            "decided_by": case.decided_by,
        },
        actor=case.decided_by or envelope.actor,
        org_unit=plan.unit,
        subject_id=plan.id,
    )


HANDLERS = {"approval.case_completed": on_case_completed}
