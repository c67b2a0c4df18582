"""The plans service's event handlers: approval outcomes drive the plan's lifecycle."""

from __future__ import annotations

from typing import Any

from cascade_shared.chassis.service import HandlerContext
from cascade_shared.envelope import Envelope
from cascade_shared.events import CaseCompleted, CommentResolved, PolicyInstalled
from cascade_shared.projector import insert_or_lock, keeps_latest

from cascade_plans import lifecycle
from cascade_plans.models import (
    ReturnedComment,
    RevisionPolicy,
)


async def on_case_completed(ctx: HandlerContext, envelope: Envelope) -> None:
    case = CaseCompleted.model_validate(envelope.payload)
    await lifecycle.apply_case_outcome(ctx, case, envelope.actor, envelope.occurred_at)


def policy_row(installed: PolicyInstalled) -> dict[str, Any]:
    """What plans keeps of a routing policy: its revision deadlines and comment rule."""
    return {
        "key": "current",
        "version": installed.version,
        **installed.revisions.model_dump(),
        "resolve_returned_comments": installed.comments.resolve_before_resubmission,
    }


# The revision deadlines of the newest routing policy (a late, older announcement changes
# nothing).
on_policy_installed = keeps_latest(RevisionPolicy, PolicyInstalled, policy_row)


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
