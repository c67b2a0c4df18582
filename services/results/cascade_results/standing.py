"""Where things stand, read from the tracked items: statuses as of a date, roll-ups up the
hierarchy, the dashboards and the evaluation of a unit. Always computed from the same stored
figures, so every level agrees with the reports below it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from cascade_shared.auth import unit_within
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_results.domain.evaluation import (
    Evaluation,
    IndicatorFact,
    ReportFact,
    TaskFact,
    evaluate,
)
from cascade_results.domain.periods import Period, ReportingPolicy, periods_between
from cascade_results.domain.rollup import (
    ROLLUP_RULES,
    attainment,
    combine_progress,
    met,
    rollup_values,
)
from cascade_results.domain.status import STATUS_LABELS_VI, STATUSES, days_overdue, task_status
from cascade_results.models import (
    ProgressReport,
    TrackedIndicator,
    TrackedPlan,
    TrackedTask,
    UnitView,
)
from cascade_results.store import reports_of, unit_names


def _in_subtree(column: Any, unit: str) -> Any:
    return or_(column == unit, column.like(unit.replace("%", r"\%") + ".%"))


async def subtree_tasks(session: AsyncSession, unit: str) -> list[TrackedTask]:
    query = select(TrackedTask).where(
        col(TrackedTask.active).is_(True), _in_subtree(col(TrackedTask.unit), unit)
    )
    return list((await session.exec(query)).all())


async def subtree_indicators(session: AsyncSession, unit: str) -> list[TrackedIndicator]:
    query = select(TrackedIndicator).where(
        col(TrackedIndicator.active).is_(True), _in_subtree(col(TrackedIndicator.unit), unit)
    )
    return list((await session.exec(query)).all())


class TaskTree:
    """Active tasks by id and by parent, for roll-ups."""

    def __init__(self, tasks: list[TrackedTask]) -> None:
        self.by_id = {t.id: t for t in tasks}
        self.children: dict[str, list[TrackedTask]] = defaultdict(list)
        for t in tasks:
            if t.parent_task_id:
                self.children[t.parent_task_id].append(t)
        self._memo: dict[str, float | None] = {}

    def rolled(self, task_id: str) -> float | None:
        """The task's own percent combined with the tasks that concretize it, all the way down."""
        if task_id in self._memo:
            return self._memo[task_id]
        self._memo[task_id] = None  # a cycle in bad data ends here
        task = self.by_id[task_id]
        kids = [(self.rolled(c.id), c.weight) for c in self.children.get(task_id, [])]
        value = combine_progress(task.percent, kids)
        self._memo[task_id] = value
        return value


async def load_tree(session: AsyncSession, roots: list[TrackedTask]) -> TaskTree:
    """``roots`` and every active task below them, level by level through the links."""
    found = {t.id: t for t in roots}
    frontier = list(found)
    while frontier:
        rows = (
            await session.exec(
                select(TrackedTask).where(
                    col(TrackedTask.active).is_(True),
                    col(TrackedTask.parent_task_id).in_(frontier),
                )
            )
        ).all()
        frontier = [t.id for t in rows if t.id not in found]
        found.update({t.id: t for t in rows})
    return TaskTree(list(found.values()))


def task_row(
    task: TrackedTask, tree: TaskTree | None, as_of: date, names: dict[str, str]
) -> dict[str, Any]:
    status = task_status(task.deadline, task.completed_on, as_of)
    children = tree.children.get(task.id, []) if tree else []
    return {
        "id": task.id,
        "code": task.code,
        "job": task.job,
        "unit": task.unit,
        "unit_name": names.get(task.unit, task.unit),
        "plan_id": task.plan_id,
        "task_group": task.task_group,
        "lead_unit": task.lead_unit,
        "responsible_person": task.responsible_person,
        "start": task.start,
        "deadline": task.deadline,
        "milestones": task.milestones or [],
        "product_description": task.product_description,
        "product_quantity": task.product_quantity,
        "product_unit": task.product_unit,
        "product_delivered": task.product_delivered,
        "parent_task_id": task.parent_task_id,
        "weight": task.weight,
        "percent": task.percent,
        "progress_state": task.progress_state,
        "reported_period": task.reported_period,
        "completed_on": task.completed_on,
        "status": status,
        "status_vi": STATUS_LABELS_VI[status],
        "days_overdue": days_overdue(task.deadline, task.completed_on, as_of),
        "rolled_percent": tree.rolled(task.id) if tree else task.percent,
        "concretized_by": len(children),
    }


async def task_rollup(session: AsyncSession, task: TrackedTask, as_of: date) -> dict[str, Any]:
    """A task with the tasks that concretize it, each with its own and rolled-up progress."""
    tree = await load_tree(session, [task])
    names = await unit_names(session)

    def node(t: TrackedTask) -> dict[str, Any]:
        row = task_row(t, tree, as_of, names)
        row["children"] = [
            node(c) for c in sorted(tree.children.get(t.id, []), key=lambda c: c.unit)
        ]
        return row

    return node(task)


def status_counts(tasks: list[TrackedTask], as_of: date) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for t in tasks:
        counts[task_status(t.deadline, t.completed_on, as_of)] += 1
    return counts


