"""Plans: create, read, edit tasks, submit."""

from __future__ import annotations

from typing import Any

from cascade_shared.auth import Principal, parent_unit, unit_within
from cascade_shared.envelope import utcnow
from cascade_shared.problems import Problem, conflict, forbidden, not_found
from fastapi import APIRouter, Query, status
from sqlmodel import col, select

from cascade_plans import store
from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.domain.plan import can_edit, can_submit, check_plan, content_hash, level_of
from cascade_plans.models import Indicator, Plan, PlanVersion, Task, TaskGroup
from cascade_plans.schemas import (
    PlanCreate,
    PlanPage,
    PlanPublic,
    PlanVersionPublic,
    TaskIn,
    TaskPatch,
    TaskPublic,
)

router = APIRouter(prefix="/api/plans", tags=["plans"])


def _require_drafter_of(user: Principal, plan: Plan) -> None:
    user.require_role("drafter")
    if user.unit != plan.unit:
        raise forbidden(f"only drafters of {plan.unit} may edit this plan")


def _plan_ref(plan: Plan) -> dict[str, Any]:
    return {
        "plan_id": plan.id,
        "version": plan.version,
        "unit": plan.unit,
        "unit_level": level_of(plan.unit),
        "title": plan.title,
        "drafter": plan.drafter,
    }


async def _group_ids(session: SessionDep, plan_id: str) -> dict[str, str]:
    groups = (await session.exec(select(TaskGroup).where(TaskGroup.plan_id == plan_id))).all()
    return {g.code: g.id for g in groups}


def _task_from(body: TaskIn, plan_id: str, group_ids: dict[str, str], position: int) -> Task:
    if body.task_group is not None and body.task_group not in group_ids:
        raise Problem(
            422,
            "Invalid request",
            f"task {body.code}: task group {body.task_group} is unknown",
            errors=[{"field": f"tasks.{body.code}.task_group", "reason": "unknown task group"}],
        )
    data = body.model_dump(exclude={"task_group", "milestones"})
    return Task(
        **data,
        plan_id=plan_id,
        task_group_id=group_ids.get(body.task_group or ""),
        milestones=[m.model_dump() for m in body.milestones],
        position=position,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanPublic)
