"""The results screens, fast: rendered from API answers without a server, and served through
ASGI against a stand-in of the results API (what the portal sends, what it shows back, where it
redirects). Periods read as officials write them, errors name the task and the field in
Vietnamese, visible text names units (never their codes), and everything the APIs send is
escaped."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import jwt
import pytest
from cascade_portal.chart import progress_svg
from cascade_portal.i18n import MESSAGES, translator
from cascade_portal.names import Names
from cascade_portal.results_screens import (
    PERIOD_STATES,
    REPORT_STATUSES,
    STATES,
    TASK_STATUSES,
    TERMS,
    form_values,
    lines_body,
    period_label,
    recent_periods,
    report_errors,
    results_reason,
    router,
    short_period,
)
from cascade_portal.web import PREFIX, User, templates
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

WARD = "vn.hue.huong-an"
DRAFTER = User("drafter.huong-an", "Cán bộ", WARD, ("drafter",), 0)
HEAD = User("head.huong-an", "Bí thư", WARD, ("head",), 0)
APPROVER = User("approver.hue", "Lãnh đạo", "vn.hue", ("approver",), 0)
AUDITOR = User("auditor.hue", "Kiểm tra", "vn.hue", ("auditor",), 0)
TASK = "t-1"
INDICATOR = "i-1"


UNITS = [
    {"code": "vn.hue", "name": "Thành phố Huế", "level": "city", "parent": "vn"},
    {"code": WARD, "name": "Phường Hương An", "level": "ward", "parent": "vn.hue"},
]
PEOPLE = [
    {"username": "head.huong-an", "name": "Trần Văn Bình", "unit": WARD, "roles": ["head"]},
    {"username": "drafter.huong-an", "name": "Lê Thị Mai", "unit": WARD, "roles": ["drafter"]},
]


def render(name: str, user: User = DRAFTER, lang: str = "vi", **context: Any) -> str:
    frame = {"t": translator(lang), "lang": lang, "user": user, "unread": 0, "prefix": PREFIX}
    frame.update(path="/portal/x", here="/portal/x", flash=None, period_label=period_label)
    names = Names(lang, {u["code"]: u for u in UNITS}, {p["username"]: p for p in PEOPLE})
    frame["names"] = names
    return templates.get_template(name).render(**frame, **context)


def main_text(page: str) -> str:
    """What a reader sees in the page's main part (tags and attributes gone)."""
    main = page[page.index('<main id="main"') : page.index("</main>")]
    main = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def line(**changes: Any) -> dict[str, Any]:
    out = {
        "task_id": TASK,
        "task_code": "HA-01",
        "job": "Xóa 12 điểm tập kết rác tự phát <b>",
        "deadline": "2026-09-30",
        "lead_unit": WARD,
        "product_target": 12.0,
        "product_unit": "điểm",
        "product_description": "điểm tập kết rác được xóa bỏ",
        "status": "overdue",
        "status_vi": "Quá hạn",
        "state": "in_progress",
        "percent": 40.0,
        "product_quantity": 5.0,
        "product_document": None,
        "narrative": "Đã xóa 5/12 điểm",
        "blocked_reason": None,
        "completed_on": None,
        "evidence": [{"kind": "link", "url": "https://huong-an.example/bb", "name": "Biên bản"}],
    }
    out.update(changes)
    return out


def report(**changes: Any) -> dict[str, Any]:
    out = {
        "id": "r-1",
        "unit": WARD,
        "unit_name": "Phường Hương An",
        "period": "2026-03",
        "period_label": "tháng 3/2026",
        "period_state": "open",
        "status": "draft",
        "version": 1,
        "due_on": "2026-04-20",
        "locks_on": "2026-04-30",
        "late": False,
        "editable": True,
        "submitted_by": None,
        "submitted_at": None,
        "decided_by": None,
        "decided_at": None,
        "comment": None,
        "comments": [],
        "reopen_reason": None,
        "tasks": [line()],
        "indicators": [
            {
                "indicator_id": INDICATOR,
                "indicator_code": "HUE-CT02",
                "name": "Số điểm tập kết rác còn tồn tại",
                "measure": "điểm",
                "baseline": 12.0,
                "target": 0.0,
                "year": 2026,
                "comparator": "<=",
                "actual": 7.0,
                "note": "",
            }
        ],
    }
    out.update(changes)
    return out


