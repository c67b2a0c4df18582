"""Tasks, indicators and task groups in the layout officials keep: one row per item,
Vietnamese headers.

A workbook holds the sheets "Nhiệm vụ" (tasks), "Chỉ tiêu" (indicators) and "Nhóm nhiệm vụ"
(task groups); a CSV file holds tasks, or indicators when its header is the indicators sheet's
(its first column "Mã chỉ tiêu"). Import checks the format row by row and names the
row and column of every problem, a required cell left empty included; whether a task is
"5 clear" is the domain's business, not this module's. Export writes the same headers, so a
plan exported here imports back to the same plan: groups, tasks (their kind and budget),
indicators, milestones, units. Two things a cell cannot carry: a number keeps 16 significant
digits in a workbook (Excel itself keeps 15), and a line break inside a milestone's description
is written as a space (a line starts the next milestone).

Lead and cooperating units are directory entries. Given the directory (code -> name), import
reads each by its code or by its exact name and keeps the code; a lead unit cell that names
several units, or one the directory does not hold, is a row error naming the column. Given the
same names, export writes each unit by its name (and so imports back to the same codes).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from cascade_plans.domain.plan import names_several_units

TASKS_SHEET = "Nhiệm vụ"
INDICATORS_SHEET = "Chỉ tiêu"
GROUPS_SHEET = "Nhóm nhiệm vụ"

# Task columns in file order: parsed-dict key -> header text.
TASK_HEADERS: dict[str, str] = {
    "code": "Mã nhiệm vụ",
    "task_group": "Nhóm nhiệm vụ",
    "job": "Nội dung nhiệm vụ",
    "lead_unit": "Đơn vị chủ trì",
    "cooperating_units": "Đơn vị phối hợp",
    "responsible_person": "Người chịu trách nhiệm",
    "start": "Ngày bắt đầu",
    "deadline": "Thời hạn hoàn thành",
    "milestones": "Mốc tiến độ",
    "product_description": "Sản phẩm",
    "product_quantity": "Số lượng",
    "product_unit": "Đơn vị tính",
    "kind": "Loại nhiệm vụ",
    "budget": "Kinh phí (tỷ đồng)",
    "parent_task_code": "Nhiệm vụ cấp trên",
}

INDICATOR_HEADERS: dict[str, str] = {
    "code": "Mã chỉ tiêu",
    "name": "Tên chỉ tiêu",
    "unit": "Đơn vị tính",
    "baseline": "Giá trị cơ sở",
    "target": "Mục tiêu",
    "year": "Năm",
    "comparator": "So sánh",
}

GROUP_HEADERS: dict[str, str] = {
    "code": "Mã nhóm",
    "title": "Tên nhóm",
    "parent_task_group": "Nhóm cấp trên",
    "not_applicable_reason": "Không áp dụng (lý do)",
}

REQUIRED: dict[str, tuple[str, ...]] = {
    TASKS_SHEET: ("code", "job"),
    INDICATORS_SHEET: ("code", "name", "unit", "target"),
    GROUPS_SHEET: ("code", "title"),
}
"""The cells a row needs to mean something; an empty one is a row error naming its column.
An indicator's year may be left empty: it is then the last year of the plan's term."""

KIND_LABELS: dict[str, str] = {
    "task": "Nhiệm vụ",
    "scheme": "Đề án",
    "project": "Dự án",
    "key_project": "Dự án, công trình trọng điểm",
}
"""The kinds of task a Party resolution's action plan lists, as the sheet writes them: a task,
a scheme (đề án: a policy proposal to draw up and submit), a project (dự án: an investment
project), a key project (dự án, công trình trọng điểm)."""

_KIND_ALIASES: dict[str, str] = {
    **{re.sub(r"[^a-z]", "", k): k for k in KIND_LABELS},
    "nhiemvu": "task",
    "dean": "scheme",
    "duan": "project",
    "duancongtrinhtrongdiem": "key_project",
    "congtrinhduantrongdiem": "key_project",
    "congtrinhtrongdiem": "key_project",
    "duantrongdiem": "key_project",
    "trongdiem": "key_project",
    "deanduancongtrinhtrongdiem": "key_project",  # the label of key projects before schemes
}

COMPARATORS = (">=", "<=", "=", ">", "<")
_COMPARATOR_ALIASES = {"≥": ">=", "=>": ">=", "≤": "<=", "=<": "<=", "==": "="}

_TASK_WIDTHS = {
    "code": 14,
    "task_group": 12,
    "job": 60,
    "lead_unit": 16,
    "cooperating_units": 24,
    "responsible_person": 24,
    "start": 14,
    "deadline": 14,
    "milestones": 40,
    "product_description": 40,
    "product_quantity": 11,
    "product_unit": 14,
    "parent_task_code": 16,
    "kind": 16,
    "budget": 12,
}
_INDICATOR_WIDTHS = {
    "code": 14,
    "name": 60,
    "unit": 16,
    "baseline": 14,
    "target": 12,
    "year": 8,
    "comparator": 10,
}
_GROUP_WIDTHS = {"code": 12, "title": 70, "parent_task_group": 14, "not_applicable_reason": 40}
_WRAPPED = {
    "job",
    "cooperating_units",
    "milestones",
    "product_description",
    "name",
    "title",
    "not_applicable_reason",
}
_DATE_FORMAT = "DD/MM/YYYY"
_HEADER_SCAN_ROWS = 10  # a title block above the header row is tolerated


@dataclass(frozen=True)
class RowError:
    """One problem in the file: ``row`` is the spreadsheet row number (the header is row 1);
    ``row`` 0 means the file as a whole."""

    sheet: str
    row: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class ParsedTables:
    """What a file holds. ``task_rows[i]`` / ``indicator_rows[i]`` / ``group_rows[i]`` is the
    spreadsheet row that ``tasks[i]`` / ``indicators[i]`` / ``groups[i]`` came from."""

    tasks: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    errors: list[RowError]
    task_rows: list[int] = field(default_factory=list)
    indicator_rows: list[int] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_rows: list[int] = field(default_factory=list)
    columns: dict[str, set[str]] = field(default_factory=dict)
    """The columns each sheet has (sheet -> keys): a column the file lacks is not an empty
    cell, and an update leaves what it would hold as it was."""


# --- reading values -------------------------------------------------------------------------


def fold(text: str) -> str:
    """Header text as compared on import: no diacritics, lower case, single spaces, no (*)."""
    text = unicodedata.normalize("NFKD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("(*)", "").replace("*", "")
    return " ".join(text.split()).strip(" :")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any, decimal_comma: bool = False) -> float | None:
    """A number from a cell: real numbers as they are; text as "12", "11,5" (Vietnamese decimal
    comma), "1.234,5", "1,234.5", "1.234.567", "1.5e-3". A lone separator is a decimal point,
    except that with ``decimal_comma`` (a ';'-separated CSV) "1.500" is one thousand five
    hundred.
    Raises ValueError for anything else."""
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip()
    for space in (" ", "\u00a0", "\u202f", "\u2009"):
        s = s.replace(space, "")
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        if not re.fullmatch(rf"[+-]?\d{{1,3}}(?:{re.escape(thou)}\d{{3}})+{re.escape(dec)}\d+", s):
            raise ValueError(f"{value!r} is not a number")
        s = s.replace(thou, "").replace(dec, ".")
    elif (
        commas > 1
        or dots > 1
        or (dots == 1 and decimal_comma and re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", s))
    ):
        sep = "," if commas else "."
        if not re.fullmatch(rf"[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", s):
            raise ValueError(f"{value!r} is not a number")
        s = s.replace(sep, "")
    elif commas == 1:
        s = s.replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", s):
        raise ValueError(f"{value!r} is not a number")
    return float(s)


def parse_date(value: Any) -> date | None:
    """A date from a cell: a real Excel date, an Excel day number, "2026-03-01" or "01/03/2026"
    (day/month/year, also with '.' or '-'). Raises ValueError for anything else."""
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's day numbers: 1900-01-01 .. 9999-12-31
            converted = from_excel(value)
            return converted.date() if isinstance(converted, datetime) else converted
        raise ValueError(f"{value!r} is not a date")
    s = str(value).strip()
    if m := re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ][\d:.]*)?", s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s):
        d, mo, y = (int(g) for g in m.groups())
    else:
        raise ValueError(f"{s!r} is not a date: write 2026-03-01 or 01/03/2026")
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"{s!r} is not a date of the calendar") from None


_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_period(text: str) -> str | None:
    """A milestone period as "YYYY-Qn" or "YYYY-MM"; also read: "Q2/2026", "quý II/2026",
    "06/2026", "tháng 6/2026". None when it is not a period."""
    s = fold(text).replace(" ", "")
    if m := re.fullmatch(r"(\d{4})-?q([1-4])", s):
        return f"{m[1]}-Q{m[2]}"
    if m := re.fullmatch(r"(?:q|quy)([1-4]|iv|i{1,3})[/-](\d{4})", s):
        quarter = _ROMAN_QUARTERS.get(m[1]) or int(m[1])
        return f"{m[2]}-Q{quarter}"
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
        year, month = m[1], int(m[2])
    elif m := re.fullmatch(r"(?:thang)?(\d{1,2})[/-](\d{4})", s):
        year, month = m[2], int(m[1])
    else:
        return None
    return f"{year}-{month:02d}" if 1 <= month <= 12 else None


def parse_milestones(value: Any) -> list[dict[str, str]]:
    """ "2026-Q2: xóa 6 điểm; 2026-12: hoàn thành" (entries separated by ';' or new lines) as
    [{"period", "description"}]. On a line, a ';' that no period follows belongs to the
    description ("2026-Q2: thu gom; phân loại rác" is one milestone). Raises ValueError naming
    the first entry it cannot read."""
    if _is_blank(value):
        return []
    result: list[dict[str, str]] = []
    for line in re.split(r"[\r\n]+", _text(value) or ""):
        current: dict[str, str] | None = None
        for piece in line.split(";"):
            head, sep, description = piece.partition(":")
            period = parse_period(head) if sep or head.strip() else None
            if period is None and current is not None:
                current["description"] += ";" + piece
                continue
            if period is None:
                if not piece.strip():
                    continue
                raise ValueError(
                    f"milestone {piece.strip()!r} must start with a period such as 2026-Q2 or "
                    "2026-06, then ':' and the description"
                )
            current = {"period": period, "description": description if sep else ""}
            result.append(current)
    for m in result:
        m["description"] = m["description"].strip()
    return result


def _text(value: Any, unguard: bool = False) -> str | None:
    """A cell as text; ``unguard`` (a CSV file) undoes the formula guard of the CSV export."""
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = _nfc(str(value).strip())
    if unguard and len(s) > 1 and s[0] == "'" and s[1] in "=+@\t\r":
        s = s[1:]
    return s


def _split_units(value: Any) -> list[str]:
    return [u.strip() for u in re.split(r"[;,\r\n]+", _text(value) or "") if u.strip()]


def _name_key(text: str) -> str:
    return " ".join(_nfc(text).split())


class UnitDirectory:
    """The directory as import reads it: an entry by its code or by its exact name (Unicode
    composed, spacing aside)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.by_name: dict[str, list[str]] = {}
        for code, name in names.items():
            self.by_name.setdefault(_name_key(name), []).append(code)

    def find(self, text: str) -> list[str]:
        """The codes ``text`` names: one, none, or several entries of the same name."""
        text = text.strip()
        if text in self.names:
            return [text]
        return self.by_name.get(_name_key(text), [])


