"""The plan's tasks as one table, like Excel, in a real browser (Vinh Lộc's draft): each "5
clear" finding stands in the cell of its field; a block copied from Excel (tab-separated) pasted
into a cell fills the cells to the right and below, adding rows; one save imports every changed
row or none, each refusal in its cell, what was typed kept; the per-task forms remain. The
indicators have a table of their own, saved the same way, figures read as Vietnamese write them
("1.000" is a thousand). The tables read as officials write, pass axe-core and fit a phone
(each scrolls inside itself)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.accessible import assert_accessible
from tests.browser.readable import assert_reads_as_officials_write as reads_well
from tests.browser.test_portal_results import in_a_thread
from tests.browser.test_portal_story import signed_in, task_card
from tests.infra import IN_CI
from tests.story import create_draft, token

if not IN_CI:
    pytest.importorskip("playwright", reason="Playwright is not installed")

from playwright.sync_api import Browser, Page, expect

expect.set_options(timeout=20_000)

TITLE = "Kế hoạch của Đảng ủy xã Vinh Lộc thực hiện Nghị quyết Đại hội XIV"
# Two tasks as copied from Excel: tab between cells, a new line between rows; the second's
# deadline is not a day that exists.
ROWS = [
    [
        "VL-02",
        "TG01",
        "Nạo vét 3 km kênh mương nội đồng thôn Hà Trữ",
        "Xã Vinh Lộc",
        "",
        "Phó Chủ tịch UBND xã",
        "01/04/2026",
        "30/10/2026",
        "Quý III/2026: 2 km",
        "Kênh mương được nạo vét",
        "3",
        "km",
    ],
    [
        "VL-03",
        "TG01",
        "Lắp 40 đèn chiếu sáng đường thôn Hà Trữ",
        "Xã Vinh Lộc",
        "",
        "Chủ tịch UBND xã",
        "01/05/2026",
        "31/09/2026",
        "Quý II/2026: 20 bộ\nQuý III/2026: 40 bộ",  # two lines in one cell, as Excel quotes it
        "Đèn chiếu sáng được lắp",
        "40",
        "bộ",
    ],
]


# Two indicators as copied from Excel: figures the Vietnamese way ("1.000" is a thousand, "3,5"
# three and a half); the second's comparison is not one.
INDICATORS = [
    ["CT01", "Số cây xanh trồng mới", "cây", "0", "1.000", "2026", "≥"],
    ["CT02", "Tỷ lệ hộ nghèo", "%", "3,5", "1,5", "2026", "≈"],
]


def excel_text(rows: list[list[str]]) -> str:
    """Rows as Excel copies them: a tab between cells, CRLF between rows, and a cell holding a
    tab, a line break or a quote in quotes (its quotes doubled)."""

    def cell(value: str) -> str:
        if any(c in value for c in '\t\n"'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "\r\n".join("\t".join(cell(v) for v in row) for row in rows) + "\r\n"


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


async def _indicators(base: str, plan_id: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.get(
            f"/api/plans/{plan_id}", headers=await token(client, "drafter.vinh-loc")
        )
        return {i["code"]: i for i in r.json()["indicators"]}


async def _draft(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await create_draft(client, await token(client, "drafter.vinh-loc"), TITLE)


def paste(page: Page, selector: str, text: str) -> None:
    """What Ctrl+V does with a block copied from Excel: a paste event carrying the text."""
    page.locator(selector).focus()
    page.evaluate(
        """([selector, text]) => {
          const data = new DataTransfer();
          data.setData('text/plain', text);
          document.querySelector(selector).dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        [selector, text],
    )


def row(page: Page, code: str) -> Any:
    return page.locator(f"#task-grid tbody tr:has(input[name$='.code'][value='{code}'])")


