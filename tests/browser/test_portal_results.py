"""Results through the officials' portal in a real browser: a Hương An plan is approved (through
the API), the ward's drafter fills in the month's report (refused first, the error naming the
task and the field in Vietnamese), the ward head signs it off, the city approver sees it on the
dashboard, accepts it, sees the row change and opens the explained score; every screen on the
way names units, people and periods as officials do, never by code (``readable``). And the
dashboard fits a phone."""

from __future__ import annotations

import asyncio
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.infra import IN_CI
from tests.results_story import approved_ward_plan, month_of, tracked_tasks
from tests.story import WARD, eventually, token

if not IN_CI:  # without Playwright the browser tests skip (CI must have it)
    pytest.importorskip("playwright", reason="Playwright is not installed")

import openpyxl
from playwright.sync_api import Browser, BrowserContext, Page, expect

expect.set_options(timeout=20_000)

EXCEL_NARRATIVE = "Đã xóa 5/12 điểm tập kết rác tự phát (cập nhật từ Excel)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NARRATIVE = "Đã xóa 5/12 điểm tập kết rác tự phát, lập biên bản từng điểm"
EVIDENCE = "https://huong-an.example.gov.vn/bien-ban-ra-quan"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def in_a_thread(coroutine: Any) -> Any:
    """Run the API set-up on its own event loop (the sync Playwright API owns this thread's)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def ward_task(base: str) -> tuple[str, dict[str, Any]]:
    """An approved Hương An plan with one task (HA-01, due 30/09/2026); the task once tracked.
    When the demo's history is on (``make run``'s: Huế wards' plans in force and months of
    reports), it is seeded first, so none of it lands on this plan's task."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        drafter = await token(client, "drafter.huong-an")
        approver = await token(client, "approver.hue")
        demo = await client.get(
            "/api/plans",
            params={"unit": "vn.hue.phu-xuan", "status": "approved"},
            headers=approver,
        )
        assert demo.status_code == 200, demo.text
        if demo.json()["items"]:

            async def history_seeded() -> bool:
                r = await client.get(
                    "/api/results/reports", params={"unit": "vn.hue"}, headers=approver
                )
                return r.status_code == 200 and bool(r.json())

            await eventually(history_seeded, timeout=120, interval=0.5)
        plan_id = await approved_ward_plan(client)

        async def tracked() -> dict[str, Any] | None:
            rows = await tracked_tasks(client, drafter, WARD)
            return next((t for t in rows if t["plan_id"] == plan_id), None)

        return plan_id, await eventually(tracked)


def signed_in(browser: Browser, base: str, username: str, **options: Any) -> Page:
    context: BrowserContext = browser.new_context(base_url=base, locale="vi-VN", **options)
    context.set_default_timeout(30_000)  # a shared, busy machine
    page = context.new_page()
    page.goto("/portal/sign-in")
    page.get_by_label("Tên đăng nhập").select_option(username)
    page.locator("form:has(#username) button[type=submit]").click()
    expect(page.locator(".who .user")).to_contain_text(" · ")  # who, and where: by name
    return page


def shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation."""
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def open_month(page: Page, month: str) -> None:
    """From the list of periods, the month's report: opened if it exists, else started."""
    nav(page, "Báo cáo kết quả")
    expect(page.locator("h1")).to_have_text("Báo cáo kết quả thực hiện")
    period = page.locator(f"li.period[data-period='{month}']")
    expect(period).to_contain_text("Hạn gửi")
    reads_well(page)
    if period.locator("a.open-report").count():
        period.locator("a.open-report").click()
    else:
        period.get_by_role("button", name="Lập báo cáo").click()
    expect(page.locator("h1")).to_contain_text("Báo cáo kết quả thực hiện tháng")
    reads_well(page)


