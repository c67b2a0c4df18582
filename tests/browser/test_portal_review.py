"""What reviewers need to see, an audit search a person can use, and charts leaders can paste
into a report, in a real browser (Phú Xuân's plan; Phong Phú's draft):

- the approver reads the cooperating units by name, each review comment with its author and
  day (day first, Vietnam's clock), and who signed the earlier steps and when; nothing is
  chosen for them, and approving or rejecting asks to be confirmed, with script (the page
  asks before sending) and without (the portal asks back; the box ticked, sent again);
- a draft prints for review on paper, marked "BẢN DỰ THẢO" (on every page: a watermark in
  print), and the plan in force prints without the mark;
- the auditor picks a plan by its title, each row links to its plan, rows numbered 1, 2, 3...;
- the coverage and progress charts download as SVG and PNG (made in the browser), and the
  dashboard prints on A4 without its menus.

Every screen reads as officials write (``reads_well``), passes axe-core and fits a phone."""

from __future__ import annotations

import json
import re
import struct
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx
import pytest
from cascade_plans.seed import DEMO_FILE

from tests.browser.accessible import assert_accessible
from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.browser.test_portal_results import in_a_thread
from tests.browser.test_portal_story import signed_in, task_card, until_visible
from tests.infra import IN_CI
from tests.story import FIX, create_draft, fix, queue_item, token

if not IN_CI:
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, Page, expect

expect.set_options(timeout=20_000)

TITLE = "Kế hoạch của Đảng ủy phường Phú Xuân thực hiện Nghị quyết Đại hội XIV"
DRAFT_TITLE = "Dự thảo kế hoạch của Đảng ủy phường Phong Phú"
HEAD_COMMENT = "Đề nghị ghi rõ tên các tổ dân phố tham gia ra quân"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
A4_WIDTH = 703  # 210 mm less two 12 mm margins, in CSS pixels (96 per inch)
STATE: dict[str, Any] = {}


def person(username: str) -> str:
    users = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["users"]
    return str(next(u["name"] for u in users if u["username"] == username))


def today_and_yesterday() -> tuple[str, str]:
    """Today on Vietnam's clock, as officials write it (and yesterday: a run near midnight)."""
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    return now.strftime("%d/%m/%Y"), (now - timedelta(days=1)).strftime("%d/%m/%Y")


