"""Import and export tasks and indicators in the spreadsheets officials keep, and print an
approved plan."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal

from cascade_shared.params import NUL, NUL_REASON, Id, xml_safe
from cascade_shared.problems import Problem
from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from sqlmodel import select

from cascade_plans import store
from cascade_plans.api.access import editable_plan, visible_plan
from cascade_plans.api.deps import CurrentUser, SessionDep
from cascade_plans.io.document import plan_to_docx
from cascade_plans.io.pdf import plan_to_pdf
from cascade_plans.io.tables import (
    GROUP_HEADERS,
    GROUPS_SHEET,
    INDICATOR_HEADERS,
    INDICATORS_SHEET,
    TASK_HEADERS,
    TASKS_SHEET,
    ParsedTables,
    parse_tables,
    tasks_to_csv,
    tasks_to_xlsx,
)
from cascade_plans.io.template import TEMPLATE_FILENAME, template_xlsx
from cascade_plans.models import Indicator, OrgUnit, Plan, Task, TaskGroup

router = APIRouter(prefix="/api/plans", tags=["import and export"])

MAX_UPLOAD = 10 * 1024 * 1024
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
PRINTED = ("docx", "pdf")
VIETNAM = timedelta(hours=7)
"""Vietnam's clock (no daylight saving): the date a printed plan was approved on."""
TASK_FIELDS = (
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
    "kind",
    "budget",
)
INDICATOR_FIELDS = ("name", "unit", "baseline", "target", "year", "comparator")
TASK_WIDTHS = {
    "code": 50,
    "task_group": 50,
    "job": 2000,
    "lead_unit": 200,
    "cooperating_units": 200,
    "responsible_person": 200,
    "product_description": 1000,
    "product_unit": 50,
    "parent_task_code": 50,
}
"""The longest text each task column stores (its database column's length)."""
INDICATOR_WIDTHS = {"code": 50, "name": 500, "unit": 50}
GROUP_WIDTHS = {"code": 50, "title": 500, "parent_task_group": 50, "not_applicable_reason": 1000}


def _cell_error(sheet: str, row: int, header: str, reason: str) -> dict[str, Any]:
    return {
        "sheet": sheet,
        "row": row,
        "column": header,
        "reason": reason,
        "field": f"{sheet}!{row}:{header}",
    }


def _unstorable(
    sheet: str,
    rows: list[int],
    items: list[dict[str, Any]],
    headers: dict[str, str],
    widths: dict[str, int],
) -> list[dict[str, Any]]:
    """The cells the database cannot store: text longer than its column or with a NUL
    character, a number that is not finite, a milestone's text with a NUL character."""
    errors = []
    for row, item in zip(rows, items, strict=True):
        for key, value in item.items():
            header = headers.get(key, key)
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                if isinstance(text, dict):  # a milestone: its period and description
                    text = " ".join(str(v) for v in text.values())
                if not isinstance(text, str):
                    continue
                if NUL in text:
                    errors.append(_cell_error(sheet, row, header, NUL_REASON))
                elif key in widths and len(text) > widths[key]:
                    errors.append(
                        _cell_error(sheet, row, header, f"longer than {widths[key]} characters")
                    )
            if isinstance(value, float) and not math.isfinite(value):
                errors.append(_cell_error(sheet, row, header, "not a finite number"))
    return errors


