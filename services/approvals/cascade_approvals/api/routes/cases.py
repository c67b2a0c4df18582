"""Approval cases: my queue, a case, and decisions on its steps."""

from __future__ import annotations

from typing import Any

from cascade_shared.auth import Principal
from cascade_shared.envelope import utcnow
from cascade_shared.problems import Problem, conflict, forbidden, not_found
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from sqlalchemy import update
from sqlmodel import col, select

from cascade_approvals.api.deps import CurrentUser, Runtime, SessionDep
from cascade_approvals.domain.case import DECISION_TO_STATUS, after_decision, comment_required
from cascade_approvals.models import ApprovalCase, ApprovalStep
from cascade_approvals.schemas import CasePublic, DecisionIn, Queue
from cascade_approvals.store import activate, case_public, step_assigned_payload, steps_of

router = APIRouter(prefix="/api/approvals", tags=["approvals"])


async def _case(session: SessionDep, case_id: str) -> ApprovalCase:
    case = await session.get(ApprovalCase, case_id)
    if case is None:
        raise not_found("case", case_id)
    return case


def _may_read(user: Principal, case: ApprovalCase, steps: list[ApprovalStep]) -> bool:
    return user.sees(case.plan_unit) or any(user.sees(s.unit) for s in steps)


@router.get("/queue", response_model=Queue)
async def my_queue(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """The steps waiting on you: active steps of your unit for one of your roles, by deadline."""
    rows = (
        await session.exec(
            select(ApprovalStep, ApprovalCase)
            .join(ApprovalCase, col(ApprovalCase.id) == col(ApprovalStep.case_id))
            .where(
                ApprovalStep.status == "active",
                ApprovalStep.unit == user.unit,
                col(ApprovalStep.role).in_(user.roles),
            )
            .order_by(col(ApprovalStep.due_at))
        )
    ).all()
    now = utcnow()
    items = [
        {
            "case_id": case.id,
            "plan_id": case.plan_id,
            "plan_version": case.plan_version,
            "plan_unit": case.plan_unit,
            "plan_title": case.plan_title,
            "step_no": step.step_no,
            "unit": step.unit,
            "role": step.role,
            "due_at": step.due_at,
            "overdue": bool(step.due_at and _aware(step.due_at) < now),
        }
        for step, case in rows
    ]
    return {"items": items, "total": len(items), "overdue": sum(i["overdue"] for i in items)}


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("/cases", response_model=list[CasePublic])
async def list_cases(user: CurrentUser, session: SessionDep, plan_id: str) -> list[Any]:
    """Every case of a plan (one per submitted version), oldest first."""
    cases = (
        await session.exec(
            select(ApprovalCase)
            .where(ApprovalCase.plan_id == plan_id)
            .order_by(col(ApprovalCase.plan_version))
        )
    ).all()
    out = []
    for case in cases:
        steps = await steps_of(session, case.id)
        if not _may_read(user, case, steps):
            raise forbidden(f"plan {plan_id} is outside your unit {user.unit}")
        out.append(case_public(case, steps))
    return out


@router.get("/cases/{case_id}", response_model=CasePublic)
async def get_case(case_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    case = await _case(session, case_id)
    steps = await steps_of(session, case.id)
    if not _may_read(user, case, steps):
        raise forbidden(f"case {case_id} is outside your unit {user.unit}")
    return case_public(case, steps)


@router.post("/cases/{case_id}/steps/{step_no}/decision", response_model=CasePublic)
async def decide(
    case_id: str,
    step_no: int,
    body: DecisionIn,
    user: CurrentUser,
    session: SessionDep,
    runtime: Runtime,
) -> dict[str, Any]:
    """Approve, return (a comment is required) or reject (a reason is required) a step.

    Only the step's unit's holders of its role decide. Two approvers deciding the same step at
    once: exactly one decision counts, the other gets 409 with the current state.
    """
    case = await _case(session, case_id)
    steps = await steps_of(session, case.id)
    step = next((s for s in steps if s.step_no == step_no), None)
    if step is None:
        raise not_found("step", f"{case_id}/{step_no}")
    if user.unit != step.unit or step.role not in user.roles:
        raise forbidden(f"step {step_no} is decided by a {step.role} of {step.unit}")
    if comment_required(body.decision) and not (body.comment or "").strip():
        raise Problem(
            422,
            "Invalid request",
            f"a {body.decision} needs a comment",
            type_="validation",
            errors=[{"field": "comment", "reason": f"required to {body.decision}"}],
        )
    now = utcnow()
    new_status = DECISION_TO_STATUS[body.decision]
    # Compare-and-set: only an active step can be decided, and only once.
    result = await session.execute(
        update(ApprovalStep)
        .where(col(ApprovalStep.id) == step.id, col(ApprovalStep.status) == "active")
        .values(status=new_status, decided_by=user.username, decided_at=now, comment=body.comment)
    )
    if result.rowcount != 1:
        await session.rollback()
        case = await _case(session, case_id)
        current = await steps_of(session, case.id)
        raise conflict(
            f"step {step_no} is not waiting for a decision",
            case=jsonable_encoder(case_public(case, current)),
        )
    outcome = after_decision(step_no, len(steps), body.decision)
    decided = {
        "case_id": case.id,
        "plan_id": case.plan_id,
        "plan_version": case.plan_version,
        "step_no": step_no,
        "unit": step.unit,
        "role": step.role,
        "decision": new_status,
        "decided_by": user.username,
        "comment": body.comment,
    }
    runtime.record(
        session,
        runtime.new_event(
            "approval.step_decided",
            decided,
            actor=user.username,
            org_unit=step.unit,
            subject_id=case.plan_id,
        ),
    )
    if outcome.next_step is not None:
        nxt = next(s for s in steps if s.step_no == outcome.next_step)
        activate(nxt)
        session.add(nxt)
        runtime.record(
            session,
            runtime.new_event(
                "approval.step_assigned",
                step_assigned_payload(case, nxt),
                actor=user.username,
                org_unit=nxt.unit,
                subject_id=case.plan_id,
            ),
        )
    else:
        case.status = outcome.case_outcome or case.status
        case.closed_at = now
        session.add(case)
        for s in steps:
            if s.status == "waiting":
                s.status = "cancelled"
                session.add(s)
        runtime.record(
            session,
            runtime.new_event(
                "approval.case_completed",
                {
                    "case_id": case.id,
                    "plan_id": case.plan_id,
                    "plan_version": case.plan_version,
                    "outcome": outcome.case_outcome,
                    "decided_by": user.username,
                    "comment": body.comment,
                },
                actor=user.username,
                org_unit=case.plan_unit,
                subject_id=case.plan_id,
            ),
        )
    await session.commit()
    await session.refresh(case)
    return case_public(case, await steps_of(session, case.id))
