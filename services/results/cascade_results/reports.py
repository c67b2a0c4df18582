"""The use cases of a progress report: open (pre-filled), fill in, sign off, accept or return,
reopen. The only place a report's state changes; routes and the portal call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from cascade_shared.auth import Principal
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.events import (
    ReportAccepted,
    ReportRef,
    ReportReopened,
    ReportReturned,
    ReportSubmitted,
)
from cascade_shared.problems import Problem, conflict, forbidden, invalid, not_found
from cascade_shared.units import parent_unit
from sqlmodel.ext.asyncio.session import AsyncSession

from cascade_results.domain.periods import Period, ReportingPolicy, parse_period
from cascade_results.domain.report import (
    TaskLine,
    check_actual,
    check_task_line,
    is_late,
    may_edit,
    next_status,
)
from cascade_results.domain.status import STATUS_LABELS_VI, task_status
from cascade_results.models import (
    ProgressReport,
    ReportIndicatorLine,
    ReportTaskLine,
    TrackedTask,
)
from cascade_results.settings import ResultsSettings
from cascade_results.store import (
    current_policy,
    current_report,
    indicator_lines,
    indicators_of,
    person_names,
    refresh_standing,
    reports_of,
    task_lines,
    tasks_of,
    unit_level,
    unit_names,
)

LINE_FIELDS = (
    "state",
    "percent",
    "product_quantity",
    "product_document",
    "narrative",
    "blocked_reason",
    "completed_on",
    "milestones_reached",
    "evidence",
)


def _line_errors(task: TrackedTask, values: dict[str, Any]) -> list[dict[str, str]]:
    """The report rules of one task's line (``values`` holds every LINE_FIELDS name)."""
    line = TaskLine(
        task_code=task.code,
        **{k: values[k] for k in LINE_FIELDS if k not in ("evidence", "milestones_reached")},
        milestones_reached=tuple(values.get("milestones_reached") or ()),
    )
    milestones = tuple(str(m.get("period", "")) for m in task.milestones or [])
    return check_task_line(line, product_unit=task.product_unit, milestones=milestones)


def settings_of(runtime: ServiceRuntime) -> ResultsSettings:
    """The service's settings, read once per runtime."""
    return runtime.own(ResultsSettings)


def today_for(runtime: ServiceRuntime) -> date:
    """Today's date for the rules (a demo or test may pin it with CASCADE_RESULTS_TODAY)."""
    return settings_of(runtime).today or utcnow().date()


def period_or_422(key: str, field: str = "period") -> Period:
    try:
        return parse_period(key)
    except ValueError as exc:
        raise invalid(field, str(exc)) from exc


async def policy_or_503(session: AsyncSession) -> ReportingPolicy:
    try:
        return await current_policy(session)
    except LookupError as exc:
        raise Problem(503, "Not ready", "no reporting policy is installed yet") from exc


def require_reporter(principal: Principal, unit: str) -> None:
    """Only the unit's own drafters and heads write its report."""
    principal.require_role("drafter", "head")
    if principal.unit != unit:
        raise forbidden(f"only unit {unit} writes its own report; you belong to {principal.unit}")


def require_level_above(principal: Principal, unit: str) -> None:
    """Accepting, returning and reopening belong to the approvers and heads of the unit above."""
    principal.require_role("approver", "head")
    above = parent_unit(unit)
    if above is None or principal.unit != above:
        raise forbidden(f"the report of {unit} is decided by the unit above it ({above})")


@dataclass
class OpenedReport:
    report: ProgressReport
    created: bool


async def open_report(
    runtime: ServiceRuntime,
    session: AsyncSession,
    principal: Principal,
    unit: str,
    period_key: str,
    *,
    today: date,
    idempotency_key: str | None = None,
) -> OpenedReport:
    """The unit's report for the period: the current version if there is one, else a new draft
    pre-filled from the unit's previous report."""
    require_reporter(principal, unit)
    period = period_or_422(period_key)
    policy = await policy_or_503(session)
    level = await unit_level(session, unit)
    if not policy.reports_on(level, period):
        kinds = ", ".join(policy.kinds_for(level)) or "nothing"
        raise invalid("period", f"a {level} reports on: {kinds} (policy {policy.version})")
    existing = await current_report(session, unit, period.key)
    if existing is not None:
        return OpenedReport(existing, False)
    state = policy.state(period, today)
    if state == "not_open":
        raise invalid("period", f"{period.key} opens on {period.start.isoformat()}")
    if state == "locked":
        raise conflict(
            f"{period.key} locked on {policy.locks_on(period).isoformat()}: "
            "the unit above may reopen it with a reason"
        )
    tasks = await tasks_of(session, unit)
    if not tasks and not await indicators_of(session, unit):
        raise conflict(f"unit {unit} has no plan in force to report on")
    report = ProgressReport(
        unit=unit,
        unit_level=level,
        period=period.key,
        due_on=policy.due_on(period),
        policy_version=policy.version,
        created_by=principal.username,
        idempotency_key=idempotency_key,
    )
    session.add(report)
    await _prefill(session, report, period, tasks)
    return OpenedReport(report, True)


