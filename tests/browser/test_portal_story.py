"""The whole story through the officials' portal in a real browser, no curl: a Hương An drafter
starts a plan from Huế's program, is refused with the errors beside the task, fixes it, marks
the other groups not applicable and submits; the ward head approves; the city approver returns
it with a comment on the task; the drafter sees the comment beside the task, fixes, resubmits and
sees the diff; the plan is approved; the drafter's bell and inbox show the news; the city's
coverage dashboard shows the ward; the auditor finds the plan's trail and verifies the chain.
Every screen on the way speaks the officials' language: units, people and steps by name, days
day first, periods as "Quý II/2026", the trail as sentences, never a code (``readable``). And:
a sibling ward's drafter cannot open the plan (a clear page, not a crash), and the screens fit a
phone."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from cascade_plans.io.tables import INDICATOR_HEADERS, INDICATORS_SHEET, TASK_HEADERS, TASKS_SHEET
from openpyxl import Workbook, load_workbook

from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.infra import IN_CI

if not IN_CI:  # without Playwright the browser tests skip (CI must have it)
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, BrowserContext, Page, expect

expect.set_options(timeout=20_000)

WARD_TITLE = "Kế hoạch của Đảng ủy phường Hương An thực hiện Nghị quyết Đại hội XIV"
RETURN_COMMENT = "Đề nghị nâng số điểm tập kết rác được xóa lên 15 điểm"
NOT_APPLICABLE = "Nội dung do cấp thành phố trực tiếp thực hiện trên địa bàn phường"
STATE: dict[str, Any] = {}


def ward_workbook(folder: Path) -> Path:
    """One more task and a local indicator, in the layout officials keep."""
    wb = Workbook()
    tasks = wb.active
    tasks.title = TASKS_SHEET
    tasks.append(list(TASK_HEADERS.values()))
    cells = {
        "code": "HA-02",
        "task_group": "TG01",
        "job": "Chỉnh trang vỉa hè, trồng 200 cây xanh trên tuyến đường Lý Nam Đế qua phường",
        "lead_unit": "vn.hue.huong-an",
        "responsible_person": "Phó Chủ tịch UBND phường phụ trách đô thị",
        "start": "01/04/2026",
        "deadline": "30/11/2026",
        "milestones": "2026-Q3: 100 cây; 2026-11: 200 cây",
        "product_description": "Cây xanh được trồng",
        "product_quantity": 200,
        "product_unit": "cây",
    }
    tasks.append([cells.get(key, "") for key in TASK_HEADERS])
    indicators = wb.create_sheet(INDICATORS_SHEET)
    indicators.append(list(INDICATOR_HEADERS.values()))
    indicators.append(
        ["HA-CT01", "Số điểm tập kết rác gây ô nhiễm còn tồn tại", "điểm", 12, 0, 2026, "≤"]
    )
    path = folder / "ke-hoach-huong-an.xlsx"
    wb.save(path)
    return path


def signed_in(browser: Browser, base: str, username: str, **options: Any) -> Page:
    context: BrowserContext = browser.new_context(base_url=base, locale="vi-VN", **options)
    context.set_default_timeout(30_000)  # a shared, busy machine
    page = context.new_page()
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))
    page.get_by_label("Tên đăng nhập").select_option(username)
    page.locator("form:has(#username) button[type=submit]").click()
    expect(page.locator(".who .user")).to_contain_text(" · ")  # who, and where: by name
    return page


def until_visible(page: Page, url: str, selector: str, timeout: float = 20.0) -> None:
    """Events travel asynchronously: reload until the page shows what the story expects."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if page.locator(selector).count():
            return
        assert time.monotonic() < deadline, f"{selector} never appeared on {url}"
        time.sleep(0.3)


def task_card(page: Page, code: str) -> Any:
    return page.locator(f"article.task[data-code='{code}']")


def shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def decide_if_waiting(
    page: Page, plan_id: str, changes: str | None = None, shot: Path | None = None
) -> bool:
    """Approve the plan if it waits on this user; first check the changes since the previous
    version are shown to them."""
    page.goto("/portal/queue")
    link = page.locator(f"a[href='/portal/plans/{plan_id}#decide']")
    if not link.count():
        return False
    link.click()
    if changes is not None:
        expect(page.locator("#changes")).to_contain_text(changes)
    reads_well(page)  # the decision page: the step by its label, days day first
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    expect(page.locator("#decision input[name=decision]:checked")).to_have_count(0)
    page.locator("#decision input[value=approve]").check()
    page.locator("#decision-confirm").check()  # approving is confirmed first
    page.locator("#send-decision").click()
    expect(page.locator(".flash")).to_be_visible()
    return True


