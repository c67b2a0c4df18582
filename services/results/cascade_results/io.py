"""The report as officials keep it: an XLSX in the official layout (exported, filled in Excel,
imported back whole or not at all) and a printable page "Báo cáo kết quả thực hiện …"."""

from __future__ import annotations

import html
import io
import unicodedata
import zipfile
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

STATE_VI = {
    "not_started": "Chưa triển khai",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành",
    "blocked": "Vướng mắc",
}
TASK_COLUMNS = [
    ("task_code", "Mã nhiệm vụ"),
    ("job", "Nội dung nhiệm vụ"),
    ("deadline", "Hạn hoàn thành"),
    ("state", "Tình trạng"),
    ("percent", "Tiến độ (%)"),
    ("product_quantity", "Sản phẩm đã có (số lượng)"),
    ("product_unit", "Đơn vị tính"),
    ("product_document", "Văn bản, sản phẩm"),
    ("narrative", "Kết quả thực hiện"),
    ("blocked_reason", "Khó khăn, vướng mắc"),
    ("completed_on", "Ngày hoàn thành"),
]
INDICATOR_COLUMNS = [
    ("indicator_code", "Mã chỉ tiêu"),
    ("name", "Tên chỉ tiêu"),
    ("measure", "Đơn vị tính"),
    ("target", "Mục tiêu"),
    ("actual", "Thực hiện"),
    ("note", "Ghi chú"),
]
READ_ONLY = {"job", "deadline", "product_unit", "name", "measure", "target"}
HEADER_ROW = 3


