"""Approval cases: my queue, a case, decisions on its steps, its history, and what changed
since my last decision."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import httpx
from cascade_shared.auth import Principal
from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.errors import Conflict, Invalid
from cascade_shared.params import Id, Int, UnitCode
from cascade_shared.problems import Problem, forbidden, not_found
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import and_, false, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cascade_approvals import cases
from cascade_approvals.api.deps import CurrentUser, Runtime, SessionDep
from cascade_approvals.models import ApprovalCase, ApprovalStep, IdempotentResponse, StepDecision
from cascade_approvals.schemas import CaseHistory, CasePublic, DecisionIn, Queue
from cascade_approvals.settings import ApprovalsSettings
from cascade_approvals.store import (
    active_delegations_to,
    load_case_public,
    steps_of,
)

router = APIRouter(prefix="/api/approvals", tags=["approvals"])


async def readable_case(
    session: SessionDep, user: Principal, case_id: str
) -> tuple[ApprovalCase, list[ApprovalStep]]:
    case = await session.get(ApprovalCase, case_id)
    if case is None:
        raise not_found("case", case_id)
    steps = await steps_of(session, case.id)
    if not await may_read(session, user, case, steps):
        raise forbidden(f"case {case_id} is outside your unit {user.unit}")
    return case, steps


async def may_read(
    session: SessionDep, user: Principal, case: ApprovalCase, steps: list[ApprovalStep]
) -> bool:
    """Those who see the plan's unit, those who decide one of its steps, and their delegates."""
    if user.sees(case.plan_unit) or any(user.sees(s.unit) for s in steps):
        return True
    delegated = {d.unit for d in await active_delegations_to(session, user.username)}
    return any(s.unit in delegated for s in steps)


@router.get("/queue", response_model=Queue)
async def my_queue(
    user: CurrentUser,
    session: SessionDep,
    unit: Annotated[UnitCode | None, Query(description="only steps of this unit")] = None,
    status: Annotated[
        str | None, Query(pattern="^(active|overdue)$", description="active or overdue")
    ] = None,
) -> dict[str, Any]:
    """The steps waiting on you - for your own role in your unit, or for an absent colleague who
    delegated to you - that you have not decided yet, soonest deadline first."""
    delegations = await active_delegations_to(session, user.username)
    grounds = [and_(col(ApprovalStep.unit) == user.unit, col(ApprovalStep.role).in_(user.roles))]
    grounds += [
        and_(col(ApprovalStep.unit) == d.unit, col(ApprovalStep.role).in_(list(d.delegator_roles)))
        for d in delegations
    ]
    query = (
        select(ApprovalStep, ApprovalCase)
        .join(ApprovalCase, col(ApprovalCase.id) == col(ApprovalStep.case_id))
        .where(ApprovalStep.status == "active", or_(false(), *grounds))
        .order_by(col(ApprovalStep.due_at))
    )
    if unit:
        query = query.where(ApprovalStep.unit == unit)
    rows = (await session.exec(query)).all()
    decided = {
        (d.step_id, d.acting_for)
        for d in (
            await session.exec(
                select(StepDecision).where(
                    col(StepDecision.step_id).in_([s.id for s, _ in rows] or [""])
                )
            )
        ).all()
    }
    now = utcnow()
    items = []
    for step, case in rows:
        own = step.unit == user.unit and step.role in user.roles
        for_whom: str | None = None
        if not own or (step.id, user.username) in decided:
            for_whom = next(
                (
                    d.delegator
                    for d in delegations
                    if d.unit == step.unit
                    and step.role in d.delegator_roles
                    and (step.id, d.delegator) not in decided
                ),
                None,
            )
            if for_whom is None:
                continue
        overdue = bool(step.due_at and as_utc(step.due_at) < now)
        if status == "overdue" and not overdue:
            continue
        items.append(
            {
                "case_id": case.id,
                "plan_id": case.plan_id,
                "plan_version": case.plan_version,
                "plan_unit": case.plan_unit,
                "plan_title": case.plan_title,
                "content_hash": case.content_hash,
                "step_no": step.step_no,
                "step_name": step.name,
                "unit": step.unit,
                "role": step.role,
                "due_at": step.due_at,
                "overdue": overdue,
                "on_behalf_of": for_whom,
                "partial": step.partial,
            }
        )
    by_unit: dict[str, int] = {}
    for item in items:
        unit = str(item["plan_unit"])
        by_unit[unit] = by_unit.get(unit, 0) + 1
    return {
        "items": items,
        "total": len(items),
        "overdue": sum(i["overdue"] for i in items),
        "by_unit": by_unit,
    }


@router.get("/cases", response_model=list[CasePublic])
async def list_cases(user: CurrentUser, session: SessionDep, plan_id: Id) -> list[Any]:
    """Every case of a plan (one per submitted version), oldest first."""
    found = (
        await session.exec(
            select(ApprovalCase)
            .where(ApprovalCase.plan_id == plan_id)
            .order_by(col(ApprovalCase.plan_version))
        )
    ).all()
    out = []
    for case in found:
        if not await may_read(session, user, case, await steps_of(session, case.id)):
            raise forbidden(f"plan {plan_id} is outside your unit {user.unit}")
        out.append(await load_case_public(session, case))
    return out