def indicator_row(
    indicator: TrackedIndicator, children: list[TrackedIndicator], names: dict[str, str]
) -> dict[str, Any]:
    values = [(c.actual, c.weight) for c in children if c.actual is not None]
    rolled = rollup_values(indicator.rollup, values) if indicator.rollup in ROLLUP_RULES else None  # type: ignore[arg-type]
    shown = indicator.actual if indicator.actual is not None else rolled
    return {
        "id": indicator.id,
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "unit_name": names.get(indicator.unit, indicator.unit),
        "measure": indicator.measure,
        "baseline": indicator.baseline,
        "target": indicator.target,
        "year": indicator.year,
        "comparator": indicator.comparator,
        "direction": "lower_is_better"
        if indicator.comparator in ("<=", "<")
        else "higher_is_better",
        "rollup": indicator.rollup,
        "parent_indicator_id": indicator.parent_indicator_id,
        "actual": indicator.actual,
        "actual_period": indicator.actual_period,
        "rolled_up": rolled,
        "from_units": len(values),
        "attainment": attainment(shown, indicator.target, indicator.baseline, indicator.comparator),
        "met": met(shown, indicator.target, indicator.comparator),
    }


async def indicator_rows(session: AsyncSession, unit: str) -> list[dict[str, Any]]:
    """The unit's indicators, actual against target, each with its roll-up from below."""
    own = (
        await session.exec(
            select(TrackedIndicator).where(
                TrackedIndicator.unit == unit, col(TrackedIndicator.active).is_(True)
            )
        )
    ).all()
    ids = [i.id for i in own]
    below = (
        (
            await session.exec(
                select(TrackedIndicator).where(
                    col(TrackedIndicator.active).is_(True),
                    col(TrackedIndicator.parent_indicator_id).in_(ids),
                )
            )
        ).all()
        if ids
        else []
    )
    by_parent: dict[str, list[TrackedIndicator]] = defaultdict(list)
    for b in below:
        by_parent[b.parent_indicator_id or ""].append(b)
    names = await unit_names(session)
    return [
        indicator_row(i, by_parent.get(i.id, []), names) for i in sorted(own, key=lambda i: i.code)
    ]


# -- evaluation -------------------------------------------------------------------------------
def report_periods(
    policy: ReportingPolicy, level: str, period: Period, since: date, as_of: date
) -> list[Period]:
    """The periods whose reports count for ``period``'s evaluation: those of the unit's level,
    in the same year, from tracking on, due by ``as_of``, ending by ``period``'s end."""
    out: list[Period] = []
    first = max(since, date(period.end.year, 1, 1))
    for kind in policy.kinds_for(level):
        for p in periods_between(kind, first, period.end):
            if p.end <= period.end and policy.due_on(p) <= as_of and p.end >= since:
                out.append(p)
    return sorted(out)


@dataclass
class UnitEvaluation:
    unit: str
    period: Period
    as_of: date
    evaluation: Evaluation


async def evaluate_unit(
    session: AsyncSession,
    policy: ReportingPolicy,
    unit: str,
    level: str,
    period: Period,
    today: date,
) -> UnitEvaluation:
    """The unit's score for ``period`` as of the period's end (or today, if it has not ended)."""
    as_of = min(today, period.end)
    tasks = (
        await session.exec(
            select(TrackedTask).where(TrackedTask.unit == unit, col(TrackedTask.active).is_(True))
        )
    ).all()
    task_facts = [
        TaskFact(
            t.id,
            t.code,
            task_status(t.deadline, t.completed_on, as_of),
            t.deadline is not None and t.deadline <= period.end,
        )
        for t in sorted(tasks, key=lambda t: t.code)
    ]
    indicators = (
        await session.exec(
            select(TrackedIndicator).where(
                TrackedIndicator.unit == unit, col(TrackedIndicator.active).is_(True)
            )
        )
    ).all()
    indicator_facts = [
        IndicatorFact(i.id, i.code, attainment(i.actual, i.target, i.baseline, i.comparator))
        for i in sorted(indicators, key=lambda i: i.code)
    ]
    plans = (await session.exec(select(TrackedPlan).where(TrackedPlan.unit == unit))).all()
    since = min((p.approved_at.date() for p in plans), default=period.start)
    first_sent: dict[str, ProgressReport] = {}
    for r in await reports_of(session, unit):  # oldest version first
        if r.submitted_at is not None:
            first_sent.setdefault(r.period, r)
    report_facts = []
    for p in report_periods(policy, level, period, since, today):
        r = first_sent.get(p.key)
        report_facts.append(
            ReportFact(r.id if r else None, p.key, r is not None, bool(r and r.late))
        )
    return UnitEvaluation(
        unit, period, as_of, evaluate(policy.formula, task_facts, indicator_facts, report_facts)
    )


async def child_units(session: AsyncSession, unit: str) -> list[UnitView]:
    rows = (await session.exec(select(UnitView).where(UnitView.parent == unit))).all()
    return sorted(rows, key=lambda u: u.name)


def within(unit: str, ancestor: str) -> bool:
    return unit_within(unit, ancestor)
