"""Plans: start (blank or from the parent), read, list, and edit task groups and tasks."""

from __future__ import annotations

from typing import Annotated, Any

from cascade_shared.auth import Principal
from cascade_shared.db import serialize
from cascade_shared.envelope import utcnow
from cascade_shared.events import PlanCreated
from cascade_shared.params import BIGINT_MAX, Code, Id, Int, Text, UnitCode
from cascade_shared.problems import conflict, forbidden, invalid, not_found
from cascade_shared.units import parent_unit, unit_within
from fastapi import APIRouter, Query, status
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.api.access import editable_plan, plan_ref, refuse_frozen, visible_plan
from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.domain.plan import allowed_actions, blocks_new_plan
from cascade_plans.models import Indicator, OrgUnit, Plan, Task, TaskGroup
from cascade_plans.schemas import (
    PlanCreate,
    PlanFromParent,
    PlanPage,
    PlanPublic,
    TaskGroupPatch,
    TaskGroupPublic,
    TaskIn,
    TaskPatch,
    TaskPublic,
)

router = APIRouter(prefix="/api/plans", tags=["plans"])


async def _group_ids(session: AsyncSession, plan_id: str) -> dict[str, str]:
    groups = (await session.exec(select(TaskGroup).where(TaskGroup.plan_id == plan_id))).all()
    return {g.code: g.id for g in groups}


async def refuse_unknown_units(
    session: AsyncSession, lead_unit: str | None, cooperating: list[str] | None, prefix: str = ""
) -> None:
    """A lead or cooperating unit is one entry of the directory (a unit, or an outside body),
    given by its code ("1 xuyên suốt"); an unknown code is refused naming its field. (The form,
    one code and not a list, is the request body's check.)"""
    wanted = [("lead_unit", lead_unit)] if lead_unit else []
    wanted += [(f"cooperating_units.{i}", c) for i, c in enumerate(cooperating or [])]
    if not wanted:
        return
    codes = {code for _, code in wanted}
    known = set(
        (await session.exec(select(OrgUnit.code).where(col(OrgUnit.code).in_(codes)))).all()
    )
    for field, code in wanted:
        if code not in known:
            raise invalid(
                prefix + field,
                f"{code} is not in the directory: choose one unit or body by its code "
                "(GET /api/directory/units?kind=all), or have an admin register it",
            )


def task_from(body: TaskIn, plan_id: str, group_ids: dict[str, str], position: int) -> Task:
    """A task from its request body. The body has checked the lead unit's form (one code, not
    a list, not among the cooperating units); whether the codes are in the directory is
    checked by :func:`refuse_unknown_units` where the caller has the session, and again at
    submission."""
    if body.task_group is not None and body.task_group not in group_ids:
        raise invalid(f"tasks.{body.code}.task_group", f"unknown task group {body.task_group}")
    data = body.model_dump(exclude={"task_group", "milestones"})
    return Task(
        **data,
        plan_id=plan_id,
        task_group_id=group_ids.get(body.task_group or ""),
        milestones=[m.model_dump() for m in body.milestones],
        position=position,
    )


async def _parent_for(session: AsyncSession, user: Principal, parent_plan_id: str) -> Plan:
    parent = await session.get(Plan, parent_plan_id)
    if parent is None:
        raise invalid("parent_plan_id", "no such plan")
    if parent.unit != parent_unit(user.unit):
        raise invalid(
            "parent_plan_id",
            "not a plan of your unit's parent unit",
            f"a plan of {user.unit} concretizes a plan of {parent_unit(user.unit)}",
        )
    if parent.in_force_version is None:
        raise invalid("parent_plan_id", "the parent plan is not in force (approved) yet")
    await serialize(session, f"plan-of:{user.unit}:{parent.id}")
    for existing in (
        await session.exec(
            select(Plan).where(Plan.unit == user.unit, Plan.parent_plan_id == parent.id)
        )
    ).all():
        if blocks_new_plan(existing.status, existing.in_force_version):
            raise conflict(
                f"{user.unit} already has the plan “{existing.title}” under this program "
                f"({existing.status}); a unit has one plan per program: "
                + (
                    "revise it instead"
                    if existing.in_force_version is not None
                    else "go on with that one"
                ),
                existing_plan_id=existing.id,
                existing_plan_status=existing.status,
            )
    return parent