def form(report_: dict[str, Any], **typed: str) -> FormData:
    """The report's form as the browser posts it, with ``typed`` changes (``percent=...``)."""
    fields = {
        f"{name}.{key}": value
        for key, v in form_values(report_).items()
        for name, value in v.items()
    }
    fields.update({f"{name}.{TASK}": value for name, value in typed.items()})
    return FormData(list(fields.items()))


# -- periods, reasons, errors ----------------------------------------------------------------------
def test_periods_are_named_as_the_reports_name_them() -> None:
    assert period_label("2026-03", "vi") == "Tháng 3/2026"
    assert period_label("2026-03", "vi", in_sentence=True) == "tháng 3/2026"
    assert period_label("2026-Q4", "vi", in_sentence=True) == "quý IV/2026"
    assert period_label("2026", "vi", in_sentence=True) == "năm 2026"
    assert period_label("2026-03", "en") == "March 2026"
    assert period_label("2026-Q1", "en") == "Q1 2026"
    assert short_period("2026-07") == "7/2026"
    months = recent_periods(["month", "year"], date(2026, 1, 15), count=3)
    assert months == ["2026-01", "2025-12", "2025-11", "2026", "2025", "2024"]
    assert recent_periods(["quarter"], date(2026, 4, 1), count=2) == ["2026-Q2", "2026-Q1"]
    assert recent_periods([], date(2026, 4, 1)) == []


def test_the_apis_reasons_read_in_vietnamese_and_unknown_ones_stay_raw() -> None:
    assert results_reason("a task that is done is 100% done", "vi") == (
        "nhiệm vụ đã hoàn thành phải đạt 100%"
    )
    done = "a task that is done names its product: the quantity delivered (điểm)"
    assert "số lượng đã đạt (điểm)" in results_reason(done, "vi")
    assert results_reason("at most 4000 characters", "vi") == "tối đa 4000 ký tự"
    assert results_reason("Input should be less than or equal to 100", "vi") == "không lớn hơn 100"
    assert results_reason("a task that is done is 100% done", "en") == (
        "a task that is done is 100% done"
    )
    assert results_reason("something new", "vi") == "something new"


def test_each_error_names_the_task_code_and_the_field() -> None:
    r = report(tasks=[line(), line(task_id="t-2", task_code="H-6.1")])
    sent = {
        "tasks": [{"task_id": "t-2", "percent": "abc"}],
        "indicators": [{"indicator_id": INDICATOR}],
    }
    body = {
        "errors": [
            {"field": "tasks.HA-01.percent", "reason": "a task that is done is 100% done"},
            {"field": "tasks.H-6.1.blocked_reason", "reason": "say what blocks the task"},
            {
                "field": "body.tasks.0.percent",
                "reason": "Input should be a valid number, unable to parse string as a number",
            },
            {"field": "body.indicators.0.actual", "reason": "Input should be a finite number"},
            {"field": "comment", "reason": "say what to fix when returning a report"},
        ]
    }
    errors = report_errors(body, r, sent, "vi")
    texts = [e.text for e in errors]
    assert texts[0] == "HA-01 · Tỷ lệ hoàn thành (%): nhiệm vụ đã hoàn thành phải đạt 100%"
    assert texts[1] == "H-6.1 · Khó khăn, vướng mắc: ghi rõ vướng mắc của nhiệm vụ"
    assert texts[2] == "H-6.1 · Tỷ lệ hoàn thành (%): phải là một số"  # the line we sent
    assert texts[3].startswith("Số điểm tập kết rác còn tồn tại · Giá trị thực hiện:")
    assert texts[4].startswith("Ý kiến: khi trả lại báo cáo")
    assert errors[0].target == f"percent-{TASK}" and errors[2].target == "percent-t-2"
    assert errors[3].target == f"actual-{INDICATOR}"
    english = report_errors(body, r, sent, "en")[0].text
    assert english == "HA-01 · Percent done: a task that is done is 100% done"