def fold(text: str) -> str:
    """Header text as compared on import: no diacritics, lower case, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.lower().split())


def title_of(view: dict[str, Any]) -> str:
    return f"Báo cáo kết quả thực hiện {view['period_label']} – {view['unit_name']}"


def _dmy(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value


def report_xlsx(view: dict[str, Any]) -> bytes:
    book = openpyxl.Workbook()
    sheets = [
        (book.active, "Nhiệm vụ", TASK_COLUMNS, view["tasks"]),
        (book.create_sheet(), "Chỉ tiêu", INDICATOR_COLUMNS, view["indicators"]),
    ]
    for ws, name, columns, rows in sheets:
        ws.title = name
        ws.cell(1, 1, title_of(view)).font = Font(bold=True, size=13)
        ws.cell(2, 1, f"Phiên bản {view['version']} – hạn gửi {_dmy(view['due_on'])}")
        for c, (_, header) in enumerate(columns, start=1):
            cell = ws.cell(HEADER_ROW, c, header)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r, row in enumerate(rows, start=HEADER_ROW + 1):
            for c, (key, _) in enumerate(columns, start=1):
                value = row.get(key)
                if key == "state":
                    value = STATE_VI.get(value or "", value)
                if key in ("deadline", "completed_on"):
                    value = _dmy(value)
                ws.cell(r, c, value)
        for c, (key, _) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = (
                60 if key in ("job", "narrative", "name") else 18
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class ReportFileError(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # 7,5 as Vietnamese write it
    return float(text)


def _date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("a date written dd/mm/yyyy")


_STATE_BY_LABEL = {fold(v): k for k, v in STATE_VI.items()} | {k: k for k in STATE_VI}


def _rows(ws: Any, columns: list[tuple[str, str]], sheet: str) -> list[tuple[int, dict[str, Any]]]:
    wanted = {fold(h): key for key, h in columns}
    header = [fold(str(c.value or "")) for c in ws[HEADER_ROW]]
    index = {wanted[h]: i for i, h in enumerate(header) if h in wanted}
    key_column = columns[0][0]
    if key_column not in index:
        raise ReportFileError(
            [{"field": f"{sheet}.header", "reason": f"row {HEADER_ROW} names '{columns[0][1]}'"}]
        )
    out = []
    for r, values in enumerate(
        ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True), start=HEADER_ROW + 1
    ):
        row = {k: values[i] if i < len(values) else None for k, i in index.items()}
        if row.get(key_column) in (None, ""):
            continue
        out.append((r, row))
    return out


def parse_report_xlsx(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The task and indicator lines of an exported report filled in; ReportFileError names every
    cell that cannot be read (sheet, row, column), and then nothing is imported."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReportFileError([{"field": "file", "reason": "not an XLSX workbook"}]) from exc
    errors: list[dict[str, str]] = []
    tasks: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    if "Nhiệm vụ" in book.sheetnames:
        for r, row in _rows(book["Nhiệm vụ"], TASK_COLUMNS, "Nhiệm vụ"):
            tasks.append(_task_line(r, row, errors))
    if "Chỉ tiêu" in book.sheetnames:
        for r, row in _rows(book["Chỉ tiêu"], INDICATOR_COLUMNS, "Chỉ tiêu"):
            iline: dict[str, Any] = {"indicator_code": str(row["indicator_code"]).strip()}
            try:
                iline["actual"] = _number(row.get("actual"))
            except ValueError:
                errors.append({"field": f"Chỉ tiêu.row {r}.actual", "reason": "a number"})
            if row.get("note") is not None:
                iline["note"] = str(row["note"]).strip()
            indicators.append(iline)
    if errors:
        raise ReportFileError(errors)
    return tasks, indicators


def _task_line(r: int, row: dict[str, Any], errors: list[dict[str, str]]) -> dict[str, Any]:
    """One row of the sheet "Nhiệm vụ" as a report's task line; each cell that cannot be read
    adds an error naming its row and column."""
    line: dict[str, Any] = {"task_code": str(row["task_code"]).strip()}

    def fail(key: str, reason: str) -> None:
        errors.append({"field": f"Nhiệm vụ.row {r}.{key}", "reason": reason})

    if "state" in row and row["state"] not in (None, ""):
        state = _STATE_BY_LABEL.get(fold(str(row["state"])))
        if state is None:
            fail("state", "one of " + ", ".join(STATE_VI.values()))
        else:
            line["state"] = state
    for key in ("percent", "product_quantity"):
        if key in row:
            try:
                value = _number(row[key])
            except ValueError:
                fail(key, "a number")
                continue
            if value is not None or key == "product_quantity":
                line[key] = value
    if "completed_on" in row:
        try:
            line["completed_on"] = _date(row["completed_on"])
        except ValueError as exc:
            fail("completed_on", str(exc))
    for key in ("product_document", "narrative", "blocked_reason"):
        if key in row:
            text = "" if row[key] is None else str(row[key]).strip()
            line[key] = text if key == "narrative" else (text or None)
    return line


def report_html(view: dict[str, Any]) -> str:
    """A printable page in the official form of a progress report."""
    e = html.escape
    rows = "".join(
        "<tr>"
        f"<td>{i}</td><td>{e(t['task_code'])}</td><td>{e(t['job'])}</td>"
        f"<td>{e(str(_dmy(t['deadline']) or ''))}</td><td>{e(STATE_VI.get(t['state'], ''))}</td>"
        f"<td class=n>{t['percent']:g}</td>"
        f"<td>{e(_product(t))}</td><td>{e(t['narrative'] or '')}</td>"
        f"<td>{e(t['status_vi'])}</td></tr>"
        for i, t in enumerate(view["tasks"], start=1)
    )
    indicators = "".join(
        "<tr>"
        f"<td>{i}</td><td>{e(x['name'])}</td><td>{e(x['measure'])}</td>"
        f"<td class=n>{x['comparator']} {x['target']:g}</td>"
        f"<td class=n>{'' if x['actual'] is None else format(x['actual'], 'g')}</td></tr>"
        for i, x in enumerate(view["indicators"], start=1)
    )
    submitted = (
        f"Đã ký duyệt, gửi lúc {_dmy(view['submitted_at'])}" if view.get("submitted_at") else ""
    )
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{e(title_of(view))}</title>
<style>
body {{ font-family: "Times New Roman", serif; margin: 2cm; font-size: 13pt; }}
h1 {{ text-align: center; font-size: 15pt; text-transform: uppercase; }}
p.sub {{ text-align: center; font-style: italic; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ border: 1px solid #000; padding: 4px; vertical-align: top; }}
td.n {{ text-align: right; }}
.sign {{ margin-top: 3em; text-align: right; }}
</style></head><body>
<p><b>{e(view["unit_name"])}</b></p>
<h1>Báo cáo kết quả thực hiện {e(view["period_label"])}</h1>
<p class="sub">Phiên bản {view["version"]} – hạn gửi {_dmy(view["due_on"])}</p>
<h2>I. Kết quả thực hiện nhiệm vụ</h2>
<table><thead><tr><th>TT</th><th>Mã</th><th>Nhiệm vụ</th><th>Hạn</th><th>Tình trạng</th>
<th>Tiến độ (%)</th><th>Sản phẩm</th><th>Kết quả thực hiện</th><th>Đánh giá</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>II. Kết quả thực hiện chỉ tiêu</h2>
<table><thead><tr><th>TT</th><th>Chỉ tiêu</th><th>Đơn vị tính</th><th>Mục tiêu</th>
<th>Thực hiện</th></tr></thead><tbody>{indicators}</tbody></table>
<p class="sign">{e(submitted)}<br><b>{e(view.get("submitted_by") or "")}</b></p>
</body></html>"""


def _product(line: dict[str, Any]) -> str:
    parts = []
    if line.get("product_quantity") is not None:
        parts.append(f"{line['product_quantity']:g} {line.get('product_unit') or ''}".strip())
    if line.get("product_document"):
        parts.append(line["product_document"])
    return "; ".join(parts)
