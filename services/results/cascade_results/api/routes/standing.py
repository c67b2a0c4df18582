"""Where things stand: tracked tasks with their computed statuses and roll-ups, indicators
against their targets, the dashboards of a unit, and the evaluation by results."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from cascade_shared.events import EvaluationPublished
from cascade_shared.params import Id, Text, UnitCode
from cascade_shared.problems import conflict, forbidden, invalid, not_found
from cascade_shared.units import parent_unit
from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator
from sqlmodel import col, select

from cascade_results import reports
from cascade_results.api.deps import CurrentUser, Runtime, SessionDep
from cascade_results.api.routes.reports import scope_of
from cascade_results.domain.periods import FIRST_YEAR, LAST_YEAR
from cascade_results.domain.report import STATUS_VI
from cascade_results.domain.status import STATUSES
from cascade_results.models import (
    ProgressReport,
    PublishedEvaluation,
    TrackedIndicator,
    TrackedTask,
)
from cascade_results.schemas import IndicatorSettingsIn, PublishIn, WeightIn
from cascade_results.standing import (
    dashboard as unit_dashboard,
)
from cascade_results.standing import (
    evaluate_unit,
    indicator_rows,
    load_tree,
    subtree_tasks,
    task_rollup,
    task_row,
)
from cascade_results.store import read_one_snapshot, unit_level, unit_names

router = APIRouter(prefix="/api/results", tags=["results: standing"])


def _as_of(value: date | None) -> date | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise invalid("as_of", f"a date from {FIRST_YEAR} to {LAST_YEAR}")
    return value


AsOf = Annotated[
    date | None,
    Query(description="the date the statuses are computed for (default: today)"),
    AfterValidator(_as_of),
]


@router.get("/tasks")
async def list_tasks(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    unit: UnitCode | None = None,
    status: Annotated[Text | None, Query(max_length=20)] = None,
    subtree: bool = False,
    as_of: AsOf = None,
) -> list[dict[str, Any]]:
    """The tracked tasks of ``unit`` (or of its whole subtree), each with its computed status
    and its progress rolled up from the tasks that concretize it."""
    scope = scope_of(user, unit)
    if status is not None and status not in STATUSES:
        raise invalid("status", f"one of {', '.join(STATUSES)}")
    day = as_of or reports.today_for(runtime)
    if subtree:
        tasks = await subtree_tasks(session, scope)
    else:
        tasks = list(
            (
                await session.exec(
                    select(TrackedTask).where(
                        TrackedTask.unit == scope, col(TrackedTask.active).is_(True)
                    )
                )
            ).all()
        )
    tree = await load_tree(session, tasks)
    names = await unit_names(session)
    rows = [task_row(t, tree, day, names) for t in sorted(tasks, key=lambda t: (t.unit, t.code))]
    return [r for r in rows if status is None or r["status"] == status]


@router.get("/tasks/{task_id}")
async def get_task(
    task_id: Id, session: SessionDep, runtime: Runtime, user: CurrentUser, as_of: AsOf = None
) -> dict[str, Any]:
    """One task, with the tasks below that concretize it and how their progress rolls up."""
    task = await session.get(TrackedTask, task_id)
    if task is None:
        raise not_found("tracked task", task_id)
    user.require_sees(task.unit)
    return await task_rollup(session, task, as_of or reports.today_for(runtime))


@router.patch("/tasks/{task_id}/weight")
async def set_weight(
    task_id: Id, body: WeightIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """The unit above sets how much this task weighs in the roll-up of its parent task."""
    task = await session.get(TrackedTask, task_id)
    if task is None:
        raise not_found("tracked task", task_id)
    user.require_role("head", "approver")
    if user.unit != parent_unit(task.unit):
        raise forbidden("the unit above the task's unit sets its weight")
    task.weight = body.weight
    session.add(task)
    await session.commit()
    return {"id": task.id, "weight": task.weight}


@router.get("/indicators")
async def list_indicators(
    session: SessionDep,
    user: CurrentUser,
    unit: UnitCode | None = None,
) -> list[dict[str, Any]]:
    """The unit's indicators: actual against target, direction, and the roll-up from below."""
    scope = scope_of(user, unit)
    return await indicator_rows(session, scope)