def test_the_form_sends_only_what_changed() -> None:
    r = report()
    assert lines_body(form(r), r) == {"tasks": [], "indicators": []}
    body = lines_body(
        form(r, state="done", percent="100", product_quantity="12", completed_on="2026-03-20"),
        r,
    )
    assert body["tasks"] == [
        {
            "task_id": TASK,
            "state": "done",
            "percent": 100.0,
            "product_quantity": 12.0,
            "completed_on": "2026-03-20",
        }
    ]
    # A date goes only with a task that is done; an emptied percentage keeps the one on record;
    # a new link joins the evidence, a removed one leaves it; a typo reaches the API as typed.
    typed = form(r, completed_on="2026-03-20", percent="", narrative="Đã xóa 6 điểm")
    body = lines_body(typed, r)["tasks"][0]
    assert body == {"task_id": TASK, "narrative": "Đã xóa 6 điểm"}
    fields = list(form(r, evidence_url="https://a.example/2", percent="4o").multi_items())
    fields.append((f"evidence_remove.{TASK}.0", "on"))
    body = lines_body(FormData(fields), r)["tasks"][0]
    assert body["percent"] == "4o"
    assert body["evidence"] == [{"kind": "link", "url": "https://a.example/2", "name": ""}]
    fields = [(k, "5,5" if k == f"actual.{INDICATOR}" else v) for k, v in form(r).multi_items()]
    assert lines_body(FormData(fields), r)["indicators"] == [
        {"indicator_id": INDICATOR, "actual": 5.5}
    ]


def test_the_progress_chart_draws_each_period_and_escapes() -> None:
    t = translator("vi")
    svg = progress_svg(
        [{"period": "2026-07", "mean_percent": 30.0}, {"period": "<b>", "mean_percent": 72.5}],
        t,
        short_period,
    )
    assert svg.count("<circle") == 2 and 'data-value="72.5"' in svg
    assert "7/2026: 30%" in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert 'role="img"' in svg and "Tiến độ bình quân theo kỳ báo cáo" in svg
    empty = progress_svg([], t, short_period)
    assert "<circle" not in empty and "Chưa có báo cáo được gửi." in empty


def test_every_label_the_results_screens_build_exists_and_matches_the_service() -> None:
    from cascade_results.domain.evaluation import TERM_LABELS_VI
    from cascade_results.domain.report import PROGRESS_STATES
    from cascade_results.domain.status import STATUS_LABELS_VI

    keys = [f"results.status.{s}" for s in TASK_STATUSES]
    keys += [f"results.report.{s}" for s in (*REPORT_STATUSES, "none")]
    keys += [f"results.state.{s}" for s in STATES]
    keys += [f"results.period.{s}" for s in PERIOD_STATES]
    keys += [f"results.term.{s}" for s in TERMS]
    keys += [f"results.direction.{d}" for d in ("higher_is_better", "lower_is_better")]
    keys += [f"results.done.{n}" for n in ("saved", "signed", "decided", "reopened", "published")]
    assert [k for k in keys if k not in MESSAGES] == []
    assert set(STATES) == set(PROGRESS_STATES)
    for status, vi in STATUS_LABELS_VI.items():
        assert MESSAGES[f"results.status.{status}"][0] == vi
    for term, vi in TERM_LABELS_VI.items():
        assert MESSAGES[f"results.term.{term}"][0] == vi


# -- screens rendered from API answers ------------------------------------------------------------
def test_the_periods_list_reads_as_officials_write() -> None:
    periods = [
        {
            "period": "2026-04",
            "kind": "month",
            "due_on": "2026-05-20",
            "locks_on": "2026-05-30",
            "state": "open",
            "report": None,
        },
        {
            "period": "2026-03",
            "kind": "month",
            "due_on": "2026-04-20",
            "locks_on": "2026-04-30",
            "state": "locked",
            "report": {"id": "r-1", "status": "accepted", "version": 2, "late": True},
        },
    ]
    page = render(
        "results_periods.html",
        unit=WARD,
        unit_name="Phường Hương An",
        periods=periods,
        may_open=True,
    )
    text = main_text(page)
    assert "Báo cáo tháng 4/2026" in text and "Hạn gửi 20/05/2026" in text
    assert "Đã khóa sổ" in text and "Đã tiếp nhận" in text and "Gửi trễ hạn" in text
    assert page.count("Lập báo cáo") == 1 and "/portal/results/reports/r-1" in page
    assert WARD not in text and "Phường Hương An" in text
    other = render(
        "results_periods.html",
        unit=WARD,
        unit_name="Phường Hương An",
        periods=periods,
        may_open=False,
    )
    assert "Lập báo cáo" not in other


def report_context(r: dict[str, Any], **changes: Any) -> dict[str, Any]:
    context = {
        "report": r,
        "versions": [{"id": r["id"], "version": 1}],
        "values": form_values(r),
        "editable": True,
        "may_sign": False,
        "may_decide": False,
        "may_reopen": False,
        "states": STATES,
        "line_comments": {},
        "errors": [],
        "errors_of": None,
        "field_errors": {},
        "problem": None,
        "problem_of": None,
        "safe_url": lambda u: u if str(u or "").startswith("https://") else None,
        "notice": None,
    }
    context.update(changes)
    return context


