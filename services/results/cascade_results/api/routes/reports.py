"""Progress reports: open, fill in, sign off, accept or return, reopen; evidence files."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from cascade_shared.auth import Principal
from cascade_shared.params import NUL, NUL_REASON, Id, Text, UnitCode, xml_safe
from cascade_shared.problems import Problem, forbidden, invalid, not_found
from fastapi import APIRouter, File, Header, Path, Query, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cascade_results import io as report_io
from cascade_results import reports
from cascade_results.api.deps import CurrentUser, Runtime, SessionDep
from cascade_results.domain.periods import parse_period, periods_between
from cascade_results.models import EvidenceFile, ProgressReport, TrackedPlan
from cascade_results.schemas import (
    IndicatorLineIn,
    LinesIn,
    ReopenIn,
    ReportDecisionIn,
    ReportOpen,
    Strict,
    TaskLineIn,
)
from cascade_results.standing import report_summary
from cascade_results.store import current_report, unit_level, unit_names

router = APIRouter(prefix="/api/results", tags=["results: reports"])


def scope_of(principal: Principal, unit: str | None) -> str:
    """The unit asked about (default: the user's own), which the user must see."""
    scope = unit or principal.unit
    principal.require_sees(scope)
    return scope


@router.get("/periods")
async def periods(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    unit: UnitCode,
) -> list[dict[str, Any]]:
    """The periods ``unit`` reports on, from the approval of its plan to today, each with its
    due date, whether it is open or locked, and the unit's report for it."""
    scope_of(user, unit)
    policy = await reports.policy_or_503(session)
    today = reports.today_for(runtime)
    level = await unit_level(session, unit)
    plans = (await session.exec(select(TrackedPlan).where(TrackedPlan.unit == unit))).all()
    if not plans:
        return []
    since = min(p.approved_at.date() for p in plans)
    out = []
    for kind in policy.kinds_for(level):
        for period in periods_between(kind, min(since, today), today):
            report = await current_report(session, unit, period.key)
            out.append(
                {
                    "period": period.key,
                    "kind": period.kind,
                    "label_vi": period.label_vi,
                    "start": period.start,
                    "end": period.end,
                    "due_on": policy.due_on(period),
                    "locks_on": policy.locks_on(period),
                    "state": policy.state(period, today),
                    "report": report_summary(report),
                }
            )
    return sorted(out, key=lambda p: (p["end"], p["kind"]), reverse=True)


@router.post("/reports", status_code=201)
async def open_report(
    body: ReportOpen,
    response: Response,
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """Open the unit's report for the period: a new draft pre-filled from its previous report
    (201), or the report that already exists (200). The same Idempotency-Key gives the same
    report."""
    if idempotency_key:
        same = (
            await session.exec(
                select(ProgressReport).where(ProgressReport.idempotency_key == idempotency_key)
            )
        ).first()
        if same is not None:
            if same.unit != body.unit or same.period != body.period:
                raise invalid("Idempotency-Key", "already used for another report")
            response.status_code = 200
            return await reports.report_view(session, same, today=reports.today_for(runtime))
    today = reports.today_for(runtime)
    try:
        opened = await reports.open_report(
            runtime,
            session,
            user,
            body.unit,
            body.period,
            today=today,
            idempotency_key=idempotency_key,
        )
        await session.commit()
    except IntegrityError:
        # Opened at the same moment by a colleague (or the same request repeated): theirs it is.
        await session.rollback()
        existing = await current_report(session, body.unit, body.period)
        if existing is None:
            raise
        opened = reports.OpenedReport(existing, False)
    if not opened.created:
        response.status_code = 200
    return await reports.report_view(session, opened.report, today=today)


@router.get("/reports")
async def list_reports(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    unit: UnitCode | None = None,
    period: Annotated[Text | None, Query(max_length=10)] = None,
    status: Annotated[Text | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]]:
    """Reports of your unit and the units below it (the latest version of each)."""
    scope = scope_of(user, unit)
    query = select(ProgressReport).where(
        (col(ProgressReport.unit) == scope) | col(ProgressReport.unit).like(scope + ".%")
    )
    if period:
        query = query.where(ProgressReport.period == period)
    rows = (await session.exec(query)).all()
    latest: dict[tuple[str, str], ProgressReport] = {}
    for r in rows:
        key = (r.unit, r.period)
        if key not in latest or latest[key].version < r.version:
            latest[key] = r
    names = await unit_names(session)
    out = [
        {
            **r.model_dump(exclude={"idempotency_key", "comments"}),
            "unit_name": names.get(r.unit, r.unit),
            "period_label": parse_period(r.period).label_vi,
        }
        for r in latest.values()
        if status is None or r.status == status
    ]
    return sorted(out, key=lambda r: (r["period"], r["unit"]), reverse=True)


async def _visible(session: SessionDep, user: Principal, report_id: str) -> ProgressReport:
    report = await reports.get_report(session, report_id)
    scope_of(user, report.unit)
    return report


@router.get("/reports/{report_id}")
async def get_report(
    report_id: Id, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    report = await _visible(session, user, report_id)
    return await reports.report_view(session, report, today=reports.today_for(runtime))


@router.get("/reports/{report_id}/versions")
async def report_versions(
    report_id: Id, session: SessionDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Every version of this unit's report for the period, oldest first: corrections never
    overwrite."""
    report = await _visible(session, user, report_id)
    rows = (
        await session.exec(
            select(ProgressReport)
            .where(ProgressReport.unit == report.unit, ProgressReport.period == report.period)
            .order_by(col(ProgressReport.version))
        )
    ).all()
    return [r.model_dump(exclude={"idempotency_key"}) for r in rows]


@router.put("/reports/{report_id}/lines")
async def save_lines(
    report_id: Id, body: LinesIn, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    """Fill in lines of a draft (or returned) report; all of them are saved, or none."""
    today = reports.today_for(runtime)
    report = await reports.get_report(session, report_id, for_update=True)
    await reports.save_lines(
        session,
        user,
        report,
        [t.model_dump(exclude_unset=True) for t in body.tasks],
        [i.model_dump(exclude_unset=True) for i in body.indicators],
        today=today,
    )
    await session.commit()
    return await reports.report_view(session, report, today=today)


@router.post("/reports/{report_id}/sign-off")
async def sign_off(
    report_id: Id, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    """The head of the unit signs the report off and sends it to the level above."""
    today = reports.today_for(runtime)
    report = await reports.get_report(session, report_id, for_update=True)
    await reports.sign_off(runtime, session, user, report, today=today)
    await session.commit()
    return await reports.report_view(session, report, today=today)


@router.post("/reports/{report_id}/decision")
async def decide(
    report_id: Id, body: ReportDecisionIn, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> dict[str, Any]:
    """The level above accepts the report, or returns it with comments on its lines."""
    report = await reports.get_report(session, report_id, for_update=True)
    await reports.decide(
        runtime,
        session,
        user,
        report,
        body.decision,
        body.comment,
        [c.model_dump(exclude_none=True) for c in body.comments],
    )
    await session.commit()
    return await reports.report_view(session, report, today=reports.today_for(runtime))


@router.post("/units/{unit}/periods/{period}/reopen", status_code=201)
async def reopen(
    unit: UnitCode,
    period: Annotated[Text, Path(max_length=10)],
    body: ReopenIn,
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
) -> dict[str, Any]:
    """The level above reopens a unit's period: a new version of its report, in draft."""
    today = reports.today_for(runtime)
    report = await reports.reopen(runtime, session, user, unit, period, body.reason, today=today)
    await session.commit()
    return await reports.report_view(session, report, today=today)


@router.post("/evidence", status_code=201)
async def upload_evidence(
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="a PDF, image, Word or Excel file")],
) -> dict[str, Any]:
    """Keep a piece of evidence with its content hash; link it from a task line by its id."""
    user.require_role("drafter", "head")
    settings = reports.settings_of(runtime)
    content_type = (file.content_type or "").split(";")[0].strip()
    if content_type not in settings.evidence_types:
        raise invalid("file", f"type {content_type or 'unknown'} is not accepted as evidence")
    data = await file.read(settings.max_evidence_bytes + 1)
    if len(data) > settings.max_evidence_bytes:
        raise Problem(
            413,
            "File too large",
            f"evidence files are at most {settings.max_evidence_bytes} bytes",
            type_="too-large",
            errors=[{"field": "file", "reason": "too large"}],
        )
    if not data:
        raise invalid("file", "the file is empty")
    if NUL in (file.filename or ""):
        raise invalid("file", f"the file name {NUL_REASON}")
    row = EvidenceFile(
        unit=user.unit,
        name=(file.filename or "evidence")[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=user.username,
    )
    session.add(row)
    await session.commit()
    return row.model_dump(exclude={"data"})


@router.get("/evidence/{file_id}")
async def download_evidence(file_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    row = await session.get(EvidenceFile, file_id)
    if row is None:
        raise not_found("evidence file", file_id)
    if not user.sees(row.unit):
        raise forbidden(f"the file belongs to {row.unit}")
    return Response(
        row.data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{row.id}"',
            "X-Content-SHA256": row.sha256,
        },
    )


@router.get("/reports/{report_id}/xlsx", response_class=Response)
async def export_xlsx(
    report_id: Id, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> Response:
    """The report as XLSX in the official layout; fill it in and import it back."""
    report = await _visible(session, user, report_id)
    view = await reports.report_view(session, report, today=reports.today_for(runtime))
    return Response(
        report_io.report_xlsx(xml_safe(view)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="bao-cao-{report.period}.xlsx"'},
    )


@router.get("/reports/{report_id}/print", response_class=HTMLResponse)
async def printable(
    report_id: Id, session: SessionDep, runtime: Runtime, user: CurrentUser
) -> HTMLResponse:
    """The report as a printable page in the official form."""
    report = await _visible(session, user, report_id)
    view = await reports.report_view(session, report, today=reports.today_for(runtime))
    return HTMLResponse(report_io.report_html(view))


@router.post("/reports/{report_id}/import")
async def import_xlsx(
    report_id: Id,
    session: SessionDep,
    runtime: Runtime,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="the report's XLSX, filled in")],
) -> dict[str, Any]:
    """Fill the report's lines from its XLSX: every row is read and checked, and either all of
    them are saved or none (the errors name the sheet, row and column)."""
    report = await reports.get_report(session, report_id, for_update=True)
    reports.require_reporter(user, report.unit)
    data = await file.read(reports.settings_of(runtime).max_evidence_bytes + 1)
    try:
        tasks, indicators = report_io.parse_report_xlsx(data)
    except report_io.ReportFileError as exc:
        raise Problem(
            422,
            "The file has errors",
            f"{len(exc.errors)} error(s); nothing was imported",
            type_="validation",
            errors=exc.errors,
        ) from exc
    errors = _unstorable_lines("Nhiệm vụ", "task_code", TaskLineIn, tasks)
    errors += _unstorable_lines("Chỉ tiêu", "indicator_code", IndicatorLineIn, indicators)
    if errors:
        raise Problem(
            422,
            "The file has errors",
            f"{len(errors)} error(s); nothing was imported",
            type_="validation",
            errors=errors,
        )
    today = reports.today_for(runtime)
    await reports.save_lines(session, user, report, tasks, indicators, today=today)
    await session.commit()
    return await reports.report_view(session, report, today=today)


def _unstorable_lines(
    sheet: str, key: str, model: type[Strict], lines: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """The cells of a filled-in file that a line sent as JSON could not hold either (text longer
    than its column or with a NUL character, a number out of range), by line and column."""
    errors = []
    for line in lines:
        try:
            model.model_validate(line)
        except ValidationError as exc:
            errors += [
                {
                    "field": ".".join([sheet, str(line.get(key)), *map(str, e["loc"])]),
                    "reason": e["msg"],
                }
                for e in exc.errors()
            ]
    return errors
