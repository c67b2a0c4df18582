"""A plan's tasks, and its indicators, each as one table like a spreadsheet: every cell a field,
a block copied from Excel pasted into it (the page script spreads it over the cells), saved in
one go through the plans API's import (all or nothing), each refusal and each "5 clear" finding
in its cell. The page is a plain form without script; the per-task forms of the plan page
stay."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from cascade_portal.api import body_of, checked
from cascade_portal.official import field_number, fold, read_number
from cascade_portal.problems import (
    Message,
    ProblemView,
    finding_text,
    import_reason_vi,
    problem_view,
    sort_findings,
)
from cascade_portal.web import PREFIX, Page, redirect

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # field, the import's column header (docs/import-template.md), the label on screen
    ("code", "Mã nhiệm vụ", "task.code"),
    ("task_group", "Nhóm nhiệm vụ", "task.group"),
    ("job", "Nội dung nhiệm vụ", "task.job"),
    ("lead_unit", "Đơn vị chủ trì", "task.lead_unit"),
    ("cooperating_units", "Đơn vị phối hợp", "plan.cooperating"),
    ("responsible_person", "Người chịu trách nhiệm", "task.responsible_person"),
    ("start", "Ngày bắt đầu", "task.start"),
    ("deadline", "Thời hạn hoàn thành", "task.deadline"),
    ("milestones", "Mốc tiến độ", "task.milestones_short"),
    ("product_description", "Sản phẩm", "task.product_description"),
    ("product_quantity", "Số lượng", "task.product_quantity"),
    ("product_unit", "Đơn vị tính", "task.product_unit"),
)
INDICATOR_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "Mã chỉ tiêu", "indicator.code"),
    ("name", "Tên chỉ tiêu", "indicator.name"),
    ("unit", "Đơn vị tính", "indicator.unit"),
    ("baseline", "Giá trị cơ sở", "indicator.baseline"),
    ("target", "Mục tiêu", "indicator.target"),
    ("year", "Năm", "indicator.year"),
    ("comparator", "So sánh", "indicator.comparator"),
)
COMPARATOR_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}
"""As the plan page shows a comparison; the import reads the signs back."""
BLANK_ROWS = 3
"""Empty rows below the items, to add some without script (the script adds more on paste)."""
MAX_ROWS = 1000


@dataclass(frozen=True)
class Sheet:
    """One table of the page: its columns (field, the import's header, the label on screen) and
    which hold figures. Its name is the plan's list it shows (``plan["tasks"]``) and the API's
    collection of them (``/api/plans/{id}/tasks/{item_id}``)."""

    name: str
    columns: tuple[tuple[str, str, str], ...]
    numbers: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.columns)

    def field_of_header(self, header: str) -> str:
        return {fold(h): f for f, h, _ in self.columns}.get(fold(header), "code")


TASKS = Sheet("tasks", COLUMNS, ("product_quantity",))
INDICATORS = Sheet("indicators", INDICATOR_COLUMNS, ("baseline", "target"))
SHEETS = {sheet.name: sheet for sheet in (TASKS, INDICATORS)}
FIELDS = TASKS.fields


def may_edit(plan: dict[str, Any]) -> bool:
    """Whether the signed-in user may edit the plan now, as the plans API tells with it."""
    return bool((plan.get("allowed") or {}).get("edit"))


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def row_of(task: dict[str, Any], names: Any, unit: str) -> dict[str, str]:
    """A task as its row shows it: as its form does, the milestones on one line."""
    from cascade_portal.plan_screens import task_form  # the plan's screens, which serve this one

    form = task_form(task, names, unit)
    form["milestones"] = "; ".join(form["milestones"].splitlines())
    return {"code": str(task.get("code") or ""), **{f: form.get(f, "") for f in FIELDS[1:]}}


def indicator_row(indicator: dict[str, Any], lang: str) -> dict[str, str]:
    """An indicator as its row shows it: figures the language's way, the comparison a sign."""
    return {
        "code": str(indicator.get("code") or ""),
        "name": str(indicator.get("name") or ""),
        "unit": str(indicator.get("unit") or ""),
        "baseline": field_number(indicator.get("baseline"), lang),
        "target": field_number(indicator.get("target"), lang),
        "year": str(indicator.get("year") or ""),
        "comparator": COMPARATOR_SIGNS.get(str(indicator.get("comparator") or ""), ""),
    }


def rows_of(sheet: Sheet, plan: dict[str, Any], names: Any) -> list[dict[str, str]]:
    """The sheet's items as rows (tasks of a frozen group are not editable), then blank rows."""
    if sheet is TASKS:
        frozen = {g["code"] for g in plan["task_groups"] if g.get("approved_in_version")}
        tasks = [t for t in plan["tasks"] if t.get("task_group") not in frozen]
        rows = [row_of(t, names, plan["unit"]) for t in tasks]
    else:
        rows = [indicator_row(i, names.lang) for i in plan.get("indicators") or []]
    return rows + [dict.fromkeys(sheet.fields, "") for _ in range(BLANK_ROWS)]


def typed_rows(form: Any, sheet: Sheet = TASKS) -> list[dict[str, str]]:
    """The rows as typed (``r<i>.<field>``), every row, the empty ones too."""
    try:
        count = min(int(_text(form, "rows") or 0), MAX_ROWS)
    except ValueError:
        count = 0
    return [{f: _text(form, f"r{i}.{f}") or "" for f in sheet.fields} for i in range(count)]


def marked_for_deletion(form: Any, rows: list[dict[str, str]]) -> set[int]:
    """The rows of existing items whose "Xóa" box is ticked (``r<i>.delete``)."""
    return {i for i, row in enumerate(rows) if row["code"] and form.get(f"r{i}.delete") == "on"}


def plain_number(typed: str, lang: str) -> str:
    """A typed figure as the import reads it unambiguously ("1.000" in Vietnamese: 1000); what
    is not a figure goes as typed, for the import to refuse in its cell."""
    if not typed:
        return typed
    try:
        figure = read_number(typed, lang)
    except ValueError:
        return typed
    return str(int(figure)) if figure.is_integer() else repr(figure)


def to_csv(rows: list[dict[str, str]], lang: str = "vi", sheet: Sheet = TASKS) -> bytes:
    """The rows as the import reads a CSV file: the sheet's headers, one item a row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header, _ in sheet.columns])
    for row in rows:
        writer.writerow(
            [plain_number(row[f], lang) if f in sheet.numbers else row[f] for f in sheet.fields]
        )
    return out.getvalue().encode("utf-8-sig")


def findings_in_cells(
    sheet: Sheet, check: dict[str, Any], rows: list[dict[str, str]], lang: str
) -> dict[tuple[int, str], list[Message]]:
    """The "5 clear" findings of the sheet's items, each in the cell of the field it concerns."""
    cells: dict[tuple[int, str], list[Message]] = {}
    at = {r["code"]: i for i, r in enumerate(rows) if r["code"]}
    if sheet is TASKS:
        findings = sort_findings(check["errors"], check["warnings"], lang)
        for severity in ("error", "warning"):
            for code, messages in findings.listed[severity].items():
                for m in messages:
                    if code in at:
                        field = m.field if m.field in FIELDS else "job"
                        cells.setdefault((at[code], field), []).append(m)
        return cells
    for severity, found in (("error", check["errors"]), ("warning", check["warnings"])):
        for f in found:
            parts = str(f.get("field", "")).split(".")
            if parts[0] != "indicators" or len(parts) < 3 or parts[1] not in at:
                continue
            field = parts[-1] if parts[-1] in sheet.fields else "name"
            message = Message(finding_text(f, lang), severity, str(f.get("reason", "")))
            cells.setdefault((at[parts[1]], field), []).append(message)
    return cells


async def grid_page(
    page: Page,
    plan_id: str,
    *,
    sheet: Sheet = TASKS,
    rows: list[dict[str, str]] | None = None,
    cells: dict[tuple[int, str], list[Message]] | None = None,
    problem: ProblemView | None = None,
    status_code: int = 200,
    deleting: set[int] | None = None,
) -> Response:
    """Both tables; ``sheet``'s as typed when ``rows`` are given (a refused save), with its
    refusals in ``cells``."""
    page.require_user()
    plan = await page.api.get(f"/api/plans/{plan_id}")
    if not may_edit(plan):
        return redirect(f"{PREFIX}/plans/{plan_id}")
    names = await page.names()
    check = await page.api.post(f"/api/plans/{plan_id}/check")
    tables = []
    for each in (TASKS, INDICATORS):
        own = each is sheet and rows is not None
        shown = rows if own and rows is not None else rows_of(each, plan, names)
        found = (
            cells if own and cells is not None else findings_in_cells(each, check, shown, page.lang)
        )
        tables.append(
            {
                "sheet": each,
                "rows": shown,
                "cells": {f"{i}.{f}": v for (i, f), v in found.items()},
                "problem": problem if each is sheet else None,
                "deleting": (deleting or set()) if each is sheet else set(),
            }
        )
    return await page.render(
        "plan_grid.html",
        status_code=status_code,
        plan=plan,
        tables=tables,
        flash="saved" if page.request.query_params.get("done") == "saved" else None,
    )


async def save_grid(plan_id: str, request: Request, page: Page) -> Response:
    """Save one table's rows that changed (or are new) in one import: all of them, or none with
    each refusal in its cell and what was typed kept; then delete the rows marked."""
    page.require_user()
    form = await request.form()
    sheet = SHEETS.get(_text(form, "sheet") or "tasks", TASKS)
    rows = typed_rows(form, sheet)
    plan = await page.api.get(f"/api/plans/{plan_id}")
    names = await page.names()
    before = {r["code"]: r for r in rows_of(sheet, plan, names) if r["code"]}
    ids = {item["code"]: item["id"] for item in plan[sheet.name]}
    deleting = [i for i in sorted(marked_for_deletion(form, rows)) if rows[i]["code"] in ids]
    changed = [
        i
        for i, row in enumerate(rows)
        if i not in deleting and any(row.values()) and row != before.get(row["code"])
    ]
    if changed:
        refused = await _import_rows(page, plan_id, sheet, rows, changed, set(deleting))
        if refused is not None:
            return refused
    for i in deleting:  # after the import, so a refused table deletes nothing either
        code = rows[i]["code"]
        r = await page.api.send("DELETE", f"/api/plans/{plan_id}/{sheet.name}/{ids[code]}")
        if r.status_code >= 400:
            view = problem_view(r.status_code, body_of(r), page.lang)
            reason = view.detail or view.title
            key = "grid.not_deleted" if sheet is TASKS else "grid.not_deleted_indicator"
            text = page.t(key).replace("{code}", code).replace("{reason}", reason)
            return await grid_page(
                page,
                plan_id,
                sheet=sheet,
                problem=ProblemView(view.status, text, "", []),
                status_code=r.status_code,
            )
    return redirect(f"{PREFIX}/plans/{plan_id}/grid?done=saved#{sheet.name}")


async def _import_rows(
    page: Page,
    plan_id: str,
    sheet: Sheet,
    rows: list[dict[str, str]],
    changed: list[int],
    deleting: set[int],
) -> Response | None:
    """Import the ``changed`` rows in one go; None when saved, else the page again with each
    refusal in its cell and what was typed kept."""
    data = to_csv([rows[i] for i in changed], page.lang, sheet)
    r = await page.api.send(
        "POST",
        f"/api/plans/{plan_id}/import",
        files={"file": (f"bang-{sheet.name}.csv", data, "text/csv")},
    )
    if r.status_code in (413, 422):
        body = body_of(r)
        cells: dict[tuple[int, str], list[Message]] = {}
        general: list[Message] = []
        for e in (body.get("errors") if isinstance(body, dict) else None) or []:
            if not isinstance(e, dict):
                continue
            reason = str(e.get("reason") or "")
            text = import_reason_vi(reason) if page.lang == "vi" else reason
            row = int(e.get("row") or 0) - 2  # the header is the CSV's first line
            field = sheet.field_of_header(str(e.get("column") or ""))
            if 0 <= row < len(changed):
                cells.setdefault((changed[row], field), []).append(Message(text, "error"))
            else:
                general.append(Message(text, "error"))
        view = problem_view(r.status_code, body, page.lang)
        view = ProblemView(view.status, page.t("grid.refused"), "", general)
        return await grid_page(
            page,
            plan_id,
            sheet=sheet,
            rows=rows,
            cells=cells,
            problem=view,
            status_code=422,
            deleting=deleting,
        )
    checked(r)
    return None