def test_the_report_form_shows_each_line_with_its_product_unit_and_escapes() -> None:
    r = report(tasks=[line(evidence=[{"kind": "link", "url": "javascript:alert(1)", "name": "x"}])])
    page = render("results_report.html", **report_context(r))
    assert "Báo cáo kết quả thực hiện tháng 3/2026" in page
    assert 'for="product_quantity-t-1">Sản phẩm đã đạt (điểm)' in page
    assert 'name="state.t-1"' in page and 'value="in_progress" selected' in page
    assert 'name="actual.i-1" inputmode="decimal" value="7"' in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert 'href="javascript' not in page  # only web links are links
    assert 'id="save-report"' in page and 'id="sign-off"' not in page
    signed = render("results_report.html", user=HEAD, **report_context(r, may_sign=True))
    assert "Ký duyệt và gửi báo cáo" in signed and "/results/reports/r-1/sign-off" in signed
    read_only = render(
        "results_report.html",
        user=APPROVER,
        **report_context(
            report(status="submitted", editable=False), editable=False, may_decide=True
        ),
    )
    assert 'name="state.t-1"' not in read_only and "Đã xóa 5/12 điểm" in read_only
    assert 'name="task_comment.t-1" form="decision"' in read_only
    assert "Tiếp nhận báo cáo" in read_only and "Trả lại để bổ sung" in read_only


def test_refused_lines_are_listed_at_the_top_and_marked_beside_their_fields() -> None:
    r = report()
    errors = report_errors(
        {
            "errors": [
                {"field": "tasks.HA-01.percent", "reason": "a task that is done is 100% done"}
            ]
        },
        r,
        None,
        "vi",
    )
    field_errors = {TASK: {"percent": errors}}
    page = render(
        "results_report.html",
        **report_context(r, errors=errors, errors_of="save", field_errors=field_errors),
    )
    top = page.index('id="report-errors"')
    assert top < page.index('id="tasks"')
    assert "Báo cáo chưa được lưu" in page
    assert (
        '<a href="#percent-t-1">HA-01 · Tỷ lệ hoàn thành (%): nhiệm vụ đã hoàn thành phải ' in page
    )
    assert 'aria-invalid="true" aria-describedby="msg-percent-t-1"' in page


def dashboard_board() -> dict[str, Any]:
    counts = {"completed_on_time": 1, "completed_late": 0, "in_progress": 2, "overdue": 1}
    return {
        "unit": "vn.hue",
        "unit_name": "Thành phố Huế",
        "as_of": "2026-11-29",
        "counts": counts,
        "units": [
            {
                "unit": WARD,
                "unit_name": "Phường Hương An",
                "level": "ward",
                "tasks": 4,
                "counts": counts,
                "progress": 72.0,
                "period": "2026-11",
                "period_label": "tháng 11/2026",
                "report": {"id": "r-9", "status": "submitted", "version": 1, "late": True},
                "score": 40.5,
                "rank": 1,
            }
        ],
        "overdue": [
            {
                "id": "t-7",
                "code": "HA-03",
                "job": "Ít trễ",
                "unit": WARD,
                "unit_name": "Phường Hương An",
                "deadline": "2026-10-31",
                "days_overdue": 29,
                "responsible_person": "Bí thư",
                "rolled_percent": 90.0,
            },
            {
                "id": "t-8",
                "code": "HA-01",
                "job": "Trễ nhất",
                "unit": WARD,
                "unit_name": "Phường Hương An",
                "deadline": "2026-09-30",
                "days_overdue": 60,
                "responsible_person": "Phó Chủ tịch",
                "rolled_percent": None,
            },
        ],
        "overdue_total": 2,
        "indicators": [
            {
                "id": "i-9",
                "name": "Số điểm rác",
                "measure": "điểm",
                "target": 0.0,
                "year": 2026,
                "comparator": "<=",
                "direction": "lower_is_better",
                "actual": None,
                "rolled_up": 12.0,
                "from_units": 4,
                "attainment": 0.9,
                "met": False,
            },
        ],
    }


