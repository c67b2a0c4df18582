"""A plan's life, the one place its state changes: submitted, withdrawn, revised, a revision
discarded, and the outcome of its approval applied. The API's routes and the event handlers
are its adapters: they find the plan and who acts, call one of these, and commit. Each change
and the event that announces it are made in the caller's transaction; a rule that refuses
raises a refusal of ``cascade_shared.errors``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cascade_shared.chassis.service import HandlerContext, ServiceRuntime
from cascade_shared.db import table_of
from cascade_shared.envelope import utcnow
from cascade_shared.errors import Conflict, Invalid
from cascade_shared.events import (
    CaseCompleted,
    PlanRevisionDiscarded,
    PlanRevisionStarted,
    PlanSubmitted,
    PlanWithdrawn,
    TaskGroupRef,
)
from cascade_shared.projector import insert_ignoring_repeats
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.cascade import close_requests, request_revisions
from cascade_plans.checking import run_checks
from cascade_plans.domain.plan import (
    NEW_VERSION_ON_SUBMIT,
    can_discard_revision,
    can_revise,
    can_submit,
    can_withdraw,
    content_hash,
    frozen_after_case,
    in_force,
    in_force_after_case,
    plan_facts,
    status_after_case,
)
from cascade_plans.models import Plan, PlanVersion, ReturnedComment, TaskGroup
from cascade_plans.payloads import PLAN_OUTCOMES, plan_ref


class NotSubmittable(Invalid):
    """The plan breaks a rule ("5 clear", coverage, indicators, ...): every error listed."""

    kind = "five-clear"
    title = "The plan cannot be submitted"


class WarningsNotAcknowledged(Invalid):
    """The plan has warnings (copying, generic jobs) the drafter has not acknowledged."""

    kind = "warnings"
    title = "Warnings need your acknowledgement"


async def submit(
    session: AsyncSession, runtime: ServiceRuntime, plan: Plan, by: str, *, acknowledged: bool
) -> PlanVersion:
    """Freeze the working copy as the next version and send it for approval
    (``plan.submitted``); a returned or withdrawn plan becomes a new version."""
    if not can_submit(plan.status):
        raise Conflict(f"a {plan.status} plan cannot be submitted", plan_status=plan.status)
    result = await run_checks(session, plan)
    if result.errors:
        five_clear = {e["task"] for e in result.errors if "task" in e}
        raise NotSubmittable(
            f"{len(result.errors)} error(s); {len(five_clear)} task(s) are not 5-clear",
            errors=result.errors,
            warnings=result.warnings,
        )
    if result.warnings and not acknowledged:
        raise WarningsNotAcknowledged(
            "resubmit with acknowledge_warnings: true once you have read them",
            errors=[],
            warnings=result.warnings,
        )
    if plan.status in NEW_VERSION_ON_SUBMIT:
        plan.version += 1
    data = result.content.as_dict()
    digest = content_hash(data)
    frozen = {g.id: g for g in result.groups if g.approved_in_version is not None}
    version = PlanVersion(
        plan_id=plan.id,
        version=plan.version,
        content=data,
        content_hash=digest,
        submitted_by=by,
    )
    plan.status = "submitted"
    plan.updated_at = utcnow()
    session.add(plan)
    session.add(version)
    runtime.emit(
        session,
        PlanSubmitted(
            **plan_ref(plan),
            parent_plan_id=plan.parent_plan_id,
            content_hash=digest,
            submitted_by=by,
            task_count=len(result.tasks),
            facts=plan_facts(data),
            acknowledged_warnings=[w["field"] for w in result.warnings],
            task_groups=[
                TaskGroupRef(
                    id=g["id"],
                    code=g["code"],
                    title=g["title"],
                    approved_in_version=(
                        frozen[g["id"]].approved_in_version if g["id"] in frozen else None
                    ),
                )
                for g in data.get("task_groups", [])
            ],
        ),
        actor=by,
        org_unit=plan.unit,
        subject_id=plan.id,
    )
    return version


async def withdraw(session: AsyncSession, runtime: ServiceRuntime, plan: Plan, by: str) -> None:
    """A submitted plan back to its drafters before the final decision (``plan.withdrawn``)."""
    if not can_withdraw(plan.status):
        raise Conflict(f"a {plan.status} plan cannot be withdrawn", plan_status=plan.status)
    plan.status = "withdrawn"
    plan.updated_at = utcnow()
    session.add(plan)
    version = await session.get(PlanVersion, (plan.id, plan.version))
    if version is not None:
        version.outcome = "withdrawn"
        session.add(version)
    runtime.emit(
        session,
        PlanWithdrawn(**plan_ref(plan)),
        actor=by,
        org_unit=plan.unit,
        subject_id=plan.id,
    )


async def _last_submitted(session: AsyncSession, plan: Plan) -> int:
    last = (
        await session.exec(
            select(func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id)
        )
    ).one()
    return int(last or 0)


def _revision_fields(plan: Plan, reason: str | None = None) -> dict[str, Any]:
    """What plan.revision_started and plan.revision_discarded carry."""
    return {
        **plan_ref(plan),
        "in_force_version": plan.in_force_version,
        "parent_plan_id": plan.parent_plan_id,
        "reason": reason,
    }


async def revise(
    session: AsyncSession, runtime: ServiceRuntime, plan: Plan, by: str, reason: str | None
) -> None:
    """Start a revision of the plan in force: its working copy becomes the draft of the next
    version while the approved version stays in force (``plan.revision_started``)."""
    if not can_revise(plan.status, plan.in_force_version):
        raise Conflict(
            "a revision of this plan is already under way"
            if plan.in_force_version is not None
            else f"a {plan.status} plan is not in force: edit it as it is",
            plan_status=plan.status,
        )
    plan.version = max(plan.version, await _last_submitted(session, plan)) + 1
    plan.status = "draft"
    plan.updated_at = utcnow()
    session.add(plan)
    runtime.emit(
        session,
        PlanRevisionStarted(**_revision_fields(plan, reason)),
        actor=by,
        org_unit=plan.unit,
        subject_id=plan.id,
    )


async def discard_revision(
    session: AsyncSession, runtime: ServiceRuntime, plan: Plan, by: str
) -> None:
    """Drop a revision back with the drafters: the working copy becomes the version in force
    again, with the same ids (``plan.revision_discarded``)."""
    if not can_discard_revision(plan.status, plan.in_force_version):
        raise Conflict(
            "only a revision back with its drafters can be discarded"
            + (" (withdraw it first)" if plan.status == "submitted" else ""),
            plan_status=plan.status,
        )
    in_force = await store.in_force_content(session, plan)
    if in_force is None:
        raise Conflict("the version in force is missing", plan_status=plan.status)
    await store.restore_working_copy(session, plan, in_force)
    plan.status = "approved"
    plan.version = max(await _last_submitted(session, plan), plan.in_force_version or 0)
    plan.updated_at = utcnow()
    session.add(plan)
    runtime.emit(
        session,
        PlanRevisionDiscarded(**_revision_fields(plan)),
        actor=by,
        org_unit=plan.unit,
        subject_id=plan.id,
    )


async def apply_case_outcome(
    ctx: HandlerContext, case: CaseCompleted, actor: str | None, occurred_at: datetime
) -> None:
    """The approval case of one of the plan's versions ended: the plan moves on (approved and in
    force, returned, rejected, withdrawn), its frozen task groups follow a partial decision, a
    return's comments are kept for the policy's comment rule, and ``plan.<outcome>`` announces
    it; an approved revision asks the plans below to follow. A decision about another version,
    or one already applied, changes nothing."""
    session = ctx.session
    plan = await session.get(Plan, case.plan_id, with_for_update=True)
    if plan is None:
        return
    new_status = status_after_case(
        plan.status, plan.version, case.plan_version, case.outcome, plan.in_force_version
    )
    if plan.status != "submitted" or plan.version != case.plan_version:
        return  # stale or repeated decision about another version
    revision_of = plan.in_force_version
    plan.status = new_status
    plan.in_force_version = in_force_after_case(
        plan.in_force_version, case.plan_version, case.outcome
    )
    plan.updated_at = utcnow()
    session.add(plan)
    version = await session.get(PlanVersion, (plan.id, case.plan_version))
    if version is not None:
        version.outcome = case.outcome
        session.add(version)
    groups = (await session.exec(select(TaskGroup).where(TaskGroup.plan_id == plan.id))).all()
    after = frozen_after_case(
        case.outcome,
        case.plan_version,
        {g.id: g.approved_in_version for g in groups},
        [g.id for g in case.approved_groups],
        [g.id for g in case.returned_groups],
    )
    for g in groups:
        if after.get(g.id) != g.approved_in_version:
            g.approved_in_version = after.get(g.id)
            g.approved_by = case.decided_by if g.approved_in_version is not None else None
            session.add(g)
    if case.outcome == "rejected" and revision_of is not None:
        # The revision is refused; the version in force stays, and so does its content.
        kept = await store.in_force_content(session, plan)
        if kept is not None:
            await store.restore_working_copy(session, plan, kept)
    if case.outcome == "returned":
        await insert_ignoring_repeats(  # answered already (a resolution that came first) stays
            session,
            table_of(ReturnedComment),
            [
                {
                    "comment_id": c.comment_id,
                    "plan_id": plan.id,
                    "plan_version": case.plan_version,
                    "task_code": c.task_code,
                    "text": c.text,
                    "status": "open",
                }
                for c in case.comments
                if c.comment_id and c.status == "open"
            ],
            ["comment_id"],
        )
    if case.outcome == "withdrawn":
        return  # plans itself announced plan.withdrawn when the drafter withdrew
    tracked = in_force(version.content) if case.outcome == "approved" and version else {}
    ctx.emit(
        PLAN_OUTCOMES[case.outcome](
            **tracked,
            **plan_ref(plan),
            case_id=case.case_id,
            comment=case.comment,
            comments=case.comments,
            parent_plan_id=plan.parent_plan_id,
            decided_by=case.decided_by,
            approved_groups=case.approved_groups,
            returned_groups=case.returned_groups,
        ),
        actor=case.decided_by or actor,
        org_unit=plan.unit,
        subject_id=plan.id,
    )
    if case.outcome == "approved":
        await close_requests(session, plan, case.plan_version)  # this plan followed its parent
        if revision_of is not None:
            # The units below that concretize a task this revision changed are asked to follow.
            await request_revisions(ctx, plan, revision_of, case.plan_version, occurred_at.date())
