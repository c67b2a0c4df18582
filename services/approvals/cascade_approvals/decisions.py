"""Deciding a step: authority (own role or delegation), binding to the version seen, the
compare-and-set that lets exactly one of two simultaneous decisions count, comments anchored to
tasks, and the events that follow - all in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cascade_shared.auth import Principal
from cascade_shared.db import rows_matched
from cascade_shared.envelope import utcnow
from cascade_shared.events import CaseCompleted, StepDecided, TaskGroupRef
from cascade_shared.events import ReviewComment as ReviewCommentRef
from cascade_shared.problems import conflict, forbidden, invalid, not_found
from cascade_shared.service import ServiceRuntime
from fastapi.encoders import jsonable_encoder
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_approvals.domain.case import (
    DECISION_TO_STATUS,
    ActiveDelegation,
    CaseGroup,
    GroupSplit,
    Mandate,
    after_decision,
    comment_kind,
    comment_required,
    mandate_for,
    partial_problem,
    split_groups,
)
from cascade_approvals.models import ApprovalCase, ApprovalStep, ReviewComment, StepDecision
from cascade_approvals.schemas import DecisionIn
from cascade_approvals.store import (
    activate,
    active_delegations_to,
    close_case,
    load_case_public,
    step_assigned,
    steps_of,
)


async def _current_state(session: AsyncSession, case_id: str) -> dict[str, Any]:
    await session.rollback()
    case = await session.get(ApprovalCase, case_id)
    assert case is not None
    return jsonable_encoder(await load_case_public(session, case))


def case_groups(case: ApprovalCase) -> list[CaseGroup]:
    """The task groups of the version under decision, as plan.submitted announced them."""
    return [
        CaseGroup(
            id=str(g["id"]),
            code=str(g.get("code", "")),
            title=str(g.get("title", "")),
            approved_in_version=g.get("approved_in_version"),
        )
        for g in case.task_groups or []
    ]


def groups_decided(settled: GroupSplit) -> dict[str, list[TaskGroupRef]]:
    """The groups a return settled, as the events carry them (``GroupsDecided``)."""

    def ref(g: CaseGroup) -> TaskGroupRef:
        return TaskGroupRef(
            id=g.id, code=g.code, title=g.title, approved_in_version=g.approved_in_version
        )

    return {
        "approved_groups": [ref(g) for g in settled.approved],
        "returned_groups": [ref(g) for g in settled.returned],
    }


async def mandate_on_step(
    session: AsyncSession,
    user: Principal,
    step: ApprovalStep,
    decided_for: Sequence[str] = (),
    delegations: Sequence[ActiveDelegation] | None = None,
) -> Mandate | None:
    """On what ground ``user`` decides ``step``: their own role in its unit, or an active
    delegation from a holder of that role there (who has not decided it yet); None if neither.
    The delegations are read only when the user's own role does not decide the step."""
    own = mandate_for(user.username, user.unit, user.roles, step.unit, step.role, (), decided_for)
    if own is not None:
        return own
    if delegations is None:
        delegations = await active_delegations_to(session, user.username)
    return mandate_for(
        user.username, user.unit, user.roles, step.unit, step.role, delegations, decided_for
    )


async def comment_mandate(
    session: AsyncSession, user: Principal, case: ApprovalCase, steps: Sequence[ApprovalStep]
) -> Mandate | None:
    """Whether ``user`` may add to a case's review thread, and for whom: the drafters and heads
    of the plan's unit, and whoever has a mandate (own role or delegated) for one of its steps."""
    if user.unit == case.plan_unit and user.has_role("drafter", "head"):
        return Mandate(acting_for=user.username, on_behalf_of=None)
    delegations = await active_delegations_to(session, user.username)
    for step in steps:
        mandate = await mandate_on_step(session, user, step, delegations=delegations)
        if mandate is not None:
            return mandate
    return None