@router.get("/cases/{case_id}", response_model=CasePublic)
async def get_case(case_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    case, _ = await readable_case(session, user, case_id)
    return await load_case_public(session, case)


class IdempotencyKeyReused(Invalid):
    """The key of a decision already made comes with a different request."""

    title = "Idempotency-Key reused"


def _replay(stored: IdempotentResponse, fingerprint: str) -> JSONResponse:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request",
            errors=[{"field": "Idempotency-Key", "reason": "used for a different request"}],
        )
    return JSONResponse(
        stored.body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
    )


@router.post(
    "/cases/{case_id}/steps/{step_no}/decision",
    response_model=CasePublic,
    responses={409: {"description": "the step was decided already, or the version changed"}},
)
async def decide(
    case_id: Id,
    step_no: Int,
    body: DecisionIn,
    user: CurrentUser,
    session: SessionDep,
    runtime: Runtime,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="a retried request with the same key returns the first answer",
        ),
    ] = None,
) -> Any:
    """Approve, return (a comment is required; comments may point at tasks) or reject (a reason
    is required) a step, as its unit's holder of the role or as their delegate.

    Two approvers deciding the same step at once: exactly one decision counts, the other gets
    409 with the current state. A decision that names the content hash (or version) it looked at
    is refused when that is not the version under decision; a superseded case is refused too.
    """
    fingerprint = hashlib.sha256(
        f"{case_id}/{step_no}:{body.model_dump_json()}".encode()
    ).hexdigest()
    if idempotency_key:
        stored = await session.get(IdempotentResponse, (user.username, idempotency_key))
        if stored is not None:
            return _replay(stored, fingerprint)
    try:
        decided = await cases.decide(session, runtime, user, case_id, step_no, body)
        result = CasePublic.model_validate(decided).model_dump(mode="json")
        if idempotency_key:
            session.add(
                IdempotentResponse(
                    username=user.username,
                    key=idempotency_key,
                    fingerprint=fingerprint,
                    status_code=200,
                    body=result,
                )
            )
        await session.commit()
    except (Conflict, IntegrityError):
        if idempotency_key:
            await session.rollback()
            stored = await session.get(IdempotentResponse, (user.username, idempotency_key))
            if stored is not None:
                return _replay(stored, fingerprint)
        raise
    return result


@router.get("/cases/{case_id}/history", response_model=CaseHistory)
async def case_history(case_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Time spent in each step, and whether it went overdue."""
    case, steps = await readable_case(session, user, case_id)
    now = utcnow()
    out = []
    for s in steps:
        hours = None
        if s.assigned_at is not None:
            end = as_utc(s.decided_at) if s.decided_at else now
            hours = round((end - as_utc(s.assigned_at)).total_seconds() / 3600, 2)
        out.append(
            {
                "step_no": s.step_no,
                "name": s.name,
                "unit": s.unit,
                "role": s.role,
                "status": s.status,
                "assigned_at": s.assigned_at,
                "decided_at": s.decided_at,
                "hours_in_step": hours,
                "overdue": s.overdue_at is not None
                or bool(
                    s.due_at and (as_utc(s.decided_at) if s.decided_at else now) > as_utc(s.due_at)
                ),
            }
        )
    return {
        "case_id": case.id,
        "plan_id": case.plan_id,
        "plan_version": case.plan_version,
        "status": case.status,
        "steps": out,
    }


@router.get("/plans/{plan_id}/changes-since-my-decision")
async def changes_since_my_decision(
    plan_id: Id, user: CurrentUser, session: SessionDep, request: Request
) -> dict[str, Any]:
    """The diff between the version you (or your delegate for you) last decided and the version
    now under decision, field by field, from the plans service."""
    mine = (
        await session.exec(
            select(StepDecision)
            .where(
                StepDecision.plan_id == plan_id,
                or_(
                    col(StepDecision.decided_by) == user.username,
                    col(StepDecision.acting_for) == user.username,
                ),
            )
            .order_by(col(StepDecision.decided_at).desc())
            .limit(1)
        )
    ).first()
    if mine is None:
        raise not_found("decision of yours on plan", plan_id)
    latest = (
        await session.exec(
            select(ApprovalCase)
            .where(ApprovalCase.plan_id == plan_id)
            .order_by(col(ApprovalCase.plan_version).desc())
            .limit(1)
        )
    ).first()
    assert latest is not None
    await readable_case(session, user, latest.id)
    result: dict[str, Any] = {
        "plan_id": plan_id,
        "last_decided_version": mine.plan_version,
        "last_decision": mine.decision,
        "last_decided_at": mine.decided_at,
        "current_version": latest.plan_version,
        "current_content_hash": latest.content_hash,
        "changed": mine.plan_version != latest.plan_version,
    }
    if not result["changed"]:
        return {**result, "diff": None}
    diff = await _plans_diff(request, plan_id, mine.plan_version, latest.plan_version)
    return {**result, "diff": diff}


async def _plans_diff(request: Request, plan_id: str, old: int, new: int) -> Any:
    base = ApprovalsSettings().plans_url
    auth = {"Authorization": request.headers.get("Authorization", "")}
    if base:
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(retries=2)
    elif "plans" in request.app.state.runtimes:
        base, transport = "http://embedded", httpx.ASGITransport(app=request.app)
    else:
        raise Problem(
            503,
            "Plans service not configured",
            "set CASCADE_APPROVALS_PLANS_URL to the plans service's base URL",
        )
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=10) as client:
        r = await client.get(
            f"/api/plans/{plan_id}/diff",
            params={"from_version": old, "to_version": new},
            headers=auth,
        )
    if r.status_code != 200:
        raise Problem(502, "Plans service error", f"the plans service answered {r.status_code}")
    return r.json()