def _lead_unit(row: _Row, directory: UnitDirectory) -> str | None:
    """The lead unit cell as one directory code ("1 xuyên suốt"), or a row error."""
    text = row.text("lead_unit")
    if text is None:
        return None
    found = directory.find(text)
    if len(found) == 1:
        return found[0]
    if found:
        row.fail("lead_unit", f"{text!r} is the name of several directory entries: give its code")
    elif names_several_units(text):
        row.fail(
            "lead_unit",
            f"name exactly one lead unit: {text!r} looks like several units; put the others "
            f"under {TASK_HEADERS['cooperating_units']!r}",
        )
    else:
        row.fail(
            "lead_unit",
            f"{text!r} is not in the directory: give the code or the exact name of a unit or "
            "body registered there",
        )
    return text


def _cooperating_units(row: _Row, value: Any, directory: UnitDirectory) -> list[str]:
    """Cooperating units separated by ';' or line breaks (or ',' where a part names no entry
    whole), each as its directory code; an unknown one is a row error."""
    out: list[str] = []
    for part in (p.strip() for p in re.split(r"[;\r\n]+", _text(value) or "")):
        if not part:
            continue
        pieces = [part] if directory.find(part) else [p.strip() for p in part.split(",")]
        for piece in filter(None, pieces):
            found = directory.find(piece)
            if len(found) > 1:
                row.fail(
                    "cooperating_units",
                    f"{piece!r} is the name of several directory entries: give its code",
                )
            elif not found:
                row.fail(
                    "cooperating_units",
                    f"{piece!r} is not in the directory: give the code or the exact name of a "
                    "unit or body registered there, several separated by ';'",
                )
            if len(found) != 1:
                continue
            if found[0] not in out:
                out.append(found[0])
    return out


