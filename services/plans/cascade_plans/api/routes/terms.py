"""The next term (kế thừa): start the next term's plan from this term's plan in force."""

from __future__ import annotations

from typing import Any

import httpx
from cascade_shared.db import serialize
from cascade_shared.events import PlanCreated
from cascade_shared.params import Id
from cascade_shared.problems import Problem, conflict, invalid
from fastapi import APIRouter, Request, status
from sqlmodel import col, select

from cascade_plans import store
from cascade_plans.api.access import plan_ref, require_drafter_of, visible_plan
from cascade_plans.api.deps import CurrentUser, Runtime, SessionDep
from cascade_plans.api.routes.plans import _new_plan, _parent_for, _parent_in_force
from cascade_plans.domain.plan import blocks_new_plan
from cascade_plans.domain.terms import (
    carried_groups,
    carried_tasks,
    finished_task_ids,
    term_problem,
)
from cascade_plans.models import Plan, TaskGroup
from cascade_plans.schemas import NextTermRequest, PlanPublic
from cascade_plans.settings import PlansSettings

router = APIRouter(prefix="/api/plans", tags=["plans"])


async def results_tasks(request: Request, unit: str) -> list[dict[str, Any]]:
    """The results service's tracked tasks of ``unit`` with their computed statuses, asked with
    the caller's token (``CASCADE_PLANS_RESULTS_URL``, or this app when it embeds results)."""
    base = PlansSettings().results_url
    auth = {"Authorization": request.headers.get("Authorization", "")}
    if base:
        transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(retries=2)
    elif "results" in request.app.state.runtimes:
        base, transport = "http://embedded", httpx.ASGITransport(app=request.app)
    else:
        raise Problem(
            503,
            "Results service not configured",
            "set CASCADE_PLANS_RESULTS_URL to the results service's base URL",
        )
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=10) as client:
            r = await client.get("/api/results/tasks", params={"unit": unit}, headers=auth)
    except httpx.HTTPError as exc:
        raise Problem(502, "Results service error", f"the results service failed: {exc}") from exc
    if r.status_code != 200:
        raise Problem(502, "Results service error", f"the results service answered {r.status_code}")
    return list(r.json())


@router.post("/{plan_id}/next-term", status_code=status.HTTP_201_CREATED, response_model=PlanPublic)
async def start_next_term(
    plan_id: Id,
    body: NextTermRequest,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    runtime: Runtime,
) -> dict[str, Any]:
    """Start the next term's plan from this term's plan in force (kế thừa): its task groups and
    its tasks not finished (the results service's status), as its version in force holds them,
    each carried task linked to the one it continues (``carried_from_task_id``), the new plan
    to this one (``previous_plan_id``). Deadlines and milestones come along unchanged: the
    rules at submission name those outside the new term. With ``parent_plan_id``, the new plan
    concretizes the next term's program of the unit above (one plan per unit and program),
    its task groups and tasks linked to that program's by code."""
    source = await visible_plan(session, user, plan_id)
    require_drafter_of(user, source)
    in_force = await store.in_force_content(session, source)
    if in_force is None:
        raise invalid("plan_id", "the plan is not in force (approved): finish this term first")
    problem = term_problem(
        in_force.get("term_end", source.term_end), body.term_start, body.term_end
    )
    if problem is not None:
        raise invalid(*problem)
    finished = finished_task_ids(await results_tasks(request, source.unit), source.id)

    old_parent_codes: dict[str, str] = {}
    if source.parent_plan_id:
        old_parent = await session.get(Plan, source.parent_plan_id)
        old_content = await store.in_force_content(session, old_parent) if old_parent else None
        old_parent_codes = {t["id"]: t["code"] for t in (old_content or {}).get("tasks", [])}
    parent = await _parent_for(session, user, body.parent_plan_id) if body.parent_plan_id else None
    new_parent = await _parent_in_force(session, parent) if parent else {}
    await serialize(session, f"next-term:{source.id}")
    for existing in (
        await session.exec(select(Plan).where(col(Plan.previous_plan_id) == source.id))
    ).all():
        if blocks_new_plan(existing.status, existing.in_force_version):
            raise conflict(
                f"the plan “{existing.title}” already continues this one ({existing.status}): "
                "go on with that one",
                existing_plan_id=existing.id,
                existing_plan_status=existing.status,
            )

    plan = _new_plan(user, body.title, parent, body.resolution, body.term_start, body.term_end)
    plan.previous_plan_id = source.id
    session.add(plan)
    group_ids: dict[str, str] = {}
    parent_groups = {g["code"]: g["id"] for g in new_parent.get("task_groups", [])}
    for i, g in enumerate(carried_groups(in_force.get("task_groups", []), parent_groups)):
        group = TaskGroup(plan_id=plan.id, position=i, **g)
        session.add(group)
        group_ids[group.code] = group.id
    parent_tasks = {t["code"]: t["id"] for t in new_parent.get("tasks", [])}
    for i, t in enumerate(
        carried_tasks(in_force.get("tasks", []), finished, old_parent_codes, parent_tasks)
    ):
        session.add(store.task_from_content(t, plan.id, group_ids, i))
    runtime.emit(
        session,
        PlanCreated(
            **plan_ref(plan),
            parent_plan_id=plan.parent_plan_id,
            previous_plan_id=plan.previous_plan_id,
        ),
        actor=user.username,
        org_unit=plan.unit,
        subject_id=plan.id,
    )
    await session.commit()
    return await store.plan_public(session, plan)
