"""Reading and writing plans: small async functions over the session, no HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

from cascade_shared.errors import NotFound
from sqlalchemy import delete
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans.domain.plan import Milestone, PlanContent, TaskContent
from cascade_plans.models import Indicator, OrgUnit, Plan, PlanVersion, Task, TaskGroup


async def get_plan(session: AsyncSession, plan_id: str, *, for_update: bool = False) -> Plan:
    query = select(Plan).where(Plan.id == plan_id)
    if for_update:
        query = query.with_for_update()
    plan = (await session.exec(query)).first()
    if plan is None:
        raise NotFound("plan", plan_id)
    return plan


async def get_unit(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.get(OrgUnit, code)


async def directory_names(session: AsyncSession) -> dict[str, str]:
    """Every entry of the directory (units and outside bodies): code → name."""
    return {u.code: u.name for u in (await session.exec(select(OrgUnit))).all()}


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


async def frozen_groups(session: AsyncSession, plan_id: str) -> dict[str, TaskGroup]:
    """The plan's task groups an approver approved in a partial decision: id -> group."""
    rows = await session.exec(
        select(TaskGroup).where(
            TaskGroup.plan_id == plan_id, col(TaskGroup.approved_in_version).is_not(None)
        )
    )
    return {g.id: g for g in rows.all()}


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
        "carried_from_task_id": task.carried_from_task_id,
    }


def group_dict(group: TaskGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "code": group.code,
        "title": group.title,
        "parent_task_group_id": group.parent_task_group_id,
        "not_applicable_reason": group.not_applicable_reason,
    }


def group_public(group: TaskGroup) -> dict[str, Any]:
    """A task group of the working copy as its unit sees it: with whether it is frozen."""
    return {
        **group_dict(group),
        "approved_in_version": group.approved_in_version,
        "approved_by": group.approved_by,
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


Children = tuple[list[TaskGroup], list[Indicator], list[Task]]


async def plan_content(
    session: AsyncSession, plan: Plan, children: Children | None = None
) -> tuple[PlanContent, list[TaskContent]]:
    """The working copy's content (``children``: its rows, when the caller has read them)."""
    groups, indicators, tasks = children or await children_of(session, plan.id)
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


async def in_force_content(session: AsyncSession, plan: Plan) -> dict[str, Any] | None:
    """The content of the plan's version in force (as frozen when it was submitted), or None
    when no version of it is approved yet. While a revision is drafted or decided, the working
    copy in the tables differs from it; the units below concretize this one."""
    if plan.in_force_version is None:
        return None
    row = await session.get(PlanVersion, (plan.id, plan.in_force_version))
    return dict(row.content) if row is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def task_from_content(
    t: dict[str, Any],
    plan_id: str,
    group_ids: dict[str, str],
    position: int,
    *,
    task_id: str | None = None,
) -> Task:
    """A task row of ``plan_id`` from a task of a frozen version's content (``task_dict``'s
    shape), in the group of the same code; with ``task_id``, keeping that id."""
    task = Task(
        plan_id=plan_id,
        task_group_id=group_ids.get(t.get("task_group") or ""),
        code=t["code"],
        job=t.get("job") or "",
        lead_unit=t.get("lead_unit"),
        cooperating_units=list(t.get("cooperating_units") or []),
        responsible_person=t.get("responsible_person"),
        start=_day(t.get("start")),
        deadline=_day(t.get("deadline")),
        milestones=list(t.get("milestones") or []),
        product_description=t.get("product_description"),
        product_quantity=t.get("product_quantity"),
        product_unit=t.get("product_unit"),
        parent_task_id=t.get("parent_task_id"),
        kind=t.get("kind") or "task",
        budget=t.get("budget"),
        position=position,
        carried_from_task_id=t.get("carried_from_task_id"),
    )
    if task_id is not None:
        task.id = task_id
    return task


async def restore_working_copy(session: AsyncSession, plan: Plan, content: dict[str, Any]) -> None:
    """Make the plan's task groups, indicators and tasks exactly ``content`` (a frozen
    version's), with their ids: the links the units below hold to them stay valid."""
    for loaded in list(session.sync_session.identity_map.values()):
        if isinstance(loaded, Task | Indicator | TaskGroup) and loaded.plan_id == plan.id:
            session.expunge(loaded)  # the rows go; new objects take their ids
    for table in (Task, Indicator, TaskGroup):
        await session.execute(delete(table).where(col(table.plan_id) == plan.id))
    group_ids: dict[str, str] = {}
    for position, g in enumerate(content.get("task_groups", [])):
        group = TaskGroup(
            id=g["id"],
            plan_id=plan.id,
            code=g["code"],
            title=g["title"],
            parent_task_group_id=g.get("parent_task_group_id"),
            not_applicable_reason=g.get("not_applicable_reason"),
            position=position,
        )
        group_ids[group.code] = group.id
        session.add(group)
    for position, i in enumerate(content.get("indicators", [])):
        session.add(
            Indicator(
                **{k: i.get(k) for k in ("id", "code", "name", "unit", "baseline", "target")},
                year=i["year"],
                comparator=i.get("comparator") or ">=",
                plan_id=plan.id,
                position=position,
            )
        )
    for position, t in enumerate(content.get("tasks", [])):
        session.add(task_from_content(t, plan.id, group_ids, position, task_id=t["id"]))
    for field in ("title", "resolution", "term_start", "term_end"):
        if field in content:
            setattr(plan, field, content[field])


def public_from_content(plan: Plan, content: dict[str, Any]) -> dict[str, Any]:
    """The plan with a frozen version's content: the version in force as the units below read
    it while a revision is under way."""
    return {
        **plan.model_dump(exclude={"seed_key"}),
        **{
            k: content[k] for k in ("title", "resolution", "term_start", "term_end") if k in content
        },
        "status": "approved",
        "version": plan.in_force_version,
        "task_groups": content.get("task_groups", []),
        "indicators": content.get("indicators", []),
        "tasks": content.get("tasks", []),
    }


async def plan_as_seen(session: AsyncSession, plan: Plan, own: bool) -> dict[str, Any]:
    """The plan as its own unit and those above see it (``own``: the working copy, a revision
    under way included), or as the units below do: the version in force."""
    if not own:
        content = await in_force_content(session, plan)
        if content is not None:
            return public_from_content(plan, content)
    return await plan_public(session, plan)


async def plan_public(session: AsyncSession, plan: Plan) -> dict[str, Any]:
    """The working copy, its task groups showing which a partial decision froze."""
    children = await children_of(session, plan.id)
    content, _ = await plan_content(session, plan, children)
    return public_from_content(plan, content.as_dict()) | {
        "status": plan.status,
        "version": plan.version,
        "task_groups": [group_public(g) for g in children[0]],
    }


async def next_task_position(session: AsyncSession, plan_id: str) -> int:
    """Where a new task goes: after the last one, even when tasks before it were deleted."""
    last = (
        await session.exec(select(func.max(Task.position)).where(Task.plan_id == plan_id))
    ).one()
    return 0 if last is None else int(last) + 1


async def count(session: AsyncSession, query: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(query.subquery()))).one())