# --- reading sheets -------------------------------------------------------------------------


class _Row:
    """One data row's cells by key; conversions record a RowError naming the column."""

    def __init__(
        self,
        sheet: str,
        number: int,
        cells: dict[str, Any],
        headers: dict[str, str],
        errors: list[RowError],
        decimal_comma: bool,
        unguard: bool = False,
    ) -> None:
        self.sheet, self.row_number, self.cells, self.headers = sheet, number, cells, headers
        self.errors, self.decimal_comma, self.unguard = errors, decimal_comma, unguard

    def fail(self, key: str, reason: str) -> None:
        self.errors.append(RowError(self.sheet, self.row_number, self.headers[key], reason))

    def text(self, key: str) -> str | None:
        return _text(self.cells.get(key), self.unguard)

    def require(self, keys: Iterable[str]) -> None:
        """A row error for each required cell left empty (its column is in the sheet: a
        missing column is one error on the header row)."""
        for key in keys:
            if key in self.cells and _is_blank(self.cells[key]):
                self.fail(key, f"{self.headers[key]!r} is required: the cell is empty")

    def kind(self, key: str) -> str:
        text = self.text(key)
        if text is None:
            return "task"
        kind = _KIND_ALIASES.get(re.sub(r"[^a-z]", "", fold(text)))
        if kind is None:
            self.fail(
                key,
                f"{text!r} is not a kind of task: write one of "
                + ", ".join(repr(label) for label in KIND_LABELS.values()),
            )
            return "task"
        return kind

    def budget(self, key: str) -> float | None:
        n = self.number(key)
        if n is not None and (n < 0 or not math.isfinite(n)):
            self.fail(key, f"{self.cells.get(key)!r} is not an amount: billion VND, 0 or more")
            return None
        return n

    def _convert(self, key: str, convert: Any, empty: Any = None) -> Any:
        try:
            return convert(self.cells.get(key))
        except ValueError as exc:
            self.fail(key, str(exc))
            return empty

    def number(self, key: str) -> float | None:
        return self._convert(key, lambda v: parse_number(v, self.decimal_comma))

    def date(self, key: str) -> date | None:
        return self._convert(key, parse_date)

    def year(self, key: str) -> int | None:
        n = self.number(key)
        if n is None:
            return None
        if not n.is_integer() or not 1900 <= n <= 2200:
            self.fail(key, f"{self.cells.get(key)!r} is not a year")
            return None
        return int(n)

    def milestones(self, key: str) -> list[dict[str, str]]:
        return self._convert(key, parse_milestones, [])