async def _parent_in_force(session: AsyncSession, parent: Plan) -> dict[str, Any]:
    """The parent's version in force: what the units below concretize, even while the parent
    drafts a revision."""
    content = await store.in_force_content(session, parent)
    if content is None:
        raise invalid("parent_plan_id", "the parent plan is not in force (approved) yet")
    return content


def _new_plan(
    user: Principal,
    title: str,
    parent: Plan | None,
    resolution: str | None,
    term_start: int | None,
    term_end: int | None,
) -> Plan:
    if parent is not None:
        resolution = resolution or parent.resolution
        term_start = term_start or parent.term_start
        term_end = term_end or parent.term_end
    if term_start is None or term_end is None:
        raise invalid("term_start", "give the term (or a parent plan to take it from)")
    if term_end < term_start:
        raise invalid("term_end", "the term ends before it starts")
    return Plan(
        unit=user.unit,
        title=title,
        resolution=resolution or "",
        term_start=term_start,
        term_end=term_end,
        parent_plan_id=parent.id if parent else None,
        drafter=user.username,
    )


async def _created(
    session: AsyncSession, runtime: Runtime, user: Principal, plan: Plan
) -> dict[str, Any]:
    runtime.emit(
        session,
        PlanCreated(**plan_ref(plan), parent_plan_id=plan.parent_plan_id),
        actor=user.username,
        org_unit=plan.unit,
        subject_id=plan.id,
    )
    await session.commit()
    return await store.plan_public(session, plan)