async def _prefill(
    session: AsyncSession, report: ProgressReport, period: Period, tasks: list[TrackedTask]
) -> None:
    """One line per task and indicator, carried over from the unit's latest earlier report."""
    earlier = [
        r
        for r in await reports_of(session, report.unit)
        if parse_period(r.period).end < period.end and r.id != report.id
    ]
    source = earlier[-1] if earlier else None
    previous = (
        {line.task_id: line for line in await task_lines(session, [source.id])} if source else {}
    )
    for task in tasks:
        before = previous.get(task.id)
        line = ReportTaskLine(report_id=report.id, task_id=task.id)
        if before is not None:
            for name in LINE_FIELDS:
                setattr(line, name, getattr(before, name))
        session.add(line)
    previous_actuals = (
        {line.indicator_id: line for line in await indicator_lines(session, [source.id])}
        if source
        else {}
    )
    for indicator in await indicators_of(session, report.unit):
        before_actual = previous_actuals.get(indicator.id)
        session.add(
            ReportIndicatorLine(
                report_id=report.id,
                indicator_id=indicator.id,
                actual=before_actual.actual if before_actual else None,
            )
        )


async def get_report(
    session: AsyncSession, report_id: str, *, for_update: bool = False
) -> ProgressReport:
    report = await session.get(ProgressReport, report_id, with_for_update=for_update or None)
    if report is None:
        raise not_found("report", report_id)
    return report


async def _editable(
    session: AsyncSession, report: ProgressReport, *, today: date
) -> ReportingPolicy:
    policy = await policy_or_503(session)
    if not may_edit(report.status):
        raise conflict(f"the report is {report.status}: it can no longer be changed")
    period = parse_period(report.period)
    if report.reopen_reason is None and policy.state(period, today) == "locked":
        raise conflict(f"{report.period} is locked: the unit above may reopen it with a reason")
    return policy


def _cleared(item: dict[str, Any]) -> dict[str, Any]:
    """The fields a line clears (sent as null): an empty narrative, no evidence, no
    milestones reached."""
    empty: dict[str, Any] = {"narrative": "", "evidence": [], "milestones_reached": []}
    return {k: v for k, v in empty.items() if k in item and item[k] is None}


async def save_lines(
    session: AsyncSession,
    principal: Principal,
    report: ProgressReport,
    tasks_in: list[dict[str, Any]],
    indicators_in: list[dict[str, Any]],
    *,
    today: date,
) -> None:
    """Change the lines named in ``tasks_in`` / ``indicators_in`` (by task or indicator id or
    code). Every error is collected; when there is one, nothing is changed."""
    require_reporter(principal, report.unit)
    await _editable(session, report, today=today)
    tasks = {t.id: t for t in await tasks_of(session, report.unit)}
    by_code = {t.code: t for t in tasks.values()}
    indicators = {i.id: i for i in await indicators_of(session, report.unit)}
    ind_by_code = {i.code: i for i in indicators.values()}
    lines = {line.task_id: line for line in await task_lines(session, [report.id])}
    ind_lines = {line.indicator_id: line for line in await indicator_lines(session, [report.id])}
    errors: list[dict[str, str]] = []
    changes: list[tuple[ReportTaskLine, dict[str, Any]]] = []
    for i, item in enumerate(tasks_in):
        ref = str(item.get("task_id") or item.get("task_code") or "")
        task = tasks.get(ref) or by_code.get(ref)
        if task is None:
            errors.append(
                {"field": f"tasks.{i}.task_id", "reason": f"no task {ref!r} in this report"}
            )
            continue
        emptied = [k for k in ("state", "percent") if k in item and item[k] is None]
        errors += [
            {"field": f"tasks.{task.code}.{name}", "reason": "give a value or leave it out"}
            for name in emptied
        ]
        if emptied:
            continue
        item = {**item, **_cleared(item)}
        line = lines.get(task.id) or ReportTaskLine(report_id=report.id, task_id=task.id)
        merged = {name: getattr(line, name) for name in LINE_FIELDS}
        merged.update({k: v for k, v in item.items() if k in LINE_FIELDS})
        if merged["state"] != "done" and "completed_on" not in item:
            merged["completed_on"] = None  # work taken up again is no longer complete
        errors.extend(_line_errors(task, merged))
        changes.append((line, merged))
    ind_changes: list[tuple[ReportIndicatorLine, dict[str, Any]]] = []
    for i, item in enumerate(indicators_in):
        ref = str(item.get("indicator_id") or item.get("indicator_code") or "")
        indicator = indicators.get(ref) or ind_by_code.get(ref)
        if indicator is None:
            errors.append(
                {"field": f"indicators.{i}.indicator_id", "reason": f"no indicator {ref!r} here"}
            )
            continue
        errors.extend(check_actual(indicator.code, item.get("actual")))
        iline = ind_lines.get(indicator.id) or ReportIndicatorLine(
            report_id=report.id, indicator_id=indicator.id
        )
        ind_changes.append((iline, item))
    if errors:
        raise Problem(
            422,
            "The report has errors",
            f"{len(errors)} error(s); nothing was saved",
            type_="validation",
            errors=errors,
        )
    for line, merged in changes:
        for field_name, value in merged.items():
            setattr(line, field_name, value)
        session.add(line)
    for iline, item in ind_changes:
        if "actual" in item:
            iline.actual = item["actual"]
        if "note" in item:
            iline.note = item["note"] or ""
        session.add(iline)
    report.updated_at = utcnow()
    session.add(report)


