"""A plan's tasks as one table, like a spreadsheet: every cell a field, a block copied from Excel
pasted into it (the page script spreads it over the cells), saved in one go through the plans
API's import (all or nothing), each refusal and each "5 clear" finding in its cell. The page
is a plain form without script; the per-task forms of the plan page stay."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request, Response

from cascade_portal.api import body_of, checked
from cascade_portal.official import fold
from cascade_portal.problems import (
    Message,
    ProblemView,
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
FIELDS = tuple(c[0] for c in COLUMNS)
FIELD_OF_HEADER = {fold(header): field for field, header, _ in COLUMNS}
BLANK_ROWS = 3
"""Empty rows below the tasks, to add tasks without script (the script adds more on paste)."""
MAX_ROWS = 1000


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


def typed_rows(form: Any) -> list[dict[str, str]]:
    """The rows as typed (``r<i>.<field>``), every row, the empty ones too."""
    try:
        count = min(int(_text(form, "rows") or 0), MAX_ROWS)
    except ValueError:
        count = 0
    return [{f: _text(form, f"r{i}.{f}") or "" for f in FIELDS} for i in range(count)]


def marked_for_deletion(form: Any, rows: list[dict[str, str]]) -> set[int]:
    """The rows of existing tasks whose "Xóa" box is ticked (``r<i>.delete``)."""
    return {i for i, row in enumerate(rows) if row["code"] and form.get(f"r{i}.delete") == "on"}


def to_csv(rows: list[dict[str, str]]) -> bytes:
    """The rows as the import reads a CSV file: the template's headers, one task a row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header, _ in COLUMNS])
    for row in rows:
        writer.writerow([row[f] for f in FIELDS])
    return out.getvalue().encode("utf-8-sig")


async def grid_page(
    page: Page,
    plan_id: str,
    *,
    rows: list[dict[str, str]] | None = None,
    cells: dict[tuple[int, str], list[Message]] | None = None,
    problem: ProblemView | None = None,
    status_code: int = 200,
    deleting: set[int] | None = None,
) -> Response:
    page.require_user()
    plan = await page.api.get(f"/api/plans/{plan_id}")
    if not may_edit(plan):
        return redirect(f"{PREFIX}/plans/{plan_id}")
    names = await page.names()
    frozen = {g["code"] for g in plan["task_groups"] if g.get("approved_in_version")}
    if rows is None:
        tasks = [t for t in plan["tasks"] if t.get("task_group") not in frozen]
        rows = [row_of(t, names, plan["unit"]) for t in tasks]
        rows += [dict.fromkeys(FIELDS, "") for _ in range(BLANK_ROWS)]
    if cells is None:  # the "5 clear" findings, each in the cell of the field it concerns
        cells = {}
        check = await page.api.post(f"/api/plans/{plan_id}/check")
        findings = sort_findings(check["errors"], check["warnings"], page.lang)
        at = {r["code"]: i for i, r in enumerate(rows) if r["code"]}
        for severity in ("error", "warning"):
            for code, messages in findings.listed[severity].items():
                for m in messages:
                    if code in at:
                        field = m.field if m.field in FIELDS else "job"
                        cells.setdefault((at[code], field), []).append(m)
    return await page.render(
        "plan_grid.html",
        status_code=status_code,
        plan=plan,
        rows=rows,
        cells={f"{i}.{f}": v for (i, f), v in cells.items()},
        columns=COLUMNS,
        problem=problem,
        deleting=deleting or set(),
        flash="saved" if page.request.query_params.get("done") == "saved" else None,
    )


async def save_grid(plan_id: str, request: Request, page: Page) -> Response:
    """Save the rows that changed (or are new) in one import: all of them, or none with each
    refusal in its cell and what was typed kept."""
    page.require_user()
    form = await request.form()
    rows = typed_rows(form)
    plan = await page.api.get(f"/api/plans/{plan_id}")
    names = await page.names()
    before = {t["code"]: row_of(t, names, plan["unit"]) for t in plan["tasks"]}
    ids = {t["code"]: t["id"] for t in plan["tasks"]}
    deleting = [i for i in sorted(marked_for_deletion(form, rows)) if rows[i]["code"] in ids]
    changed = [
        i
        for i, row in enumerate(rows)
        if i not in deleting and any(row.values()) and row != before.get(row["code"])
    ]
    if changed:
        refused = await _import_rows(page, plan_id, rows, changed, set(deleting))
        if refused is not None:
            return refused
    for i in deleting:  # after the import, so a refused table deletes nothing either
        code = rows[i]["code"]
        r = await page.api.send("DELETE", f"/api/plans/{plan_id}/tasks/{ids[code]}")
        if r.status_code >= 400:
            view = problem_view(r.status_code, body_of(r), page.lang)
            reason = view.detail or view.title
            text = page.t("grid.not_deleted").replace("{code}", code).replace("{reason}", reason)
            return await grid_page(
                page,
                plan_id,
                problem=ProblemView(view.status, text, "", []),
                status_code=r.status_code,
            )
    return redirect(f"{PREFIX}/plans/{plan_id}/grid?done=saved")


async def _import_rows(
    page: Page, plan_id: str, rows: list[dict[str, str]], changed: list[int], deleting: set[int]
) -> Response | None:
    """Import the ``changed`` rows in one go; None when saved, else the table again with each
    refusal in its cell and what was typed kept."""
    data = to_csv([rows[i] for i in changed])
    r = await page.api.send(
        "POST",
        f"/api/plans/{plan_id}/import",
        files={"file": ("bang-nhiem-vu.csv", data, "text/csv")},
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
            field = FIELD_OF_HEADER.get(fold(str(e.get("column") or "")), "code")
            if 0 <= row < len(changed):
                cells.setdefault((changed[row], field), []).append(Message(text, "error"))
            else:
                general.append(Message(text, "error"))
        view = problem_view(r.status_code, body, page.lang)
        view = ProblemView(view.status, page.t("grid.refused"), "", general)
        return await grid_page(
            page,
            plan_id,
            rows=rows,
            cells=cells,
            problem=view,
            status_code=422,
            deleting=deleting,
        )
    checked(r)
    return None
