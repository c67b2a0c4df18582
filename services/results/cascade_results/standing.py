"""Where things stand, read from the tracked items: statuses as of a date, roll-ups up the
hierarchy, the dashboards and the evaluation of a unit. Always computed from the same stored
figures, so every level agrees with the reports below it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cascade_shared.envelope import as_utc
from cascade_shared.projector import dialect_of
from sqlalchemy import String, and_, any_, bindparam, case, func, not_
from sqlalchemy import select as sa_select  # sqlmodel's types at most four columns
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_results.domain.evaluation import (
    Evaluation,
    IndicatorFact,
    ReportFact,
    Tally,
    TaskFact,
    evaluate,
    score,
)
from cascade_results.domain.periods import (
    Period,
    ReportingPolicy,
    parse_period,
    period_of,
    periods_between,
)
from cascade_results.domain.rollup import (
    attainment,
    combine_progress,
    is_rollup_rule,
    met,
    rollup_values,
)
from cascade_results.domain.status import (
    STATUS_LABELS_VI,
    days_overdue,
    milestone_statuses,
    task_status,
)
from cascade_results.models import (
    ProgressReport,
    TrackedIndicator,
    TrackedPlan,
    TrackedTask,
    UnitView,
)
from cascade_results.store import unit_names


def report_summary(report: ProgressReport | None) -> dict[str, Any] | None:
    """A report as lists show it beside its unit or period."""
    if report is None:
        return None
    return {
        "id": report.id,
        "status": report.status,
        "version": report.version,
        "late": report.late,
        "submitted_at": report.submitted_at,
    }


def _period_end(key: str) -> date:
    return parse_period(key).end


def _in_subtree(column: Any, unit: str) -> Any:
    return or_(column == unit, column.like(unit.replace("%", r"\%") + ".%"))


async def subtree_tasks(session: AsyncSession, unit: str) -> list[TrackedTask]:
    query = select(TrackedTask).where(
        col(TrackedTask.active).is_(True), _in_subtree(col(TrackedTask.unit), unit)
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
        "milestones": milestone_statuses(
            task.milestones or [], task.milestones_reached or {}, as_of, _period_end
        ),
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


def indicator_row(
    indicator: TrackedIndicator, children: list[TrackedIndicator], names: dict[str, str]
) -> dict[str, Any]:
    values = [(c.actual, c.weight) for c in children if c.actual is not None]
    rule = indicator.rollup
    rolled = rollup_values(rule, values) if is_rollup_rule(rule) else None
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
    names = await unit_names(session, [unit])
    return [
        indicator_row(i, by_parent.get(i.id, []), names) for i in sorted(own, key=lambda i: i.code)
    ]


# -- evaluation -------------------------------------------------------------------------------
def report_periods(
    policy: ReportingPolicy, level: str, period: Period, since: date, as_of: date
) -> list[Period]:
    """The periods whose reports count for ``period``'s evaluation: those of the unit's level,
    in the same year, due by ``as_of``, ending by ``period``'s end, from the first whole period
    after its plan came into force (a plan approved on 15 June owes its first report for July)."""
    out: list[Period] = []
    first = max(since, date(period.end.year, 1, 1))
    for kind in policy.kinds_for(level):
        for p in periods_between(kind, first, period.end):
            if p.end <= period.end and policy.due_on(p) <= as_of and p.start >= since:
                out.append(p)
    return sorted(out)


@dataclass
class UnitEvaluation:
    unit: str
    period: Period
    as_of: date
    evaluation: Evaluation


def evaluate_loaded(
    policy: ReportingPolicy,
    unit: str,
    level: str,
    period: Period,
    today: date,
    tasks: Sequence[TrackedTask],
    indicators: Sequence[TrackedIndicator],
    reports: Sequence[ProgressReport],
    since: date | None,
) -> UnitEvaluation:
    """The unit's score from its loaded records: its tasks, indicators, every version of its
    reports (oldest first) and the day its tracking began."""
    as_of = min(today, period.end)
    task_facts = [
        TaskFact(
            t.id,
            t.code,
            task_status(t.deadline, t.completed_on, as_of),
            t.deadline is not None and t.deadline <= period.end,
            t.job,
        )
        for t in sorted(tasks, key=lambda t: t.code)
    ]
    indicator_facts = [
        IndicatorFact(
            i.id, i.code, attainment(i.actual, i.target, i.baseline, i.comparator), i.name
        )
        for i in sorted(indicators, key=lambda i: i.code)
    ]
    first_sent: dict[str, ProgressReport] = {}
    for r in reports:  # oldest version first
        if r.submitted_at is not None:
            first_sent.setdefault(r.period, r)
    report_facts = []
    for p in report_periods(policy, level, period, since or period.start, today):
        sent = first_sent.get(p.key)
        report_facts.append(
            ReportFact(sent.id if sent else None, p.key, sent is not None, bool(sent and sent.late))
        )
    return UnitEvaluation(
        unit, period, as_of, evaluate(policy.formula, task_facts, indicator_facts, report_facts)
    )


async def evaluate_unit(
    session: AsyncSession,
    policy: ReportingPolicy,
    unit: str,
    level: str,
    period: Period,
    today: date,
) -> UnitEvaluation:
    """The unit's score for ``period`` as of the period's end (or today, if it has not ended)."""
    [evaluation] = (await evaluate_units(session, policy, {unit: level}, period, today)).values()
    return evaluation


async def evaluate_units(
    session: AsyncSession,
    policy: ReportingPolicy,
    levels: dict[str, str],
    period: Period,
    today: date,
) -> dict[str, UnitEvaluation]:
    """The scores of several units at once: four queries, whatever their number."""
    codes = list(levels)
    tasks: dict[str, list[TrackedTask]] = defaultdict(list)
    for t in (
        await session.exec(
            select(TrackedTask).where(
                col(TrackedTask.unit).in_(codes), col(TrackedTask.active).is_(True)
            )
        )
    ).all():
        tasks[t.unit].append(t)
    indicators: dict[str, list[TrackedIndicator]] = defaultdict(list)
    for i in (
        await session.exec(
            select(TrackedIndicator).where(
                col(TrackedIndicator.unit).in_(codes), col(TrackedIndicator.active).is_(True)
            )
        )
    ).all():
        indicators[i.unit].append(i)
    since: dict[str, date] = {}
    for p in (
        await session.exec(select(TrackedPlan).where(col(TrackedPlan.unit).in_(codes)))
    ).all():
        day = as_utc(p.approved_at).date()
        since[p.unit] = min(since.get(p.unit, day), day)
    reports: dict[str, list[ProgressReport]] = defaultdict(list)
    rows = (
        await session.exec(
            select(ProgressReport)
            .where(
                col(ProgressReport.unit).in_(codes),
                col(ProgressReport.submitted_at).is_not(None),
            )
            .order_by(col(ProgressReport.version))
        )
    ).all()
    for r in rows:
        reports[r.unit].append(r)
    return {
        unit: evaluate_loaded(
            policy,
            unit,
            level,
            period,
            today,
            tasks[unit],
            indicators[unit],
            reports[unit],
            since.get(unit),
        )
        for unit, level in levels.items()
    }


async def child_units(session: AsyncSession, unit: str) -> list[UnitView]:
    """The units directly below ``unit``; the outside bodies registered under it are none."""
    rows = (
        await session.exec(select(UnitView).where(UnitView.parent == unit, UnitView.kind == "unit"))
    ).all()
    return sorted(rows, key=lambda u: u.name)


# -- dashboards -------------------------------------------------------------------------------
def _status_sums(as_of: date) -> list[Any]:
    """SQL sums of the statuses as of ``as_of``, the same rules as ``task_status``."""
    completed = col(TrackedTask.completed_on)
    deadline = col(TrackedTask.deadline)
    done = and_(completed.is_not(None), completed <= as_of)
    return [
        func.count(),
        func.sum(case((and_(done, or_(deadline.is_(None), completed <= deadline)), 1), else_=0)),
        func.sum(case((and_(done, deadline.is_not(None), completed > deadline), 1), else_=0)),
        func.sum(case((and_(not_(done), deadline.is_not(None), deadline < as_of), 1), else_=0)),
    ]


def _counts(total: int, on_time: int, late: int, overdue: int) -> dict[str, int]:
    return {
        "completed_on_time": int(on_time or 0),
        "completed_late": int(late or 0),
        "in_progress": int(total) - int(on_time or 0) - int(late or 0) - int(overdue or 0),
        "overdue": int(overdue or 0),
    }


async def unit_scores(
    session: AsyncSession,
    policy: ReportingPolicy,
    levels: dict[str, str],
    period: Period,
    today: date,
) -> dict[str, float]:
    """The scores of many units for ``period``, counted by the database: the same tallies and
    the same arithmetic as ``evaluate_unit``, without loading every task."""
    codes = list(levels)
    as_of = min(today, period.end)
    completed = col(TrackedTask.completed_on)
    deadline = col(TrackedTask.deadline)
    done = and_(completed.is_not(None), completed <= as_of)
    is_due = and_(deadline.is_not(None), deadline <= period.end)
    on_time = and_(done, or_(deadline.is_(None), completed <= deadline))
    overdue = and_(not_(done), deadline.is_not(None), deadline < as_of)
    counted = await session.execute(
        sa_select(
            col(TrackedTask.unit),
            func.count(),
            func.sum(case((is_due, 1), else_=0)),
            func.sum(case((and_(is_due, on_time), 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .where(col(TrackedTask.unit).in_(codes), col(TrackedTask.active).is_(True))
        .group_by(col(TrackedTask.unit))
    )
    tasks = {r[0]: [int(v or 0) for v in r[1:]] for r in counted.all()}
    attained: dict[str, list[float]] = defaultdict(list)
    for i in (
        await session.execute(
            sa_select(
                col(TrackedIndicator.unit),
                col(TrackedIndicator.actual),
                col(TrackedIndicator.target),
                col(TrackedIndicator.baseline),
                col(TrackedIndicator.comparator),
            ).where(
                col(TrackedIndicator.unit).in_(codes),
                col(TrackedIndicator.active).is_(True),
                col(TrackedIndicator.actual).is_not(None),
            )
        )
    ).all():
        value = attainment(i[1], i[2], i[3], i[4])
        if value is not None:
            attained[i[0]].append(value)
    since: dict[str, date] = {}
    for unit, approved in (
        await session.execute(
            select(col(TrackedPlan.unit), func.min(col(TrackedPlan.approved_at)))
            .where(col(TrackedPlan.unit).in_(codes))
            .group_by(col(TrackedPlan.unit))
        )
    ).all():
        since[unit] = as_utc(approved).date()
    first_sent: dict[tuple[str, str], bool] = {}
    for unit, key, late in (
        await session.execute(
            select(col(ProgressReport.unit), col(ProgressReport.period), col(ProgressReport.late))
            .where(
                col(ProgressReport.unit).in_(codes),
                col(ProgressReport.submitted_at).is_not(None),
            )
            .order_by(col(ProgressReport.version))
        )
    ).all():
        first_sent.setdefault((unit, key), bool(late))
    out: dict[str, float] = {}
    for unit, level in levels.items():
        total, due, due_on_time, late_tasks = tasks.get(unit, [0, 0, 0, 0])
        periods = report_periods(policy, level, period, since.get(unit, period.start), today)
        sent = [first_sent.get((unit, p.key)) for p in periods]
        out[unit] = score(
            policy.formula,
            Tally(
                tasks=total,
                due=due,
                due_on_time=due_on_time,
                overdue=late_tasks,
                measured=len(attained[unit]),
                attainment_sum=sum(attained[unit]),
                reports=len(periods),
                reports_on_time=sum(1 for s in sent if s is False),
            ),
        )
    return out


def _among(session: AsyncSession, column: Any, values: list[str]) -> Any:
    """``column`` is one of ``values``, however many: one array parameter on PostgreSQL (an
    index lookup per value), a temporary list of parameters in chunks SQLite accepts."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    chunks = [values[i : i + 900] for i in range(0, len(values), 900)] or [[]]
    return or_(*(column.in_(chunk) for chunk in chunks))