REPORT_EVENTS: dict[str, type[ReportRef]] = {
    "submitted": ReportSubmitted,
    "accepted": ReportAccepted,
    "returned": ReportReturned,
    "reopened": ReportReopened,
}
"""What happened to a report -> the payload class of its event."""


def report_event(report: ProgressReport, what: str) -> ReportRef:
    """The event of a report that was ``what`` (submitted, accepted, returned, reopened)."""
    return REPORT_EVENTS[what](
        report_id=report.id,
        unit=report.unit,
        unit_level=report.unit_level,
        period=report.period,
        version=report.version,
        due_on=report.due_on,
        late=report.late,
        submitted_by=report.submitted_by,
        decided_by=report.decided_by,
        comment=report.comment,
        comments=report.comments or [],
        reason=report.reopen_reason,
    )


async def sign_off(
    runtime: ServiceRuntime,
    session: AsyncSession,
    principal: Principal,
    report: ProgressReport,
    *,
    today: date,
) -> None:
    """The head signs the report off and it goes to the level above; late is recorded."""
    principal.require_role("head")
    if principal.unit != report.unit:
        raise forbidden(f"only the head of {report.unit} signs its report off")
    await _editable(session, report, today=today)
    lines = await task_lines(session, [report.id])
    tasks = {t.id: t for t in await tasks_of(session, report.unit)}
    errors: list[dict[str, str]] = []
    for line in lines:
        task = tasks.get(line.task_id)
        if task is None:
            continue  # a task a revision removed: its line stays, it is not checked
        errors.extend(_line_errors(task, {k: getattr(line, k) for k in LINE_FIELDS}))
    if errors:
        raise Problem(
            422,
            "The report has errors",
            f"{len(errors)} error(s) to fix before it is signed off",
            type_="validation",
            errors=errors,
        )
    report.status = next_status(report.status, "sign_off")
    now = utcnow()
    report.submitted_by = principal.username
    report.submitted_at = now
    report.late = is_late(today, report.due_on)
    report.updated_at = now
    session.add(report)
    await session.flush()
    await refresh_standing(session, report.unit)
    runtime.emit(
        session,
        report_event(report, "submitted"),
        actor=principal.username,
        org_unit=report.unit,
        subject_id=report.id,
    )


async def decide(
    runtime: ServiceRuntime,
    session: AsyncSession,
    principal: Principal,
    report: ProgressReport,
    decision: Literal["accept", "return"],
    comment: str | None,
    comments: list[dict[str, Any]],
) -> None:
    """The level above accepts the report, or returns it with comments on its lines."""
    require_level_above(principal, report.unit)
    try:
        report.status = next_status(report.status, decision)
    except ValueError as exc:
        raise conflict(str(exc)) from exc
    if decision == "return" and not (comment or "").strip() and not comments:
        raise invalid("comment", "say what to fix when returning a report")
    report.decided_by = principal.username
    report.decided_at = utcnow()
    report.comment = comment
    report.comments = comments
    report.updated_at = report.decided_at
    session.add(report)
    await session.flush()
    await refresh_standing(session, report.unit)
    kind = "accepted" if decision == "accept" else "returned"
    runtime.emit(
        session,
        report_event(report, kind),
        actor=principal.username,
        org_unit=report.unit,
        subject_id=report.id,
    )