# -- served through ASGI, against a stand-in of the APIs -------------------------------------------
class FakeApi:
    """The results and directory APIs as the screens use them, recording what they are sent."""

    def __init__(self) -> None:
        self.report = report()
        self.calls: list[tuple[str, str, Any]] = []
        self.directory: list[tuple[str, str | None]] = []
        self.app = FastAPI()
        self.app.include_router(router)
        app = self.app

        @app.get("/api/results/reports/{report_id}")
        async def get_report(report_id: str) -> Any:
            return self.report

        @app.get("/api/results/reports/{report_id}/versions")
        async def versions(report_id: str) -> Any:
            return [{"id": self.report["id"], "version": 1, "status": self.report["status"]}]

        @app.put("/api/results/reports/{report_id}/lines")
        async def put_lines(report_id: str, request: Request) -> Any:
            body = await request.json()
            self.calls.append(("PUT", "lines", body))
            for i, t in enumerate(body["tasks"]):
                if isinstance(t.get("percent"), str):
                    problem = {
                        "title": "Invalid request",
                        "errors": [
                            {
                                "field": f"body.tasks.{i}.percent",
                                "reason": "Input should be a valid number, unable to parse string "
                                "as a number",
                            }
                        ],
                    }
                    return JSONResponse(problem, status_code=422)
                if t.get("state") == "done" and t.get("percent", 0) != 100:
                    problem = {
                        "title": "The report has errors",
                        "errors": [
                            {
                                "field": "tasks.HA-01.percent",
                                "reason": "a task that is done is 100% done",
                            }
                        ],
                    }
                    return JSONResponse(problem, status_code=422)
            return self.report

        @app.post("/api/results/reports/{report_id}/sign-off")
        async def sign_off(report_id: str) -> Any:
            self.calls.append(("POST", "sign-off", None))
            return {**self.report, "status": "submitted"}

        @app.post("/api/results/reports/{report_id}/decision")
        async def decision(report_id: str, request: Request) -> Any:
            body = await request.json()
            self.calls.append(("POST", "decision", body))
            if body["decision"] == "return" and not body["comment"] and not body["comments"]:
                problem = {
                    "errors": [
                        {"field": "comment", "reason": "say what to fix when returning a report"}
                    ]
                }
                return JSONResponse(problem, status_code=422)
            return {**self.report, "status": "accepted"}

        @app.post("/api/results/units/{unit}/periods/{period}/reopen", status_code=201)
        async def reopen(unit: str, period: str, request: Request) -> Any:
            self.calls.append(("POST", f"reopen {unit} {period}", await request.json()))
            return {**self.report, "id": "r-2", "version": 2}

        @app.get("/api/results/reports")
        async def list_reports(unit: str, status: str | None = None) -> Any:
            row = {
                **self.report,
                "status": "submitted",
                "submitted_by": "head.huong-an",
                "submitted_at": "2026-04-18T02:00:00Z",
            }
            own = {**row, "id": "r-city", "unit": "vn.hue", "unit_name": "Thành phố Huế"}
            return [row, own]

        @app.get("/api/results/dashboard")
        async def dashboard(unit: str, period: str | None = None) -> Any:
            self.calls.append(("GET", "dashboard", {"unit": unit, "period": period}))
            return dashboard_board()

        @app.get("/api/results/dashboard.csv")
        async def dashboard_csv(unit: str) -> Response:
            return Response(
                "\ufeffĐơn vị\r\nPhường Hương An\r\n",
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="dashboard.csv"'},
            )

        @app.get("/api/results/units/{unit}/progress")
        async def progress(unit: str) -> Any:
            return [{"period": "2026-10", "mean_percent": 69.2, "lines": 12}]

        @app.get("/api/results/policy")
        async def policy() -> Any:
            return {"current": {"cadence": {"ward": ["month", "year"], "city": ["quarter"]}}}

        @app.get("/api/results/units/{unit}/evaluation")
        async def evaluation(unit: str, period: str) -> Any:
            return {
                "unit": unit,
                "unit_name": "Phường Hương An",
                "period": period,
                "as_of": "2026-10-31",
                "formula_version": "2026-1",
                "score": 26.0,
                "terms": [
                    {
                        "name": "no_overdue",
                        "label_vi": "Không để nhiệm vụ quá hạn",
                        "weight": 0.2,
                        "value": 0.5,
                        "points": 10.0,
                        "note": "1/2 nhiệm vụ quá hạn",
                        "sources": [
                            {"kind": "task", "id": TASK, "code": "HA-01", "status": "overdue"}
                        ],
                    },
                    {
                        "name": "indicators",
                        "label_vi": "Mức đạt chỉ tiêu so với mục tiêu",
                        "weight": 0.3,
                        "value": 0.5,
                        "points": 15.0,
                        "note": "",
                        "sources": [
                            {
                                "kind": "indicator",
                                "id": INDICATOR,
                                "code": "HUE-CT02",
                                "attainment": 0.5,
                            }
                        ],
                    },
                    {
                        "name": "reports_on_time",
                        "label_vi": "Báo cáo đúng hạn",
                        "weight": 0.1,
                        "value": 0.1,
                        "points": 1.0,
                        "note": "",
                        "sources": [
                            {
                                "kind": "report",
                                "id": "r-1",
                                "period": "2026-09",
                                "submitted": True,
                                "late": True,
                            },
                            {
                                "kind": "report",
                                "id": None,
                                "period": "2026-10",
                                "submitted": False,
                                "late": False,
                            },
                        ],
                    },
                ],
            }

        @app.get("/api/results/tasks")
        async def tasks(unit: str) -> Any:
            return [
                {
                    "id": TASK,
                    "code": "HA-01",
                    "job": "Xóa 12 điểm tập kết rác",
                    "deadline": "2026-09-30",
                }
            ]

        @app.get("/api/results/indicators")
        async def indicators(unit: str) -> Any:
            return [{"id": INDICATOR, "name": "Số điểm tập kết rác còn tồn tại"}]

        @app.get("/api/directory/units")
        async def units(under: str | None = None) -> Any:
            self.directory.append(("units", under))
            return [u for u in UNITS if not under or u["code"].startswith(under)]

        @app.get("/api/directory/users")
        async def users(unit: str | None = None) -> Any:
            self.directory.append(("users", unit))
            return [p for p in PEOPLE if not unit or p["unit"].startswith(unit)]

        @app.get("/api/directory/units/{code}")
        async def unit(code: str) -> Any:
            return {"code": code, "name": "Phường Hương An", "level": "ward", "parent": "vn.hue"}


