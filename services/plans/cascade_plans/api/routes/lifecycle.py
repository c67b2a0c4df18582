"""A plan's life: submit, withdraw, its frozen versions, the diff between them, and how the
units below cover it."""

from __future__ import annotations

from typing import Any

from cascade_shared.params import Id, Int
from cascade_shared.problems import forbidden, not_found
from fastapi import APIRouter, Body
from sqlmodel import col, select

from cascade_plans import lifecycle, store
from cascade_plans.api.access import require_drafter_of, visible_plan
from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.cascade import open_requests
from cascade_plans.checking import coverage_of, frozen_content, run_checks
from cascade_plans.domain.diff import diff_versions
from cascade_plans.models import OrgUnit, Plan, PlanVersion, RevisionRequest
from cascade_plans.schemas import (
    CoverageReport,
    PlanSummary,
    PlanVersionPublic,
    ReviseRequest,
    RevisionRequestPublic,
    SubmitRequest,
)

router = APIRouter(prefix="/api/plans", tags=["plan lifecycle"])


@router.post("/{plan_id}/check")
async def check(plan_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Every rule on the current draft, without submitting: errors block, warnings need an
    acknowledgement."""
    plan = await visible_plan(session, user, plan_id)
    result = await run_checks(session, plan)
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
    acknowledged = body.acknowledge_warnings if body else False
    version = await lifecycle.submit(
        session, runtime, plan, user.username, acknowledged=acknowledged
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
    await lifecycle.withdraw(session, runtime, plan, user.username)
    await session.commit()
    return plan.model_dump()


@router.post("/{plan_id}/revise", response_model=PlanSummary)
async def revise_plan(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    runtime: Runtime,
    body: ReviseRequest | None = Body(default=None),
) -> dict[str, Any]:
    """Start a revision of the plan in force: its working copy becomes the draft of the next
    version, edited and submitted as any draft, while the approved version stays in force (for
    results and for the units below) until the revision itself is approved. A rejected or
    discarded revision leaves the version in force as it was."""
    plan = await visible_plan(session, user, plan_id, for_update=True)
    require_drafter_of(user, plan)
    reason = body.reason if body else None
    await lifecycle.revise(session, runtime, plan, user.username, reason)
    await session.commit()
    return plan.model_dump()


@router.post("/{plan_id}/discard-revision", response_model=PlanSummary)
async def discard_revision(
    plan_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Drop a revision that is back with the drafters (draft, returned or withdrawn): the
    working copy becomes the version in force again, with the same ids."""
    plan = await visible_plan(session, user, plan_id, for_update=True)
    require_drafter_of(user, plan)
    await lifecycle.discard_revision(session, runtime, plan, user.username)
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
    in_force = await frozen_content(session, parent)  # what the units below concretize
    units = (
        await session.exec(
            select(OrgUnit)
            .where(OrgUnit.parent == parent.unit, OrgUnit.kind == "unit")  # bodies make no plan
            .order_by(col(OrgUnit.code))
        )
    ).all()
    plans = (
        await session.exec(
            select(Plan).where(Plan.parent_plan_id == parent.id).order_by(col(Plan.created_at))
        )
    ).all()
    latest = {p.unit: p for p in plans}  # the newest plan of each unit wins
    asked = {
        r.plan_id: r.due
        for r in await open_requests(session, [p.id for p in latest.values()])
        if r.parent_plan_id == parent.id
    }
    out = []
    for unit in units:
        plan = latest.get(unit.code)
        covered: list[str] = []
        not_applicable: list[str] = []
        if plan is not None:
            for code, cov in (await coverage_of(session, plan, parent, in_force)).items():
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
                "in_force_version": plan.in_force_version if plan else None,
                "revision_due": asked.get(plan.id) if plan else None,
            }
        )
    groups = [g["code"] for g in in_force.get("task_groups", [])]
    return {"plan_id": parent.id, "task_groups": groups, "units": out}


@router.get("/{plan_id}/revision-requests", response_model=list[RevisionRequestPublic])
async def revision_requests(
    plan_id: Id, user: CurrentUser, session: SessionDep
) -> list[dict[str, Any]]:
    """The requests to revise this plan because the plan it concretizes was revised, newest
    first: which parent tasks changed (field by field) or went, by when, and whether this plan
    has followed (closed when its next version is approved)."""
    await visible_plan(session, user, plan_id)
    rows = await session.exec(
        select(RevisionRequest)
        .where(RevisionRequest.plan_id == plan_id)
        .order_by(col(RevisionRequest.created_at).desc())
    )
    return [r.model_dump() for r in rows.all()]
