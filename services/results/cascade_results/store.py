"""Reading and writing the results tables: the policy in force, reports, lines and the standing
of tracked tasks. No HTTP here: lookups that find nothing return None."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.projector import dialect_of, insert_ignoring_repeats
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_results.domain.periods import ReportingPolicy, parse_period, policy_from_dict
from cascade_results.domain.report import COUNTED
from cascade_results.models import (
    PersonView,
    ProgressReport,
    ReportIndicatorLine,
    ReportingPolicyRow,
    ReportTaskLine,
    TrackedIndicator,
    TrackedTask,
    UnitView,
)


async def read_one_snapshot(session: AsyncSession) -> None:
    """Make the session's next reads see the database at one moment, so a view built from
    several queries (a dashboard: counts, roll-ups, reports, scores) never mixes the states
    before and after a sign-off committing meanwhile. Call before the first query."""
    if dialect_of(session) == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # SQLite's driver opens no transaction for reads, so each SELECT would see its own
        # moment; a deferred BEGIN holds one (it is rolled back when the session closes).
        connection = await session.connection()
        await connection.exec_driver_sql("BEGIN")


async def insert_once(
    session: AsyncSession, table: Any, row: dict[str, Any], keys: Sequence[str]
) -> bool:
    """Insert ``row`` unless its ``keys`` exist; whether it was inserted (a claim)."""
    return bool(await insert_ignoring_repeats(session, table, [row], keys))


async def current_policy(session: AsyncSession) -> ReportingPolicy:
    row = (
        await session.exec(
            select(ReportingPolicyRow).order_by(col(ReportingPolicyRow.installed_at).desc())
        )
    ).first()
    if row is None:
        raise LookupError("no reporting policy is installed")
    return policy_from_dict(row.body)


async def unit_names(session: AsyncSession, codes: Sequence[str] | None = None) -> dict[str, str]:
    query = select(UnitView)
    if codes is not None:
        query = query.where(col(UnitView.code).in_(list(codes)))
    return {u.code: u.name for u in (await session.exec(query)).all()}


async def person_names(session: AsyncSession, usernames: Sequence[str | None]) -> dict[str, str]:
    """The full names the directory gives these people (those it has announced)."""
    wanted = [u for u in usernames if u]
    if not wanted:
        return {}
    rows = await session.exec(select(PersonView).where(col(PersonView.username).in_(wanted)))
    return {p.username: p.name for p in rows.all()}


async def unit_level(session: AsyncSession, code: str) -> str:
    unit = await session.get(UnitView, code)
    if unit is not None:
        return unit.level
    depth = code.count(".")
    return "central" if depth == 0 else "city" if depth == 1 else "ward"


async def tasks_of(session: AsyncSession, unit: str) -> list[TrackedTask]:
    query = (
        select(TrackedTask)
        .where(TrackedTask.unit == unit, col(TrackedTask.active).is_(True))
        .order_by(col(TrackedTask.code))
    )
    return list((await session.exec(query)).all())


async def indicators_of(session: AsyncSession, unit: str) -> list[TrackedIndicator]:
    query = (
        select(TrackedIndicator)
        .where(TrackedIndicator.unit == unit, col(TrackedIndicator.active).is_(True))
        .order_by(col(TrackedIndicator.code))
    )
    return list((await session.exec(query)).all())


async def reports_of(
    session: AsyncSession, unit: str, period: str | None = None
) -> list[ProgressReport]:
    """Every version of ``unit``'s reports (of ``period``), oldest first."""
    query = select(ProgressReport).where(ProgressReport.unit == unit)
    if period is not None:
        query = query.where(ProgressReport.period == period)
    rows = list((await session.exec(query)).all())
    return sorted(rows, key=lambda r: (parse_period(r.period).end, r.period, r.version))


async def current_report(
    session: AsyncSession, unit: str, period: str, *, for_update: bool = False
) -> ProgressReport | None:
    """The latest version of ``unit``'s report for ``period``."""
    query = (
        select(ProgressReport)
        .where(ProgressReport.unit == unit, ProgressReport.period == period)
        .order_by(col(ProgressReport.version).desc())
        .limit(1)
    )
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def task_lines(session: AsyncSession, report_ids: Sequence[str]) -> list[ReportTaskLine]:
    if not report_ids:
        return []
    query = select(ReportTaskLine).where(col(ReportTaskLine.report_id).in_(list(report_ids)))
    return list((await session.exec(query)).all())


async def indicator_lines(
    session: AsyncSession, report_ids: Sequence[str]
) -> list[ReportIndicatorLine]:
    if not report_ids:
        return []
    query = select(ReportIndicatorLine).where(
        col(ReportIndicatorLine.report_id).in_(list(report_ids))
    )
    return list((await session.exec(query)).all())


def _counted_latest(reports: list[ProgressReport]) -> list[ProgressReport]:
    """The reports whose figures count, one per period (its latest counted version), oldest
    period first."""
    latest: dict[str, ProgressReport] = {}
    for report in reports:
        if report.status in COUNTED:
            latest[report.period] = report  # reports come oldest version first
    return sorted(latest.values(), key=lambda r: (parse_period(r.period).end, r.period))


async def refresh_standing(session: AsyncSession, unit: str) -> None:
    """Recompute where each of ``unit``'s tasks and indicators stands from the reports that
    count (submitted or accepted), in the caller's transaction."""
    counted = _counted_latest(await reports_of(session, unit))
    ids = [r.id for r in counted]
    by_report = {r.id: r for r in counted}
    order = {r.id: i for i, r in enumerate(counted)}
    lines = sorted(await task_lines(session, ids), key=lambda line: order[line.report_id])
    latest: dict[str, ReportTaskLine] = {}
    first_done: dict[str, date] = {}
    reached: dict[str, dict[str, str]] = {}
    for line in lines:
        latest[line.task_id] = line
        sent = as_utc(by_report[line.report_id].submitted_at or utcnow()).date().isoformat()
        said = set(line.milestones_reached or [])
        # A milestone stays reached from the first report that counts and said so, as long as
        # the later ones still say so.
        kept = {p: d for p, d in reached.get(line.task_id, {}).items() if p in said}
        reached[line.task_id] = {p: kept.get(p, sent) for p in sorted(said)}
        if line.state == "done":
            report = by_report[line.report_id]
            submitted = as_utc(report.submitted_at or utcnow()).date()
            first_done.setdefault(line.task_id, line.completed_on or submitted)
        else:
            first_done.pop(line.task_id, None)  # reopened work: not complete any more
    for task in await tasks_of(session, unit):
        last = latest.get(task.id)
        task.percent = last.percent if last else None
        task.progress_state = last.state if last else None
        task.product_delivered = last.product_quantity if last else None
        task.reported_period = by_report[last.report_id].period if last else None
        task.completed_on = first_done.get(task.id)
        task.milestones_reached = reached.get(task.id, {})
        session.add(task)
    actuals: dict[str, tuple[float, str]] = {}
    for iline in sorted(
        await indicator_lines(session, ids), key=lambda line: order[line.report_id]
    ):
        if iline.actual is not None:
            actuals[iline.indicator_id] = (iline.actual, by_report[iline.report_id].period)
    for indicator in await indicators_of(session, unit):
        actual = actuals.get(indicator.id)
        indicator.actual = actual[0] if actual else None
        indicator.actual_period = actual[1] if actual else None
        session.add(indicator)