def _frozen_content(
    frozen: dict[str, TaskGroup], tasks: Iterable[Task]
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each frozen task group's content as the rows now hold it (code -> the group and its
    tasks), to see whether an import would change it."""
    codes = {g.id: g.code for g in frozen.values()}
    return {
        g.code: (
            store.group_dict(g),
            sorted(
                (store.task_dict(t, codes) for t in tasks if t.task_group_id == g.id),
                key=lambda d: str(d["code"]),
            ),
        )
        for g in frozen.values()
    }


async def _parent_codes(session: SessionDep, plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    """The parent plan's task groups and tasks, code -> id: its working copy and its version in
    force (which the plans below concretize; the working copy may be a revision's)."""
    groups: dict[str, str] = {}
    tasks: dict[str, str] = {}
    if not plan.parent_plan_id:
        return groups, tasks
    parent = await session.get(Plan, plan.parent_plan_id)
    for g in (
        await session.exec(select(TaskGroup).where(TaskGroup.plan_id == plan.parent_plan_id))
    ).all():
        groups[g.code] = g.id
    for t in (await session.exec(select(Task).where(Task.plan_id == plan.parent_plan_id))).all():
        tasks[t.code] = t.id
    content = await store.in_force_content(session, parent) if parent is not None else None
    for g in (content or {}).get("task_groups") or []:
        groups[g["code"]] = g["id"]
    for t in (content or {}).get("tasks") or []:
        tasks[t["code"]] = t["id"]
    return groups, tasks


@router.post("/{plan_id}/import")
async def import_tables(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    file: UploadFile = File(
        description="XLSX (sheets Nhiệm vụ, Chỉ tiêu, Nhóm nhiệm vụ) or CSV (tasks; "
        "or indicators, when its first column is Mã chỉ tiêu)"
    ),
) -> dict[str, Any]:
    """Add or update task groups, tasks and indicators (matched by code) from XLSX or CSV.

    All or nothing: any row error (a bad format, a required cell left empty, an unknown task
    group, parent task or parent task group) refuses the whole file with one error per row and
    column."""
    plan = await editable_plan(session, user, plan_id)
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Problem(413, "File too large", f"the limit is {MAX_UPLOAD // 1024 // 1024} MiB")
    parsed = parse_tables(data, file.filename or "", await store.directory_names(session))
    existing_groups = {
        g.code: g
        for g in (await session.exec(select(TaskGroup).where(TaskGroup.plan_id == plan_id))).all()
    }
    parent_groups, parent_tasks = await _parent_codes(session, plan)
    errors = _file_errors(parsed) + _link_errors(
        parsed, plan, set(existing_groups), parent_groups, parent_tasks
    )
    if errors:
        raise Problem(
            422,
            "The file cannot be imported",
            f"{len(errors)} error(s); nothing was imported",
            type_="import",
            errors=errors,
        )
    existing_tasks = {
        t.code: t for t in (await session.exec(select(Task).where(Task.plan_id == plan_id))).all()
    }
    frozen = await store.frozen_groups(session, plan_id)
    before = _frozen_content(frozen, existing_tasks.values())
    groups = _import_groups(session, plan_id, parsed, existing_groups, parent_groups)
    position = await store.next_task_position(session, plan_id)
    _import_tasks(session, plan_id, parsed, existing_tasks, groups, parent_tasks, position)
    _refuse_changes_to_frozen(frozen, existing_tasks.values(), before)
    existing_inds = {
        i.code: i
        for i in (await session.exec(select(Indicator).where(Indicator.plan_id == plan_id))).all()
    }
    _import_indicators(session, plan, parsed, existing_inds)
    await session.commit()
    counts = {"tasks": len(parsed.tasks), "indicators": len(parsed.indicators)}
    if parsed.groups:  # a file with task groups (an export, the template) also counts them
        counts["task_groups"] = len(parsed.groups)
    return counts


def _file_errors(parsed: ParsedTables) -> list[dict[str, Any]]:
    """The file's own errors, each by sheet, row and column: a bad format or an empty required
    cell (as parsed), or a value the database could not store."""
    errors: list[dict[str, Any]] = [
        {
            "sheet": e.sheet,
            "row": e.row,
            "column": e.column,
            "reason": e.reason,
            "field": f"{e.sheet}!{e.row}:{e.column or ''}",
        }
        for e in parsed.errors
    ]
    errors += _unstorable(TASKS_SHEET, parsed.task_rows, parsed.tasks, TASK_HEADERS, TASK_WIDTHS)
    errors += _unstorable(
        INDICATORS_SHEET,
        parsed.indicator_rows,
        parsed.indicators,
        INDICATOR_HEADERS,
        INDICATOR_WIDTHS,
    )
    errors += _unstorable(
        GROUPS_SHEET, parsed.group_rows, parsed.groups, GROUP_HEADERS, GROUP_WIDTHS
    )
    return errors


def _link_errors(
    parsed: ParsedTables,
    plan: Plan,
    existing_group_codes: set[str],
    parent_groups: dict[str, str],
    parent_tasks: dict[str, str],
) -> list[dict[str, Any]]:
    """Links to nothing: a task group, parent task group or parent task neither the plan, the
    file nor the parent plan has."""
    errors: list[dict[str, Any]] = []
    for i, g in zip(parsed.group_rows, parsed.groups, strict=True):
        link = g["parent_task_group"]
        if link and link not in parent_groups:
            reason = (
                f"the parent plan has no task group {link}"
                if plan.parent_plan_id
                else "the plan has no parent plan: leave the cell empty"
            )
            errors.append(_cell_error(GROUPS_SHEET, i, GROUP_HEADERS["parent_task_group"], reason))
    group_codes = existing_group_codes | {g["code"] for g in parsed.groups}
    for i, t in zip(parsed.task_rows, parsed.tasks, strict=True):
        if t["task_group"] and t["task_group"] not in group_codes:
            errors.append(
                _cell_error(
                    TASKS_SHEET,
                    i,
                    TASK_HEADERS["task_group"],
                    f"unknown task group {t['task_group']}: neither the plan nor the sheet "
                    f"{GROUPS_SHEET!r} has it",
                )
            )
        if t["parent_task_code"] and t["parent_task_code"] not in parent_tasks:
            errors.append(
                _cell_error(
                    TASKS_SHEET,
                    i,
                    TASK_HEADERS["parent_task_code"],
                    f"the parent plan has no task {t['parent_task_code']}",
                )
            )
    return errors


def _import_groups(
    session: SessionDep,
    plan_id: str,
    parsed: ParsedTables,
    existing: dict[str, TaskGroup],
    parent_groups: dict[str, str],
) -> dict[str, str]:
    """Add or update the file's task groups; every task group's id by code."""
    position = max((g.position for g in existing.values()), default=-1) + 1
    groups = {code: g.id for code, g in existing.items()}
    columns = parsed.columns.get(GROUPS_SHEET, set())
    for g in parsed.groups:
        group = existing.get(g["code"])
        new = group is None
        if group is None:
            group = TaskGroup(plan_id=plan_id, code=g["code"], title=g["title"], position=position)
            position += 1
        group.title = g["title"]
        # A column the sheet lacks leaves a group it updates as it was.
        if "not_applicable_reason" in columns:
            group.not_applicable_reason = g["not_applicable_reason"]
        if new or "parent_task_group" in columns:
            link = g["parent_task_group"] or (g["code"] if g["code"] in parent_groups else None)
            group.parent_task_group_id = parent_groups.get(link or "")
        session.add(group)
        groups[g["code"]] = group.id
    return groups


def _import_tasks(
    session: SessionDep,
    plan_id: str,
    parsed: ParsedTables,
    existing: dict[str, Task],
    groups: dict[str, str],
    parent_tasks: dict[str, str],
    position: int,
) -> None:
    """Add or update the file's tasks (``existing`` gains the new ones)."""
    columns = parsed.columns.get(TASKS_SHEET, set(TASK_HEADERS))
    for t in parsed.tasks:
        task = existing.get(t["code"])
        new = task is None
        if task is None:
            task = Task(plan_id=plan_id, code=t["code"], position=position)
            existing[t["code"]] = task
            position += 1
        for key in TASK_FIELDS:
            # A column the file lacks (an older layout without the kind or the budget) leaves
            # what a task it updates holds.
            if new or key in columns:
                setattr(task, key, t[key] if key != "job" else (t[key] or ""))
        task.task_group_id = groups.get(t["task_group"] or "", task.task_group_id)
        if t["parent_task_code"]:
            task.parent_task_id = parent_tasks[t["parent_task_code"]]
        session.add(task)


def _refuse_changes_to_frozen(
    frozen: dict[str, TaskGroup],
    tasks: Iterable[Task],
    before: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]],
) -> None:
    """409 when the import would change a task group approved while others were returned."""
    changed = [
        code for code, content in _frozen_content(frozen, tasks).items() if content != before[code]
    ]
    if changed:
        raise Problem(
            409,
            "Approved task groups cannot change",
            f"the file changes task group(s) {', '.join(changed)}, approved while others were "
            "returned; nothing was imported",
            type_="conflict",
            errors=[
                {
                    "field": f"{GROUPS_SHEET}:{code}",
                    "reason": f"task group {code} is approved and frozen",
                }
                for code in changed
            ],
        )