def plan_option(auditor: Page) -> str:
    """The audit search's choice of the story's plan, by its title (and unit)."""
    option = auditor.locator("#f-plan_id option", has_text=WARD_TITLE)
    expect(option).to_have_count(1)
    return option.inner_text().strip()


def test_the_whole_story_in_the_browser(
    browser: Browser, portal_url: str, screenshots: Path, tmp_path: Path
) -> None:
    drafter = signed_in(browser, portal_url, "drafter.huong-an")
    expect(drafter.locator(".who .user")).to_contain_text("Phường Hương An")
    reads_well(drafter)
    shoot(drafter, screenshots, "01-home-drafter")

    # Start from Huế's program, without placeholders; add one task that is not yet "5 clear".
    drafter.get_by_label("Tên kế hoạch").fill(WARD_TITLE)
    drafter.get_by_role("button", name="Tạo kế hoạch").click()
    expect(drafter.locator("h1")).to_have_text(WARD_TITLE)
    plan_url = drafter.url.split("?")[0]
    plan_id = plan_url.rsplit("/", 1)[1]
    STATE["plan_id"] = plan_id
    add = drafter.locator("#add-task")
    add.get_by_label("Mã").fill("HA-01")
    add.get_by_label("Nhóm nhiệm vụ").select_option("TG01")
    add.get_by_label("Nội dung công việc").fill("Chỉnh trang")
    add.get_by_role("button", name="Thêm nhiệm vụ").click()

    # Refused: the errors stand beside the task's fields, in Vietnamese.
    drafter.locator("#submit-plan").click()
    expect(drafter.locator("#refused")).to_be_visible()
    card = task_card(drafter, "HA-01")
    expect(card.locator("[id^=msg-person-]")).to_contain_text("Chưa rõ người")
    expect(card.locator("[id^=msg-timeline-]")).to_contain_text("Chưa rõ thời gian")
    expect(card.locator("[id^=msg-product-]")).to_contain_text("Chưa rõ sản phẩm")
    expect(drafter.locator("#group-TG02 .finding")).to_contain_text("Chưa bao phủ")
    expect(drafter.locator("#plan-status")).to_have_text("Đang soạn")
    expect(drafter.locator("#submit-plan")).to_have_text("Trình phê duyệt")
    expect(drafter.locator("#plan-unit")).to_have_text("Phường Hương An")
    reads_well(drafter)
    shoot(drafter, screenshots, "02-refused-errors-beside-the-task")

    # Fix the task, typing days and periods as officials write them; a day that does not exist
    # is refused, naming the field, and nothing is lost.
    card.get_by_label("Nội dung công việc").fill(
        "Ra quân tổng vệ sinh môi trường, xóa 12 điểm tập kết rác tự phát trên địa bàn phường"
    )
    card.get_by_label("Người chịu trách nhiệm").fill("Phó Chủ tịch UBND phường phụ trách đô thị")
    card.get_by_label("Ngày bắt đầu").fill("01/03/2026")
    card.get_by_label("Thời hạn").fill("31/09/2026")
    card.locator("textarea[name=milestones]").fill("Quý II/2026: xóa 6 điểm")
    card.get_by_label("Sản phẩm").fill("điểm tập kết rác tự phát được xóa bỏ")
    card.get_by_label("Số lượng").fill("12")
    card.get_by_label("Đơn vị tính").fill("điểm")
    card.get_by_role("button", name="Lưu nhiệm vụ").click()
    card = task_card(drafter, "HA-01")
    expect(card.locator(".problem")).to_contain_text(
        "Thời hạn: “31/09/2026” không phải là ngày hợp lệ"
    )
    expect(card.get_by_label("Ngày bắt đầu")).to_have_value("01/03/2026")  # kept as typed
    card.get_by_label("Thời hạn").fill("30/09/2026")
    card.get_by_role("button", name="Lưu nhiệm vụ").click()
    expect(task_card(drafter, "HA-01").locator(".finding")).to_have_count(0)
    card = task_card(drafter, "HA-01")
    expect(card.get_by_label("Thời hạn")).to_have_value("30/09/2026")
    expect(card.locator("textarea[name=milestones]")).to_have_value("Quý II/2026: xóa 6 điểm")
    expect(card.get_by_label("Đơn vị chủ trì")).to_have_value("Phường Hương An")
    groups = drafter.locator("#groups .group").evaluate_all("els => els.map(e => e.id.slice(6))")
    for code in groups:
        if code == "TG01":
            continue
        drafter.locator(f"#na-{code}").fill(NOT_APPLICABLE)
        drafter.locator(f"#group-{code} button").click()
        expect(drafter.locator(f"#group-{code} .badge")).to_be_visible()
    expect(drafter.locator("#check-ok")).to_be_visible()

    # Export the plan as XLSX; import one more task and an indicator from the ward's workbook.
    with drafter.expect_download() as download:
        drafter.get_by_role("link", name="Tải về XLSX").click()
    exported = load_workbook(io.BytesIO(download.value.path().read_bytes()))[TASKS_SHEET]
    assert [r[0] for r in exported.iter_rows(min_row=2, values_only=True)] == ["HA-01"]
    drafter.locator("#file").set_input_files(str(ward_workbook(tmp_path)))
    drafter.get_by_role("button", name="Nhập", exact=True).click()
    expect(task_card(drafter, "HA-02")).to_contain_text("200 cây xanh")
    expect(drafter.locator("#indicators")).to_contain_text("HA-CT01")
    expect(drafter.locator("#check-ok")).to_be_visible()
    drafter.locator("#submit-plan").click()
    expect(drafter.locator("#plan-status")).to_have_text("Đã trình")
    expect(task_card(drafter, "HA-02").locator(".task-timeline")).to_have_text(
        "01/04/2026 → 30/11/2026"
    )
    expect(task_card(drafter, "HA-02").locator(".task-milestones")).to_contain_text(
        "Quý III/2026: 100 cây"
    )
    reads_well(drafter)

    # The ward head approves from the queue: the step by its label.
    head = signed_in(browser, portal_url, "head.huong-an")
    until_visible(head, "/portal/queue", f"a[href='/portal/plans/{plan_id}#decide']")
    expect(head.locator(f"tr:has(a[href='/portal/plans/{plan_id}#decide'])")).to_contain_text(
        "1. Lãnh đạo phường, xã ký trình"
    )
    reads_well(head)
    assert decide_if_waiting(head, plan_id)

    # The city approver returns it with a comment on the task.
    city = signed_in(browser, portal_url, "approver.hue")
    until_visible(city, "/portal/queue", f"a[href='/portal/plans/{plan_id}#decide']")
    row = city.locator(f"tr:has(a[href='/portal/plans/{plan_id}#decide'])")
    expect(row).to_contain_text("Phường Hương An")
    expect(row).to_contain_text("2. Thành phố phê duyệt")
    reads_well(city)
    shoot(city, screenshots, "03-approver-queue")
    city.locator(f"a[href='/portal/plans/{plan_id}#decide']").click()
    expect(city.locator("#step-name")).to_have_text("Thành phố phê duyệt")
    reads_well(city)
    city.locator("#decision input[value=return]").check()
    city.locator("#send-decision").click()  # returning needs a comment: refused, field named
    expect(city.locator("#decide .problem")).to_contain_text("Ý kiến chung")
    task_card(city, "HA-01").locator("textarea").fill(RETURN_COMMENT)
    city.locator("#decision input[value=return]").check()
    shoot(city, screenshots, "04-approver-returns-with-a-comment-on-the-task")
    city.locator("#send-decision").click()
    expect(city.locator(".flash")).to_be_visible()

    # The drafter sees the comment beside the task, fixes it, resubmits, sees the diff.
    until_visible(drafter, plan_url, "#plan-status:has-text('Bị trả lại')")
    comment = task_card(drafter, "HA-01").locator("blockquote.comment")
    expect(comment).to_contain_text(RETURN_COMMENT)
    # The city's approver is outside the ward's directory: named as approvals knows them.
    expect(comment.locator("footer")).to_contain_text("Lãnh đạo Thành ủy Huế")
    reads_well(drafter)
    shoot(drafter, screenshots, "05-returned-comment-beside-the-task")
    card = task_card(drafter, "HA-01")
    card.get_by_label("Số lượng").fill("15")
    card.get_by_role("button", name="Lưu nhiệm vụ").click()
    comment = task_card(drafter, "HA-01").locator("blockquote.comment")
    comment.get_by_label("Đã xử lý thế nào").fill("Đã nâng lên 15 điểm")
    comment.get_by_role("button", name="Đánh dấu đã giải quyết").click()
    expect(task_card(drafter, "HA-01").locator(".comment-status")).to_have_text("Đã giải quyết")
    expect(drafter.locator("#changes")).to_contain_text("15")
    drafter.locator("#submit-plan").click()
    expect(drafter.locator("#plan-status")).to_have_text("Đã trình")
    drafter.locator("#diff-link").click()
    diff = drafter.locator("#diff")
    expect(diff).to_contain_text("v1 → v2")
    expect(diff.locator("tr:has-text('Số lượng') td.old")).to_have_text("12")
    expect(diff.locator("tr:has-text('Số lượng') td.new")).to_have_text("15")
    reads_well(drafter)
    shoot(drafter, screenshots, "06-diff-between-versions")

    # Version 2 goes up again (wherever the policy resumes it) until the city approves it.
    deadline = time.monotonic() + 30
    while True:
        decided = decide_if_waiting(head, plan_id, "15") or decide_if_waiting(
            city, plan_id, "15", screenshots / "11-approver-sees-the-changes.png"
        )
        drafter.goto(plan_url)
        if drafter.locator("#plan-status").inner_text() == "Đã phê duyệt":
            break
        assert time.monotonic() < deadline, "version 2 was never approved"
        if not decided:
            time.sleep(0.3)

    # The drafter's bell counts the news; the inbox has it.
    deadline = time.monotonic() + 15
    while True:
        drafter.goto("/portal/")
        count = drafter.locator("#bell-count").inner_text().strip()
        if count and int(count) > 0:
            break
        assert time.monotonic() < deadline, "the bell never rang"
        time.sleep(0.3)
    drafter.locator("#bell").click()
    expect(drafter.locator(".notification.unread").first).to_be_visible()
    expect(
        drafter.locator(f".notification a[href='/portal/plans/{plan_id}']").first
    ).to_be_visible()
    reads_well(drafter)
    shoot(drafter, screenshots, "07-inbox")
    drafter.get_by_role("button", name="Đánh dấu tất cả đã đọc").click()
    expect(drafter.locator("#bell-count")).to_have_text("0")

    # The city's coverage dashboard shows the ward approved, with the chart.
    city.goto("/portal/coverage")
    row = city.locator("tr[data-unit='vn.hue.huong-an']")
    expect(row).to_contain_text("Đã phê duyệt")
    expect(city.locator("svg.chart rect[data-state=approved]")).to_have_count(1)
    reads_well(city)
    shoot(city, screenshots, "08-coverage-dashboard")

    # The city approver delegates to a colleague (chosen by name) for a holiday until a day
    # typed day first, then takes it back; a day that does not exist is refused, named.
    city.get_by_role("link", name="Ủy quyền").click()
    city.get_by_label("Đồng nghiệp nhận ủy quyền").select_option("approver2.hue")
    city.get_by_label("Đến ngày").fill("31/12/2030")
    city.get_by_label("Lý do").fill("Nghỉ phép")
    city.get_by_role("button", name="Ủy quyền", exact=True).click()
    granted = city.locator("li.delegation[data-delegate='approver2.hue']")
    expect(granted).to_contain_text("Nghỉ phép")
    expect(granted).to_contain_text("Phó Chủ tịch UBND thành phố")  # the colleague, by name
    expect(granted).to_contain_text("31/12/2030")
    reads_well(city)
    granted.get_by_role("button", name="Thu hồi").click()
    expect(granted).to_contain_text("Đã thu hồi")
    city.get_by_label("Đồng nghiệp nhận ủy quyền").select_option("approver2.hue")
    city.get_by_label("Đến ngày").fill("31/02/2030")
    city.get_by_role("button", name="Ủy quyền", exact=True).click()
    expect(city.locator(".problem")).to_contain_text(
        "Đến ngày: “31/02/2030” không phải là ngày hợp lệ"
    )
    expect(city.get_by_label("Đến ngày")).to_have_value("31/02/2030")

    # The drafter keeps approvals out of e-mail.
    drafter.get_by_role("link", name="Cài đặt thông báo").click()
    drafter.locator("input[name='plan.approved.email']").uncheck()
    drafter.get_by_role("button", name="Lưu cài đặt").click()
    expect(drafter.locator("input[name='plan.approved.email']")).not_to_be_checked()
    expect(drafter.locator("input[name='plan.returned.email']")).to_be_checked()

    # The auditor finds the plan's trail, told as sentences, and verifies the chain.
    auditor = signed_in(browser, portal_url, "auditor.hue")
    auditor.get_by_role("link", name="Kiểm tra").click()
    reads_well(auditor)
    auditor.get_by_label("Kế hoạch", exact=True).select_option(label=plan_option(auditor))
    auditor.get_by_role("button", name="Tìm").click()
    records = auditor.locator("#records")
    expect(records.locator("tr[data-event-type='plan.approved']").first).to_contain_text(
        f"phê duyệt “{WARD_TITLE}” (phiên bản 2); kế hoạch có hiệu lực lúc "
    )
    expect(records.locator("tr[data-event-type='plan.created']")).to_contain_text(
        f"Đ/c Cán bộ Văn phòng Đảng ủy phường Hương An lập “{WARD_TITLE}” lúc "
    )
    returned = records.locator("tr[data-event-type='approval.step_decided']", has_text="trả lại")
    expect(returned).to_contain_text("Đ/c Lãnh đạo Thành ủy Huế trả lại “")
    expect(returned).to_contain_text("ở bước 2 (Người phê duyệt - Thành phố Huế)")
    reads_well(auditor)
    auditor.get_by_label("Kế hoạch", exact=True).select_option("")
    auditor.get_by_label("Người thực hiện").select_option("approver.hue")
    auditor.get_by_label("Từ").fill("01/01/2020")
    auditor.get_by_role("button", name="Tìm").click()
    expect(records.locator("tr[data-event-type='approval.step_decided']").first).to_be_visible()
    expect(records.locator("tr[data-actor='drafter.huong-an']")).to_have_count(0)
    expect(auditor.get_by_label("Từ")).to_have_value("01/01/2020")
    reads_well(auditor)
    auditor.get_by_label("Từ").fill("31/02/2020")
    auditor.get_by_role("button", name="Tìm").click()
    expect(auditor.locator(".problem")).to_contain_text(
        "Từ: “31/02/2020” không phải là thời điểm hợp lệ"
    )
    auditor.get_by_label("Từ").fill("")
    auditor.get_by_label("Người thực hiện").select_option("")
    auditor.get_by_label("Kế hoạch", exact=True).select_option(plan_id)
    auditor.get_by_role("button", name="Tìm").click()
    with auditor.expect_download() as download:
        auditor.get_by_role("link", name="Xuất CSV").click()
    assert "plan.approved" in Path(download.value.path()).read_text(encoding="utf-8")
    auditor.locator("#verify").click()
    expect(auditor.locator("#verify-result")).to_contain_text("Chuỗi toàn vẹn")
    reads_well(auditor)
    shoot(auditor, screenshots, "09-audit-verify")

    # English is one click away, and reads as well.
    auditor.get_by_role("link", name="English").click()
    expect(auditor.locator("html")).to_have_attribute("lang", "en")
    expect(auditor.locator("h1")).to_have_text("Search the audit trail")
    auditor.goto(f"/portal/audit?search=1&plan_id={plan_id}")
    expect(auditor.locator("#records tr[data-event-type='plan.approved']").first).to_contain_text(
        f"approved “{WARD_TITLE}” (version 2); it is in force at "
    )
    reads_well(auditor)

    for page in (drafter, head, city, auditor):
        page.context.close()


