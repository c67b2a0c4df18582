"""A plan's life: submit, withdraw, its frozen versions, the diff between them, and how the
units below cover it."""

from __future__ import annotations

from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.params import Id, Int
from cascade_shared.problems import Problem, conflict, forbidden, not_found
from fastapi import APIRouter, Body
from sqlmodel import col, select

from cascade_plans import store
from cascade_plans.api.access import plan_ref, require_drafter_of, visible_plan
from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.domain.diff import diff_versions
from cascade_plans.domain.plan import (
    NEW_VERSION_ON_SUBMIT,
    can_submit,
    can_withdraw,
    content_hash,
    plan_facts,
)
from cascade_plans.models import OrgUnit, Plan, PlanVersion
from cascade_plans.review import coverage_of, review
from cascade_plans.schemas import CoverageReport, PlanSummary, PlanVersionPublic, SubmitRequest

router = APIRouter(prefix="/api/plans", tags=["plan lifecycle"])


@router.post("/{plan_id}/check")
async def check(plan_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Every rule on the current draft, without submitting: errors block, warnings need an
    acknowledgement."""
    plan = await visible_plan(session, user, plan_id)
    result = await review(session, plan)
    return {"errors": result.errors, "warnings": result.warnings}


@router.post("/{plan_id}/submit", response_model=PlanVersionPublic)
async def submit_plan(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    runtime: Runtime,
    body: SubmitRequest | None = Body(default=None),
) -> dict[str, Any]:
    """Submit the plan for approval.

    Refused (422) with every error at once — one per task and missing "5 clear" element, one per
    parent task group left uncovered, one per bad indicator — and, unless acknowledged, the
    warnings (mechanical copying). A returned or withdrawn plan is resubmitted as a new version.
    """
    plan = await visible_plan(session, user, plan_id, for_update=True)
    require_drafter_of(user, plan)
    if not can_submit(plan.status):
        raise conflict(f"a {plan.status} plan cannot be submitted", plan_status=plan.status)
    result = await review(session, plan)
    acknowledged = body.acknowledge_warnings if body else False
    if result.errors:
        five_clear = {e["task"] for e in result.errors if "task" in e}
        raise Problem(
            422,
            "The plan cannot be submitted",
            f"{len(result.errors)} error(s); {len(five_clear)} task(s) are not 5-clear",
            type_="five-clear",
            errors=result.errors,
            warnings=result.warnings,
        )
    if result.warnings and not acknowledged:
        raise Problem(
            422,
            "Warnings need your acknowledgement",
            "resubmit with acknowledge_warnings: true once you have read them",
            type_="warnings",
            errors=[],
            warnings=result.warnings,
        )
    if plan.status in NEW_VERSION_ON_SUBMIT:
        plan.version += 1
    data = result.content.as_dict()
    digest = content_hash(data)
    version = PlanVersion(
        plan_id=plan.id,
        version=plan.version,
        content=data,
        content_hash=digest,
        submitted_by=user.username,
    )
    plan.status = "submitted"
    plan.updated_at = utcnow()
    session.add(plan)
    session.add(version)
    runtime.record(
        session,
        runtime.new_event(
            "plan.submitted",
            {
                **plan_ref(plan),
                "parent_plan_id": plan.parent_plan_id,
                "content_hash": digest,
                "submitted_by": user.username,
                "task_count": len(result.tasks),
                "facts": plan_facts(data),
                "acknowledged_warnings": [w["field"] for w in result.warnings],
            },
            actor=user.username,
            org_unit=plan.unit,
            subject_id=plan.id,
        ),
    )
    await session.commit()
    return version.model_dump()


@router.post("/{plan_id}/withdraw", response_model=PlanSummary)
async def withdraw_plan(
    plan_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """The drafters of the unit withdraw a submitted plan before the final decision; it comes
    back to them and a resubmission makes a new version."""
    plan = await visible_plan(session, user, plan_id, for_update=True)
    require_drafter_of(user, plan)
    if not can_withdraw(plan.status):
        raise conflict(f"a {plan.status} plan cannot be withdrawn", plan_status=plan.status)
    plan.status = "withdrawn"
    plan.updated_at = utcnow()
    session.add(plan)
    version = await session.get(PlanVersion, (plan.id, plan.version))
    if version is not None:
        version.outcome = "withdrawn"
        session.add(version)
    runtime.record(
        session,
        runtime.new_event(
            "plan.withdrawn",
            plan_ref(plan),
            actor=user.username,
            org_unit=plan.unit,
            subject_id=plan.id,
        ),
    )
    await session.commit()
    return plan.model_dump()


@router.get("/{plan_id}/versions", response_model=list[PlanVersionPublic])
async def list_versions(plan_id: Id, user: CurrentUser, session: SessionDep) -> list[Any]:
    """Every submitted version, frozen as the approvers saw it."""
    await visible_plan(session, user, plan_id)
    rows = (
        await session.exec(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id)
            .order_by(col(PlanVersion.version))
        )
    ).all()
    return [r.model_dump() for r in rows]


async def _version(session: SessionDep, plan_id: str, version: int) -> PlanVersion:
    row = await session.get(PlanVersion, (plan_id, version))
    if row is None:
        raise not_found("version", f"{plan_id}/{version}")
    return row


@router.get("/{plan_id}/versions/{version}", response_model=PlanVersionPublic)
async def get_version(
    plan_id: Id, version: Int, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    await visible_plan(session, user, plan_id)
    return (await _version(session, plan_id, version)).model_dump()


@router.get("/{plan_id}/diff")
async def diff(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    from_version: Int,
    to_version: Int | None = None,
) -> dict[str, Any]:
    """Task groups, indicators and tasks added, removed and changed (field by field) between
    two versions; without ``to_version``, against the current working copy."""
    plan = await visible_plan(session, user, plan_id)
    old = (await _version(session, plan_id, from_version)).content
    if to_version is None:
        new = (await store.plan_content(session, plan))[0].as_dict()
    else:
        new = (await _version(session, plan_id, to_version)).content
    return {
        "plan_id": plan_id,
        "from_version": from_version,
        "to_version": to_version,
        **diff_versions(old, new),
    }


@router.get("/{plan_id}/coverage", response_model=CoverageReport)
async def coverage(plan_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """How the units directly below cover this plan: each unit's latest plan under it, its
    status, and which of this plan's task groups it covers or marks not applicable."""
    parent = await visible_plan(session, user, plan_id)
    if not user.sees(parent.unit):
        raise forbidden("coverage is for the plan's own unit and the units above it")
    groups, _, _ = await store.children_of(session, parent.id)
    units = (
        await session.exec(
            select(OrgUnit).where(OrgUnit.parent == parent.unit).order_by(col(OrgUnit.code))
        )
    ).all()
    plans = (
        await session.exec(
            select(Plan).where(Plan.parent_plan_id == parent.id).order_by(col(Plan.created_at))
        )
    ).all()
    latest = {p.unit: p for p in plans}  # the newest plan of each unit wins
    out = []
    for unit in units:
        plan = latest.get(unit.code)
        covered: list[str] = []
        not_applicable: list[str] = []
        if plan is not None:
            for code, cov in (await coverage_of(session, plan, parent)).items():
                if cov.not_applicable_reason:
                    not_applicable.append(code)
                elif cov.task_count:
                    covered.append(code)
        out.append(
            {
                "unit": unit.code,
                "name": unit.name,
                "plan_id": plan.id if plan else None,
                "status": plan.status if plan else "none",
                "version": plan.version if plan else None,
                "covered_groups": covered,
                "not_applicable_groups": not_applicable,
            }
        )
    return {"plan_id": parent.id, "task_groups": [g.code for g in groups], "units": out}