def _import_indicators(
    session: SessionDep, plan: Plan, parsed: ParsedTables, existing: dict[str, Indicator]
) -> None:
    """Add or update the file's indicators (a year left empty is the plan's last year)."""
    position = max((i.position for i in existing.values()), default=-1) + 1
    for ind in parsed.indicators:
        row = existing.get(ind["code"])
        if row is None:
            row = Indicator(
                plan_id=plan.id,
                code=ind["code"],
                name=ind["name"],
                unit=ind["unit"],
                target=ind["target"],
                year=ind["year"] or plan.term_end,
                position=position,
            )
            position += 1
        for key in INDICATOR_FIELDS:
            setattr(row, key, ind[key])
        row.year = ind["year"] or plan.term_end
        session.add(row)


@router.get("/import/template")
async def import_template(user: CurrentUser) -> Response:
    """The XLSX template of the import: the sheets "Nhiệm vụ", "Chỉ tiêu" and "Nhóm nhiệm vụ"
    with exactly the columns the import reads and one example row each, and a sheet "Hướng
    dẫn" describing every column (docs/import-template.md describes the same)."""
    return Response(
        template_xlsx(),
        media_type=MEDIA["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_FILENAME}"'},
    )


def _approved_on(plan: Plan) -> date | None:
    """The day the version in force was approved, when the plan's last change was that approval
    (a revision since then leaves it unknown: the printed date is then left for the clerk)."""
    if plan.status == "approved" and plan.in_force_version == plan.version:
        return (plan.updated_at + VIETNAM).date()
    return None


async def _printable(session: SessionDep, plan: Plan) -> dict[str, Any]:
    """The plan's fields with the content of its version in force (not the working copy a
    revision is drafting); 409 when no version of it is in force."""
    content = await store.in_force_content(session, plan)
    if content is None:
        raise Problem(
            409,
            "Conflict",
            "only a plan with an approved version in force is printed",
            type_="conflict",
        )
    return {
        **plan.model_dump(exclude={"seed_key"}),
        "version": plan.in_force_version,
        "status": "approved",
        "task_groups": content.get("task_groups") or [],
        "indicators": content.get("indicators") or [],
        "tasks": content.get("tasks") or [],
    }


def named(printable: dict[str, Any], directory: dict[str, str]) -> dict[str, Any]:
    """A printed plan names its lead and cooperating units as officials read them."""
    tasks = [
        {
            **t,
            "lead_unit": directory.get(t.get("lead_unit") or "", t.get("lead_unit")),
            "cooperating_units": [directory.get(c, c) for c in t.get("cooperating_units") or []],
        }
        for t in printable.get("tasks") or []
    ]
    return {**printable, "tasks": tasks}


@router.get("/{plan_id}/export")
async def export(
    plan_id: Id,
    user: CurrentUser,
    session: SessionDep,
    format: Literal["xlsx", "csv", "docx", "pdf"] = "xlsx",
) -> Response:
    """Tasks and indicators as XLSX or CSV (the working copy); the version in force as a
    printable DOCX or PDF (409 when no version is approved)."""
    plan: Plan = await visible_plan(session, user, plan_id)
    directory = await store.directory_names(session)
    if format in PRINTED:
        printable = xml_safe(named(await _printable(session, plan), directory))
        unit = await session.get(OrgUnit, plan.unit)
        above = await session.get(OrgUnit, unit.parent) if unit and unit.parent else None
        render = plan_to_pdf if format == "pdf" else plan_to_docx
        body = render(
            printable,
            unit.name if unit else None,
            superior=above.name if above else None,
            issued=_approved_on(plan),
        )
        version = plan.in_force_version
    else:
        public = await store.plan_as_seen(session, plan, user.sees(plan.unit))
        parent_groups, parent_tasks = await _parent_codes(session, plan)
        group_codes = {id_: code for code, id_ in parent_groups.items()}
        task_codes = {id_: code for code, id_ in parent_tasks.items()}
        for t in public["tasks"]:
            t["parent_task_code"] = task_codes.get(t.get("parent_task_id") or "")
        for g in public["task_groups"]:
            g["parent_task_group"] = group_codes.get(g.get("parent_task_group_id") or "")
        body = (
            tasks_to_csv(public, directory)
            if format == "csv"
            else tasks_to_xlsx(xml_safe(public), directory)
        )
        version = plan.version
    filename = f"plan-{plan.unit}-v{version}.{format}"
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