def session(user: User) -> dict[str, str]:
    claims = {
        "sub": user.username,
        "name": user.name,
        "unit": user.unit,
        "roles": list(user.roles),
        "exp": int(time.time()) + 3600,
    }
    return {
        "cascade_session": jwt.encode(
            claims, "the-portal-reads-claims-it-never-checks-them", "HS256"
        )
    }


@pytest.fixture
def api() -> Iterator[FakeApi]:
    yield FakeApi()


async def client_for(api: FakeApi, user: User | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app),
        base_url="http://portal",
        cookies=session(user) if user else None,
    )


async def test_signing_in_comes_first(api: FakeApi) -> None:
    async with await client_for(api, None) as c:
        r = await c.get("/portal/results/reports/r-1")
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/sign-in?next=")


async def test_a_refused_save_shows_the_errors_and_keeps_what_was_typed(api: FakeApi) -> None:
    async with await client_for(api, DRAFTER) as c:
        data = {f"{k}": v for k, v in form(api.report, state="done", narrative="Đã xóa 9").items()}
        r = await c.post("/portal/results/reports/r-1/lines", data=data)
    assert r.status_code == 422
    assert api.calls == [
        (
            "PUT",
            "lines",
            {
                "tasks": [{"task_id": TASK, "state": "done", "narrative": "Đã xóa 9"}],
                "indicators": [],
            },
        )
    ]
    text = main_text(r.text)
    assert "Báo cáo chưa được lưu" in text
    assert "HA-01 · Tỷ lệ hoàn thành (%): nhiệm vụ đã hoàn thành phải đạt 100%" in text
    assert ">Đã xóa 9</textarea>" in r.text and 'value="done" selected' in r.text


async def test_a_typo_is_named_by_its_task_too(api: FakeApi) -> None:
    async with await client_for(api, DRAFTER) as c:
        data = dict(form(api.report, percent="4o").items())
        r = await c.post("/portal/results/reports/r-1/lines", data=data)
    assert r.status_code == 422
    assert "HA-01 · Tỷ lệ hoàn thành (%): phải là một số" in main_text(r.text)


async def test_saved_and_signed_off_then_redirected(api: FakeApi) -> None:
    async with await client_for(api, HEAD) as c:
        data = dict(form(api.report, percent="60").items())
        r = await c.post("/portal/results/reports/r-1/lines", data=data)
        assert r.status_code == 303
        assert r.headers["location"] == "/portal/results/reports/r-1?done=saved"
        r = await c.get(r.headers["location"])
        assert "Đã lưu báo cáo" in r.text and 'id="sign-off"' in r.text
        api.calls.clear()
        r = await c.post("/portal/results/reports/r-1/sign-off", data=data)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=signed")
    assert [c[1] for c in api.calls] == ["lines", "sign-off"]  # what the form says, then sent