def _find_header(
    rows: Iterator[tuple[int, list[Any]]], wanted: str
) -> tuple[int, list[Any]] | None:
    for _, (number, values) in zip(range(_HEADER_SCAN_ROWS), rows, strict=False):
        if any(not _is_blank(v) and fold(v) == wanted for v in values):
            return number, values
    return None


def _read_sheet(
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    headers: dict[str, str],
    errors: list[RowError],
    present: set[str] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """The non-blank data rows of one sheet as (row number, {key: raw cell}); a required column
    the header row lacks is one error on that row."""
    lookup = {fold(h): k for k, h in headers.items()} | {k: k for k in headers}
    it = iter(rows)
    found = _find_header(it, fold(headers["code"]))
    if found is None:
        errors.append(
            RowError(
                sheet, 1, headers["code"], f"the required column {headers['code']!r} is missing"
            )
        )
        return []
    header_row, header_values = found
    columns: dict[str, int] = {}
    for index, value in enumerate(header_values):
        key = lookup.get(fold(value)) if not _is_blank(value) else None
        if key is None:
            continue  # STT, Ghi chú and other columns of the official's own are ignored
        if key in columns:
            errors.append(
                RowError(
                    sheet, header_row, headers[key], f"the column {headers[key]!r} appears twice"
                )
            )
            continue
        columns[key] = index
    if present is not None:
        present.update(columns)
    for key in REQUIRED.get(sheet, ()):
        if key != "code" and key not in columns:
            errors.append(
                RowError(
                    sheet,
                    header_row,
                    headers[key],
                    f"the required column {headers[key]!r} is missing",
                )
            )
    data = []
    for number, values in it:
        cells = {k: values[i] if i < len(values) else None for k, i in columns.items()}
        if all(_is_blank(v) for v in cells.values()):
            continue
        data.append((number, cells))
    return data


def _code(row: _Row, seen: dict[str, int], noun: str) -> str | None:
    code = row.text("code")
    if code is None:
        row.fail("code", f"the {noun} has no code")
    elif code in seen:
        row.fail("code", f"the code {code} already appears in row {seen[code]}")
        code = None
    else:
        seen[code] = row.row_number
    return code


def _parse_tasks(
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    errors: list[RowError],
    decimal_comma: bool,
    directory: UnitDirectory | None = None,
    unguard: bool = False,
    present: set[str] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    tasks: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen: dict[str, int] = {}
    for number, cells in _read_sheet(sheet, rows, TASK_HEADERS, errors, present):
        row = _Row(sheet, number, cells, TASK_HEADERS, errors, decimal_comma, unguard)
        code = _code(row, seen, "task")
        row.require(k for k in REQUIRED[TASKS_SHEET] if k != "code")
        task = {
            "code": code,
            "task_group": row.text("task_group"),
            "job": row.text("job") or "",
            "lead_unit": row.text("lead_unit") if directory is None else _lead_unit(row, directory),
            "cooperating_units": _split_units(cells.get("cooperating_units"))
            if directory is None
            else _cooperating_units(row, cells.get("cooperating_units"), directory),
            "responsible_person": row.text("responsible_person"),
            "start": row.date("start"),
            "deadline": row.date("deadline"),
            "milestones": row.milestones("milestones"),
            "product_description": row.text("product_description"),
            "product_quantity": row.number("product_quantity"),
            "product_unit": row.text("product_unit"),
            "parent_task_code": row.text("parent_task_code"),
            "kind": row.kind("kind"),
            "budget": row.budget("budget"),
        }
        if code is not None:
            tasks.append(task)
            numbers.append(number)
    return tasks, numbers


def _parse_indicators(
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    errors: list[RowError],
    decimal_comma: bool = False,
) -> tuple[list[dict[str, Any]], list[int]]:
    indicators: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen: dict[str, int] = {}
    for number, cells in _read_sheet(sheet, rows, INDICATOR_HEADERS, errors):
        row = _Row(sheet, number, cells, INDICATOR_HEADERS, errors, decimal_comma)
        code = _code(row, seen, "indicator")
        row.require(k for k in REQUIRED[INDICATORS_SHEET] if k != "code")
        comparator = (row.text("comparator") or ">=").replace(" ", "")
        comparator = _COMPARATOR_ALIASES.get(comparator, comparator)
        if comparator not in COMPARATORS:
            row.fail("comparator", f"{comparator!r} is not one of {', '.join(COMPARATORS)}")
            comparator = ">="
        indicator = {
            "code": code,
            "name": row.text("name"),
            "unit": row.text("unit"),
            "baseline": row.number("baseline"),
            "target": row.number("target"),
            "year": row.year("year"),
            "comparator": comparator,
        }
        if code is not None:
            indicators.append(indicator)
            numbers.append(number)
    return indicators, numbers


def _parse_groups(
    sheet: str,
    rows: Iterable[tuple[int, list[Any]]],
    errors: list[RowError],
    present: set[str] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    groups: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen: dict[str, int] = {}
    for number, cells in _read_sheet(sheet, rows, GROUP_HEADERS, errors, present):
        row = _Row(sheet, number, cells, GROUP_HEADERS, errors, False)
        code = _code(row, seen, "task group")
        row.require(k for k in REQUIRED[GROUPS_SHEET] if k != "code")
        group = {
            "code": code,
            "title": row.text("title"),
            "parent_task_group": row.text("parent_task_group"),
            "not_applicable_reason": row.text("not_applicable_reason"),
        }
        if code is not None:
            groups.append(group)
            numbers.append(number)
    return groups, numbers


def _sheet_rows(ws: Any) -> Iterator[tuple[int, list[Any]]]:
    for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
        yield number, list(values)


def _parse_xlsx(data: bytes, directory: UnitDirectory | None = None) -> ParsedTables:
    errors: list[RowError] = []
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        return ParsedTables([], [], [RowError("", 0, None, f"not a readable XLSX workbook: {exc}")])
    try:
        by_name = {fold(name): name for name in wb.sheetnames}
        tasks_name = by_name.get(fold(TASKS_SHEET)) or by_name.get("tasks")
        indicators_name = by_name.get(fold(INDICATORS_SHEET)) or by_name.get("indicators")
        groups_name = by_name.get(fold(GROUPS_SHEET)) or by_name.get("task groups")
        if tasks_name is None:  # a workbook of one unnamed sheet is a task list
            others = [n for n in wb.sheetnames if n not in (indicators_name, groups_name)]
            tasks_name = others[0] if others else None
        columns: dict[str, set[str]] = {TASKS_SHEET: set(), GROUPS_SHEET: set()}
        tasks: list[dict[str, Any]] = []
        task_rows: list[int] = []
        if tasks_name is None:
            errors.append(
                RowError(TASKS_SHEET, 0, None, f"the workbook has no sheet {TASKS_SHEET!r}")
            )
        else:
            tasks, task_rows = _parse_tasks(
                TASKS_SHEET,
                _sheet_rows(wb[tasks_name]),
                errors,
                False,
                directory,
                present=columns[TASKS_SHEET],
            )
        indicators: list[dict[str, Any]] = []
        indicator_rows: list[int] = []
        if indicators_name is not None:
            indicators, indicator_rows = _parse_indicators(
                INDICATORS_SHEET, _sheet_rows(wb[indicators_name]), errors
            )
        groups: list[dict[str, Any]] = []
        group_rows: list[int] = []
        if groups_name is not None:
            groups, group_rows = _parse_groups(
                GROUPS_SHEET, _sheet_rows(wb[groups_name]), errors, columns[GROUPS_SHEET]
            )
    finally:
        wb.close()
    return ParsedTables(
        tasks, indicators, errors, task_rows, indicator_rows, groups, group_rows, columns
    )


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _parse_csv(data: bytes, directory: UnitDirectory | None = None) -> ParsedTables:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return ParsedTables(
            [],
            [],
            [RowError(TASKS_SHEET, 0, None, "the file is not UTF-8 text: save it as 'CSV UTF-8'")],
        )
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    offset = 0
    if first.lower().startswith("sep=") and len(first) >= 5:  # Excel's delimiter hint line
        delimiter, offset = first[4], 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[RowError] = []
    try:
        rows = [(n + offset, values) for n, values in enumerate(reader, start=1)]
    except csv.Error as exc:
        return ParsedTables(
            [], [], [RowError(TASKS_SHEET, reader.line_num, None, f"not readable CSV: {exc}")]
        )
    if _headed_as_indicators(rows):
        indicators, indicator_rows = _parse_indicators(
            INDICATORS_SHEET, rows, errors, decimal_comma=delimiter == ";"
        )
        return ParsedTables([], indicators, errors, [], indicator_rows)
    present: set[str] = set()
    tasks, task_rows = _parse_tasks(
        TASKS_SHEET,
        rows,
        errors,
        decimal_comma=delimiter == ";",
        directory=directory,
        unguard=True,
        present=present,
    )
    return ParsedTables(tasks, [], errors, task_rows, [], columns={TASKS_SHEET: present})


def _headed_as_indicators(rows: list[tuple[int, list[str]]]) -> bool:
    """Whether a CSV file's header is the indicators sheet's (its first cell "Mã chỉ tiêu"):
    such a file holds indicators, any other tasks."""
    header = next((cells for _, cells in rows if any(c.strip() for c in cells)), [])
    return bool(header) and fold(header[0]) == fold(INDICATOR_HEADERS["code"])


def parse_tables(
    data: bytes, filename: str, directory: Mapping[str, str] | None = None
) -> ParsedTables:
    """Tasks (and, from a workbook, indicators and task groups) from an .xlsx or .csv file,
    chosen by the file name's extension, with every format problem and every required cell
    left empty as a RowError. With ``directory`` (every
    entry's code -> name), lead and cooperating units are read by code or exact name and kept
    as codes; several lead units in one cell, or one not in the directory, is a RowError."""
    name = (filename or "").strip().lower()
    units = UnitDirectory(directory) if directory is not None else None
    if name.endswith(".xlsx"):
        return _parse_xlsx(data, units)
    if name.endswith(".csv"):
        return _parse_csv(data, units)
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    reason = (
        f"unsupported file type {'.' + ext if ext else '(no extension)'}: "
        "upload an .xlsx workbook or a .csv file"
    )
    if ext == "xls":
        reason += " (save the old .xls workbook as .xlsx)"
    return ParsedTables([], [], [RowError("", 0, None, reason)])


# --- writing --------------------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _number_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    f = float(value)
    return str(int(f)) if f.is_integer() else repr(f)


def _milestone_text(milestones: Any, joiner: str) -> str:
    """Milestones as "period: description" entries; a line break inside a description (which
    would start an entry) becomes a space, a ';' stays (no period follows it)."""
    entries = []
    for m in milestones or []:
        description = re.sub(r"\s*[\r\n]+\s*", " ", str(m.get("description") or "")).strip()
        entries.append(
            f"{m.get('period', '')}: {description}" if description else str(m.get("period", ""))
        )
    return joiner.join(entries)


def unit_labels(unit_names: Mapping[str, str] | None) -> dict[str, str]:
    """How export writes each directory entry: by its name, unless another entry has the same
    name (or the name holds a ';', which separates cooperating units): then by its code, so that
    import reads it back to the same entry."""
    names = unit_names or {}
    count: dict[str, int] = {}
    for name in names.values():
        count[_name_key(name)] = count.get(_name_key(name), 0) + 1
    return {
        code: name if count[_name_key(name)] == 1 and ";" not in name and name.strip() else code
        for code, name in names.items()
    }


def _task_values(task: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    lead = task.get("lead_unit")
    return {
        "code": task.get("code"),
        "task_group": task.get("task_group"),
        "job": task.get("job") or "",
        "lead_unit": labels.get(lead, lead) if lead else lead,
        "cooperating_units": "; ".join(
            labels.get(u, u) for u in task.get("cooperating_units") or []
        ),
        "responsible_person": task.get("responsible_person"),
        "start": _as_date(task.get("start")),
        "deadline": _as_date(task.get("deadline")),
        "milestones": task.get("milestones") or [],
        "product_description": task.get("product_description"),
        "product_quantity": task.get("product_quantity"),
        "product_unit": task.get("product_unit"),
        "parent_task_code": task.get("parent_task_code"),
        "kind": KIND_LABELS.get(task.get("kind") or "task", task.get("kind")),
        "budget": task.get("budget"),
    }


def _indicator_values(ind: dict[str, Any]) -> dict[str, Any]:
    return {key: ind.get(key) for key in INDICATOR_HEADERS} | {
        "comparator": ind.get("comparator") or ">="
    }


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def _write_sheet(
    ws: Any, headers: dict[str, str], widths: dict[str, int], rows: list[dict[str, Any]]
) -> None:
    keys = list(headers)
    ws.append([headers[k] for k in keys])
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
    for r, values in enumerate(rows, start=2):
        for c, key in enumerate(keys, start=1):
            value = values.get(key)
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text that starts with '=' stays text, not a formula
            elif isinstance(value, date):
                cell.number_format = _DATE_FORMAT
            cell.alignment = _TOP_WRAP if key in _WRAPPED else _TOP
    for c, key in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(key, 14)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(len(rows) + 1, 1)}"


def tasks_to_xlsx(plan: dict[str, Any], unit_names: Mapping[str, str] | None = None) -> bytes:
    """The plan's tasks (sheet "Nhiệm vụ"), indicators ("Chỉ tiêu") and task groups ("Nhóm
    nhiệm vụ") as a workbook that parse_tables reads back to the same. A group's
    ``parent_task_group`` (the code of the parent plan's group it covers) is written when the
    caller has set it. With ``unit_names`` (code -> name), lead and cooperating units are shown
    by name."""
    wb = openpyxl.Workbook()
    tasks_ws = wb.worksheets[0]
    tasks_ws.title = TASKS_SHEET
    task_rows = []
    labels = unit_labels(unit_names)
    for task in plan.get("tasks") or []:
        values = _task_values(task, labels)
        values["milestones"] = _milestone_text(values["milestones"], "\n")
        for key in ("product_quantity", "budget"):
            values[key] = float(values[key]) if values[key] is not None else None
        task_rows.append(values)
    _write_sheet(tasks_ws, TASK_HEADERS, _TASK_WIDTHS, task_rows)
    _write_sheet(
        wb.create_sheet(INDICATORS_SHEET),
        INDICATOR_HEADERS,
        _INDICATOR_WIDTHS,
        [_indicator_values(i) for i in plan.get("indicators") or []],
    )
    _write_sheet(
        wb.create_sheet(GROUPS_SHEET),
        GROUP_HEADERS,
        _GROUP_WIDTHS,
        [{k: g.get(k) for k in GROUP_HEADERS} for g in plan.get("task_groups") or []],
    )
    wb.properties.title = str(plan.get("title") or "")
    wb.properties.creator = "Cascade"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    guarded = ("=", "+", "@", "\t", "\r")
    if text.startswith(guarded) or (text.startswith("'") and text[1:].startswith(guarded)):
        # keep spreadsheet programs from running it as a formula (and a leading "'" that import
        # would read as the guard)
        return "'" + text
    return text


def tasks_to_csv(plan: dict[str, Any], unit_names: Mapping[str, str] | None = None) -> bytes:
    """The plan's tasks as CSV: UTF-8 with a BOM (so Excel reads the diacritics), ',' between
    cells, ISO dates, '.' as the decimal point; with ``unit_names`` (code -> name), lead and
    cooperating units by name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TASK_HEADERS.values())
    labels = unit_labels(unit_names)
    for task in plan.get("tasks") or []:
        values = _task_values(task, labels)
        values["milestones"] = _milestone_text(values["milestones"], "; ")
        values["product_quantity"] = _number_text(values["product_quantity"])
        values["budget"] = _number_text(values["budget"])
        writer.writerow(_csv_cell(values[key]) for key in TASK_HEADERS)
    return out.getvalue().encode("utf-8-sig")