async def _waiting_on_the_city(base: str) -> tuple[str, str]:
    """Phú Xuân's plan, its task cooperating with Hương An and Huế, signed off by the ward head
    with a comment on the task; and Phong Phú's plan, still a draft."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        drafter = await token(client, "drafter.phu-xuan")
        plan_id = await create_draft(client, drafter, TITLE)
        await fix(client, drafter, plan_id)
        plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
        task = plan["tasks"][0]
        r = await client.patch(
            f"/api/plans/{plan_id}/tasks/{task['id']}",
            json={**FIX, "lead_unit": plan["unit"], "cooperating_units": ["vn.hue.huong-an"]},
            headers=drafter,
        )
        assert r.status_code == 200, r.text
        r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
        assert r.status_code == 200, r.text
        head = await token(client, "head.phu-xuan")
        item = await queue_item(client, head, plan_id)
        r = await client.post(
            f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision",
            json={
                "decision": "approve",
                "comments": [
                    {"text": HEAD_COMMENT, "task_id": task["id"], "task_code": task["code"]}
                ],
            },
            headers=head,
        )
        assert r.status_code == 200, r.text
        await queue_item(client, await token(client, "approver.hue"), plan_id)
        draft_id = await create_draft(client, await token(client, "drafter.phong-phu"), DRAFT_TITLE)
        return plan_id, draft_id


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, (page.url, scroll, width)


def test_the_approver_sees_names_days_signatures_and_confirms(
    browser: Browser, portal_url: str
) -> None:
    plan_id, draft_id = in_a_thread(_waiting_on_the_city(portal_url))
    STATE.update(plan_id=plan_id, draft_id=draft_id)
    plan_url = f"/portal/plans/{plan_id}"
    days = today_and_yesterday()

    city = signed_in(browser, portal_url, "approver.hue")
    city.goto(f"{plan_url}#decide")
    card = task_card(city, "HA-01")
    # The cooperating unit by its name, never its code.
    expect(card.locator("dl.fields")).to_contain_text("Đơn vị phối hợp")
    expect(card.locator("dl.fields")).to_contain_text("Phường Hương An")
    # The ward head's comment: their name, the version, the day (dd/mm/yyyy, Vietnam's clock).
    comment = card.locator("blockquote.comment")
    expect(comment).to_contain_text(HEAD_COMMENT)
    footer = comment.locator("footer")
    expect(footer).to_contain_text(f"Ý kiến của {person('head.phu-xuan')} · phiên bản 1 · ngày ")
    assert footer.locator("time.comment-date").inner_text() in days
    # Said while approving, it is a remark: shown as such, with nothing to answer.
    expect(footer.locator(".comment-status")).to_have_text("Nhận xét khi phê duyệt")
    expect(comment).to_have_class(re.compile(r"\bremark\b"))
    # Who signed the step before, and when.
    signed = city.locator("#signed")
    expect(signed.locator("h3")).to_have_text("Các bước đã ký")
    step = signed.locator("li.signed-step[data-step-no='1']")
    expect(step).to_contain_text("1. Lãnh đạo phường, xã ký trình")
    expect(step.locator(".signer")).to_have_text(person("head.phu-xuan"))
    expect(step).to_contain_text("phê duyệt")
    assert re.fullmatch(r"\d{2}:\d{2} (\d{2}/\d{2}/\d{4})", step.locator(".signed-at").inner_text())
    assert step.locator(".signed-at").inner_text()[-10:] in days
    # Nothing chosen for the approver; the confirmation shows once a decision asks for it.
    expect(city.locator("#decision input[name=decision]:checked")).to_have_count(0)
    expect(city.locator("#confirm-decision")).to_be_hidden()
    reads_well(city)
    assert_accessible(city, "the decision, nothing chosen")

    # Sent with nothing chosen: refused, saying what to choose.
    city.locator("#send-decision").click()
    expect(city.locator("#decide .problem")).to_contain_text("Chọn một quyết định")
    expect(city.locator("#decision input[name=decision]:checked")).to_have_count(0)

    # Rejecting asks first and says what it does; so does approving; nothing is sent unticked.
    city.locator("#decision-reject").check()
    expect(city.locator("#confirm-decision")).to_be_visible()
    expect(city.locator("#confirm-what")).to_contain_text("TỪ CHỐI")
    city.locator("#decision-approve").check()
    expect(city.locator("#confirm-what")).to_contain_text("PHÊ DUYỆT")
    city.get_by_label("Ý kiến chung").fill("Đồng ý với kế hoạch của phường")
    posts: list[str] = []
    city.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    city.locator("#send-decision").click()
    expect(city.locator("#confirm-decision.asking")).to_be_visible()
    expect(city.locator("#confirm-what")).to_contain_text("Quyết định chưa được gửi")
    expect(city.locator("#decision-confirm")).to_be_focused()
    expect(city.locator("#decision-confirm")).to_have_attribute("aria-invalid", "true")
    assert posts == []  # the page asked: nothing was sent
    reads_well(city)
    assert_accessible(city, "the decision, asking to confirm")
    city.context.close()

    # Without script the portal asks back, keeping what was chosen and typed; ticked, it goes.
    bare = signed_in(browser, portal_url, "approver.hue", java_script_enabled=False)
    bare.goto(f"{plan_url}#decide")
    expect(bare.locator("#decision input[name=decision]:checked")).to_have_count(0)
    bare.locator("#decision-approve").check()
    bare.get_by_label("Ý kiến chung").fill("Đồng ý với kế hoạch của phường")
    task_card(bare, "HA-01").locator("textarea").fill("Bổ sung tên tổ dân phố khi triển khai")
    bare.locator("#send-decision").click()
    expect(bare.locator("#decide .problem")).to_contain_text("Quyết định chưa được gửi")
    expect(bare.locator("#confirm-what")).to_contain_text("PHÊ DUYỆT")
    expect(bare.locator("#decision-approve")).to_be_checked()
    expect(bare.get_by_label("Ý kiến chung")).to_have_value("Đồng ý với kế hoạch của phường")
    expect(task_card(bare, "HA-01").locator("textarea")).to_have_value(
        "Bổ sung tên tổ dân phố khi triển khai"
    )
    reads_well(bare)
    bare.locator("#decision-confirm").check()
    bare.locator("#send-decision").click()
    expect(bare.locator(".flash")).to_contain_text("Đã ghi nhận quyết định")
    bare.context.close()

    drafter = signed_in(browser, portal_url, "drafter.phu-xuan")
    until_visible(drafter, plan_url, "#plan-status.status-approved")
    # The plan in force prints without the draft's mark.
    drafter.locator("#print-link").click()
    expect(drafter.locator("h1")).to_have_text(TITLE)
    expect(drafter.locator("#draft-mark")).to_have_count(0)
    expect(drafter.locator(".watermark")).to_have_count(0)
    drafter.context.close()


def test_a_draft_prints_for_review_marked_as_a_draft(browser: Browser, portal_url: str) -> None:
    draft_id = STATE.get("draft_id") or pytest.skip("needs the first test's draft")
    drafter = signed_in(browser, portal_url, "drafter.phong-phu")
    drafter.goto(f"/portal/plans/{draft_id}")
    expect(drafter.locator("#print-link")).to_have_text("In bản dự thảo để góp ý")
    drafter.locator("#print-link").click()
    expect(drafter).to_have_url(re.compile(rf"/portal/plans/{draft_id}/print$"))
    expect(drafter.locator("h1")).to_have_text(DRAFT_TITLE)
    mark = drafter.locator("#draft-mark")
    expect(mark).to_contain_text("BẢN DỰ THẢO")
    expect(mark).to_contain_text("chưa được phê duyệt")
    expect(drafter.locator(".print-tasks tr[data-code='HA-01']")).to_be_visible()
    expect(drafter.locator("#print-now")).to_be_visible()  # the script's print button
    reads_well(drafter)
    assert_accessible(drafter, "the draft's print view")
    # On paper: the menus go, the mark stays, and a watermark repeats on every page.
    drafter.emulate_media(media="print")
    expect(drafter.locator("header.top")).to_be_hidden()
    expect(drafter.locator("#print-now")).to_be_hidden()
    expect(mark).to_be_visible()
    expect(drafter.locator(".watermark")).to_be_visible()
    expect(drafter.locator(".watermark")).to_have_css("position", "fixed")
    drafter.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    fits(drafter, A4_WIDTH)
    assert drafter.pdf(format="A4", print_background=True)[:4] == b"%PDF"
    drafter.context.close()

    phone = signed_in(browser, portal_url, "drafter.phong-phu", **PHONE)
    phone.goto(f"/portal/plans/{draft_id}/print")
    expect(phone.locator("#draft-mark")).to_be_visible()
    fits(phone, 390)
    phone.context.close()


def test_the_auditor_picks_a_plan_by_its_title(browser: Browser, portal_url: str) -> None:
    plan_id = STATE.get("plan_id") or pytest.skip("needs the first test's plan")
    for options in ({}, PHONE):
        auditor = signed_in(browser, portal_url, "auditor.hue", **options)
        auditor.goto("/portal/audit")
        field = auditor.get_by_label("Kế hoạch", exact=True)
        expect(field).to_have_js_property("tagName", "SELECT")
        choice = field.locator("option", has_text=TITLE)
        expect(choice).to_have_count(1)
        expect(choice).to_contain_text("Phường Phú Xuân")
        expect(field.locator("option", has_text=DRAFT_TITLE)).to_have_count(1)
        reads_well(auditor)
        field.select_option(label=choice.inner_text().strip())
        auditor.get_by_role("button", name="Tìm").click()
        expect(field).to_have_value(plan_id)
        rows = auditor.locator("#records tbody tr")
        expect(rows.first).to_be_visible()
        count = rows.count()
        assert count >= 3
        numbers = auditor.locator("#records td.row-no").all_inner_texts()
        assert numbers == [str(n) for n in range(1, count + 1)]  # no gaps
        links = auditor.locator("#records a.plan-link")
        expect(links).to_have_count(count)
        for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
            assert href == f"/portal/plans/{plan_id}"
        expect(links.first).to_have_text(TITLE)
        reads_well(auditor)
        if options:
            fits(auditor, 390)
        else:
            assert_accessible(auditor, "the audit search by plan title")
            links.first.click()
            expect(auditor.locator("h1")).to_have_text(TITLE)
        auditor.context.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def downloads(page: Page, figure: str) -> None:
    """The figure's chart as an SVG file (a well-formed drawing, sized, on white, titled) and
    as a PNG made in the browser at twice the drawing's size."""
    svg_link = page.locator(f"#{figure}-svg")
    expect(svg_link).to_have_text("Tải biểu đồ (SVG)")
    with page.expect_download() as download:
        svg_link.click()
    assert download.value.suggested_filename.endswith(".svg")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("<?xml")
    root = ElementTree.fromstring(text.split("\n", 1)[1])
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title") is not None and root.get("font-family")
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    assert root.get("width") == f"{width * 2:g}" and root.get("height") == f"{height * 2:g}"
    png = page.locator(f"#{figure}-png")
    expect(png).to_have_text("Tải biểu đồ (PNG)")
    with page.expect_download() as download:
        png.click()
    assert download.value.suggested_filename.endswith(".png")
    data = Path(download.value.path()).read_bytes()
    assert png_size(data) == (round(width * 2), round(height * 2))
    assert len(data) > 2000  # drawn, not blank