async def create_plan(
    body: PlanCreate, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Start a plan for the drafter's own unit, under the plan of the level above."""
    user.require_role("drafter")
    resolution, term_start, term_end = body.resolution, body.term_start, body.term_end
    if body.parent_plan_id is not None:
        parent = await session.get(Plan, body.parent_plan_id)
        if parent is None:
            raise Problem(
                422,
                "Invalid request",
                "the parent plan does not exist",
                errors=[{"field": "parent_plan_id", "reason": "no such plan"}],
            )
        if parent.unit != parent_unit(user.unit):
            raise Problem(
                422,
                "Invalid request",
                f"a plan of {user.unit} concretizes a plan of {parent_unit(user.unit)}",
                errors=[{"field": "parent_plan_id", "reason": "not a plan of your unit's parent"}],
            )
        if parent.status != "approved":
            raise Problem(
                422,
                "Invalid request",
                "the parent plan is not in force yet",
                errors=[{"field": "parent_plan_id", "reason": "parent not approved"}],
            )
        resolution = resolution or parent.resolution
        term_start = term_start or parent.term_start
        term_end = term_end or parent.term_end
    if term_start is None or term_end is None or term_end < term_start:
        raise Problem(
            422,
            "Invalid request",
            "give the term (term_start <= term_end)",
            errors=[{"field": "term_end", "reason": "term missing or inverted"}],
        )
    plan = Plan(
        unit=user.unit,
        title=body.title,
        resolution=resolution or "",
        term_start=term_start,
        term_end=term_end,
        parent_plan_id=body.parent_plan_id,
        drafter=user.username,
    )
    session.add(plan)
    group_ids: dict[str, str] = {}
    for i, g in enumerate(body.task_groups):
        group = TaskGroup(plan_id=plan.id, position=i, **g.model_dump())
        session.add(group)
        group_ids[g.code] = group.id
    for i, ind in enumerate(body.indicators):
        session.add(Indicator(plan_id=plan.id, position=i, **ind.model_dump()))
    for i, t in enumerate(body.tasks):
        session.add(_task_from(t, plan.id, group_ids, i))
    runtime.record(
        session,
        runtime.new_event(
            "plan.created",
            {**_plan_ref(plan), "parent_plan_id": plan.parent_plan_id},
            actor=user.username,
            org_unit=plan.unit,
            subject_id=plan.id,
        ),
    )
    await session.commit()
    return await store.plan_public(session, plan)


@router.get("", response_model=PlanPage)
async def list_plans(
    user: CurrentUser,
    session: SessionDep,
    unit: str | None = Query(default=None, description="default: your own unit"),
    subtree: bool = Query(default=False, description="include the units below"),
    status_: str | None = Query(default=None, alias="status"),
    parent_plan_id: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    """The plans of a unit (or its subtree) that you may see. A unit may also list the plans of
    the units above it (not their subtrees): those are the programs it concretizes."""
    target = unit or user.unit
    if not (user.sees(target) or (not subtree and unit_within(user.unit, target))):
        raise forbidden(f"unit {target} is outside your unit {user.unit} and the units below it")
    query = select(Plan)
    if subtree:
        query = query.where((Plan.unit == target) | col(Plan.unit).startswith(target + "."))
    else:
        query = query.where(Plan.unit == target)
    if status_:
        query = query.where(Plan.status == status_)
    if parent_plan_id:
        query = query.where(Plan.parent_plan_id == parent_plan_id)
    total = await store.count(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Plan.unit), col(Plan.created_at)).limit(limit).offset(offset)
        )
    ).all()
    return {
        "items": [r.model_dump() for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


async def _visible_plan(session: SessionDep, user: Principal, plan_id: str) -> Plan:
    plan = await store.get_plan(session, plan_id)
    # Everyone sees their own subtree; a unit below also sees the plans it concretizes above it.
    if not (user.sees(plan.unit) or unit_within(user.unit, plan.unit)):
        raise forbidden(f"plan {plan_id} belongs to {plan.unit}, outside your unit {user.unit}")
    return plan


@router.get("/{plan_id}", response_model=PlanPublic)
async def get_plan(plan_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    plan = await _visible_plan(session, user, plan_id)
    return await store.plan_public(session, plan)


@router.post("/{plan_id}/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskPublic)
async def add_task(
    plan_id: str, body: TaskIn, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    plan = await store.get_plan(session, plan_id, for_update=True)
    _require_drafter_of(user, plan)
    if not can_edit(plan.status):
        raise conflict(f"a {plan.status} plan cannot be edited", plan_status=plan.status)
    if (
        await session.exec(select(Task).where(Task.plan_id == plan_id, Task.code == body.code))
    ).first():
        raise conflict(f"task {body.code} already exists in this plan")
    group_ids = await _group_ids(session, plan_id)
    position = await store.count(session, select(Task).where(Task.plan_id == plan_id))
    task = _task_from(body, plan_id, group_ids, position)
    session.add(task)
    plan.updated_at = utcnow()
    session.add(plan)
    await session.commit()
    return store.task_dict(task, {v: k for k, v in group_ids.items()})


@router.patch("/{plan_id}/tasks/{task_id}", response_model=TaskPublic)
async def edit_task(
    plan_id: str, task_id: str, body: TaskPatch, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    plan = await store.get_plan(session, plan_id, for_update=True)
    _require_drafter_of(user, plan)
    if not can_edit(plan.status):
        raise conflict(f"a {plan.status} plan cannot be edited", plan_status=plan.status)
    task = await session.get(Task, task_id)
    if task is None or task.plan_id != plan_id:
        raise not_found("task", task_id)
    group_ids = await _group_ids(session, plan_id)
    changes = body.model_dump(exclude_unset=True)
    if "task_group" in changes:
        code = changes.pop("task_group")
        if code is not None and code not in group_ids:
            raise Problem(
                422,
                "Invalid request",
                f"task group {code} is unknown",
                errors=[{"field": "task_group", "reason": "unknown task group"}],
            )
        task.task_group_id = group_ids.get(code or "")
    if "milestones" in changes:
        changes["milestones"] = [m.model_dump() for m in body.milestones or []]
    for key, value in changes.items():
        setattr(task, key, value)
    session.add(task)
    plan.updated_at = utcnow()
    session.add(plan)
    await session.commit()
    return store.task_dict(task, {v: k for k, v in group_ids.items()})


@router.post("/{plan_id}/submit", response_model=PlanVersionPublic)
async def submit_plan(
    plan_id: str, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Submit the plan for approval. Refused with one error per task and missing element when a
    task is not "5 clear"; a returned plan is resubmitted as a new version."""
    plan = await store.get_plan(session, plan_id, for_update=True)
    _require_drafter_of(user, plan)
    if not can_submit(plan.status):
        raise conflict(f"a {plan.status} plan cannot be submitted", plan_status=plan.status)
    content, tasks = await store.plan_content(session, plan)
    if not tasks:
        raise Problem(
            422,
            "Plan fails the 5-clear rule",
            "the plan has no tasks",
            type_="five-clear",
            errors=[{"field": "tasks", "reason": "no tasks"}],
        )
    violations = check_plan(tasks)
    if violations:
        raise Problem(
            422,
            "Plan fails the 5-clear rule",
            f"{len({v.task for v in violations})} task(s) miss {len(violations)} element(s)",
            type_="five-clear",
            errors=[v.as_error() for v in violations],
        )
    if plan.status == "returned":
        plan.version += 1
    data = content.as_dict()
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
                **_plan_ref(plan),
                "parent_plan_id": plan.parent_plan_id,
                "content_hash": digest,
                "submitted_by": user.username,
                "task_count": len(tasks),
            },
            actor=user.username,
            org_unit=plan.unit,
            subject_id=plan.id,
        ),
    )
    await session.commit()
    return version.model_dump()


@router.get("/{plan_id}/versions", response_model=list[PlanVersionPublic])
async def list_versions(plan_id: str, user: CurrentUser, session: SessionDep) -> list[Any]:
    await _visible_plan(session, user, plan_id)
    rows = (
        await session.exec(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id)
            .order_by(col(PlanVersion.version))
        )
    ).all()
    return [r.model_dump() for r in rows]


@router.get("/{plan_id}/versions/{version}", response_model=PlanVersionPublic)
async def get_version(
    plan_id: str, version: int, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    await _visible_plan(session, user, plan_id)
    row = await session.get(PlanVersion, (plan_id, version))
    if row is None:
        raise not_found("version", f"{plan_id}/{version}")
    return row.model_dump()