async def test_the_drafter_does_not_sign_off(api: FakeApi) -> None:
    async with await client_for(api, DRAFTER) as c:
        r = await c.get("/portal/results/reports/r-1")
    assert 'id="save-report"' in r.text and 'id="sign-off"' not in r.text


async def test_the_city_returns_with_a_comment_or_accepts(api: FakeApi) -> None:
    api.report = report(status="submitted", editable=False)
    async with await client_for(api, APPROVER) as c:
        r = await c.get("/portal/results/reports/r-1")
        assert 'id="decide"' in r.text and 'name="state.t-1"' not in r.text
        r = await c.post("/portal/results/reports/r-1/decision", data={"decision": "return"})
        assert r.status_code == 422
        decide = r.text[r.text.index('id="decide"') :]
        assert "khi trả lại báo cáo, ghi rõ nội dung cần sửa" in decide
        r = await c.post(
            "/portal/results/reports/r-1/decision",
            data={"decision": "return", f"task_comment.{TASK}": "Bổ sung biên bản"},
        )
        assert (
            r.status_code == 303 and r.headers["location"] == "/portal/results/review?done=decided"
        )
        assert api.calls[-1][2]["comments"] == [{"task_id": TASK, "text": "Bổ sung biên bản"}]
        r = await c.get(r.headers["location"])
    text = main_text(r.text)
    assert "Đã ghi nhận quyết định" in text
    assert "Phường Hương An · Báo cáo tháng 3/2026" in text
    assert "Thành phố Huế · Báo cáo" not in text  # its own report is not the city's to decide
    assert WARD not in text


async def test_the_city_reopens_a_period_with_a_reason(api: FakeApi) -> None:
    async with await client_for(api, APPROVER) as c:
        r = await c.get("/portal/results/review")
        assert '<option value="vn.hue.huong-an">Phường Hương An</option>' in r.text
        assert ">Tháng " in r.text  # the wards' periods, from the policy's cadence
        r = await c.post(
            "/portal/results/reopen",
            data={"unit": WARD, "period": "2026-03", "reason": "Bổ sung số liệu"},
        )
    assert (
        r.status_code == 303
        and r.headers["location"] == "/portal/results/reports/r-2?done=reopened"
    )
    assert api.calls[-1] == ("POST", f"reopen {WARD} 2026-03", {"reason": "Bổ sung số liệu"})


async def test_the_dashboard_names_units_sorts_overdue_and_links_the_explanation(
    api: FakeApi,
) -> None:
    async with await client_for(api, APPROVER) as c:
        r = await c.get("/portal/results/dashboard")
        csv = await c.get("/portal/results/dashboard.csv")
    assert r.status_code == 200
    text = main_text(r.text)
    assert WARD not in text and "Phường Hương An" in text and "Thành phố Huế" in text
    for label in ("Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Chưa hoàn thành, trong hạn"):
        assert label in text
    assert "Đã gửi, chờ tiếp nhận" in text and "Gửi trễ hạn" in text
    assert text.index("Trễ nhất") < text.index("Ít trễ")  # latest first
    assert "quá hạn 60 ngày" in text
    assert f"/portal/results/units/{WARD}/evaluation?period=2026-11" in r.text
    assert 'class="chart progress-chart"' in r.text and 'data-value="69.2"' in r.text
    assert "12 điểm" in text and "tổng hợp từ 4 đơn vị" in text and "Chưa đạt" in text
    assert '<option value="2026-11" selected>Tháng 11/2026</option>' in r.text
    assert csv.status_code == 200 and csv.headers["content-disposition"].startswith("attachment")
    assert "Phường Hương An" in csv.text


async def test_the_explanation_traces_each_term_to_its_records(api: FakeApi) -> None:
    async with await client_for(api, APPROVER) as c:
        r = await c.get(f"/portal/results/units/{WARD}/evaluation?period=2026-10")
    assert r.status_code == 200
    text = main_text(r.text)
    assert "Giải thích điểm" in text and "Phường Hương An · Tháng 10/2026" in text
    assert "HA-01: Xóa 12 điểm tập kết rác" in text and "Quá hạn" in text
    assert "Số điểm tập kết rác còn tồn tại" in text and "Mức đạt 50%" in text
    assert "/portal/results/reports/r-1" in r.text and "Gửi trễ hạn" in text and "Chưa gửi" in text
    assert "20%" in text and "Công bố kết quả đánh giá" in text  # the city publishes
    assert WARD not in text


