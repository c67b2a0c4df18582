"""Gather a plan, the plans above it and the directory from the database and run every rule.

The plans above (the parent, and the parent's parent) are read as their versions IN FORCE hold
them, never from their working copies: a plan above may be drafting a revision, and the units
below concretize what is in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_plans import store
from cascade_plans.domain.plan import PlanContent, TaskContent, check_plan
from cascade_plans.domain.rules import (
    GroupCoverage,
    IndicatorContent,
    ParentTask,
    check_copying,
    check_coverage,
    check_generic_job,
    check_indicator,
    check_unanswered_comment,
)
from cascade_plans.models import OrgUnit, Plan, ReturnedComment, RevisionPolicy, TaskGroup


@dataclass
class SubmittedContent(PlanContent):
    """A version's content as submitted: the plan, and the warnings its drafter acknowledged
    to submit it (a submission with warnings is refused unless they are acknowledged), so the
    frozen version and its hash record them."""

    acknowledged_warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Checked:
    """What every rule found on a working copy: its content, tasks, errors and warnings, and
    the task group rows it was read from."""

    content: PlanContent
    tasks: list[TaskContent]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    groups: list[TaskGroup] = field(default_factory=list)


async def frozen_content(session: AsyncSession, plan: Plan) -> dict[str, Any]:
    """``plan``'s content in force. A plan approved before versions in force were kept (no
    ``in_force_version``) is read from its tables, which are then its approved content; any
    other plan without a version in force has nothing in force (no groups, no tasks)."""
    content = await store.in_force_content(session, plan)
    if content is not None:
        return content
    if plan.status == "approved":
        return (await store.plan_content(session, plan))[0].as_dict()
    return {"title": plan.title, "task_groups": [], "tasks": []}


async def coverage_of(
    session: AsyncSession,
    plan: Plan,
    parent: Plan,
    parent_content: dict[str, Any] | None = None,
    children: store.Children | None = None,
) -> dict[str, GroupCoverage]:
    """For each task group of ``parent`` (of its version in force; ``parent_content`` when the
    caller has read it already): which groups of ``plan``'s working copy cover it (``children``:
    its rows, when the caller has read them), with how many tasks."""
    if parent_content is None:
        parent_content = await frozen_content(session, parent)
    groups, _, tasks = children or await store.children_of(session, plan.id)
    tasks_per_group: dict[str, int] = {}
    for t in tasks:
        if t.task_group_id:
            tasks_per_group[t.task_group_id] = tasks_per_group.get(t.task_group_id, 0) + 1
    out: dict[str, GroupCoverage] = {}
    for pg in parent_content.get("task_groups", []):
        linked = [g for g in groups if g.parent_task_group_id == pg.get("id")]
        reasons = [
            g.not_applicable_reason for g in linked if (g.not_applicable_reason or "").strip()
        ]
        out[pg["code"]] = GroupCoverage(
            parent_group=pg["code"],
            child_groups=tuple(g.code for g in linked),
            task_count=sum(tasks_per_group.get(g.id, 0) for g in linked),
            not_applicable_reason=reasons[0] if reasons else None,
        )
    return out


async def _directory(
    session: AsyncSession, plan: Plan, tasks: list[TaskContent]
) -> dict[str, OrgUnit]:
    """The directory entries the plan names (its own unit, lead and cooperating units):
    code -> entry."""
    codes = {plan.unit}
    for t in tasks:
        codes.update(c.strip() for c in (t.lead_unit, *t.cooperating_units) if c and c.strip())
    rows = (await session.exec(select(OrgUnit).where(col(OrgUnit.code).in_(codes)))).all()
    return {u.code: u for u in rows}


def _candidates(
    content: dict[str, Any], plan: Plan, level: Literal["parent", "grandparent"]
) -> list[ParentTask]:
    title = str(content.get("title") or plan.title)
    return [ParentTask.from_content(t, plan.id, title, level) for t in content.get("tasks", [])]


async def run_checks(session: AsyncSession, plan: Plan) -> Checked:
    """Every rule on ``plan``'s working copy: "5 clear" (within the plan's term, lead and
    cooperating units from the directory), indicators, coverage of the parent's task groups
    (errors); jobs that are only a generic activity, and mechanical copying of any task of the
    parent or the grandparent (warnings)."""
    children = await store.children_of(session, plan.id)
    content, tasks = await store.plan_content(session, plan, children)
    directory = await _directory(session, plan, tasks)
    errors: list[dict[str, Any]] = [
        v.as_error()
        for v in check_plan(tasks, term=(plan.term_start, plan.term_end), directory=directory)
    ]
    warnings: list[dict[str, Any]] = [f.as_error() for t in tasks for f in check_generic_job(t)]
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
        parent_content = await frozen_content(session, parent)
        errors.extend(
            f.as_error()
            for f in check_coverage(
                [g["code"] for g in parent_content.get("task_groups", [])],
                await coverage_of(session, plan, parent, parent_content, children),
            )
        )
        candidates = _candidates(parent_content, parent, "parent")
        grandparent = (
            await session.get(Plan, parent.parent_plan_id) if parent.parent_plan_id else None
        )
        if grandparent is not None:
            grand_content = await frozen_content(session, grandparent)
            candidates += _candidates(grand_content, grandparent, "grandparent")
        own = directory.get(plan.unit)
        for task in tasks:
            warnings.extend(
                f.as_error()
                for f in check_copying(
                    task,
                    candidates,
                    own_unit=plan.unit,
                    own_names=(own.name,) if own is not None else (),
                )
            )
    errors.extend(await _unanswered_comments(session, plan))
    submitted = SubmittedContent(**content.__dict__, acknowledged_warnings=warnings)
    return Checked(
        content=submitted, tasks=tasks, errors=errors, warnings=warnings, groups=children[0]
    )


async def _unanswered_comments(session: AsyncSession, plan: Plan) -> list[dict[str, Any]]:
    """Under the routing policy's comment rule, one error per comment the plan was returned
    with that nobody has answered yet (next to its task, when it is about one)."""
    policy = await session.get(RevisionPolicy, "current")
    if policy is None or not policy.resolve_returned_comments:
        return []
    rows = await session.exec(
        select(ReturnedComment)
        .where(ReturnedComment.plan_id == plan.id, ReturnedComment.status == "open")
        .order_by(col(ReturnedComment.plan_version), col(ReturnedComment.task_code))
    )
    return [
        check_unanswered_comment(c.comment_id, c.task_code, c.text, c.plan_version).as_error()
        for c in rows.all()
    ]