@router.patch("/indicators/{indicator_id}")
async def set_indicator(
    indicator_id: Id, body: IndicatorSettingsIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """The owning unit's head sets how its indicator rolls up, or which indicator above it
    counts towards."""
    indicator = await session.get(TrackedIndicator, indicator_id)
    if indicator is None:
        raise not_found("indicator", indicator_id)
    user.require_role("head")
    if user.unit != indicator.unit:
        raise forbidden(f"the head of {indicator.unit} sets its indicators")
    if body.parent_indicator_id is not None:
        parent = await session.get(TrackedIndicator, body.parent_indicator_id)
        if parent is None or parent.unit != parent_unit(indicator.unit):
            raise invalid("parent_indicator_id", "an indicator of the unit directly above")
        indicator.parent_indicator_id = parent.id
    if body.rollup is not None:
        indicator.rollup = body.rollup
    if body.weight is not None:
        indicator.weight = body.weight
    session.add(indicator)
    await session.commit()
    return indicator.model_dump()


async def _dashboard(
    session: SessionDep, runtime: Runtime, unit: str, period_key: str | None, as_of: date | None
) -> dict[str, Any]:
    await read_one_snapshot(session)
    policy = await reports.policy_or_503(session)
    period = reports.period_or_422(period_key) if period_key else None
    return await unit_dashboard(session, policy, unit, period, as_of or reports.today_for(runtime))


@router.get("/dashboard")
async def dashboard(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    unit: UnitCode | None = None,
    period: Annotated[Text | None, Query(max_length=10)] = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """A unit's dashboard: its units below by status, report and score (ranked), the overdue
    tasks sorted by how late, and its indicators against their targets."""
    scope = scope_of(user, unit)
    return await _dashboard(session, runtime, scope, period, as_of)


@router.get("/dashboard.csv", response_class=Response)
async def dashboard_csv(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    unit: UnitCode | None = None,
    period: Annotated[Text | None, Query(max_length=10)] = None,
    as_of: AsOf = None,
) -> Response:
    """The dashboard's table of units as CSV (UTF-8 with BOM, so Excel reads the diacritics)."""
    scope = scope_of(user, unit)
    board = await _dashboard(session, runtime, scope, period, as_of)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Đơn vị",
            "Mã đơn vị",
            "Số nhiệm vụ",
            "Hoàn thành đúng hạn",
            "Hoàn thành quá hạn",
            "Trong hạn",
            "Quá hạn",
            "Tiến độ (%)",
            "Kỳ báo cáo",
            "Trạng thái báo cáo",
            "Điểm",
            "Xếp hạng",
        ]
    )
    for r in board["units"]:
        c = r["counts"]
        writer.writerow(
            [
                r["unit_name"],
                r["unit"],
                r["tasks"],
                c["completed_on_time"],
                c["completed_late"],
                c["in_progress"],
                c["overdue"],
                r["progress"] if r["progress"] is not None else "",
                r["period_label"] or "",
                STATUS_VI.get((r["report"] or {}).get("status", ""), "Chưa báo cáo"),
                r["score"] if r["score"] is not None else "",
                r.get("rank", ""),
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dashboard.csv"'},
    )


@router.get("/units/{unit}/evaluation")
async def explain_evaluation(
    unit: UnitCode,
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    period: Annotated[Text, Query(max_length=10)],
) -> dict[str, Any]:
    """The unit's score for the period and its explanation: every term with its weight and the
    task, indicator or report records it came from."""
    user.require_sees(unit)
    policy = await reports.policy_or_503(session)
    p = reports.period_or_422(period)
    result = await evaluate_unit(
        session, policy, unit, await unit_level(session, unit), p, reports.today_for(runtime)
    )
    names = await unit_names(session, [unit])
    return {
        "unit": unit,
        "unit_name": names.get(unit, unit),
        "period": p.key,
        "period_label": p.label_vi,
        "as_of": result.as_of,
        "policy_version": policy.version,
        **result.evaluation.as_dict(),
    }


@router.post("/units/{unit}/evaluation/publish", status_code=201)
async def publish_evaluation(
    unit: UnitCode, body: PublishIn, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    """The unit above publishes the unit's score for the period: kept, told on the bus (and so
    in the audit chain)."""
    user.require_role("head", "approver")
    if user.unit != parent_unit(unit):
        raise forbidden(f"the unit above {unit} publishes its evaluation")
    policy = await reports.policy_or_503(session)
    p = reports.period_or_422(body.period)
    today = reports.today_for(runtime)
    if today < p.start:
        raise conflict(f"{p.key} has not begun")
    result = await evaluate_unit(session, policy, unit, await unit_level(session, unit), p, today)
    row = PublishedEvaluation(
        unit=unit,
        period=p.key,
        formula_version=result.evaluation.formula_version,
        score=result.evaluation.score,
        terms=result.evaluation.as_dict()["terms"],
        published_by=user.username,
    )
    session.add(row)
    runtime.emit(
        session,
        EvaluationPublished(
            evaluation_id=row.id,
            unit=unit,
            period=p.key,
            score=row.score,
            formula_version=row.formula_version,
            published_by=user.username,
        ),
        actor=user.username,
        org_unit=unit,
        subject_id=row.id,
    )
    await session.commit()
    return row.model_dump()


@router.get("/evaluations")
async def list_evaluations(
    session: SessionDep,
    user: CurrentUser,
    unit: UnitCode | None = None,
) -> list[dict[str, Any]]:
    """Published evaluations of a unit and the units below it, newest first."""
    scope = scope_of(user, unit)
    rows = (
        await session.exec(
            select(PublishedEvaluation)
            .where(
                (col(PublishedEvaluation.unit) == scope)
                | col(PublishedEvaluation.unit).like(scope + ".%")
            )
            .order_by(col(PublishedEvaluation.published_at).desc())
        )
    ).all()
    return [r.model_dump() for r in rows]


@router.get("/units/{unit}/progress")
async def progress_over_time(
    unit: UnitCode, session: SessionDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """The unit's average reported progress per period, from the reports that count: the
    series behind the progress chart."""
    user.require_sees(unit)
    rows = (
        await session.exec(
            select(ProgressReport).where(
                (col(ProgressReport.unit) == unit) | col(ProgressReport.unit).like(unit + ".%"),
                col(ProgressReport.status).in_(["submitted", "accepted"]),
            )
        )
    ).all()
    from cascade_results.store import task_lines

    by_period: dict[str, list[float]] = {}
    latest: dict[tuple[str, str], ProgressReport] = {}
    for r in rows:
        key = (r.unit, r.period)
        if key not in latest or latest[key].version < r.version:
            latest[key] = r
    for r in latest.values():
        for line in await task_lines(session, [r.id]):
            by_period.setdefault(r.period, []).append(line.percent)
    return [
        {"period": k, "mean_percent": round(sum(v) / len(v), 1), "lines": len(v)}
        for k, v in sorted(by_period.items())
    ]