async def reopen(
    runtime: ServiceRuntime,
    session: AsyncSession,
    principal: Principal,
    unit: str,
    period_key: str,
    reason: str,
    *,
    today: date,
) -> ProgressReport:
    """The level above reopens a unit's period: a new version of its report, in draft, a copy
    of the last one, with the reason on record. The versions before it stay unchanged."""
    require_level_above(principal, unit)
    if not reason.strip():
        raise invalid("reason", "say why the period is reopened")
    period = period_or_422(period_key)
    policy = await policy_or_503(session)
    last = await current_report(session, unit, period.key, for_update=True)
    if last is not None and may_edit(last.status):
        raise conflict(f"the report of {unit} for {period.key} is already open for changes")
    report = ProgressReport(
        unit=unit,
        unit_level=await unit_level(session, unit),
        period=period.key,
        version=(last.version + 1) if last else 1,
        due_on=last.due_on if last else policy.due_on(period),
        policy_version=policy.version,
        created_by=principal.username,
        reopened_by=principal.username,
        reopen_reason=reason.strip(),
    )
    session.add(report)
    await session.flush()
    if last is not None:
        for line in await task_lines(session, [last.id]):
            session.add(
                ReportTaskLine(
                    report_id=report.id,
                    task_id=line.task_id,
                    **{k: getattr(line, k) for k in LINE_FIELDS},
                )
            )
        for iline in await indicator_lines(session, [last.id]):
            session.add(
                ReportIndicatorLine(
                    report_id=report.id,
                    indicator_id=iline.indicator_id,
                    actual=iline.actual,
                    note=iline.note,
                )
            )
    else:
        await _prefill(session, report, period, await tasks_of(session, unit))
    runtime.emit(
        session,
        report_event(report, "reopened"),
        actor=principal.username,
        org_unit=unit,
        subject_id=report.id,
    )
    return report


async def report_view(
    session: AsyncSession, report: ProgressReport, *, today: date
) -> dict[str, Any]:
    """The report as the API and the portal show it: each line beside its task."""
    policy = await policy_or_503(session)
    period = parse_period(report.period)
    tasks = {t.id: t for t in await tasks_of(session, report.unit)}
    indicators = {i.id: i for i in await indicators_of(session, report.unit)}
    names = await unit_names(session, [report.unit])
    lines = []
    for line in sorted(
        await task_lines(session, [report.id]),
        key=lambda x: tasks[x.task_id].code if x.task_id in tasks else "~",
    ):
        task = tasks.get(line.task_id)
        if task is None:
            continue
        status = task_status(task.deadline, task.completed_on, today)
        lines.append(
            {
                "task_id": task.id,
                "task_code": task.code,
                "job": task.job,
                "deadline": task.deadline,
                "lead_unit": task.lead_unit,
                "product_target": task.product_quantity,
                "product_unit": task.product_unit,
                "product_description": task.product_description,
                "milestones": task.milestones or [],
                "status": status,
                "status_vi": STATUS_LABELS_VI[status],
                **{k: getattr(line, k) for k in LINE_FIELDS},
            }
        )
    ind_lines = []
    for iline in await indicator_lines(session, [report.id]):
        indicator = indicators.get(iline.indicator_id)
        if indicator is None:
            continue
        ind_lines.append(
            {
                "indicator_id": indicator.id,
                "indicator_code": indicator.code,
                "name": indicator.name,
                "measure": indicator.measure,
                "baseline": indicator.baseline,
                "target": indicator.target,
                "year": indicator.year,
                "comparator": indicator.comparator,
                "actual": iline.actual,
                "note": iline.note,
            }
        )
    ind_lines.sort(key=lambda x: str(x["indicator_code"]))
    people = await person_names(session, [report.submitted_by, report.decided_by])
    return {
        **report.model_dump(exclude={"idempotency_key"}),
        "unit_name": names.get(report.unit, report.unit),
        "submitted_by_name": people.get(report.submitted_by or ""),
        "decided_by_name": people.get(report.decided_by or ""),
        "period_label": period.label_vi,
        "period_state": policy.state(period, today),
        "locks_on": policy.locks_on(period),
        "editable": may_edit(report.status),
        "submitted_at": as_utc(report.submitted_at) if report.submitted_at else None,
        "tasks": lines,
        "indicators": ind_lines,
    }