def test_a_month_reported_signed_off_accepted_and_explained(
    browser: Browser, portal_url: str, screenshots: Path
) -> None:
    _, task = in_a_thread(ward_task(portal_url))
    month = month_of(datetime.now(UTC).date())
    line_selector = f"article.task-line[data-task-id='{task['id']}']"

    # The ward drafter opens the month's report and fills in the task's line.
    drafter = signed_in(browser, portal_url, "drafter.huong-an")
    open_month(drafter, month)
    line = drafter.locator(line_selector)
    expect(line.get_by_label("Sản phẩm đã đạt (điểm)")).to_be_visible()  # the task's unit
    line.get_by_label("Tình hình thực hiện").select_option("done")
    line.get_by_label("Tỷ lệ hoàn thành (%)").fill("40")
    line.get_by_label("Sản phẩm đã đạt (điểm)").fill("5")
    line.get_by_label("Kết quả thực hiện").fill(NARRATIVE)
    line.get_by_label("Đường dẫn minh chứng").fill(EVIDENCE)
    line.get_by_label("Tên minh chứng").fill("Biên bản ra quân")
    drafter.locator("#save-report").click()

    # Refused whole: the error names the task and the field, in Vietnamese, at the top; what
    # was typed stays; the field is marked.
    errors = drafter.locator("#report-errors")
    expect(errors).to_contain_text("Báo cáo chưa được lưu")
    expect(errors).to_contain_text(
        "HA-01 · Tỷ lệ hoàn thành (%): nhiệm vụ đã hoàn thành phải đạt 100%"
    )
    line = drafter.locator(line_selector)
    expect(line.get_by_label("Kết quả thực hiện")).to_have_value(NARRATIVE)
    expect(line.get_by_label("Tỷ lệ hoàn thành (%)")).to_have_attribute("aria-invalid", "true")
    reads_well(drafter)
    shoot(drafter, screenshots, "12-results-report-refused")

    # Not done yet: in progress, 40%. Saved, then read back as saved.
    line.get_by_label("Tình hình thực hiện").select_option("in_progress")
    drafter.locator("#save-report").click()
    expect(drafter.locator("#notice")).to_have_text("Đã lưu báo cáo")
    expect(drafter).to_have_url(re.compile(r"/portal/results/reports/[^/?]+\?done=saved"))
    line = drafter.locator(line_selector)
    expect(line.get_by_label("Tỷ lệ hoàn thành (%)")).to_have_value("40")
    expect(line.locator(f"a[href='{EVIDENCE}']")).to_have_text("Biên bản ra quân")
    expect(drafter.locator("#sign-off")).to_have_count(0)  # only the head signs off
    report_url = drafter.url.split("?")[0]

    # An evidence file is uploaded to the line (kept with its hash by the service).
    line.get_by_label("Tệp minh chứng (PDF, ảnh, Word, Excel; tối đa 5 MB)").set_input_files(
        files=[{"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}]
    )
    line.get_by_role("button", name="Tải lên").click()
    expect(drafter.locator("#notice")).to_have_text("Đã đính kèm tệp minh chứng")
    line = drafter.locator(line_selector)
    expect(line.get_by_role("link", name="bien-ban.pdf")).to_be_visible()

    # The report goes to Excel and comes back filled in: the narrative changed there.
    with drafter.expect_download() as download:
        drafter.locator("#export-xlsx").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book["Nhiệm vụ"]
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 1).value == "HA-01")
    sheet.cell(row, 9, EXCEL_NARRATIVE)
    filled = io.BytesIO()
    book.save(filled)
    drafter.locator("#import-file").set_input_files(
        files=[{"name": "bao-cao.xlsx", "mimeType": XLSX, "buffer": filled.getvalue()}]
    )
    drafter.locator("#import-button").click()
    expect(drafter.locator("#notice")).to_have_text("Đã nhập báo cáo từ tệp Excel")
    line = drafter.locator(line_selector)
    expect(line.get_by_label("Kết quả thực hiện")).to_have_value(EXCEL_NARRATIVE)
    expect(line.get_by_role("link", name="bien-ban.pdf")).to_be_visible()  # kept

    # The ward head signs it off and it goes up.
    head = signed_in(browser, portal_url, "head.huong-an")
    open_month(head, month)
    head.get_by_role("button", name="Ký duyệt và gửi báo cáo").click()
    expect(head.locator("#notice")).to_have_text("Đã ký duyệt và gửi báo cáo lên cấp trên")
    expect(head.locator("#report-status")).to_have_text("Đã gửi, chờ tiếp nhận")
    expect(head.locator("#report-form")).to_have_count(0)  # no longer editable
    expect(head.locator("#report-meta")).to_contain_text("Gửi bởi Bí thư Đảng ủy phường Hương An")
    reads_well(head)

    # The city approver sees it on the dashboard, waiting; names, never codes.
    city = signed_in(browser, portal_url, "approver.hue")
    nav(city, "Theo dõi kết quả")
    row = city.locator(f"#units-table tr[data-unit='{WARD}']")
    expect(row.locator("th")).to_have_text("Phường Hương An")
    expect(row.locator(".report-cell")).to_contain_text("Đã gửi, chờ tiếp nhận")
    expect(row.locator("td[data-status=overdue]")).not_to_have_text("0")
    expect(city.locator("#units-table thead")).to_contain_text("Chưa hoàn thành, trong hạn")
    expect(city.locator("svg.progress-chart")).to_be_visible()
    expect(city.locator("#csv")).to_have_attribute("href", re.compile(r"dashboard\.csv\?unit="))
    overdue = city.locator(f"#overdue li[data-task-id='{task['id']}']")
    expect(overdue).to_contain_text("Phường Hương An")
    expect(overdue).to_contain_text("quá hạn")
    reads_well(city)

    # It waits for the city's decision; the approver accepts it.
    nav(city, "Tiếp nhận báo cáo")
    waiting = city.locator(f"li.waiting-report[data-unit='{WARD}'][data-period='{month}']")
    expect(waiting).to_contain_text("Phường Hương An")
    reads_well(city)
    waiting.locator("a.review-link").click()
    expect(city.locator(line_selector)).to_contain_text(EXCEL_NARRATIVE)
    reads_well(city)
    city.locator("#decision input[value=accept]").check()
    city.locator("#send-decision").click()
    expect(city.locator("#notice")).to_have_text("Đã ghi nhận quyết định")
    expect(waiting).to_have_count(0)

    # The dashboard's row follows; its score opens the explanation.
    deadline = time.monotonic() + 20
    while True:
        nav(city, "Theo dõi kết quả")
        cell = city.locator(f"#units-table tr[data-unit='{WARD}'] .report-cell")
        if "Đã tiếp nhận" in cell.inner_text():
            break
        assert time.monotonic() < deadline, cell.inner_text()
        time.sleep(0.3)
    shoot(city, screenshots, "13-results-dashboard")
    city.locator(f"#units-table tr[data-unit='{WARD}'] a.explain").click()
    expect(city.locator("h1")).to_have_text("Giải thích điểm")
    expect(city.locator("main")).to_contain_text("Phường Hương An")
    expect(city.locator("#terms tbody tr")).to_have_count(4)
    source = city.locator(f"#term-no_overdue li.source-task[data-id='{task['id']}']")
    expect(source).to_contain_text("HA-01")
    expect(source).to_contain_text("xóa 12 điểm tập kết rác")
    expect(source).to_contain_text("Quá hạn")
    expect(city.locator("#term-reports_on_time")).to_contain_text("Báo cáo")
    score = city.locator("#score").inner_text()
    points = city.locator("#terms td.points").all_inner_texts()
    assert abs(float(score) - sum(float(p) for p in points)) < 0.05, (score, points)
    reads_well(city)
    shoot(city, screenshots, "14-results-explained-score")

    # The accepted report reads the same for the drafter, and is no longer editable.
    drafter.goto(report_url)
    expect(drafter.locator("#report-status")).to_have_text("Đã tiếp nhận")
    expect(drafter.locator(line_selector).locator(".line-narrative")).to_have_text(EXCEL_NARRATIVE)
    # Decided by the city's approver, whom the ward's directory does not list: by name.
    expect(drafter.locator("#report-meta")).to_contain_text("Quyết định bởi Lãnh đạo Thành ủy Huế")
    reads_well(drafter)

    # English is one click away.
    city.get_by_role("link", name="English").click()
    expect(city.locator("h1")).to_have_text("How the score is made")
    reads_well(city)

    for page in (drafter, head, city):
        page.context.close()


def test_the_results_dashboard_fits_a_phone(
    browser: Browser, portal_url: str, screenshots: Path
) -> None:
    phone = signed_in(browser, portal_url, "approver.hue", **PHONE)
    for url in ("/portal/results/dashboard", "/portal/results/review"):
        phone.goto(url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
    phone.goto("/portal/results/dashboard")
    expect(phone.locator("#units-table")).to_be_visible()
    shoot(phone, screenshots, "15-phone-results-dashboard")
    ward = signed_in(browser, portal_url, "drafter.huong-an", **PHONE)
    ward.goto("/portal/results/reports")
    assert ward.evaluate("document.documentElement.scrollWidth") <= 390
    link = ward.locator("a.open-report").first
    if link.count():
        link.click()
        assert ward.evaluate("document.documentElement.scrollWidth") <= 390
    for page in (phone, ward):
        page.context.close()
