"""The import template: its columns are the importer's, the docs page lists every one of them,
and the template downloaded, filled in and imported is accepted; and the printed plan (DOCX and
PDF) is the version in force, never a revision's working copy."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import httpx
import openpyxl
from cascade_plans.io.document import PARTY_HEADING
from cascade_plans.io.tables import (
    GROUP_HEADERS,
    GROUPS_SHEET,
    INDICATOR_HEADERS,
    INDICATORS_SHEET,
    REQUIRED,
    TASK_HEADERS,
    TASKS_SHEET,
    parse_tables,
)
from cascade_plans.io.template import (
    BEGIN,
    END,
    GROUP_COLUMNS,
    GUIDE_SHEET,
    INDICATOR_COLUMNS,
    TASK_COLUMNS,
    columns_markdown,
    template_xlsx,
)
from pypdf import PdfReader

from tests.story import create_draft, hue_program, token

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-template.md"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


SHEETS = (
    (TASKS_SHEET, TASK_HEADERS, TASK_COLUMNS),
    (INDICATORS_SHEET, INDICATOR_HEADERS, INDICATOR_COLUMNS),
    (GROUPS_SHEET, GROUP_HEADERS, GROUP_COLUMNS),
)


def test_every_column_the_importer_reads_is_described() -> None:
    for sheet, headers, columns in SHEETS:
        assert list(columns) == list(headers)
        # "required" in the template is what the importer requires
        assert {k for k, c in columns.items() if c.required} == set(REQUIRED[sheet])


def test_the_template_has_the_importers_columns_and_its_example_rows_parse() -> None:
    data = template_xlsx()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [TASKS_SHEET, INDICATORS_SHEET, GROUPS_SHEET, GUIDE_SHEET]
    for sheet, headers, _ in SHEETS:
        ws = wb[sheet]
        assert [c.value for c in ws[1]] == list(headers.values())
        assert all(c.comment and c.comment.text for c in ws[1])  # each header explains itself
        assert ws.max_row == 2  # one example row
    guide = [row[1] for row in wb[GUIDE_SHEET].iter_rows(min_row=2, values_only=True)]
    for _, headers, _ in SHEETS:
        assert set(headers.values()) <= set(guide)
    parsed = parse_tables(data, "mau.xlsx")
    assert parsed.errors == []
    [task], [indicator], [group] = parsed.tasks, parsed.indicators, parsed.groups
    assert task["code"] == TASK_COLUMNS["code"].example
    assert task["start"] == TASK_COLUMNS["start"].example
    assert task["milestones"][0] == {"period": "2026-Q3", "description": "250 cây"}
    assert indicator["comparator"] == ">=" and indicator["target"] == 100
    assert task["kind"] == "task" and task["budget"] == 1.5
    assert group["code"] == task["task_group"] and group["not_applicable_reason"] is None


def test_the_docs_page_lists_every_column_the_importer_reads() -> None:
    page = DOC.read_text(encoding="utf-8")
    table = page.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == columns_markdown(), (
        "docs/import-template.md is stale: run "
        ".venv/bin/python -m cascade_plans.io.template docs/import-template.md"
    )
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]) for line in table.splitlines()}
    for sheet, headers, _ in SHEETS:
        for header in headers.values():
            assert (sheet, header) in rows, header


async def test_the_downloaded_template_filled_in_is_imported(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    r = await client.get("/api/plans/import/template")
    assert r.status_code == 401  # signed in, as every plans route
    r = await client.get("/api/plans/import/template", headers=drafter)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    plan_id = await create_draft(client, drafter, "Kế hoạch nhập từ mẫu")
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    parent = (await client.get(f"/api/plans/{plan['parent_plan_id']}", headers=drafter)).json()

    # Fill the example rows in: this plan's last group, a task of the program above.
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    tasks, indicators = wb[TASKS_SHEET], wb[INDICATORS_SHEET]
    column = {header: n for n, header in enumerate(TASK_HEADERS.values(), start=1)}
    group = plan["task_groups"][-1]["code"]
    tasks.cell(row=2, column=column[TASK_HEADERS["task_group"]], value=group)
    tasks.cell(
        row=2, column=column[TASK_HEADERS["parent_task_code"]], value=parent["tasks"][-1]["code"]
    )
    tasks.cell(row=2, column=column[TASK_HEADERS["job"]], value="Trồng 300 cây xanh ven sông")
    indicators.cell(row=2, column=2, value="Tỷ lệ tuyến phố có cây xanh")
    out = io.BytesIO()
    wb.save(out)
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("mau-nhap-ke-hoach.xlsx", out.getvalue(), XLSX)},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"tasks": 1, "indicators": 1, "task_groups": 1}
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task = next(t for t in plan["tasks"] if t["code"] == TASK_COLUMNS["code"].example)
    assert task["job"] == "Trồng 300 cây xanh ven sông" and task["task_group"] == group
    assert task["deadline"] == "2026-11-30" and task["product_quantity"] == 500
    assert task["parent_task_id"] == parent["tasks"][-1]["id"]
    [indicator] = [i for i in plan["indicators"] if i["code"] == "CT01"]
    assert indicator["name"] == "Tỷ lệ tuyến phố có cây xanh" and indicator["target"] == 100

    # The template as it comes imports too: its example fits a ward's plan under Huế's program.
    r = await client.get("/api/plans/import/template", headers=drafter)
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("mau.xlsx", r.content, XLSX)},
    )
    assert r.status_code == 200, r.text

    # A draft has no version in force: nothing to print.
    for fmt in ("pdf", "docx"):
        r = await client.get(
            f"/api/plans/{plan_id}/export", params={"format": fmt}, headers=drafter
        )
        assert r.status_code == 409, r.text


async def test_a_plan_under_revision_prints_its_version_in_force(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    hue_id, _ = await hue_program(client, city)
    program = (await client.get(f"/api/plans/{hue_id}", headers=city)).json()
    job = program["tasks"][0]["job"]

    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "pdf"}, headers=city)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    assert f"plan-vn.hue-v{program['in_force_version']}.pdf" in r.headers["content-disposition"]
    text = pdf_text(r.content)
    assert PARTY_HEADING in text  # issued by Thành ủy Huế
    assert "THÀNH ỦY HUẾ" in text
    assert " ".join(program["title"].split()) in text
    assert " ".join(job.split()) in text

    # A revision changes the working copy; the printed plan stays the version in force.
    r = await client.post(f"/api/plans/{hue_id}/revise", json={"reason": "Sửa"}, headers=city)
    assert r.status_code == 200, r.text
    task_id = program["tasks"][0]["id"]
    revised = "Nội dung sửa đổi đang soạn thảo, chưa được phê duyệt"
    r = await client.patch(
        f"/api/plans/{hue_id}/tasks/{task_id}", json={"job": revised}, headers=city
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "pdf"}, headers=city)
    assert r.status_code == 200, r.text
    text = pdf_text(r.content)
    assert " ".join(job.split()) in text and revised not in text
    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "docx"}, headers=city)
    assert r.status_code == 200, r.text
    document = docx.Document(io.BytesIO(r.content))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert job in cells and revised not in cells
    # The spreadsheet export is the working copy being drafted.
    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "xlsx"}, headers=city)
    sheet = openpyxl.load_workbook(io.BytesIO(r.content))[TASKS_SHEET]
    assert revised in [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