async def decide_step(
    session: AsyncSession,
    runtime: ServiceRuntime,
    user: Principal,
    case_id: str,
    step_no: int,
    body: DecisionIn,
) -> dict[str, Any]:
    """Apply one decision and return the case as it now stands (not yet committed).

    The case row is locked first (``FOR UPDATE`` on PostgreSQL), as the withdrawal and
    superseding handlers do, so a decision and a closing of the case queue up instead of both
    acting on an open case; the case's move out of ``open`` is a compare-and-set as well."""
    case = await session.get(ApprovalCase, case_id, with_for_update=True, populate_existing=True)
    if case is None:
        raise not_found("case", case_id)
    steps = await steps_of(session, case.id)
    step = next((s for s in steps if s.step_no == step_no), None)
    if step is None:
        raise not_found("step", f"{case_id}/{step_no}")
    mandate = await _mandate_or_refusal(session, user, case, step)
    await _check_decidable(session, case, body)
    groups = case_groups(case)
    problem = partial_problem(body.decision, step_no, step.partial, groups, body.approved_groups)
    if problem is not None:
        raise invalid(*problem)
    settled = split_groups(body.decision, groups, body.approved_groups)

    now = utcnow()
    approvals = await _count_approval(session, case, step) if body.decision == "approve" else 0
    outcome = after_decision(step_no, len(steps), body.decision, approvals, step.required_approvals)
    if outcome.step_done:
        await _close_step(session, case, step, user, mandate, body, now)
    comments = await _record_decision(session, case, step, user, mandate, body, now)
    said: dict[str, Any] = {  # what the step's and the case's events both carry
        "decided_by": user.username,
        "on_behalf_of": mandate.on_behalf_of,
        "comment": body.comment,
        "comments": [
            ReviewCommentRef(
                comment_id=c.id,
                task_id=c.task_id,
                task_code=c.task_code,
                text=c.text,
                author=c.author,
                status=c.status,
            )
            for c in comments
        ],
        **(groups_decided(settled) if body.decision == "return" else {}),
    }
    runtime.emit(
        session,
        StepDecided(
            case_id=case.id,
            plan_id=case.plan_id,
            plan_version=case.plan_version,
            step_no=step_no,
            unit=step.unit,
            role=step.role,
            decision=DECISION_TO_STATUS[body.decision],
            content_hash=case.content_hash,
            **said,
        ),
        actor=user.username,
        org_unit=step.unit,
        subject_id=case.plan_id,
    )
    if outcome.next_step is not None:
        nxt = next(s for s in steps if s.step_no == outcome.next_step)
        await activate(session, nxt, now)
        runtime.emit(
            session,
            step_assigned(case, nxt),
            actor=user.username,
            org_unit=nxt.unit,
            subject_id=case.plan_id,
        )
    elif outcome.case_outcome is not None:
        returned_at_step = step_no if outcome.case_outcome == "returned" else None
        if not await close_case(
            session, case, outcome.case_outcome, now, returned_at_step=returned_at_step
        ):
            raise conflict(
                f"version {case.plan_version} can no longer be decided: the case was closed",
                case=await _current_state(session, case.id),
            )
        runtime.emit(
            session,
            CaseCompleted(
                case_id=case.id,
                plan_id=case.plan_id,
                plan_version=case.plan_version,
                outcome=outcome.case_outcome,
                returned_at_step=returned_at_step,
                **said,
            ),
            actor=user.username,
            org_unit=case.plan_unit,
            subject_id=case.plan_id,
        )
    await session.flush()
    session.expire_all()
    decided = await session.get(ApprovalCase, case_id)
    assert decided is not None
    return jsonable_encoder(await load_case_public(session, decided))


async def _mandate_or_refusal(
    session: AsyncSession, user: Principal, case: ApprovalCase, step: ApprovalStep
) -> Mandate:
    """On what ground ``user`` decides ``step``; 409 when they already did, 403 when they may
    not at all."""
    decided_for = list(
        (
            await session.exec(
                select(StepDecision.acting_for).where(StepDecision.step_id == step.id)
            )
        ).all()
    )
    mandate = await mandate_on_step(session, user, step, decided_for)
    if mandate is not None:
        return mandate
    if user.username in decided_for:
        raise conflict(
            f"you have already decided step {step.step_no}",
            case=await _current_state(session, case.id),
        )
    raise forbidden(
        f"step {step.step_no} is decided by a {step.role} of {step.unit} or their delegate"
    )


