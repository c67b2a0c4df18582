"""An approval case's life, the one place its state changes: opened when a plan version is
submitted (superseding the plan's earlier open case), a step decided (authority by own role or
delegation, binding to the version seen, the compare-and-set that lets exactly one of two
simultaneous decisions count, comments anchored to tasks), and closed by the final decision or
a withdrawal. The event handlers and the decision route are its adapters; each change and the
events that announce it are made in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cascade_shared.auth import Principal
from cascade_shared.chassis.service import HandlerContext, ServiceRuntime
from cascade_shared.db import rows_matched
from cascade_shared.envelope import utcnow
from cascade_shared.events import (
    CaseCompleted,
    CaseOpened,
    PlanDecided,
    PlanSubmitted,
    StepCarriedOver,
    StepDecided,
    TaskGroupRef,
)
from cascade_shared.events import ReviewComment as ReviewCommentRef
from cascade_shared.problems import conflict, forbidden, invalid, not_found
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
    first_step,
    mandate_for,
    partial_problem,
    split_groups,
)
from cascade_approvals.domain.policy import steps_for
from cascade_approvals.models import ApprovalCase, ApprovalStep, ReviewComment, StepDecision
from cascade_approvals.schemas import DecisionIn
from cascade_approvals.store import (
    activate,
    active_delegations_to,
    close_case,
    current_policy,
    load_case_public,
    step_assigned,
    step_ref,
    steps_of,
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


async def open_case(ctx: HandlerContext, submitted: PlanSubmitted) -> None:
    """Open a case for the submitted version under the current policy. Earlier open cases of
    the plan are superseded; after a return, the policy may resume at the returning step. A
    repeat, or an older version arriving late, changes nothing."""
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


async def withdraw(ctx: HandlerContext, withdrawn: PlanDecided, by: str | None) -> None:
    """Close the withdrawn version's open case; a final decision that closed it first keeps
    its outcome."""
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
            decided_by=by,
        ),
        org_unit=case.plan_unit,
        subject_id=case.plan_id,
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


async def decide(
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