MAIN_SCREENS = {
    "drafter.huong-an": ["/portal/", "{plan}", "{plan}/diff", "/portal/inbox"],
    "head.huong-an": ["/portal/", "/portal/queue", "/portal/delegations", "{plan}"],
    "approver.hue": [
        "/portal/",
        "/portal/queue",
        "{plan}",
        "{plan}/diff",
        "/portal/coverage",
        "/portal/delegations",
        "/portal/results/dashboard",
        "/portal/results/review",
    ],
    "auditor.hue": [
        "/portal/audit",
        "/portal/audit?search=1",
        "/portal/audit?search=1&plan_id={plan_id}",
        "/portal/audit/verify",
        "{plan}",
        "/portal/results/dashboard",
    ],
}


def test_the_main_screens_speak_the_officials_language(browser: Browser, portal_url: str) -> None:
    """Walked as the drafter, the ward head, the city approver and the auditor, in Vietnamese
    and in English: no unit code, login name, step slug, event type, ISO date or period code
    in what they read (the whole trail of Huế included, the demo's seeding too)."""
    plan_id = STATE.get("plan_id")
    anonymous = browser.new_context(base_url=portal_url, locale="vi-VN")
    sign_in = anonymous.new_page()
    sign_in.set_content("<p>Đơn vị vn.hue.huong-an, hạn 2026-09-30</p>")  # the check checks
    with pytest.raises(AssertionError, match=r"unit code.*ISO date"):
        reads_well(sign_in)
    sign_in.goto("/portal/sign-in")
    reads_well(sign_in)
    anonymous.close()
    for username, screens in MAIN_SCREENS.items():
        page = signed_in(browser, portal_url, username)
        for lang in ("vi", "en"):
            page.goto(f"/portal/lang/{lang}?next=/portal/")
            for screen in screens:
                if "{plan" in screen and not plan_id:
                    continue  # the story's plan (run with it for every screen)
                url = screen.format(plan=f"/portal/plans/{plan_id}", plan_id=plan_id)
                response = page.goto(url)
                assert response is not None and response.status == 200, (username, url)
                reads_well(page)
            if "/portal/results/dashboard" in screens:  # and the scores it explains
                page.goto("/portal/results/dashboard")
                if page.locator("a.explain").count():
                    page.locator("a.explain").first.click()
                    reads_well(page)
        page.context.close()


