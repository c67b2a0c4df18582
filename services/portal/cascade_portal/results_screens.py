"""The results screens, under ``/portal/results``: a unit's progress reports (fill in, sign off),
the level above's review (accept, return, reopen), the dashboard of the units below and the
explained score. Plain forms posting to portal routes, which call ``/api/results`` in the
signed-in user's name, then redirect (post-redirect-get) or show the API's errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from cascade_portal.api import ApiError, body_of, checked
from cascade_portal.chart import progress_svg, standalone
from cascade_portal.i18n import reason_in, translate
from cascade_portal.official import Unreadable, day, period_label, read_day, short_period
from cascade_portal.problems import Message, ProblemView, problem_view
from cascade_portal.screen_common import flash_of, form_number, parent_unit
from cascade_portal.web import PREFIX, Page, PageDep, PortalRoute, User, number, redirect

router = APIRouter(prefix=PREFIX + "/results", route_class=PortalRoute, include_in_schema=False)

API = "/api/results"
HERE = PREFIX + "/results"
STATES = ("not_started", "in_progress", "done", "blocked")
TASK_STATUSES = ("completed_on_time", "completed_late", "in_progress", "overdue")
REPORT_STATUSES = ("draft", "submitted", "accepted", "returned")
PERIOD_STATES = ("open", "locked", "not_open")
TERMS = ("tasks_on_time", "no_overdue", "indicators", "reports_on_time")
NOTICES = {"saved", "signed", "decided", "reopened", "published", "imported", "evidence"}
EVIDENCE_KEYS = ("kind", "url", "file_id", "name")
LINE_FIELDS = (
    "state",
    "percent",
    "product_quantity",
    "product_document",
    "narrative",
    "blocked_reason",
    "completed_on",
)


def notice_of(request: Request) -> str | None:
    return flash_of(request, NOTICES)


def reporter_of(user: User, unit: str) -> bool:
    """The unit's own drafters and heads write its report."""
    return user.unit == unit and user.has("drafter", "head")


def above(user: User, unit: str) -> bool:
    """The approvers and heads of the unit directly above decide and reopen its reports."""
    return user.has("approver", "head") and parent_unit(unit) == user.unit


# -- periods ---------------------------------------------------------------------------------------
# Periods read as officials name them (official.period_label: "Tháng 3/2026", "Quý I/2026",
# "Năm 2026"; after a word, "Báo cáo tháng 3/2026"), on a chart's axis as 3/2026 (short_period).


def period_of(kind: str, when: date) -> str:
    if kind == "month":
        return f"{when.year:04d}-{when.month:02d}"
    if kind == "quarter":
        return f"{when.year:04d}-Q{(when.month - 1) // 3 + 1}"
    return f"{when.year:04d}"


