"""A refused submission and a refused import, through ASGI against a stand-in of the APIs: the
submission answers with a redirect (post/redirect/get) to the plan, which lists every error
and warning at the top, by task, each linking to its field, with the acknowledgement beside
the warnings; a refused import lists its errors at the top, naming sheet, row and column in
Vietnamese."""

from __future__ import annotations

import html
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse

from tests.unit.test_portal_screens import DRAFTER, FakeApis, cookie, get_and_post

ERRORS = [
    {
        "field": "tasks.HA-01.timeline",
        "task": "HA-01",
        "element": "timeline",
        "reason": "the milestone 2026-Q1 ends before the task starts (01/03/2026)",
    },
    {"field": "tasks.HA-01.person", "task": "HA-01", "element": "person", "reason": "x"},
]
WARNINGS = [
    {
        "code": "generic-job",
        "severity": "warning",
        "field": "tasks.HA-01.job",
        "subject": "HA-01",
        "reason": "the job names only a generic activity; say what is done to what or for "
        "whom, and where: add the object, the place and the people concerned",
    }
]
IMPORT_ERRORS = [
    {
        "sheet": "Nhiệm vụ",
        "row": 3,
        "column": "Thời hạn",
        "reason": "'31/09/2026' is not a date of the calendar",
        "field": "Nhiệm vụ!3:Thời hạn",
    },
    {
        "sheet": "Nhiệm vụ",
        "row": 4,
        "column": "Đơn vị chủ trì",
        "reason": "'Sở Y tế, Sở Tài chính' is not in the directory: give the code or the exact "
        "name of a unit or body registered there",
        "field": "Nhiệm vụ!4:Đơn vị chủ trì",
    },
    {
        "sheet": "Chỉ tiêu",
        "row": 1,
        "column": "Mã",
        "reason": "the required column 'Mã' is missing",
        "field": "Chỉ tiêu!1:Mã",
    },
]


def refusing_apis() -> FakeApis:
    apis = FakeApis()
    app = apis.app
    app.router.routes = [
        r for r in app.router.routes if getattr(r, "path", "") != "/api/plans/{plan_id}/check"
    ]

    @app.post("/api/plans/{plan_id}/check")
    async def check(plan_id: str) -> Any:
        return {"errors": ERRORS, "warnings": WARNINGS}

    @app.post("/api/plans/{plan_id}/submit")
    async def submit(plan_id: str, request: Request) -> Any:
        apis.sent.append(("submit", await request.json()))
        body = {"title": "Plan not ready", "errors": ERRORS, "warnings": WARNINGS}
        return JSONResponse(body, status_code=422)

    @app.post("/api/plans/{plan_id}/import")
    async def import_file(plan_id: str) -> Any:
        body = {
            "title": "The file cannot be imported",
            "detail": "3 error(s)",
            "errors": IMPORT_ERRORS,
        }
        return JSONResponse(body, status_code=422)

    return apis


async def test_a_refused_submission_redirects_to_the_plan_listing_what_to_fix() -> None:
    apis = refusing_apis()
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/submit", {})
    assert r.status_code == 303  # a reload of what follows is a GET: nothing is re-submitted
    assert r.headers["location"] == "/portal/plans/p1?refused=1#refused"
    assert apis.sent == [("submit", {"acknowledge_warnings": False})]

    page = await get_and_post(apis, DRAFTER, "/portal/plans/p1?refused=1")
    text = html.unescape(page.text)
    assert 'id="refused"' in text and "Kế hoạch chưa được trình" in text
    errors, warnings = text.index('id="error-list"'), text.index('id="warning-list"')
    tasks = text.index('id="tasks"')
    assert errors < warnings < tasks
    # each error links to its field of task t1's form: the milestones, the person
    milestones = text.index('href="#milestones-t1"', errors)
    person = text.index('href="#responsible_person-t1"', errors)
    assert milestones < person < warnings
    assert "Chưa rõ thời gian: mốc quý I/2026 kết thúc" in text[milestones:person]
    # the warning links to the job, the acknowledgement beside it, tied to the submit form
    job = text.index('href="#job-t1"', warnings)
    assert "Việc chung chung: nhiệm vụ chỉ nêu hoạt động chung chung" in text[job:tasks]
    ack = text.index('id="acknowledge_warnings_top"', warnings)
    assert job < ack < tasks and 'form="submit-form"' in text[ack - 200 : ack + 200]
    # the failing task's form is open
    card = text.index('id="task-t1"')
    assert "<details open>" in text[card : text.index('id="job-t1"', card)]

    again = await get_and_post(apis, DRAFTER, "/portal/plans/p1?refused=1")
    assert again.status_code == 200 and len(apis.sent) == 1  # GETs submit nothing

    plain = html.unescape((await get_and_post(apis, DRAFTER, "/portal/plans/p1")).text)
    assert 'id="refused"' not in plain and 'id="error-list"' in plain  # the check's list stays


async def test_acknowledging_at_the_top_submits_the_acknowledgement() -> None:
    apis = refusing_apis()
    await get_and_post(apis, DRAFTER, "/portal/plans/p1/submit", {"acknowledge_warnings": "on"})
    assert apis.sent == [("submit", {"acknowledge_warnings": True})]


async def test_a_refused_import_lists_each_error_at_the_top_by_sheet_row_and_column() -> None:
    apis = refusing_apis()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=apis.app),
        base_url="http://portal",
        cookies=cookie(DRAFTER),
    ) as client:
        r = await client.post("/portal/plans/p1/import", files={"file": ("ke-hoach.xlsx", b"PK")})
    assert r.status_code == 422
    text = html.unescape(r.text)
    top = text.index('id="import-errors"')
    assert top < text.index('id="tasks"')
    assert "Tệp chưa được nhập (không dòng nào được lưu)" in text[top:]
    for line in (
        "Trang “Nhiệm vụ”, dòng 3, cột “Thời hạn”: “31/09/2026” không phải là ngày có thật",
        "Trang “Nhiệm vụ”, dòng 4, cột “Đơn vị chủ trì”: “Sở Y tế, Sở Tài chính” chưa có "
        "trong danh mục",
        "Trang “Chỉ tiêu”, dòng 1, cột “Mã”: thiếu cột “Mã”",
    ):
        assert line in text, line