def test_copy_warnings_and_a_sibling_ward_cannot_open_the_plan(
    browser: Browser, portal_url: str
) -> None:
    owner = signed_in(browser, portal_url, "drafter.phong-quang")
    owner.get_by_label("Tên kế hoạch").fill("Kế hoạch thử của phường Phong Quảng")
    owner.get_by_label("Tạo sẵn một nhiệm vụ cho mỗi nhiệm vụ của cấp trên").check()
    owner.get_by_role("button", name="Tạo kế hoạch").click()
    # Placeholders copy the program's jobs: the copy warning stands beside each job field.
    warning = owner.locator("article.task [id^=msg-job-] .finding.warning").first
    expect(warning).to_contain_text("Sao chép máy móc")
    reads_well(owner)
    plan_id = owner.url.split("?")[0].rsplit("/", 1)[1]
    sibling = signed_in(browser, portal_url, "drafter.phu-xuan")
    response = sibling.goto(f"/portal/plans/{plan_id}")
    assert response is not None and response.status == 403
    expect(sibling.locator("h1")).to_have_text("Bạn không có quyền xem hoặc thao tác nội dung này.")
    expect(sibling.get_by_role("link", name="Quay lại trang chính")).to_be_visible()
    reads_well(sibling)  # the API's words too name units by name
    owner.context.close()
    sibling.context.close()