def prints_on_a4(page: Page) -> None:
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".chart-tools").first).to_be_hidden()
    expect(page.locator("svg.chart")).to_be_visible()
    fits(page, A4_WIDTH)
    assert page.pdf(format="A4", print_background=True)[:4] == b"%PDF"
    page.emulate_media(media="screen")


def test_charts_download_as_svg_and_png_and_the_dashboards_print_on_a4(
    browser: Browser, portal_url: str
) -> None:
    city = signed_in(browser, portal_url, "approver.hue", accept_downloads=True)
    city.goto("/portal/coverage")
    downloads(city, "coverage-figure")
    expect(city.locator("#coverage-figure-print")).to_have_text("In trang (khổ A4)")
    reads_well(city)
    assert_accessible(city, "the coverage dashboard with its chart's downloads")
    prints_on_a4(city)

    city.goto("/portal/results/dashboard")
    downloads(city, "progress-figure")
    reads_well(city)
    assert_accessible(city, "the results dashboard with its chart's downloads")
    prints_on_a4(city)
    city.context.close()

    phone = signed_in(browser, portal_url, "approver.hue", **PHONE)
    for url in ("/portal/coverage", "/portal/results/dashboard"):
        phone.goto(url)
        expect(phone.locator(".chart-png").first).to_be_visible()
        fits(phone, 390)
    phone.context.close()