@pytest.mark.parametrize(
    ("user", "shown", "hidden"),
    [
        (DRAFTER, ["Báo cáo kết quả"], ["Theo dõi kết quả", "Tiếp nhận báo cáo"]),
        (HEAD, ["Báo cáo kết quả"], ["Theo dõi kết quả", "Tiếp nhận báo cáo"]),
        (APPROVER, ["Theo dõi kết quả", "Tiếp nhận báo cáo"], ["Báo cáo kết quả"]),
        (AUDITOR, ["Theo dõi kết quả"], ["Tiếp nhận báo cáo", "Báo cáo kết quả"]),
    ],
)
def test_the_navigation_offers_the_results_screens_by_role(
    user: User, shown: list[str], hidden: list[str]
) -> None:
    page = render(
        "results_periods.html", user=user, unit=user.unit, unit_name="", periods=[], may_open=False
    )
    nav = page[page.index("<nav") : page.index("</nav>")]
    for label in shown:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label


async def test_a_returned_report_shows_the_comments_beside_their_lines(api: FakeApi) -> None:
    api.report = report(
        status="returned",
        comment="Bổ sung minh chứng",
        decided_by="approver.hue",
        comments=[
            {"task_id": TASK, "text": "Thiếu biên bản nghiệm thu"},
            {"indicator_id": INDICATOR, "text": "Số liệu chưa khớp"},
        ],
    )
    async with await client_for(api, DRAFTER) as c:
        r = await c.get("/portal/results/reports/r-1")
    page = r.text
    assert page.index('id="return-comment"') < page.index('id="tasks"')
    line_card = page[page.index(f'id="line-{TASK}"') : page.index('id="indicators"')]
    assert "Thiếu biên bản nghiệm thu" in line_card and 'name="state.t-1"' in line_card
    indicator_card = page[page.index(f'id="indicator-{INDICATOR}"') :]
    assert "Số liệu chưa khớp" in indicator_card
    assert "Bị trả lại" in main_text(page)


async def test_people_read_by_name_and_the_directory_is_asked_once(api: FakeApi) -> None:
    """Who signed and who decided, by name: the ward's head from the directory, the city's
    approver (whom the ward's directory does not show) by the unit that decides; the directory
    is asked once for all the screens, not once a row."""
    api.report = report(
        status="returned",
        submitted_by="head.huong-an",
        submitted_at="2026-04-18T02:00:00Z",
        decided_by="approver.hue",
        decided_at="2026-04-19T07:05:00Z",
        comment="Bổ sung minh chứng",
    )
    async with await client_for(api, DRAFTER) as c:
        r = await c.get("/portal/results/reports/r-1")
        again = await c.get("/portal/results/reports/r-1")
    assert r.status_code == again.status_code == 200
    text = main_text(r.text)
    assert "Gửi bởi Trần Văn Bình · 09:00 18/04/2026" in " ".join(text.split())
    assert "Quyết định bởi Cán bộ Thành phố Huế · 14:05 19/04/2026" in " ".join(text.split())
    assert "head.huong-an" not in text and "approver.hue" not in text
    assert 'title="approver.hue"' in r.text  # the login name stays in the tooltip
    assert api.directory == [("units", None), ("users", WARD)]


async def test_a_completion_date_is_typed_day_first(api: FakeApi) -> None:
    api.report = report(tasks=[line(state="done", percent=100.0, completed_on="2026-03-05")])
    r0 = await (await client_for(api, DRAFTER)).get("/portal/results/reports/r-1")
    assert 'name="completed_on.t-1" value="05/03/2026"' in r0.text
    async with await client_for(api, DRAFTER) as c:
        data = dict(form(api.report, completed_on="20/03/2026").items())
        r = await c.post("/portal/results/reports/r-1/lines", data=data)
        assert r.status_code == 303
        assert api.calls[-1][2]["tasks"] == [{"task_id": TASK, "completed_on": "2026-03-20"}]
        api.calls.clear()
        for typed in ("31/02/2026", "03/13/2026", "20260320"):
            data = dict(form(api.report, completed_on=typed).items())
            r = await c.post("/portal/results/reports/r-1/lines", data=data)
            assert r.status_code == 422, typed
            assert api.calls == []  # refused before anything is sent
            text = " ".join(main_text(r.text).split())
            assert f"HA-01 · Ngày hoàn thành: “{typed}” không phải là ngày hợp lệ" in text
            assert f'name="completed_on.t-1" value="{typed}"' in r.text  # kept as typed
            assert 'aria-invalid="true" aria-describedby="msg-completed_on-t-1"' in r.text