def recent_periods(kinds: list[str], today: date, count: int = 12) -> list[str]:
    """The periods of ``kinds`` that have begun, newest first: ``count`` of each kind (years:
    three)."""
    out: list[str] = []
    for kind in kinds:
        when = today
        for _ in range(3 if kind == "year" else count):
            key = period_of(kind, when)
            out.append(key)
            if kind == "month":
                when = when.replace(day=1) - timedelta(days=1)
            elif kind == "quarter":
                first = date(when.year, 3 * ((when.month - 1) // 3) + 1, 1)
                when = first - timedelta(days=1)
            else:
                when = date(when.year - 1, 12, 31)
    return out


async def cadence(page: Page, level: str | None) -> list[str]:
    """The kinds of period a level reports on, from the reporting policy in force (data)."""
    if not level:
        return []
    policy = (await page.api.get(f"{API}/policy")).get("current") or {}
    return [str(k) for k in (policy.get("cadence") or {}).get(level, [])]


async def units_below(page: Page, unit: str) -> list[dict[str, Any]]:
    """The directory's units directly below ``unit`` (names and levels), by name."""
    rows = await page.api.get("/api/directory/units", under=unit)
    return sorted((u for u in rows if u.get("parent") == unit), key=lambda u: str(u["name"]))


async def unit_info(page: Page, unit: str) -> dict[str, Any]:
    """The directory's entry of ``unit``: its name and level."""
    try:
        return dict(await page.api.get(f"/api/directory/units/{unit}"))
    except ApiError as exc:
        if exc.status != 404:
            raise
        return {"code": unit, "name": unit, "level": None}


# -- form <-> API ----------------------------------------------------------------------------------
def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip()


def safe_url(value: Any) -> str | None:
    """Only web links are links (never ``javascript:``)."""
    text = str(value or "").strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else None


def form_values(report: dict[str, Any], lang: str = "vi") -> dict[str, dict[str, str]]:
    """The report's lines as the form shows them: every value a string, figures written the
    way ``lang`` writes them."""
    values: dict[str, dict[str, str]] = {}
    for line in report.get("tasks", []):
        values[line["task_id"]] = {
            "state": str(line.get("state") or "not_started"),
            "percent": number(line.get("percent"), lang),
            "product_quantity": number(line.get("product_quantity"), lang),
            "product_document": str(line.get("product_document") or ""),
            "narrative": str(line.get("narrative") or ""),
            "blocked_reason": str(line.get("blocked_reason") or ""),
            "completed_on": day(line.get("completed_on")),
            "evidence_url": "",
            "evidence_name": "",
        }
    for ind in report.get("indicators", []):
        values[ind["indicator_id"]] = {
            "actual": number(ind.get("actual"), lang),
            "note": str(ind.get("note") or ""),
        }
    return values


def posted_values(
    form: FormData, report: dict[str, Any], lang: str = "vi"
) -> dict[str, dict[str, str]]:
    """What the user typed, to show it again beside the errors."""
    values = form_values(report, lang)
    for key, fields in values.items():
        for name in fields:
            typed = _text(form, f"{name}.{key}")
            if typed is not None:
                fields[name] = typed
    return values


def iso_day(typed: str) -> str:
    """A day typed day first (01/03/2026) as the API keeps it (2026-03-01); what cannot be read
    as typed (``unreadable_days`` refuses it before anything is sent)."""
    try:
        return read_day(typed).isoformat() if typed else ""
    except Unreadable:
        return typed


def unreadable_days(form: FormData, report: dict[str, Any], lang: str) -> list[LineError]:
    """The completion dates typed on the form that are not days (31/02/2026, 2026/13/01), each
    naming its task and the field, so nothing is sent and day and month are never swapped."""
    out = []
    for line in report.get("tasks", []):
        tid = line["task_id"]
        typed = _text(form, f"completed_on.{tid}")
        if not typed or typed == day(line.get("completed_on")):
            continue
        try:
            read_day(typed)
        except Unreadable:
            words = translate("official.bad_day", lang)
            label = translate(FIELD_KEYS["completed_on"], lang)
            reason = words.replace("{field}: ", "").replace("{text}", typed)
            out.append(
                LineError(
                    line["task_code"], label, reason, f"completed_on-{tid}", tid, "completed_on"
                )
            )
    return out


def _evidence_changed(form: FormData, tid: str, evidence: list[Any]) -> list[dict[str, Any]] | None:
    """A task line's evidence as the form leaves it (the items not ticked for removal, and a
    link added), or None when the form changes none of it."""
    kept = [
        {k: e[k] for k in EVIDENCE_KEYS if e.get(k) is not None}
        for i, e in enumerate(evidence)
        if isinstance(e, dict) and form.get(f"evidence_remove.{tid}.{i}") != "on"
    ]
    url = _text(form, f"evidence_url.{tid}")
    if url:
        name = _text(form, f"evidence_name.{tid}") or ""
        kept.append({"kind": "link", "url": url, "name": name})
    return kept if url or len(kept) != len(evidence) else None


def lines_body(
    form: FormData, report: dict[str, Any], lang: str = "vi"
) -> dict[str, list[dict[str, Any]]]:
    """The form as the body of ``PUT /reports/{id}/lines``: of each line on the form, the fields
    the user changed (so a colleague's edits to other lines stand, and untouched lines are sent
    as they are not at all). An emptied percentage keeps the one on record; other emptied fields
    clear; a completion date goes with a task that is done (else the API clears it). Figures
    are read the way ``lang`` writes them ("1.000" is one thousand in Vietnamese)."""
    before = form_values(report, lang)
    tasks: list[dict[str, Any]] = []
    for line in report.get("tasks", []):
        tid = line["task_id"]
        was = before[tid]
        state = _text(form, f"state.{tid}")
        if state is None:
            continue  # not on the form
        typed = {name: _text(form, f"{name}.{tid}") for name in LINE_FIELDS}
        changed = {
            name: value
            for name, value in typed.items()
            if value is not None and value != was.get(name, "")
        }
        item: dict[str, Any] = {}
        if "state" in changed:
            item["state"] = state
        if changed.get("percent"):
            item["percent"] = form_number(changed["percent"], lang)
        if "product_quantity" in changed:
            item["product_quantity"] = form_number(changed["product_quantity"], lang)
        for name in ("product_document", "blocked_reason"):
            if name in changed:
                item[name] = changed[name] or None
        if "narrative" in changed:
            item["narrative"] = changed["narrative"]
        if state == "done" and "completed_on" in changed:
            item["completed_on"] = iso_day(changed["completed_on"]) or None
        evidence = _evidence_changed(form, tid, line.get("evidence") or [])
        if evidence is not None:
            item["evidence"] = evidence
        if item:
            tasks.append({"task_id": tid, **item})
    return {"tasks": tasks, "indicators": _indicators_changed(form, report, before, lang)}


def _indicators_changed(
    form: FormData, report: dict[str, Any], before: dict[str, dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """The indicator lines the form changes: their new actual value or note."""
    indicators: list[dict[str, Any]] = []
    for ind in report.get("indicators", []):
        iid = ind["indicator_id"]
        actual, note = _text(form, f"actual.{iid}"), _text(form, f"note.{iid}")
        item: dict[str, Any] = {}
        if actual is not None and actual != before[iid]["actual"]:
            item["actual"] = form_number(actual, lang)
        if note is not None and note != before[iid]["note"]:
            item["note"] = note
        if item:
            indicators.append({"indicator_id": iid, **item})
    return indicators


# -- the API's errors, in the user's language, each naming its task and field ----------------------
FIELD_KEYS = {
    "state": "results.state",
    "percent": "results.percent",
    "product_quantity": "results.product_quantity",
    "product": "results.product",
    "product_document": "results.product_document",
    "narrative": "results.narrative",
    "blocked_reason": "results.blocked_reason",
    "completed_on": "results.completed_on",
    "evidence": "results.evidence",
    "task_id": "results.task",
    "indicator_id": "results.indicator",
    "actual": "results.actual",
    "note": "results.note",
    "comment": "results.comment",
    "reason": "results.reopen_reason",
    "period": "results.period",
}
# Where the form shows each field (the anchor an error links to).
FIELD_INPUT = {"product": "product_quantity", "task_id": "state", "indicator_id": "actual"}

REASONS_VI = {
    "a percentage from 0 to 100": "tỷ lệ từ 0 đến 100",
    "the product delivered so far is not negative": "sản phẩm đã đạt không được là số âm",
    "a task that is done is 100% done": "nhiệm vụ đã hoàn thành phải đạt 100%",
    "a task not started is 0% done": "nhiệm vụ chưa triển khai thì tỷ lệ là 0%",
    "say what blocks the task": "ghi rõ vướng mắc của nhiệm vụ",
    "only a task that is done has a completion date": (
        "chỉ nhiệm vụ đã hoàn thành mới có ngày hoàn thành"
    ),
    "a number": "phải là một số",
    "a finite number": "phải là một số hữu hạn",
    "say what to fix when returning a report": (
        "khi trả lại báo cáo, ghi rõ nội dung cần sửa (ý kiến chung hoặc ý kiến về nhiệm vụ)"
    ),
    "say why the period is reopened": "ghi lý do mở lại kỳ báo cáo",
    "Field required": "bắt buộc",
    "String should have at least 1 character": "bắt buộc",
    "Input should be a valid number, unable to parse string as a number": "phải là một số",
    "Input should be a finite number": "phải là một số hữu hạn",
}
PATTERNS_VI: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^a task that is done names its product: the quantity delivered \((.*)\)$"),
        r"nhiệm vụ đã hoàn thành phải ghi sản phẩm: số lượng đã đạt (\1) hoặc tên văn bản",
    ),
    (
        re.compile(r"^a task that is done names its product: the document$"),
        "nhiệm vụ đã hoàn thành phải ghi sản phẩm: tên văn bản",
    ),
    (re.compile(r"^one of (.*)$"), r"chọn một trong: \1"),
    (re.compile(r"^at most (\d+) characters$"), r"tối đa \1 ký tự"),
    (re.compile(r"^String should have at most (\d+) characters?$"), r"tối đa \1 ký tự"),
    (re.compile(r"^Input should be less than or equal to (.*)$"), r"không lớn hơn \1"),
    (re.compile(r"^Input should be greater than or equal to (.*)$"), r"không nhỏ hơn \1"),
    (re.compile(r"^Input should be a valid date.*$"), "ngày không hợp lệ (ngày/tháng/năm)"),
    (re.compile(r"^Input should be .*$"), "giá trị không hợp lệ"),
    (re.compile(r"^no task '(.*)' in this report$"), r"báo cáo không có nhiệm vụ \1"),
]


def results_reason(reason: str, lang: str) -> str:
    """A results API reason in ``lang``: the ones the portal knows, else as the API wrote it."""
    if lang != "vi":
        return reason
    if reason in REASONS_VI:
        return REASONS_VI[reason]
    for pattern, vi in PATTERNS_VI:
        if pattern.match(reason):
            return pattern.sub(vi, reason)
    return reason_in(reason, lang)


@dataclass(frozen=True)
class LineError:
    """One error of a report: what it concerns (task code or indicator name), which field,
    why, and the form field it points at."""

    subject: str
    field: str
    reason: str
    target: str | None = None
    key: str | None = None
    """The task or indicator id the error concerns."""
    name: str | None = None

    @property
    def text(self) -> str:
        head = " · ".join(x for x in (self.subject, self.field) if x)
        return f"{head}: {self.reason}" if head else self.reason


def report_errors(
    body: Any,
    report: dict[str, Any],
    sent: dict[str, list[dict[str, Any]]] | None,
    lang: str,
) -> list[LineError]:
    """The errors of a refused save or sign-off, each naming the task (by code) or indicator
    (by name) and the field: ``tasks.<code>.<field>`` from the report's rules,
    ``body.tasks.<n>.<field>`` from the request's validation (``n`` the line we sent)."""
    tasks = {line["task_id"]: line for line in report.get("tasks", [])}
    by_code = {line["task_code"]: line for line in tasks.values()}
    indicators = {i["indicator_id"]: i for i in report.get("indicators", [])}
    ind_by_code = {i.get("indicator_code"): i for i in indicators.values()}
    sent = sent or {"tasks": [], "indicators": []}
    out: list[LineError] = []
    errors = body.get("errors") if isinstance(body, dict) else None
    for e in errors or []:
        if not isinstance(e, dict):
            continue
        raw = str(e.get("field", ""))
        reason = results_reason(str(e.get("reason", "")), lang)
        parts = raw.split(".")
        from_request = parts[0] == "body"
        if from_request:
            parts = parts[1:]
        section = parts[0] if parts else ""
        if section in ("tasks", "indicators") and len(parts) >= 3:
            if from_request:
                ref, name = parts[1], parts[2]
            else:
                ref, name = ".".join(parts[1:-1]), parts[-1]
            rows = sent.get(section, [])
            if section == "tasks":
                line = by_code.get(ref)
                if line is None and ref.isdigit() and int(ref) < len(rows):
                    line = tasks.get(rows[int(ref)].get("task_id", ""))
                subject = line["task_code"] if line else ref
                key = line["task_id"] if line else None
            else:
                ind = ind_by_code.get(ref)
                if ind is None and ref.isdigit() and int(ref) < len(rows):
                    ind = indicators.get(rows[int(ref)].get("indicator_id", ""))
                subject = ind["name"] if ind else ref
                key = ind["indicator_id"] if ind else None
            label = translate(FIELD_KEYS[name], lang) if name in FIELD_KEYS else name
            target = f"{FIELD_INPUT.get(name, name)}-{key}" if key else None
            out.append(LineError(subject, label, reason, target, key, name))
            continue
        name = parts[-1] if parts else ""
        label = translate(FIELD_KEYS[name], lang) if name in FIELD_KEYS else raw
        out.append(LineError("", label, reason, name=name))
    if not out and isinstance(body, dict):
        out.append(LineError("", "", str(body.get("detail") or body.get("title") or "")))
    return out


# -- a unit's reports ------------------------------------------------------------------------------
@router.get("/reports")
async def periods(page: PageDep, unit: str | None = None) -> Response:
    """Screen 1: the unit's reporting periods, each with its due date, state and report."""
    user = page.require_user()
    unit = unit or user.unit
    rows = await page.api.get(f"{API}/periods", unit=unit)
    return await page.render(
        "results_periods.html",
        unit=unit,
        unit_name=(await unit_info(page, unit))["name"],
        periods=rows,
        may_open=reporter_of(user, unit),
        period_label=period_label,
        notice=notice_of(page.request),
    )


@router.post("/reports")
async def open_report(request: Request, page: PageDep) -> Response:
    """Open (or find) the unit's report for the period, then show it."""
    user = page.require_user()
    form = await request.form()
    report = await page.api.post(
        f"{API}/reports",
        json={"unit": _text(form, "unit") or user.unit, "period": _text(form, "period") or ""},
    )
    return redirect(f"{HERE}/reports/{report['id']}")


async def report_page(
    page: Page,
    report_id: str,
    *,
    status_code: int = 200,
    values: dict[str, dict[str, str]] | None = None,
    errors: list[LineError] | None = None,
    errors_of: str | None = None,
    problem: ProblemView | None = None,
    problem_of: str | None = None,
) -> Response:
    user = page.require_user()
    report = await page.api.get(f"{API}/reports/{report_id}")
    versions = await page.api.get(f"{API}/reports/{report_id}/versions")
    locked = report.get("period_state") == "locked" and not report.get("reopen_reason")
    editable = bool(report.get("editable")) and reporter_of(user, report["unit"]) and not locked
    by_task: dict[str, list[str]] = {}
    for c in report.get("comments") or []:
        if isinstance(c, dict) and c.get("text"):
            by_task.setdefault(str(c.get("task_id") or c.get("indicator_id") or ""), []).append(
                str(c["text"])
            )
    field_errors: dict[str, dict[str, list[LineError]]] = {}
    for e in errors or []:
        if e.key:
            field_errors.setdefault(e.key, {}).setdefault(
                FIELD_INPUT.get(e.name or "", e.name or ""), []
            ).append(e)
    above_unit = parent_unit(report["unit"])
    names = (await page.names()).knowing(
        {
            str(who): where
            for who, where in (
                (report.get("submitted_by"), report["unit"]),
                (report.get("decided_by"), above_unit),
                (report.get("reopened_by"), above_unit),
            )
            if who and where
        }
    )
    return await page.render(
        "results_report.html",
        status_code=status_code,
        names=names,
        report=report,
        versions=versions,
        values=values or form_values(report, page.lang),
        editable=editable,
        may_sign=editable and user.has("head"),
        may_decide=report["status"] == "submitted" and above(user, report["unit"]),
        may_reopen=report["status"] == "accepted" and above(user, report["unit"]),
        states=STATES,
        line_comments=by_task,
        errors=errors or [],
        errors_of=errors_of,
        field_errors=field_errors,
        problem=problem,
        problem_of=problem_of,
        period_label=period_label,
        safe_url=safe_url,
        notice=notice_of(page.request),
    )


@router.get("/reports/{report_id}")
async def show_report(report_id: str, page: PageDep) -> Response:
    return await report_page(page, report_id)


async def save(
    page: Page, report_id: str, form: FormData
) -> tuple[dict[str, Any], Response | None]:
    """Save the form's lines; on a refusal, the page again with the errors and what was typed."""
    report = await page.api.get(f"{API}/reports/{report_id}")
    unreadable = unreadable_days(form, report, page.lang)
    if unreadable:
        shown = await report_page(
            page,
            report_id,
            status_code=422,
            values=posted_values(form, report, page.lang),
            errors=unreadable,
            errors_of="save",
        )
        return report, shown
    body = lines_body(form, report, page.lang)
    if not body["tasks"] and not body["indicators"]:
        return report, None
    r = await page.api.send("PUT", f"{API}/reports/{report_id}/lines", json=body)
    if r.status_code == 422:
        errors = report_errors(body_of(r), report, body, page.lang)
        shown = await report_page(
            page,
            report_id,
            status_code=422,
            values=posted_values(form, report, page.lang),
            errors=errors,
            errors_of="save",
        )
        return report, shown
    return checked(r).json(), None


@router.post("/reports/{report_id}/lines")
async def save_lines(report_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    _, refused = await save(page, report_id, await request.form())
    return refused or redirect(f"{HERE}/reports/{report_id}?done=saved")


@router.post("/reports/{report_id}/sign-off")
async def sign_off(report_id: str, request: Request, page: PageDep) -> Response:
    """The head saves what the form says, then signs the report off and sends it up."""
    page.require_user()
    form = await request.form()
    report, refused = await save(page, report_id, form)
    if refused is not None:
        return refused
    r = await page.api.send("POST", f"{API}/reports/{report_id}/sign-off")
    if r.status_code == 422:
        errors = report_errors(body_of(r), report, None, page.lang)
        return await report_page(page, report_id, status_code=422, errors=errors, errors_of="sign")
    checked(r)
    return redirect(f"{HERE}/reports/{report_id}?done=signed")


@router.get("/reports/{report_id}/xlsx")
async def export_xlsx(report_id: str, page: PageDep) -> Response:
    """The report as XLSX in the official layout, to fill in Excel and import back."""
    page.require_user()
    r = checked(await page.api.send("GET", f"{API}/reports/{report_id}/xlsx"))
    return Response(r.content, headers=_passed_on(r))


@router.get("/reports/{report_id}/print")
async def printable(report_id: str, page: PageDep) -> Response:
    """The report in the official printable form ("Báo cáo kết quả thực hiện …")."""
    page.require_user()
    r = checked(await page.api.send("GET", f"{API}/reports/{report_id}/print"))
    return Response(r.content, headers=_passed_on(r))


def _passed_on(r: Any) -> dict[str, str]:
    return {
        k: v for k, v in r.headers.items() if k.lower() in ("content-type", "content-disposition")
    }


def _upload(form: FormData) -> UploadFile | None:
    upload = form.get("file")
    return upload if isinstance(upload, UploadFile) and upload.filename else None


@router.post("/reports/{report_id}/import")
async def import_xlsx(report_id: str, request: Request, page: PageDep) -> Response:
    """Fill the report from its XLSX: all rows or none, every refused cell named."""
    page.require_user()
    upload = _upload(await request.form())
    if upload is None:
        view = ProblemView(422, page.t("error.invalid"), page.t("results.import_file"), [])
        return await report_page(
            page, report_id, status_code=422, problem=view, problem_of="import"
        )
    r = await page.api.send(
        "POST",
        f"{API}/reports/{report_id}/import",
        files={"file": (upload.filename, await upload.read())},
    )
    if r.status_code in (413, 422):
        view = problem_view(r.status_code, body_of(r), page.lang)
        return await report_page(
            page, report_id, status_code=422, problem=view, problem_of="import"
        )
    checked(r)
    return redirect(f"{HERE}/reports/{report_id}?done=imported")


@router.post("/reports/{report_id}/evidence/{task_id}")
async def upload_evidence(
    report_id: str, task_id: str, request: Request, page: PageDep
) -> Response:
    """Keep an evidence file (hashed by the service) and attach it to the task's line."""
    page.require_user()
    upload = _upload(await request.form())
    problem: ProblemView | None = None
    if upload is None:
        problem = ProblemView(422, page.t("error.invalid"), page.t("results.evidence_upload"), [])
    else:
        kind = upload.content_type or "application/octet-stream"
        r = await page.api.send(
            "POST",
            f"{API}/evidence",
            files={"file": (upload.filename, await upload.read(), kind)},
        )
        if r.status_code in (413, 422):
            problem = problem_view(r.status_code, body_of(r), page.lang)
        else:
            stored = checked(r).json()
            report = await page.api.get(f"{API}/reports/{report_id}")
            line = next((x for x in report["tasks"] if x["task_id"] == task_id), None)
            if line is None:
                raise ApiError(404, {"detail": f"no task {task_id} in this report"})
            evidence = [
                *(line.get("evidence") or []),
                {"kind": "file", "file_id": stored["id"], "name": stored["name"]},
            ]
            r = await page.api.send(
                "PUT",
                f"{API}/reports/{report_id}/lines",
                json={"tasks": [{"task_id": task_id, "evidence": evidence}]},
            )
            if r.status_code == 422:
                problem = problem_view(r.status_code, body_of(r), page.lang)
            else:
                checked(r)
    if problem is not None:
        return await report_page(
            page, report_id, status_code=422, problem=problem, problem_of="evidence"
        )
    return redirect(f"{HERE}/reports/{report_id}?done=evidence")


@router.post("/reports/{report_id}/decision")
async def decide(report_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    comments = []
    for key, value in form.multi_items():
        if key.startswith("task_comment.") and isinstance(value, str) and value.strip():
            comments.append({"task_id": key.removeprefix("task_comment."), "text": value.strip()})
    body = {
        "decision": _text(form, "decision") or "accept",
        "comment": _text(form, "comment") or None,
        "comments": comments,
    }
    r = await page.api.send("POST", f"{API}/reports/{report_id}/decision", json=body)
    if r.status_code == 422:
        view = results_problem(body_of(r), page.lang)
        return await report_page(
            page, report_id, status_code=422, problem=view, problem_of="decision"
        )
    checked(r)
    return redirect(f"{HERE}/review?done=decided")


def results_problem(body: Any, lang: str) -> ProblemView:
    """A refused decision or reopening: the title in the user's language, one line per field."""
    errors = body.get("errors") if isinstance(body, dict) else None
    messages = [
        Message(e.text, "error", e.reason)
        for e in report_errors({"errors": errors or []}, {}, None, lang)
        if e.reason
    ]
    detail = "" if messages or not isinstance(body, dict) else str(body.get("detail") or "")
    return ProblemView(422, translate("error.invalid", lang), detail, messages)


@router.post("/reopen")
async def reopen(request: Request, page: PageDep) -> Response:
    """The level above reopens a unit's period with a reason: a new version, in draft."""
    page.require_user()
    form = await request.form()
    unit, period = _text(form, "unit") or "", _text(form, "period") or ""
    r = await page.api.send(
        "POST",
        f"{API}/units/{unit}/periods/{period}/reopen",
        json={"reason": _text(form, "reason") or ""},
    )
    if r.status_code in (409, 422):
        body = body_of(r)
        view = (
            results_problem(body, page.lang)
            if r.status_code == 422
            else problem_view(409, body, page.lang)
        )
        report_id = _text(form, "report_id")
        if report_id:
            return await report_page(
                page, report_id, status_code=r.status_code, problem=view, problem_of="reopen"
            )
        return await review_page(page, status_code=r.status_code, problem=view)
    report = checked(r).json()
    return redirect(f"{HERE}/reports/{report['id']}?done=reopened")


@router.get("/evidence/{file_id}")
async def evidence(file_id: str, page: PageDep) -> Response:
    """An evidence file, passed through from the results API."""
    page.require_user()
    r = checked(await page.api.send("GET", f"{API}/evidence/{file_id}"))
    headers = {
        k: v
        for k, v in r.headers.items()
        if k.lower() in ("content-type", "content-disposition", "x-content-sha256")
    }
    return Response(r.content, headers=headers)


# -- the level above: reports waiting for a decision -----------------------------------------------
async def review_page(
    page: Page, *, status_code: int = 200, problem: ProblemView | None = None
) -> Response:
    user = page.require_user()
    rows = await page.api.get(f"{API}/reports", unit=user.unit, status="submitted")
    waiting = sorted(
        (r for r in rows if parent_unit(r["unit"]) == user.unit),
        key=lambda r: (r.get("due_on") or "", r.get("submitted_at") or "", r["unit_name"]),
    )
    below = await units_below(page, user.unit)
    kinds = await cadence(page, below[0]["level"] if below else None)
    return await page.render(
        "results_review.html",
        status_code=status_code,
        waiting=waiting,
        below=below,
        periods=recent_periods(kinds, date.today()),
        period_label=period_label,
        problem=problem,
        notice=notice_of(page.request),
    )


@router.get("/review")
async def review(page: PageDep) -> Response:
    """Screen 2: the reports of the units below waiting for a decision; reopen a period."""
    return await review_page(page)


# -- dashboard -------------------------------------------------------------------------------------
@router.get("/dashboard")
async def dashboard(page: PageDep, unit: str | None = None, period: str | None = None) -> Response:
    """Screen 3: the units below by task status, report, score and rank; the overdue tasks; the
    indicators; progress over time. Central sees the provinces the same way."""
    user = page.require_user()
    unit = unit or user.unit
    board = await page.api.get(f"{API}/dashboard", unit=unit, period=period)
    series = await page.api.get(f"{API}/units/{unit}/progress")
    shown = period or next((r["period"] for r in board["units"] if r.get("period")), None)
    level = board["units"][0]["level"] if board["units"] else None
    kinds = await cadence(page, level)
    choices = recent_periods(kinds, date.fromisoformat(str(board["as_of"])[:10]))
    if shown and shown not in choices:
        choices.insert(0, shown)
    overdue = sorted(board["overdue"], key=lambda r: -int(r.get("days_overdue") or 0))
    chart = Markup(progress_svg(series, page.t, short_period))
    return await page.render(
        "results_dashboard.html",
        board=board,
        unit=unit,
        period=shown,
        choices=choices,
        overdue=overdue,
        chart=chart,
        series=series,
        statuses=TASK_STATUSES,
        up=parent_unit(unit) if unit != user.unit else None,
        period_label=period_label,
    )


@router.get("/dashboard/chart.svg")
async def dashboard_chart(page: PageDep, unit: str | None = None) -> Response:
    """The progress chart as an SVG file (the page makes the PNG from it in the browser)."""
    user = page.require_user()
    series = await page.api.get(f"{API}/units/{unit or user.unit}/progress")
    return Response(
        standalone(progress_svg(series, page.t, short_period)),
        media_type="image/svg+xml",
        headers={"Content-Disposition": 'attachment; filename="bieu-do-tien-do.svg"'},
    )


@router.get("/dashboard.csv")
async def dashboard_csv(
    page: PageDep, unit: str | None = None, period: str | None = None
) -> Response:
    """The dashboard's table as the results API writes it (UTF-8 with BOM, for Excel)."""
    user = page.require_user()
    params = {k: v for k, v in {"unit": unit or user.unit, "period": period}.items() if v}
    r = checked(await page.api.send("GET", f"{API}/dashboard.csv", params=params))
    headers = {
        k: v for k, v in r.headers.items() if k.lower() in ("content-type", "content-disposition")
    }
    return Response(r.content, headers=headers)


# -- the explained score ---------------------------------------------------------------------------
async def default_period(page: Page, unit: str) -> str | None:
    """The unit's latest period that has begun (a month or quarter before a year)."""
    rows = await page.api.get(f"{API}/periods", unit=unit)
    begun = [r for r in rows if r.get("state") != "not_open"]
    shorter = [r for r in begun if r.get("kind") != "year"]
    chosen = (shorter or begun or [None])[0]
    return str(chosen["period"]) if chosen else None


@router.get("/units/{unit}/evaluation")
async def evaluation(unit: str, page: PageDep, period: str | None = None) -> Response:
    """Screen 4: the unit's score, each term with its weight, value, points and the records it
    was counted from."""
    user = page.require_user()
    period = period or await default_period(page, unit)
    if not period:
        raise ApiError(404, {"detail": "no reporting period"})
    explained = await page.api.get(f"{API}/units/{unit}/evaluation", period=period)
    tasks = {t["id"]: t for t in await page.api.get(f"{API}/tasks", unit=unit)}
    indicators = {i["id"]: i for i in await page.api.get(f"{API}/indicators", unit=unit)}
    level = (await unit_info(page, unit)).get("level")
    choices = recent_periods(await cadence(page, level), date.today())
    if period not in choices:
        choices.insert(0, period)
    return await page.render(
        "results_evaluation.html",
        explained=explained,
        unit=unit,
        period=period,
        choices=choices,
        tasks=tasks,
        indicators=indicators,
        may_publish=above(user, unit),
        period_label=period_label,
        notice=notice_of(page.request),
    )


@router.post("/units/{unit}/evaluation/publish")
async def publish(unit: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    period = _text(form, "period") or ""
    await page.api.post(f"{API}/units/{unit}/evaluation/publish", json={"period": period})
    return redirect(f"{HERE}/units/{unit}/evaluation?period={period}&done=published")
