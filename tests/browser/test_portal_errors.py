"""Errors an official can act on, in a real browser (Phong Quảng's drafter, a ward no other
module's story uses): a refused submission lands, by a redirect, on the plan's page listing its
errors and its warnings at the top, by task; each error is a link that opens the task's form at
the failing field and puts the cursor there; only the failing task's form is open; reloading
the page submits nothing; the warnings are acknowledged beside their list. A refused import
lists its errors at the top in Vietnamese, naming the sheet, the row and the column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from cascade_plans.io.tables import TASK_HEADERS, TASKS_SHEET
from openpyxl import Workbook

from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.browser.test_portal_results import in_a_thread
from tests.browser.test_portal_story import signed_in, task_card
from tests.infra import IN_CI
from tests.story import FIX, hue_program, token

if not IN_CI:
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, Request, expect

expect.set_options(timeout=20_000)

WARD = "vn.hue.phong-quang"
GENERIC = "Tuyên truyền nghị quyết"  # a generic activity: a warning
NOT_APPLICABLE = "Nội dung do cấp thành phố trực tiếp thực hiện trên địa bàn phường"


async def _draft(base: str) -> str:
    """Phong Quảng's draft from Huế's program: PQ-01, whose job is generic and whose responsible
    official is missing; PQ-02, "5 clear"; every other group not applicable."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        drafter = await token(client, "drafter.phong-quang")
        parent_id, groups = await hue_program(client, drafter)
        r = await client.post(
            "/api/plans/from-parent",
            json={
                "title": "Kế hoạch của Đảng ủy phường Phong Quảng",
                "parent_plan_id": parent_id,
                "placeholder_tasks": False,
            },
            headers=drafter,
        )
        assert r.status_code == 201, r.text
        plan_id = r.json()["id"]
        tasks = [
            {**FIX, "code": "PQ-01", "job": GENERIC, "responsible_person": ""},
            {
                **FIX,
                "code": "PQ-02",
                "job": "Ra quân xóa 9 điểm tập kết rác tự phát ven phá Tam Giang, phường "
                "Phong Quảng",
                "product_quantity": 9,
            },
        ]
        for task in tasks:
            body = {**task, "task_group": groups[0], "lead_unit": WARD}
            r = await client.post(f"/api/plans/{plan_id}/tasks", json=body, headers=drafter)
            assert r.status_code == 201, r.text
        for code in groups[1:]:
            r = await client.patch(
                f"/api/plans/{plan_id}/task-groups/{code}",
                json={"not_applicable_reason": NOT_APPLICABLE},
                headers=drafter,
            )
            assert r.status_code == 200, r.text
        return plan_id


