"""The plans service's event handlers: approval outcomes drive the plan's lifecycle."""

from __future__ import annotations

from cascade_shared.db import table_of
from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.events import CaseCompleted, CommentResolved, PolicyInstalled
from cascade_shared.projector import insert_ignoring_repeats, insert_or_lock, project_latest
from cascade_shared.service import HandlerContext
from sqlmodel import select

from cascade_plans import store
from cascade_plans.cascade import close_requests, request_revisions
from cascade_plans.domain.plan import (
    frozen_after_case,
    in_force,
    in_force_after_case,
    status_after_case,
)
from cascade_plans.models import (
    Plan,
    PlanVersion,
    ReturnedComment,
    RevisionPolicy,
    TaskGroup,
)
from cascade_plans.payloads import PLAN_OUTCOMES, plan_ref


async def on_case_completed(ctx: HandlerContext, envelope: Envelope) -> None:
    case = CaseCompleted.model_validate(envelope.payload)
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
        actor=case.decided_by or envelope.actor,
        org_unit=plan.unit,
        subject_id=plan.id,
    )
    if case.outcome == "approved":
        await close_requests(session, plan, case.plan_version)  # this plan followed its parent
        if revision_of is not None:
            # The units below that concretize a task this revision changed are asked to follow.
            await request_revisions(
                ctx, plan, revision_of, case.plan_version, envelope.occurred_at.date()
            )


async def on_policy_installed(ctx: HandlerContext, envelope: Envelope) -> None:
    """Keep the revision deadlines of the newest routing policy (a late, older announcement
    changes nothing)."""
    installed = PolicyInstalled.model_validate(envelope.payload)
    fresh = {
        "key": "current",
        "version": installed.version,
        **installed.revisions.model_dump(),
        "resolve_returned_comments": installed.comments.resolve_before_resubmission,
    }
    await project_latest(ctx.session, RevisionPolicy, fresh, envelope.occurred_at)


async def on_comment_resolved(ctx: HandlerContext, envelope: Envelope) -> None:
    """A comment the plan came back with is answered (final: a later return is a new comment)."""
    resolved = CommentResolved.model_validate(envelope.payload)
    row = await insert_or_lock(
        ctx.session,
        ReturnedComment,
        {
            "comment_id": resolved.comment_id,
            "plan_id": resolved.plan_id,
            "plan_version": resolved.plan_version,
            "task_code": resolved.task_code,
            "status": "resolved",
        },
    )
    if row is not None and row.status != "resolved":
        row.status = "resolved"
        ctx.session.add(row)


HANDLERS = {
    "approval.case_completed": on_case_completed,
    "approval.comment_resolved": on_comment_resolved,
    "approval.policy_installed": on_policy_installed,
}
