"""Gather a plan and its parent from the database and run every rule on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.domain.plan import PlanContent, TaskContent, check_plan
from cascade_plans.domain.rules import (
    GroupCoverage,
    IndicatorContent,
    check_coverage,
    check_indicator,
    check_mechanical_copy,
)
from cascade_plans.models import Plan


@dataclass
class Review:
    content: PlanContent
    tasks: list[TaskContent]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


async def coverage_of(session: AsyncSession, plan: Plan, parent: Plan) -> dict[str, GroupCoverage]:
    """For each task group of ``parent``: which groups of ``plan`` cover it, with how many tasks."""
    parent_groups, _, _ = await store.children_of(session, parent.id)
    groups, _, tasks = await store.children_of(session, plan.id)
    tasks_per_group: dict[str, int] = {}
    for t in tasks:
        if t.task_group_id:
            tasks_per_group[t.task_group_id] = tasks_per_group.get(t.task_group_id, 0) + 1
    out: dict[str, GroupCoverage] = {}
    for pg in parent_groups:
        linked = [g for g in groups if g.parent_task_group_id == pg.id]
        reasons = [
            g.not_applicable_reason for g in linked if (g.not_applicable_reason or "").strip()
        ]
        out[pg.code] = GroupCoverage(
            parent_group=pg.code,
            child_groups=tuple(g.code for g in linked),
            task_count=sum(tasks_per_group.get(g.id, 0) for g in linked),
            not_applicable_reason=reasons[0] if reasons else None,
        )
    return out


async def review(session: AsyncSession, plan: Plan) -> Review:
    content, tasks = await store.plan_content(session, plan)
    errors: list[dict[str, Any]] = [v.as_error() for v in check_plan(tasks)]
    warnings: list[dict[str, Any]] = []
    if not tasks:
        errors.append({"field": "tasks", "reason": "the plan has no tasks"})
    for ind in content.indicators:
        errors.extend(
            f.as_error()
            for f in check_indicator(
                IndicatorContent(
                    ind["code"],
                    ind["name"],
                    ind["unit"],
                    ind["target"],
                    ind["year"],
                    ind["baseline"],
                    ind["comparator"],
                ),
                plan.term_start,
                plan.term_end,
            )
        )
    parent = await session.get(Plan, plan.parent_plan_id) if plan.parent_plan_id else None
    if parent is not None:
        parent_groups, _, parent_tasks = await store.children_of(session, parent.id)
        errors.extend(
            f.as_error()
            for f in check_coverage(
                [g.code for g in parent_groups], await coverage_of(session, plan, parent)
            )
        )
        parent_jobs = {t.id: t.job for t in parent_tasks}
        for task in tasks:
            warnings.extend(
                f.as_error()
                for f in check_mechanical_copy(task, parent_jobs.get(task.parent_task or ""))
            )
    return Review(content=content, tasks=tasks, errors=errors, warnings=warnings)
