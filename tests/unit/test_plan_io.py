"""Spreadsheets in and out (XLSX, CSV) and the printable DOCX of an approved plan."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import docx
import openpyxl
import pytest
from cascade_plans.io import (
    INDICATOR_HEADERS,
    TASK_HEADERS,
    RowError,
    parse_tables,
    plan_to_docx,
    tasks_to_csv,
    tasks_to_xlsx,
)

TASK_KEYS = {
    "code",
    "task_group",
    "job",
    "lead_unit",
    "cooperating_units",
    "responsible_person",
    "start",
    "deadline",
    "milestones",
    "product_description",
    "product_quantity",
    "product_unit",
    "parent_task_code",
    "kind",
    "budget",
}
HEADERS = list(TASK_HEADERS.values())


def make_plan() -> dict:
    return {
        "title": "Kế hoạch thực hiện Nghị quyết Đại hội Đảng bộ phường Hoàn Kiếm",
        "unit": "vn.hn.hoan-kiem",
        "resolution": "Nghị quyết Đại hội XIV",
        "term_start": 2026,
        "term_end": 2031,
        "status": "approved",
        "version": 2,
        "task_groups": [
            {"id": "g1", "code": "NV1", "title": "Phát triển kinh tế, đô thị văn minh"},
            {"id": "g2", "code": "NV2", "title": "Cải cách hành chính"},
        ],
        "indicators": [
            {
                "code": "CT01",
                "name": "Tốc độ tăng trưởng GRDP",
                "unit": "%",
                "baseline": 9.2,
                "target": 11.0,
                "year": 2026,
                "comparator": ">=",
            },
            {
                "code": "CT02",
                "name": "Tỷ lệ hộ nghèo",
                "unit": "%",
                "baseline": None,
                "target": 0.5,
                "year": 2030,
                "comparator": "<=",
            },
        ],
        "tasks": [
            {
                "code": "T1",
                "task_group": "NV1",
                "job": "Xóa 12 điểm tập kết rác tự phát trên địa bàn phường",
                "lead_unit": "vn.hn.hoan-kiem.ubnd",
                "cooperating_units": ["vn.hn.mttq", "cong-an"],
                "responsible_person": "Nguyễn Văn Hùng, Phó Chủ tịch UBND phường",
                "start": "2026-03-01",
                "deadline": "2026-12-31",
                "milestones": [
                    {"period": "2026-Q2", "description": "xóa 6 điểm"},
                    {"period": "2026-12", "description": "hoàn thành"},
                ],
                "product_description": "Điểm tập kết rác được xóa",
                "product_quantity": 12.0,
                "product_unit": "điểm",
                "parent_task_id": "p-1",
                "parent_task_code": "HN-4.2",
                "kind": "key_project",
                "budget": 820.5,
            },
            {
                "code": "T2",
                "task_group": "NV2",
                "job": "Số hóa hồ sơ thủ tục hành chính",
                "lead_unit": "vn.hn.hoan-kiem.vp",
                "cooperating_units": [],
                "responsible_person": "Trần Thị Lan",
                "start": None,
                "deadline": "2027-06-30",
                "milestones": [],
                "product_description": "Hồ sơ được số hóa",
                "product_quantity": 1234.5,
                "product_unit": "hồ sơ",
                "parent_task_id": None,
            },
        ],
    }


def expected_tasks(plan: dict) -> list[dict]:
    result = []
    for t in plan["tasks"]:
        row = {k: t.get(k) for k in TASK_KEYS}
        row["kind"] = t.get("kind") or "task"
        row["start"] = date.fromisoformat(t["start"]) if t["start"] else None
        row["deadline"] = date.fromisoformat(t["deadline"]) if t["deadline"] else None
        result.append(row)
    return result


def csv_bytes(rows: list[list[str]], delimiter: str = ",", bom: bool = True) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def task_row(**values: str) -> list[str]:
    """One CSV row in header order; keys are the parsed-dict keys."""
    return [values.get(key, "") for key in TASK_HEADERS]


def xlsx_bytes(
    tasks: list[list], indicators: list[list] | None = None, task_headers: list[str] | None = None
) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append(task_headers or HEADERS)
    for row in tasks:
        ws.append(row)
    if indicators is not None:
        ind = wb.create_sheet("Chỉ tiêu")
        ind.append(list(INDICATOR_HEADERS.values()))
        for row in indicators:
            ind.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- round trips ----------------------------------------------------------------------------


def test_xlsx_export_imports_back_unchanged() -> None:
    plan = make_plan()
    parsed = parse_tables(tasks_to_xlsx(plan), "ke-hoach.XLSX")
    assert parsed.errors == []
    assert parsed.tasks == expected_tasks(plan)
    assert all(set(t) == TASK_KEYS for t in parsed.tasks)
    assert parsed.indicators == [{k: i[k] for k in INDICATOR_HEADERS} for i in plan["indicators"]]
    assert parsed.task_rows == [2, 3]


def test_xlsx_export_is_laid_out_for_people() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(tasks_to_xlsx(make_plan())))
    assert wb.sheetnames[:2] == ["Nhiệm vụ", "Chỉ tiêu"]
    ws = wb["Nhiệm vụ"]
    assert [c.value for c in ws[1]] == HEADERS
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width >= 40  # the job column is wide
    start = ws.cell(row=2, column=HEADERS.index("Ngày bắt đầu") + 1)
    assert isinstance(start.value, datetime) and start.value.date() == date(2026, 3, 1)
    assert start.is_date


def test_xlsx_export_keeps_text_that_looks_like_a_formula_as_text() -> None:
    plan = make_plan()
    plan["tasks"][0]["job"] = '=HYPERLINK("http://x")'
    ws = openpyxl.load_workbook(io.BytesIO(tasks_to_xlsx(plan)))["Nhiệm vụ"]
    assert ws["C2"].data_type == "s"
    assert parse_tables(tasks_to_xlsx(plan), "p.xlsx").tasks[0]["job"] == plan["tasks"][0]["job"]


def test_csv_export_imports_back_unchanged() -> None:
    plan = make_plan()
    data = tasks_to_csv(plan)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for the diacritics
    assert data.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)
    parsed = parse_tables(data, "ke-hoach.csv")
    assert parsed.errors == []
    assert parsed.tasks == expected_tasks(plan)
    assert parsed.indicators == []


# --- tolerant reading -----------------------------------------------------------------------


def test_headers_without_diacritics_any_case_and_spaces_are_accepted() -> None:
    folded = [
        "  MA NHIEM VU ",
        "nhom nhiem vu",
        "Noi dung nhiem vu",
        "don vi chu tri",
        "Don vi phoi hop",
        "nguoi chiu trach nhiem",
        "ngay bat dau",
        "thoi han hoan thanh",
        "moc tien do",
        "san pham",
        "so luong",
        "don vi tinh",
        "nhiem vu cap tren",
    ]
    parsed = parse_tables(
        csv_bytes([folded, task_row(code="T1", job="Việc", lead_unit="U1", product_quantity="3")]),
        "a.csv",
    )
    assert parsed.errors == []
    assert parsed.tasks[0]["job"] == "Việc"
    assert parsed.tasks[0]["lead_unit"] == "U1"
    assert parsed.tasks[0]["product_quantity"] == 3.0


def test_dates_vietnamese_iso_and_real_excel_dates() -> None:
    data = xlsx_bytes(
        [
            ["T1", None, "Việc 1", "U", None, None, "01/03/2026", "2026-12-31"],
            ["T2", None, "Việc 2", "U", None, None, datetime(2026, 4, 15), date(2026, 11, 30)],
        ]
    )
    parsed = parse_tables(data, "a.xlsx")
    assert parsed.errors == []
    assert [(t["start"], t["deadline"]) for t in parsed.tasks] == [
        (date(2026, 3, 1), date(2026, 12, 31)),
        (date(2026, 4, 15), date(2026, 11, 30)),
    ]


def test_numbers_decimal_comma_and_thousands() -> None:
    rows = [HEADERS] + [
        task_row(code=f"T{i}", job="Việc", product_quantity=q)
        for i, q in enumerate(["11,5", "1.234,5", "1,234.5", "12", ""])
    ]
    parsed = parse_tables(csv_bytes(rows), "a.csv")
    assert parsed.errors == []
    assert [t["product_quantity"] for t in parsed.tasks] == [11.5, 1234.5, 1234.5, 12.0, None]


def test_csv_with_semicolons_and_without_bom() -> None:
    rows = [
        HEADERS,
        task_row(
            code="T1",
            job="Lắp 1.500 bóng đèn",
            cooperating_units="A, B;C",
            milestones="2026-Q2: lắp 700 bóng\n2026-12: hoàn thành",
            product_quantity="1.500",
            start="01/03/2026",
        ),
    ]
    parsed = parse_tables(csv_bytes(rows, delimiter=";", bom=False), "a.csv")
    assert parsed.errors == []
    task = parsed.tasks[0]
    assert task["job"] == "Lắp 1.500 bóng đèn"
    assert task["cooperating_units"] == ["A", "B", "C"]
    assert task["milestones"] == [
        {"period": "2026-Q2", "description": "lắp 700 bóng"},
        {"period": "2026-12", "description": "hoàn thành"},
    ]
    assert task["product_quantity"] == 1500.0  # ';' files are written with a decimal comma
    assert task["start"] == date(2026, 3, 1)


def test_empty_cells_become_none_and_blank_rows_are_skipped() -> None:
    rows = [
        HEADERS,
        task_row(code="T1", job="Việc"),
        [""] * len(HEADERS),
        [],
        task_row(code="T2", job="Việc 2"),
    ]
    parsed = parse_tables(csv_bytes(rows), "a.csv")
    assert parsed.errors == []
    assert parsed.task_rows == [2, 5]
    assert parsed.tasks[0] == {
        "code": "T1",
        "task_group": None,
        "job": "Việc",
        "lead_unit": None,
        "cooperating_units": [],
        "responsible_person": None,
        "start": None,
        "deadline": None,
        "milestones": [],
        "product_description": None,
        "product_quantity": None,
        "product_unit": None,
        "parent_task_code": None,
        "kind": "task",
        "budget": None,
    }


def test_indicators_sheet_defaults_and_comparators() -> None:
    data = xlsx_bytes(
        [["T1", None, "Việc"]],
        indicators=[
            ["CT1", "GRDP", "%", "9,2", "11", 2026, None],
            ["CT2", "Hộ nghèo", "%", None, 0.5, "2030", "≤"],
        ],
    )
    parsed = parse_tables(data, "a.xlsx")
    assert parsed.errors == []
    assert parsed.indicators == [
        {
            "code": "CT1",
            "name": "GRDP",
            "unit": "%",
            "baseline": 9.2,
            "target": 11.0,
            "year": 2026,
            "comparator": ">=",
        },
        {
            "code": "CT2",
            "name": "Hộ nghèo",
            "unit": "%",
            "baseline": None,
            "target": 0.5,
            "year": 2030,
            "comparator": "<=",
        },
    ]


# --- errors by row and column ---------------------------------------------------------------


def test_row_errors_name_the_row_and_the_column() -> None:
    rows = [
        HEADERS,
        task_row(code="T1", job="ok"),  # row 2
        task_row(job="no code here"),  # row 3
        task_row(code="T3", job="x", deadline="31/02/2026"),  # row 4
        task_row(code="T1", job="again"),  # row 5
        task_row(code="T5", job="x", milestones="2026-Q5: never"),  # row 6
        task_row(code="T6", job="x", start="next spring", product_quantity="many"),  # row 7
        task_row(code="T7", job="x", kind="công trình", budget="-3"),  # row 8
    ]
    parsed = parse_tables(csv_bytes(rows), "a.csv")
    found = {(e.row, e.column) for e in parsed.errors}
    assert found == {
        (3, "Mã nhiệm vụ"),
        (4, "Thời hạn hoàn thành"),
        (5, "Mã nhiệm vụ"),
        (6, "Mốc tiến độ"),
        (7, "Ngày bắt đầu"),
        (7, "Số lượng"),
        (8, "Loại nhiệm vụ"),
        (8, "Kinh phí (tỷ đồng)"),
    }
    assert all(e.sheet == "Nhiệm vụ" for e in parsed.errors)
    duplicate = next(e for e in parsed.errors if e.row == 5)
    assert "row 2" in duplicate.reason
    # rows without a usable code are left out; the others are kept for further checks
    assert [t["code"] for t in parsed.tasks] == ["T1", "T3", "T5", "T6", "T7"]


def test_indicator_errors_name_their_sheet() -> None:
    data = xlsx_bytes(
        [["T1", None, "Việc"]], indicators=[["CT1", "GRDP", "%", None, "lots", 2026.5, "~"]]
    )
    errors = parse_tables(data, "a.xlsx").errors
    assert {(e.sheet, e.row, e.column) for e in errors} == {
        ("Chỉ tiêu", 2, "Mục tiêu"),
        ("Chỉ tiêu", 2, "Năm"),
        ("Chỉ tiêu", 2, "So sánh"),
    }


def test_missing_required_header_is_row_one() -> None:
    headers = [h for h in HEADERS if h != "Mã nhiệm vụ"]
    parsed = parse_tables(xlsx_bytes([["Việc"]], task_headers=headers), "a.xlsx")
    assert parsed.tasks == []
    assert parsed.errors == [
        RowError("Nhiệm vụ", 1, "Mã nhiệm vụ", "the required column 'Mã nhiệm vụ' is missing")
    ]


@pytest.mark.parametrize("name", ["plan.pdf", "plan", "plan.xls"])
def test_unknown_extension_is_one_file_error(name: str) -> None:
    parsed = parse_tables(b"whatever", name)
    assert parsed.tasks == [] and parsed.indicators == []
    assert len(parsed.errors) == 1
    error = parsed.errors[0]
    assert (error.sheet, error.row, error.column) == ("", 0, None)


def test_a_broken_workbook_is_a_file_error_not_a_crash() -> None:
    parsed = parse_tables(b"PK\x03\x04 not really a zip", "a.xlsx")
    assert len(parsed.errors) == 1 and parsed.errors[0].row == 0


# --- the printable document -----------------------------------------------------------------


def test_docx_opens_and_holds_the_plan() -> None:
    plan = make_plan()
    document = docx.Document(io.BytesIO(plan_to_docx(plan, "Phường Hoàn Kiếm")))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert plan["title"] in paragraphs
    assert "PHƯỜNG HOÀN KIẾM" in paragraphs
    assert "Đã phê duyệt" in paragraphs
    assert "NV1. Phát triển kinh tế, đô thị văn minh" in paragraphs
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert [
        "STT",
        "Nội dung nhiệm vụ",
        "Đơn vị chủ trì",
        "Đơn vị phối hợp",
        "Người chịu trách nhiệm",
        "Thời gian",
        "Sản phẩm",
    ] in cells
    t1 = next(row for row in cells if plan["tasks"][0]["job"] in row[1])
    assert t1[2] == "vn.hn.hoan-kiem.ubnd"
    assert t1[3] == "vn.hn.mttq, cong-an"
    assert t1[5].startswith("01/03/2026 – 31/12/2026")
    assert "Quý 2/2026: xóa 6 điểm" in t1[5]
    assert t1[6] == "Điểm tập kết rác được xóa; 12 điểm"
    t2 = next(row for row in cells if plan["tasks"][1]["job"] in row[1])
    assert t2[6] == "Hồ sơ được số hóa; 1.234,5 hồ sơ"
    indicator = next(row for row in cells if row[1] == "CT01")
    assert indicator[5] == "≥ 11"
    landscape = document.sections[-1]
    assert landscape.page_width > landscape.page_height


# --- kinds, budgets, task groups, required cells ----------------------------------------------


def test_kinds_are_read_by_their_label_with_or_without_diacritics() -> None:
    kinds = ["Nhiệm vụ", "de an", "DỰ ÁN", "Công trình trọng điểm", "key_project", ""]
    rows = [HEADERS] + [
        task_row(code=f"T{i}", job="Việc", kind=k, budget="1,5") for i, k in enumerate(kinds)
    ]
    parsed = parse_tables(csv_bytes(rows), "a.csv")
    assert parsed.errors == []
    assert [t["kind"] for t in parsed.tasks] == [
        "task",
        "scheme",
        "project",
        "key_project",
        "key_project",
        "task",
    ]
    assert {t["budget"] for t in parsed.tasks} == {1.5}


def test_the_groups_sheet_is_read_and_exported() -> None:
    plan = make_plan()
    plan["task_groups"][0] |= {"parent_task_group": "TG03"}
    plan["task_groups"][1] |= {"not_applicable_reason": "Do cấp trên thực hiện"}
    parsed = parse_tables(tasks_to_xlsx(plan), "a.xlsx")
    assert parsed.errors == []
    assert parsed.groups == [
        {
            "code": "NV1",
            "title": "Phát triển kinh tế, đô thị văn minh",
            "parent_task_group": "TG03",
            "not_applicable_reason": None,
        },
        {
            "code": "NV2",
            "title": "Cải cách hành chính",
            "parent_task_group": None,
            "not_applicable_reason": "Do cấp trên thực hiện",
        },
    ]
    assert parsed.group_rows == [2, 3]


def test_required_cells_left_empty_are_row_errors_naming_the_column() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append(HEADERS)
    ws.append(["T1", None, "  "])  # no job
    ind = wb.create_sheet("Chỉ tiêu")
    ind.append(list(INDICATOR_HEADERS.values()))
    ind.append(["CT1", None, None, None, None, 2030])  # no name, unit, target
    groups = wb.create_sheet("Nhóm nhiệm vụ")
    groups.append(["Mã nhóm", "Tên nhóm"])
    groups.append(["NV1", None])
    groups.append([None, "Nhóm không mã"])
    out = io.BytesIO()
    wb.save(out)
    parsed = parse_tables(out.getvalue(), "a.xlsx")
    assert {(e.sheet, e.row, e.column) for e in parsed.errors} == {
        ("Nhiệm vụ", 2, "Nội dung nhiệm vụ"),
        ("Chỉ tiêu", 2, "Tên chỉ tiêu"),
        ("Chỉ tiêu", 2, "Đơn vị tính"),
        ("Chỉ tiêu", 2, "Mục tiêu"),
        ("Nhóm nhiệm vụ", 2, "Tên nhóm"),
        ("Nhóm nhiệm vụ", 3, "Mã nhóm"),
    }


def test_a_required_column_missing_from_the_header_is_one_error() -> None:
    headers = [h for h in HEADERS if h != "Nội dung nhiệm vụ"]
    parsed = parse_tables(xlsx_bytes([["T1"], ["T2"]], task_headers=headers), "a.xlsx")
    assert parsed.errors == [
        RowError(
            "Nhiệm vụ", 1, "Nội dung nhiệm vụ", "the required column 'Nội dung nhiệm vụ' is missing"
        )
    ]


def test_a_semicolon_no_period_follows_stays_in_the_milestone() -> None:
    rows = [
        HEADERS,
        task_row(
            code="T1",
            job="Việc",
            milestones="2026-Q2: thu gom; phân loại rác; 2026-12: hoàn thành;\nQ4/2027",
        ),
    ]
    parsed = parse_tables(csv_bytes(rows), "a.csv")
    assert parsed.errors == []
    assert parsed.tasks[0]["milestones"] == [
        {"period": "2026-Q2", "description": "thu gom; phân loại rác"},
        {"period": "2026-12", "description": "hoàn thành;"},
        {"period": "2027-Q4", "description": ""},
    ]


def test_a_unit_whose_name_is_not_unique_is_exported_by_its_code() -> None:
    names = {"a.cong-an": "Công an phường", "b.cong-an": "Công an phường", "c": "Sở Y tế"}
    names["vn.hn.hoan-kiem.vp"] = "Văn phòng"
    plan = make_plan()
    plan["tasks"][0] |= {"lead_unit": "a.cong-an", "cooperating_units": ["c", "b.cong-an"]}
    parsed = parse_tables(tasks_to_xlsx(plan, names), "a.xlsx", names)
    assert parsed.errors == []
    assert parsed.tasks[0]["lead_unit"] == "a.cong-an"
    assert parsed.tasks[0]["cooperating_units"] == ["c", "b.cong-an"]
    ws = openpyxl.load_workbook(io.BytesIO(tasks_to_xlsx(plan, names)))["Nhiệm vụ"]
    assert ws["E2"].value == "Sở Y tế; b.cong-an"