async def rolled_progress(session: AsyncSession, codes: list[str]) -> dict[str, float]:
    """Per unit, the mean rolled-up progress of its own tasks (each combined with the tasks
    that concretize it, as ``combine_progress`` does). Indexed reads: the units' own tasks,
    then, when units lie below them, the sums of the tasks linked below, looked up by parent."""
    if not codes:
        return {}
    own = (
        await session.execute(
            select(col(TrackedTask.id), col(TrackedTask.unit), col(TrackedTask.percent)).where(
                col(TrackedTask.unit).in_(codes), col(TrackedTask.active).is_(True)
            )
        )
    ).all()
    sums: dict[str, tuple[float, float]] = {}
    units_below = await session.execute(
        select(col(UnitView.code))
        .where(col(UnitView.parent).in_(codes), col(UnitView.kind) == "unit")
        .limit(1)
    )
    # Tasks are concretized by the plans of the units below: the tasks of units with none below
    # them (wards) have nothing to roll up, and looking for it would scan every task.
    if own and units_below.first() is not None:
        below = await session.execute(
            select(
                col(TrackedTask.parent_task_id),
                func.sum(func.coalesce(col(TrackedTask.percent), 0) * col(TrackedTask.weight)),
                func.sum(col(TrackedTask.weight)),
            )
            .where(
                _among(session, col(TrackedTask.parent_task_id), [t for t, _, _ in own]),
                col(TrackedTask.active).is_(True),
                col(TrackedTask.weight) > 0,
            )
            .group_by(col(TrackedTask.parent_task_id))
        )
        sums = {parent: (float(pw or 0), float(w or 0)) for parent, pw, w in below.all()}
    rolled: dict[str, list[float]] = defaultdict(list)
    for task_id, unit, percent in own:
        pw, w = sums.get(task_id, (0.0, 0.0))
        parts = w + (1 if percent is not None else 0)
        if parts:
            rolled[unit].append((pw + (percent or 0)) / parts)
    return {unit: sum(values) / len(values) for unit, values in rolled.items()}