async def _check_decidable(session: AsyncSession, case: ApprovalCase, body: DecisionIn) -> None:
    """409 unless the case is open on the very version the decider looked at; 422 when a
    decision that needs a reason comes without one."""
    if case.status != "open":
        reason = (
            "a newer version of the plan was submitted"
            if case.status == "superseded"
            else f"the case is {case.status}"
        )
        raise conflict(
            f"version {case.plan_version} can no longer be decided: {reason}",
            case=await _current_state(session, case.id),
        )
    if body.plan_version is not None and body.plan_version != case.plan_version:
        raise conflict(
            f"you looked at version {body.plan_version}; this case decides version "
            f"{case.plan_version}",
            case=await _current_state(session, case.id),
        )
    if body.content_hash is not None and body.content_hash != case.content_hash:
        raise conflict(
            "the plan version you looked at is not the one under decision",
            content_hash=case.content_hash,
            case=await _current_state(session, case.id),
        )
    if comment_required(body.decision) and not (
        (body.comment or "").strip() or any(c.text.strip() for c in body.comments)
    ):
        raise invalid("comment", f"required to {body.decision}")


async def _count_approval(session: AsyncSession, case: ApprovalCase, step: ApprovalStep) -> int:
    """Count one more approval on the active step (atomically); the step's approvals so far."""
    counted = await session.execute(
        update(ApprovalStep)
        .where(col(ApprovalStep.id) == step.id, col(ApprovalStep.status) == "active")
        .values(approvals=col(ApprovalStep.approvals) + 1)
        .returning(col(ApprovalStep.approvals))
    )
    row = counted.first()
    if row is None:
        raise conflict(
            f"step {step.step_no} is not waiting for a decision",
            case=await _current_state(session, case.id),
        )
    return int(row[0])


async def _close_step(
    session: AsyncSession,
    case: ApprovalCase,
    step: ApprovalStep,
    user: Principal,
    mandate: Mandate,
    body: DecisionIn,
    now: datetime,
) -> None:
    """The step is decided: a compare-and-set from ``active``, so two deciders cannot both."""
    result = await session.execute(
        update(ApprovalStep)
        .where(col(ApprovalStep.id) == step.id, col(ApprovalStep.status) == "active")
        .values(
            status=DECISION_TO_STATUS[body.decision],
            decided_by=user.username,
            on_behalf_of=mandate.on_behalf_of,
            decided_at=now,
            comment=body.comment,
        )
    )
    if rows_matched(result) != 1:
        raise conflict(
            f"step {step.step_no} is not waiting for a decision",
            case=await _current_state(session, case.id),
        )


async def _record_decision(
    session: AsyncSession,
    case: ApprovalCase,
    step: ApprovalStep,
    user: Principal,
    mandate: Mandate,
    body: DecisionIn,
    now: datetime,
) -> list[ReviewComment]:
    """The decision of one person on one mandate (unique, so a repeat is a 409) and what they
    said with it, the general comment first; the comments, with their ids."""
    session.add(
        StepDecision(
            case_id=case.id,
            step_id=step.id,
            step_no=step.step_no,
            plan_id=case.plan_id,
            plan_version=case.plan_version,
            decision=DECISION_TO_STATUS[body.decision],
            decided_by=user.username,
            on_behalf_of=mandate.on_behalf_of,
            acting_for=mandate.acting_for,
            content_hash=case.content_hash,
            comment=body.comment,
            decided_at=now,
        )
    )
    # What an approver says while approving is a remark: noted, with nothing to answer.
    kind = comment_kind(body.decision)
    said = [(c.task_id, c.task_code, c.text) for c in body.comments]
    if body.comment and body.comment.strip():
        said.insert(0, (None, None, body.comment))
    comments = [
        ReviewComment(
            plan_id=case.plan_id,
            case_id=case.id,
            plan_version=case.plan_version,
            task_id=task_id,
            task_code=task_code,
            text=text,
            author=user.username,
            on_behalf_of=mandate.on_behalf_of,
            status=kind,
        )
        for task_id, task_code, text in said
    ]
    session.add_all(comments)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict(
            f"step {step.step_no} was already decided for {mandate.acting_for}",
            case=await _current_state(session, case.id),
        ) from exc
    return comments