def test_the_tasks_edit_as_a_table_pasted_from_excel(browser: Browser, portal_url: str) -> None:
    plan_id = in_a_thread(_draft(portal_url))
    drafter = signed_in(browser, portal_url, "drafter.vinh-loc")
    drafter.goto(f"/portal/plans/{plan_id}")
    drafter.get_by_role("link", name="Sửa dạng bảng (như Excel)").click()
    expect(drafter.locator("h1")).to_have_text("Bảng nhiệm vụ")
    grid = drafter.locator("#task-grid")
    # The task's "5 clear" findings, each in the cell of its field.
    first = grid.locator("tbody tr").first
    expect(first.locator("td[data-field=code] input")).to_have_value("HA-01")
    person = first.locator("td[data-field=responsible_person]")
    expect(person.locator(".finding")).to_contain_text("Chưa rõ người")
    expect(person.locator("input")).to_have_attribute("aria-invalid", "true")
    product = first.locator("td[data-field^=product] .finding", has_text="Chưa rõ sản phẩm")
    expect(product.first).to_be_visible()
    expect(grid.get_by_label("Dòng 1: Người chịu trách nhiệm")).to_be_visible()
    reads_well(drafter)
    assert_accessible(drafter, "the tasks' table")

    # Fix the task in its cells; paste two more from Excel into the first empty row (two empty
    # rows below the task's: the paste adds what it needs).
    first.locator("td[data-field=task_group] input").fill("TG01")
    first.locator("td[data-field=job] input").fill(
        "Ra quân tổng vệ sinh, xóa 12 điểm tập kết rác tự phát trên địa bàn xã"
    )
    first.locator("td[data-field=responsible_person] input").fill("Phó Chủ tịch UBND xã")
    first.locator("td[data-field=start] input").fill("01/03/2026")
    first.locator("td[data-field=deadline] input").fill("30/09/2026")
    first.locator("td[data-field=milestones] input").fill("Quý II/2026: xóa 6 điểm")
    first.locator("td[data-field=product_description] input").fill("Điểm tập kết rác được xóa")
    first.locator("td[data-field=product_quantity] input").fill("12")
    first.locator("td[data-field=product_unit] input").fill("điểm")
    rows_before = grid.locator("tbody tr").count()
    # Into the last row: one more is added.
    paste(drafter, f"#g-{rows_before - 1}-code", excel_text(ROWS))
    expect(grid.locator("tbody tr")).to_have_count(rows_before + 1)
    expect(drafter.locator("#grid-status")).to_contain_text("Đã dán 2 dòng")
    expect(drafter.locator(f"#g-{rows_before}-deadline")).to_have_value("31/09/2026")
    expect(drafter.locator(f"#g-{rows_before - 1}-product_unit")).to_have_value("km")
    expect(drafter.locator(f"#g-{rows_before}-milestones")).to_have_value(
        "Quý II/2026: 20 bộ; Quý III/2026: 40 bộ"
    )

    # One save: refused as a whole, the bad day in its cell, everything typed kept.
    drafter.locator("#grid-save").click()
    expect(drafter.locator("#grid-problem")).to_contain_text("Bảng chưa được lưu")
    bad = drafter.locator(f"#g-{rows_before}-deadline")
    expect(bad).to_have_value("31/09/2026")
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(drafter.locator(f"#gm-{rows_before}-deadline")).to_contain_text("31/09/2026")
    expect(drafter.locator(f"#g-{rows_before - 1}-job")).to_have_value(ROWS[0][2])
    expect(drafter.locator("#g-0-responsible_person")).to_have_value("Phó Chủ tịch UBND xã")
    reads_well(drafter)
    assert_accessible(drafter, "the tasks' table, refused")
    drafter.goto(f"/portal/plans/{plan_id}")
    expect(drafter.locator("article.task")).to_have_count(1)  # nothing was saved
    drafter.go_back()

    bad = drafter.locator(f"#g-{rows_before}-deadline")
    bad.fill("30/09/2026")
    drafter.locator("#grid-save").click()
    expect(drafter.locator(".flash")).to_be_visible()
    expect(drafter.locator("#grid-problem")).to_have_count(0)
    for code in ("HA-01", "VL-02", "VL-03"):
        expect(row(drafter, code)).to_have_count(1)
    expect(row(drafter, "HA-01").locator(".finding.error")).to_have_count(0)
    expect(row(drafter, "VL-02").locator("td[data-field=lead_unit] input")).to_have_value(
        "Xã Vinh Lộc"
    )
    expect(row(drafter, "VL-02").locator("td[data-field=milestones] input")).to_have_value(
        "Quý III/2026: 2 km"
    )
    reads_well(drafter)

    # The per-task forms remain on the plan's page.
    drafter.locator("#grid-back").click()
    expect(task_card(drafter, "VL-03")).to_contain_text("Lắp 40 đèn chiếu sáng")
    expect(task_card(drafter, "HA-01").get_by_label("Người chịu trách nhiệm")).to_have_value(
        "Phó Chủ tịch UBND xã"
    )

    # A task deleted from the table: its row's box ticked, deleted on saving with the others.
    drafter.goto(f"/portal/plans/{plan_id}/grid")
    row(drafter, "VL-03").get_by_label("Dòng 3: xóa nhiệm vụ này khi lưu").check()
    row(drafter, "VL-02").locator("td[data-field=product_quantity] input").fill("3")
    drafter.locator("#grid-save").click()
    expect(drafter.locator(".flash")).to_be_visible()
    expect(row(drafter, "VL-03")).to_have_count(0)
    expect(row(drafter, "VL-02").locator("td[data-field=product_quantity] input")).to_have_value(
        "3"
    )
    drafter.goto(f"/portal/plans/{plan_id}")
    expect(drafter.locator("article.task")).to_have_count(2)

    # The indicators in their own table, pasted from Excel, saved on their own: refused whole
    # with the bad comparison in its cell and the figures as typed; then saved as meant.
    drafter.goto(f"/portal/plans/{plan_id}/grid#indicators")
    expect(drafter.get_by_role("heading", name="Bảng chỉ tiêu")).to_be_visible()
    paste(drafter, "#gi-0-code", excel_text(INDICATORS))
    expect(drafter.locator("#indicator-grid-status")).to_contain_text("Đã dán 2 dòng")
    drafter.locator("#indicator-grid-save").click()
    expect(drafter.locator("#indicator-grid-problem")).to_contain_text("Bảng chưa được lưu")
    expect(drafter.locator("#gi-1-comparator")).to_have_attribute("aria-invalid", "true")
    expect(drafter.locator("#gi-0-target")).to_have_value("1.000")
    assert in_a_thread(_indicators(portal_url, plan_id)) == {}  # nothing was saved
    assert_accessible(drafter, "the indicators' table, refused")
    drafter.locator("#gi-1-comparator").fill("≤")
    drafter.locator("#indicator-grid-save").click()
    expect(drafter.locator(".flash")).to_be_visible()
    saved = in_a_thread(_indicators(portal_url, plan_id))
    assert (saved["CT01"]["target"], saved["CT01"]["comparator"]) == (1000.0, ">=")
    assert (saved["CT02"]["baseline"], saved["CT02"]["target"]) == (3.5, 1.5)
    assert saved["CT02"]["comparator"] == "<="
    indicator = drafter.locator("#indicator-grid tbody tr[data-code=CT02]")
    expect(indicator.locator("td[data-field=target] input")).to_have_value("1,5")
    reads_well(drafter)
    indicator.get_by_label("Dòng 2: xóa chỉ tiêu này khi lưu").check()
    drafter.locator("#indicator-grid-save").click()
    expect(drafter.locator(".flash")).to_be_visible()
    assert set(in_a_thread(_indicators(portal_url, plan_id))) == {"CT01"}
    expect(drafter.locator("#task-grid tbody tr[data-code=VL-02]")).to_have_count(1)
    drafter.context.close()

    phone = signed_in(browser, portal_url, "drafter.vinh-loc", **PHONE)
    phone.goto(f"/portal/plans/{plan_id}/grid")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.context.close()