async def dashboard(
    session: AsyncSession,
    policy: ReportingPolicy,
    unit: str,
    period: Period | None,
    today: date,
    overdue_limit: int = 200,
) -> dict[str, Any]:
    """A unit's dashboard: each unit below with its tasks by status, rolled-up progress, the
    period's report and score (ranked); the most overdue tasks; the unit's indicators. A fixed
    number of queries whatever the size of the subtree."""
    children = {c.code: c for c in await child_units(session, unit)}
    depth = unit.count(".") + 1

    def child_of(code: str) -> str:
        return ".".join(code.split(".")[: depth + 1])

    # Task counts by status, per unit of the subtree, folded into the children.
    counts: dict[str, list[int]] = {}
    total = [0, 0, 0, 0]
    grouped = await session.execute(
        select(col(TrackedTask.unit), *_status_sums(today))
        .where(col(TrackedTask.active).is_(True), _in_subtree(col(TrackedTask.unit), unit))
        .group_by(col(TrackedTask.unit))
    )
    for row in grouped.all():
        values = [int(v or 0) for v in row[1:]]
        total = [a + b for a, b in zip(total, values, strict=True)]
        if row[0] != unit:
            key = child_of(row[0])
            counts[key] = [
                a + b for a, b in zip(counts.get(key, [0, 0, 0, 0]), values, strict=True)
            ]
    # Progress: each child's own tasks, rolled up from the tasks below that concretize them.
    progress = await rolled_progress(session, [c for c in children if c in counts])
    # The period's report and the score of each child.
    reports: dict[str, ProgressReport] = {}
    scores: dict[str, float] = {}
    by_period: dict[str, Period] = {}
    for code, child in children.items():
        kinds = policy.kinds_for(child.level)
        chosen = period if period is not None else (period_of(kinds[0], today) if kinds else None)
        if chosen is not None and code in counts:
            by_period[code] = chosen
    if by_period:
        for r in (
            await session.exec(
                select(ProgressReport).where(
                    col(ProgressReport.unit).in_(list(by_period)),
                    col(ProgressReport.period).in_({p.key for p in by_period.values()}),
                )
            )
        ).all():
            if r.period == by_period[r.unit].key and (
                r.unit not in reports or reports[r.unit].version < r.version
            ):
                reports[r.unit] = r
        for key in {p.key for p in by_period.values()}:
            chosen = next(p for p in by_period.values() if p.key == key)
            levels = {c: children[c].level for c, p in by_period.items() if p.key == key}
            scores.update(await unit_scores(session, policy, levels, chosen, today))
    rows_out: list[dict[str, Any]] = []
    for code, child in children.items():
        if code not in counts:
            continue
        report = reports.get(code)
        mean = progress.get(code)
        chosen = by_period.get(code)
        rows_out.append(
            {
                "unit": code,
                "unit_name": child.name,
                "level": child.level,
                "tasks": counts[code][0],
                "counts": _counts(*counts[code]),
                "progress": round(mean, 1) if mean is not None else None,
                "period": chosen.key if chosen else None,
                "period_label": chosen.label_vi if chosen else None,
                "report": report_summary(report),
                "score": scores.get(code),
            }
        )
    ranking = sorted(
        (scored for scored in rows_out if scored["score"] is not None),
        key=lambda scored: (-scored["score"], scored["unit_name"]),
    )
    for i, scored in enumerate(ranking, start=1):
        scored["rank"] = i
    # The most overdue tasks of the subtree, latest deadline last.
    overdue_rows = (
        await session.exec(
            select(TrackedTask)
            .where(
                col(TrackedTask.active).is_(True),
                _in_subtree(col(TrackedTask.unit), unit),
                or_(col(TrackedTask.completed_on).is_(None), col(TrackedTask.completed_on) > today),
                col(TrackedTask.deadline) < today,
            )
            .order_by(col(TrackedTask.deadline), col(TrackedTask.unit), col(TrackedTask.code))
            .limit(overdue_limit)
        )
    ).all()
    names = await unit_names(session, [unit, *{t.unit for t in overdue_rows}])
    return {
        "unit": unit,
        "unit_name": names.get(unit, unit),
        "as_of": today,
        "counts": _counts(*total),
        "units": sorted(rows_out, key=lambda r: r["unit_name"]),
        "overdue": [task_row(t, None, today, names) for t in overdue_rows],
        "overdue_total": _counts(*total)["overdue"],
        "indicators": await indicator_rows(session, unit),
    }