def bad_workbook(folder: Path) -> Path:
    """A task row with a day that does not exist and a lead unit the directory lacks."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = TASKS_SHEET
    sheet.append(list(TASK_HEADERS.values()))
    cells: dict[str, Any] = {
        "code": "PQ-03",
        "job": "Nạo vét 2 km kênh thoát nước tại tổ dân phố 4",
        "lead_unit": "Sở Y tế, Sở Tài chính",
        "responsible_person": "Chủ tịch UBND phường",
        "start": "01/04/2026",
        "deadline": "31/09/2026",
    }
    sheet.append([cells.get(key, "") for key in TASK_HEADERS])
    path = folder / "ke-hoach-loi.xlsx"
    wb.save(path)
    return path


def test_a_refused_submission_lists_its_errors_each_opening_its_field(
    browser: Browser, portal_url: str, tmp_path: Path
) -> None:
    plan_id = in_a_thread(_draft(portal_url))
    drafter = signed_in(browser, portal_url, "drafter.phong-quang")
    drafter.goto(f"/portal/plans/{plan_id}")
    posts: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    drafter.on("request", record)

    # Refused: a redirect to the plan (a GET), the errors and warnings listed at the top.
    drafter.locator("#submit-plan").click()
    expect(drafter).to_have_url(re.compile(rf"/portal/plans/{plan_id}\?refused=1#refused$"))
    assert [u for u in posts if u.endswith("/submit")] == [posts[-1]] and len(posts) == 1
    expect(drafter.locator("#refused")).to_be_visible()
    errors = drafter.locator("#error-list")
    expect(errors.locator(".finding-task")).to_have_count(1)  # by task: only PQ-01 fails
    expect(errors.locator(".finding-task")).to_contain_text("Nhiệm vụ PQ-01")
    expect(errors).to_contain_text("Chưa rõ người")
    warnings = drafter.locator("#warning-list")
    expect(warnings).to_contain_text("Nhiệm vụ PQ-01")
    expect(warnings).to_contain_text("Việc chung chung")
    expect(drafter.locator("#acknowledge_warnings_top")).not_to_be_checked()
    # only the failing task's form is open
    expect(task_card(drafter, "PQ-01").locator("details")).to_have_attribute("open", "")
    expect(task_card(drafter, "PQ-02").locator("details")).not_to_have_attribute("open", "")
    # the generic job's warning also stands beside the job field
    expect(task_card(drafter, "PQ-01").locator("[id^=msg-job-]")).to_contain_text(
        "đối tượng, địa bàn"
    )
    reads_well(drafter)

    # Reloading shows the same page and submits nothing.
    posts.clear()
    drafter.reload()
    expect(drafter.locator("#error-list")).to_contain_text("Chưa rõ người")
    assert posts == []
    expect(drafter.locator("#plan-status")).to_have_text("Đang soạn")

    # The error's link opens the task's form at the field, cursor in it.
    person = task_card(drafter, "PQ-01").get_by_label("Người chịu trách nhiệm")
    drafter.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    expect(person).to_be_hidden()
    errors.get_by_role("link", name=re.compile("Chưa rõ người")).click()
    expect(person).to_be_visible()
    expect(person).to_be_focused()
    # the warning's link: the job field
    warnings.get_by_role("link", name=re.compile("Việc chung chung")).click()
    expect(task_card(drafter, "PQ-01").get_by_label("Nội dung công việc")).to_be_focused()

    # A refused import: its errors at the top, sheet, row and column named in Vietnamese.
    drafter.locator("#file").set_input_files(str(bad_workbook(tmp_path)))
    drafter.get_by_role("button", name="Nhập", exact=True).click()
    top = drafter.locator("#import-errors")
    expect(top).to_be_visible()
    expect(top).to_contain_text("Tệp chưa được nhập")
    expect(top).to_contain_text(
        "Trang “Nhiệm vụ”, dòng 2, cột “Thời hạn hoàn thành”: “31/09/2026” không phải là ngày"
    )
    expect(top).to_contain_text("Trang “Nhiệm vụ”, dòng 2, cột “Đơn vị chủ trì”")
    box = top.bounding_box()
    tasks = drafter.locator("#tasks").bounding_box()
    assert box is not None and tasks is not None and box["y"] < tasks["y"]  # at the top
    expect(task_card(drafter, "PQ-03")).to_have_count(0)  # nothing imported
    reads_well(drafter)

    # Fixed, and the warning acknowledged beside its list: submitted.
    drafter.goto(f"/portal/plans/{plan_id}")
    card = task_card(drafter, "PQ-01")
    card.get_by_label("Người chịu trách nhiệm").fill("Phó Chủ tịch UBND phường")
    card.get_by_role("button", name="Lưu nhiệm vụ").click()
    expect(drafter.locator("#error-list")).to_have_count(0)
    expect(drafter.locator("#warning-list")).to_contain_text("Việc chung chung")
    drafter.locator("#acknowledge_warnings_top").check()
    drafter.locator("#submit-plan-top").click()
    expect(drafter.locator("#plan-status")).to_have_text("Đã trình")