def test_the_screens_fit_a_phone(browser: Browser, portal_url: str, screenshots: Path) -> None:
    phone = signed_in(
        browser,
        portal_url,
        "drafter.huong-an",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    pages = ["/portal/", "/portal/inbox", "/portal/preferences"]
    if "plan_id" in STATE:  # the story's plan, approved, with its comments and versions
        pages.append(f"/portal/plans/{STATE['plan_id']}")
    for url in pages:
        phone.goto(url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
    shoot(phone, screenshots, "10-phone-plan")
    # Keyboard: the skip link is the first stop and leads to the main content.
    phone.keyboard.press("Tab")
    expect(phone.locator("a.skip")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.locator("#main")).to_be_focused()
    phone.context.close()


def test_notification_settings_are_saved_per_kind(browser: Browser, portal_url: str) -> None:
    """The settings screen lists every kind the notifications service knows and saves a change."""
    page = signed_in(browser, portal_url, "head.phu-xuan")
    page.goto("/portal/preferences")
    email = page.locator('[id="plan.returned.email"]')
    digest = page.locator('[id="plan.approved.digest"]')
    expect(email).to_be_checked()
    expect(digest).not_to_be_checked()
    expect(page.locator('[id="approval.step_escalated.inapp"]')).to_be_visible()
    email.uncheck()
    digest.check()
    page.get_by_role("button", name="Lưu cài đặt").click()
    expect(page).to_have_url(re.compile(r"/portal/preferences\?done=saved"))
    page.reload()
    expect(page.locator('[id="plan.returned.email"]')).not_to_be_checked()
    expect(page.locator('[id="plan.approved.digest"]')).to_be_checked()
    expect(page.locator('[id="plan.returned.inapp"]')).to_be_checked()
    page.context.close()


def test_a_city_revises_its_program_while_the_wards_keep_the_version_in_force(
    browser: Browser, portal_url: str
) -> None:
    city = signed_in(browser, portal_url, "drafter.hue")
    city.locator("ul.plans a").first.click()
    program_url = city.url
    city.locator("#revise summary").click()
    city.get_by_label("Lý do sửa đổi").fill("Điều chỉnh tiến độ theo Kết luận của Ban Thường vụ")
    city.locator("#start-revision").click()
    expect(city.locator(".flash")).to_contain_text("Đã bắt đầu sửa đổi")
    expect(city.locator("#revision")).to_contain_text("Phiên bản 1 đang có hiệu lực")
    expect(city.locator("#revision .badge")).to_have_text("Đang soạn")
    reads_well(city)

    # The ward reads the program as it is in force: no revision, nothing to revise.
    ward = signed_in(browser, portal_url, "drafter.vinh-loc")
    ward.goto(program_url)
    expect(ward.locator("#plan-status")).to_have_text("Đã phê duyệt")
    expect(ward.locator("#revision")).to_have_count(0)
    expect(ward.locator("#revise")).to_have_count(0)
    ward.goto("/portal/")
    expect(ward.locator("#parent_plan_id option")).to_have_count(1)  # the program, once

    city.locator("#discard-revision").click()
    expect(city.locator(".flash")).to_contain_text("Đã hủy bản sửa đổi")
    expect(city.locator("#plan-status")).to_have_text("Đã phê duyệt")
    expect(city.locator("#revision")).to_have_count(0)
    reads_well(city)
    city.context.close()
    ward.context.close()


def test_a_drafter_starts_the_next_term_from_the_plan_in_force(
    browser: Browser, portal_url: str
) -> None:
    city = signed_in(browser, portal_url, "drafter.hue")
    city.locator("ul.plans a").first.click()
    program_url = city.url
    expect(city.locator("#plan-status")).to_have_text("Đã phê duyệt")
    city.locator("#next-term summary").click()
    expect(city.get_by_label("Năm bắt đầu nhiệm kỳ")).to_have_value("2032")
    reads_well(city)
    city.get_by_label("Tên kế hoạch").fill("Chương trình hành động của Thành ủy Huế nhiệm kỳ sau")
    city.get_by_label("Năm bắt đầu nhiệm kỳ").fill("2031")  # overlaps this term: refused
    city.locator("#start-next-term").click()
    expect(city.locator(".problem, [role=alert]").first).to_contain_text("Năm bắt đầu nhiệm kỳ")
    city.goto(program_url)
    city.locator("#next-term summary").click()
    city.get_by_label("Tên kế hoạch").fill("Chương trình hành động của Thành ủy Huế nhiệm kỳ sau")
    city.locator("#start-next-term").click()

    expect(city).not_to_have_url(program_url)
    expect(city.locator("#plan-status")).to_have_text("Đang soạn")
    expect(city.locator("#previous-term")).to_contain_text("Kế thừa từ")
    program_path = program_url[program_url.index("/portal/") :]
    expect(city.locator("#previous-term a")).to_have_attribute("href", program_path)
    expect(city.locator(".carried-from").first).to_contain_text("kế thừa từ nhiệm vụ")
    reads_well(city)

    # The plan in force now links to the plan that continues it; no second one is offered.
    city.goto(program_url)
    expect(city.locator(".next-term-plan")).to_contain_text("Kế hoạch nhiệm kỳ sau")
    expect(city.locator("#next-term")).to_have_count(0)
    city.context.close()