def _refuse_repeated_codes(body: PlanCreate) -> None:
    """A code names one task group, indicator or task of the plan: a repeat is refused naming
    it (the database would refuse it too, on the plan's unique codes)."""
    for name, codes in (
        ("task_groups", [g.code for g in body.task_groups]),
        ("indicators", [i.code for i in body.indicators]),
        ("tasks", [t.code for t in body.tasks]),
    ):
        first: dict[str, int] = {}
        for i, code in enumerate(codes):
            if code in first:
                raise invalid(f"{name}.{i}.code", f"repeats the code of {name}.{first[code]}")
            first[code] = i


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanPublic)
async def create_plan(
    body: PlanCreate, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Start a plan for your own unit; with a parent, under the approved plan of the unit above.

    A task group with the same code as one of the parent's covers it unless
    ``parent_task_group`` names another."""
    user.require_role("drafter")
    _refuse_repeated_codes(body)
    parent = await _parent_for(session, user, body.parent_plan_id) if body.parent_plan_id else None
    plan = _new_plan(user, body.title, parent, body.resolution, body.term_start, body.term_end)
    session.add(plan)
    parent_groups = (
        {g["code"]: g["id"] for g in (await _parent_in_force(session, parent))["task_groups"]}
        if parent
        else {}
    )
    group_ids: dict[str, str] = {}
    for i, g in enumerate(body.task_groups):
        link = g.parent_task_group or (g.code if g.code in parent_groups else None)
        if link is not None and link not in parent_groups:
            raise invalid(
                f"task_groups.{i}.parent_task_group", f"the parent plan has no task group {link}"
            )
        group = TaskGroup(
            plan_id=plan.id,
            position=i,
            code=g.code,
            title=g.title,
            parent_task_group_id=parent_groups.get(link or ""),
            not_applicable_reason=g.not_applicable_reason,
        )
        session.add(group)
        group_ids[g.code] = group.id
    for i, ind in enumerate(body.indicators):
        session.add(Indicator(plan_id=plan.id, position=i, **ind.model_dump()))
    for i, t in enumerate(body.tasks):
        await refuse_unknown_units(session, t.lead_unit, t.cooperating_units, f"tasks.{i}.")
        session.add(task_from(t, plan.id, group_ids, i))
    return await _created(session, runtime, user, plan)


@router.post("/from-parent", status_code=status.HTTP_201_CREATED, response_model=PlanPublic)
async def start_from_parent(
    body: PlanFromParent, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Start a plan from the parent plan: its task groups, linked, and (by default) one
    placeholder task per parent task, linked, which you then make local and measurable."""
    user.require_role("drafter")
    parent = await _parent_for(session, user, body.parent_plan_id)
    plan = _new_plan(user, body.title, parent, None, None, None)
    session.add(plan)
    in_force = await _parent_in_force(session, parent)
    new_group: dict[str, str] = {}
    for i, g in enumerate(in_force["task_groups"]):
        child = TaskGroup(
            plan_id=plan.id,
            code=g["code"],
            title=g["title"],
            position=i,
            parent_task_group_id=g["id"],
        )
        session.add(child)
        new_group[g["code"]] = child.id
    if body.placeholder_tasks:
        for i, t in enumerate(in_force["tasks"]):
            session.add(
                Task(
                    plan_id=plan.id,
                    code=t["code"],
                    job=t.get("job") or "",
                    position=i,
                    task_group_id=new_group.get(t.get("task_group") or ""),
                    lead_unit=user.unit,
                    parent_task_id=t["id"],
                )
            )
    return await _created(session, runtime, user, plan)


@router.get("", response_model=PlanPage)
async def list_plans(
    user: CurrentUser,
    session: SessionDep,
    unit: Annotated[UnitCode | None, Query(description="default: your own unit")] = None,
    subtree: bool = Query(default=False, description="include the units below"),
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    term_start: Int | None = None,
    parent_plan_id: Id | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> dict[str, Any]:
    """The plans of a unit (or its subtree) that you may see. A unit may also list the approved
    plans of the units above it (not their subtrees): the programs it concretizes."""
    target = unit or user.unit
    if not (user.sees(target) or (not subtree and unit_within(user.unit, target))):
        raise forbidden(f"unit {target} is outside your unit {user.unit} and the units below it")
    query = select(Plan)
    if not user.sees(target):  # a unit above: only what is in force
        query = query.where(col(Plan.in_force_version).is_not(None))
    if subtree:
        query = query.where((col(Plan.unit) == target) | col(Plan.unit).startswith(target + "."))
    else:
        query = query.where(Plan.unit == target)
    if status_ == "approved":  # in force, whether or not a revision is under way beside it
        query = query.where(col(Plan.in_force_version).is_not(None))
    elif status_:
        query = query.where(Plan.status == status_)
    if term_start:
        query = query.where(Plan.term_start == term_start)
    if parent_plan_id:
        query = query.where(Plan.parent_plan_id == parent_plan_id)
    total = await store.count(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Plan.unit), col(Plan.created_at)).limit(limit).offset(offset)
        )
    ).all()
    above = not user.sees(target)  # the units below read what is in force
    return {
        "items": [
            r.model_dump()
            | ({"status": "approved", "version": r.in_force_version} if above else {})
            for r in rows
        ],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/{plan_id}", response_model=PlanPublic)
async def get_plan(plan_id: Id, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """The plan as its own unit and the units above see it: the working copy (a revision
    under way included). The units below see the version in force: what they concretize."""
    plan = await visible_plan(session, user, plan_id)
    seen = await store.plan_as_seen(session, plan, user.sees(plan.unit))
    drafts_here = user.has_role("drafter") and user.unit == plan.unit
    return seen | {"allowed": allowed_actions(plan.status, plan.in_force_version, drafts_here)}


def _touch(session: AsyncSession, plan: Plan) -> None:
    plan.updated_at = utcnow()
    session.add(plan)


@router.patch("/{plan_id}/task-groups/{code}", response_model=TaskGroupPublic)
async def edit_task_group(
    plan_id: Id, code: Code, body: TaskGroupPatch, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    """Rename a task group, or mark it not applicable to your unit (with the reason)."""
    plan = await editable_plan(session, user, plan_id)
    group = (
        await session.exec(
            select(TaskGroup).where(TaskGroup.plan_id == plan_id, TaskGroup.code == code)
        )
    ).first()
    if group is None:
        raise not_found("task group", code)
    refuse_frozen({group.id: group} if group.approved_in_version else {}, group.id, "code")
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(group, key, value)
    session.add(group)
    _touch(session, plan)
    await session.commit()
    return store.group_public(group)


@router.post("/{plan_id}/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskPublic)
async def add_task(
    plan_id: Id, body: TaskIn, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    plan = await editable_plan(session, user, plan_id)
    if (
        await session.exec(select(Task).where(Task.plan_id == plan_id, Task.code == body.code))
    ).first():
        raise conflict(f"task {body.code} already exists in this plan")
    await refuse_unknown_units(session, body.lead_unit, body.cooperating_units)
    group_ids = await _group_ids(session, plan_id)
    refuse_frozen(
        await store.frozen_groups(session, plan_id),
        group_ids.get(body.task_group or ""),
        "task_group",
    )
    position = await store.next_task_position(session, plan_id)
    task = task_from(body, plan_id, group_ids, position)
    session.add(task)
    _touch(session, plan)
    await session.commit()
    return store.task_dict(task, {v: k for k, v in group_ids.items()})


@router.patch("/{plan_id}/tasks/{task_id}", response_model=TaskPublic)
async def edit_task(
    plan_id: Id, task_id: Id, body: TaskPatch, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    plan = await editable_plan(session, user, plan_id)
    task = await session.get(Task, task_id)
    if task is None or task.plan_id != plan_id:
        raise not_found("task", task_id)
    group_ids = await _group_ids(session, plan_id)
    frozen = await store.frozen_groups(session, plan_id)
    refuse_frozen(frozen, task.task_group_id, "task_id")
    changes = body.model_dump(exclude_unset=True)
    if "task_group" in changes:
        code = changes.pop("task_group")
        if code is not None and code not in group_ids:
            raise invalid("task_group", f"unknown task group {code}")
        refuse_frozen(frozen, group_ids.get(code or ""), "task_group")
        task.task_group_id = group_ids.get(code or "")
    if "milestones" in changes:
        changes["milestones"] = [m.model_dump() for m in body.milestones or []]
    await refuse_unknown_units(session, changes.get("lead_unit"), changes.get("cooperating_units"))
    lead = changes.get("lead_unit", task.lead_unit)
    if lead and lead in changes.get("cooperating_units", task.cooperating_units or []):
        field = "lead_unit" if "lead_unit" in changes else "cooperating_units"
        raise invalid(field, "the lead unit cannot also be a cooperating unit")
    for key, value in changes.items():
        setattr(task, key, value)
    session.add(task)
    _touch(session, plan)
    await session.commit()
    return store.task_dict(task, {v: k for k, v in group_ids.items()})


@router.delete("/{plan_id}/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(plan_id: Id, task_id: Id, user: CurrentUser, session: SessionDep) -> None:
    plan = await editable_plan(session, user, plan_id)
    task = await session.get(Task, task_id)
    if task is None or task.plan_id != plan_id:
        raise not_found("task", task_id)
    refuse_frozen(await store.frozen_groups(session, plan_id), task.task_group_id, "task_id")
    await session.delete(task)
    _touch(session, plan)
    await session.commit()


@router.delete("/{plan_id}/indicators/{indicator_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_indicator(
    plan_id: Id, indicator_id: Id, user: CurrentUser, session: SessionDep
) -> None:
    """Remove an indicator from the plan's working copy (its drafters, while it may be edited).
    Indicators are added and changed through the import (a workbook, or a CSV file of them)."""
    plan = await editable_plan(session, user, plan_id)
    indicator = await session.get(Indicator, indicator_id)
    if indicator is None or indicator.plan_id != plan_id:
        raise not_found("indicator", indicator_id)
    await session.delete(indicator)
    _touch(session, plan)
    await session.commit()
