"""Reading and writing plans: small async functions over the session, no HTTP."""

from __future__ import annotations

from typing import Any

from cascade_shared.problems import not_found
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans.domain.plan import Milestone, PlanContent, TaskContent
from cascade_plans.models import Indicator, OrgUnit, Plan, Task, TaskGroup


async def get_plan(session: AsyncSession, plan_id: str, *, for_update: bool = False) -> Plan:
    query = select(Plan).where(Plan.id == plan_id)
    if for_update:
        query = query.with_for_update()
    plan = (await session.exec(query)).first()
    if plan is None:
        raise not_found("plan", plan_id)
    return plan


async def get_unit(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.get(OrgUnit, code)


async def children_of(
    session: AsyncSession, plan_id: str
) -> tuple[list[TaskGroup], list[Indicator], list[Task]]:
    groups = (
        await session.exec(
            select(TaskGroup).where(TaskGroup.plan_id == plan_id).order_by(col(TaskGroup.position))
        )
    ).all()
    indicators = (
        await session.exec(
            select(Indicator).where(Indicator.plan_id == plan_id).order_by(col(Indicator.position))
        )
    ).all()
    tasks = (
        await session.exec(select(Task).where(Task.plan_id == plan_id).order_by(col(Task.position)))
    ).all()
    return list(groups), list(indicators), list(tasks)


def task_content(task: Task, group_codes: dict[str, str]) -> TaskContent:
    return TaskContent(
        code=task.code,
        job=task.job,
        task_group=group_codes.get(task.task_group_id or ""),
        lead_unit=task.lead_unit,
        cooperating_units=tuple(task.cooperating_units or ()),
        responsible_person=task.responsible_person,
        start=task.start,
        deadline=task.deadline,
        milestones=tuple(
            Milestone(m.get("period", ""), m.get("description", "")) for m in task.milestones or []
        ),
        product_description=task.product_description,
        product_quantity=task.product_quantity,
        product_unit=task.product_unit,
        parent_task=task.parent_task_id,
    )


def task_dict(task: Task, group_codes: dict[str, str]) -> dict[str, Any]:
    return {
        "id": task.id,
        "code": task.code,
        "task_group": group_codes.get(task.task_group_id or ""),
        "job": task.job,
        "lead_unit": task.lead_unit,
        "cooperating_units": list(task.cooperating_units or []),
        "responsible_person": task.responsible_person,
        "start": task.start.isoformat() if task.start else None,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "milestones": list(task.milestones or []),
        "product_description": task.product_description,
        "product_quantity": task.product_quantity,
        "product_unit": task.product_unit,
        "parent_task_id": task.parent_task_id,
        "kind": task.kind,
        "budget": task.budget,
    }


def group_dict(group: TaskGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "code": group.code,
        "title": group.title,
        "parent_task_group_id": group.parent_task_group_id,
        "not_applicable_reason": group.not_applicable_reason,
    }


def indicator_dict(ind: Indicator) -> dict[str, Any]:
    return {
        "id": ind.id,
        "code": ind.code,
        "name": ind.name,
        "unit": ind.unit,
        "baseline": ind.baseline,
        "target": ind.target,
        "year": ind.year,
        "comparator": ind.comparator,
    }


async def plan_content(session: AsyncSession, plan: Plan) -> tuple[PlanContent, list[TaskContent]]:
    groups, indicators, tasks = await children_of(session, plan.id)
    codes = {g.id: g.code for g in groups}
    content = PlanContent(
        title=plan.title,
        unit=plan.unit,
        resolution=plan.resolution,
        term_start=plan.term_start,
        term_end=plan.term_end,
        parent_plan_id=plan.parent_plan_id,
        task_groups=[group_dict(g) for g in groups],
        indicators=[indicator_dict(i) for i in indicators],
        tasks=[task_dict(t, codes) for t in tasks],
    )
    return content, [task_content(t, codes) for t in tasks]


async def plan_public(session: AsyncSession, plan: Plan) -> dict[str, Any]:
    content, _ = await plan_content(session, plan)
    return {
        **plan.model_dump(exclude={"seed_key"}),
        "task_groups": content.task_groups,
        "indicators": content.indicators,
        "tasks": content.tasks,
    }


async def next_task_position(session: AsyncSession, plan_id: str) -> int:
    """Where a new task goes: after the last one, even when tasks before it were deleted."""
    last = (
        await session.exec(select(func.max(Task.position)).where(Task.plan_id == plan_id))
    ).one()
    return 0 if last is None else int(last) + 1


async def count(session: AsyncSession, query: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(query.subquery()))).one())
