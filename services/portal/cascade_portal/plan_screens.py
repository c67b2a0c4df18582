"""The plan's screens: start a plan, read and edit it (tasks, groups, the table), check and
submit, withdraw, revise, carry it into the next term, import and export, compare versions,
print; and the coverage of a program by the units below."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from cascade_portal import grid
from cascade_portal.api import ApiError, body_of, checked
from cascade_portal.chart import coverage_svg, standalone
from cascade_portal.i18n import MESSAGES, translate
from cascade_portal.names import Names
from cascade_portal.official import (
    VIETNAM,
    Unreadable,
    day,
    milestone_period,
    period_label,
    read_day,
)
from cascade_portal.official import number as official_number
from cascade_portal.problems import Message, ProblemView, problem_view, sort_findings
from cascade_portal.screen_common import (
    flash_of,
    form_number,
    form_text,
    parent_unit,
    refusal,
    unreadable,
)
from cascade_portal.web import (
    PREFIX,
    Page,
    PageDep,
    PortalRoute,
    number,
    redirect,
    templates,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)

DECIDED = {
    "approve": "approve",
    "approved": "approve",
    "return": "return",
    "returned": "return",
    "reject": "reject",
    "rejected": "reject",
}
"""A step decision as the approvals API records it (a step's new status) and its words."""


@router.post("/plans")
async def start_plan(request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    plan = await page.api.post(
        "/api/plans/from-parent",
        json={
            "parent_plan_id": str(form.get("parent_plan_id") or ""),
            "title": str(form.get("title") or "").strip(),
            "placeholder_tasks": form.get("placeholder_tasks") == "on",
        },
    )
    return redirect(f"{PREFIX}/plans/{plan['id']}")


# -- a plan ----------------------------------------------------------------------------------------


def comments_by_task(comments: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> Any:
    by_code = {t["code"]: t["id"] for t in tasks}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    general = []
    for c in comments:
        key = c.get("task_id") or by_code.get(c.get("task_code") or "")
        if key:
            out[key].append(c)
        else:
            general.append(c)
    return out, general


async def plan_cases(page: Page, plan_id: str) -> list[dict[str, Any]]:
    """The approval cases of a plan (one per submitted version), none if they cannot be read."""
    try:
        return list(await page.api.get("/api/approvals/cases", plan_id=plan_id) or [])
    except ApiError:
        return []


def signed_steps(
    cases: list[dict[str, Any]], item: dict[str, Any], names: Names
) -> list[dict[str, Any]]:
    """The steps of the case under decision before the approver's own, each with who decided
    it, how and when (every decision of a step that collects several). A step the submission
    resumed after (carried over) shows who approved it in the earlier version that did."""
    case = next((c for c in cases if c.get("id") == item.get("case_id")), None)
    out = []
    for step in (case or {}).get("steps") or []:
        if step.get("step_no", 0) >= item.get("step_no", 0):
            continue
        decisions = decisions_of(step)
        if not decisions and step.get("status") == "carried_over" and case is not None:
            decisions = earlier_approval(cases, case, step)
        if not decisions:
            continue  # skipped: nobody signed it
        out.append(
            {
                "step_no": step.get("step_no"),
                "label": names.step(step.get("name"), step.get("unit"), step.get("role")),
                "decisions": [
                    {
                        "who": names.person(
                            d.get("decided_by"), step.get("unit"), name=d.get("decided_by_name")
                        ),
                        "on_behalf_of": names.person(d.get("on_behalf_of"), step.get("unit"))
                        if d.get("on_behalf_of")
                        else "",
                        "how": names.t(f"trail.decision.{DECIDED[str(d.get('decision'))]}")
                        if d.get("decision") in DECIDED
                        else "",
                        "when": d.get("decided_at"),
                        "username": d.get("decided_by"),
                        "in_version": d.get("in_version"),
                    }
                    for d in decisions
                ],
            }
        )
    return out


def decisions_of(step: dict[str, Any]) -> list[dict[str, Any]]:
    """Every decision on a step; a step of an older case may carry only its last decider."""
    decisions = step.get("decisions") or []
    if not decisions and step.get("decided_by"):
        decisions = [
            {
                "decision": step.get("status"),
                "decided_by": step["decided_by"],
                "decided_by_name": step.get("decided_by_name"),
                "on_behalf_of": step.get("on_behalf_of"),
                "decided_at": step.get("decided_at"),
            }
        ]
    return list(decisions)


def earlier_approval(
    cases: list[dict[str, Any]], case: dict[str, Any], step: dict[str, Any]
) -> list[dict[str, Any]]:
    """Who approved ``step`` in the newest earlier version that did, marked with that version."""
    earlier = [c for c in cases if c.get("plan_version", 0) < case.get("plan_version", 0)]
    for older in sorted(earlier, key=lambda c: c.get("plan_version", 0), reverse=True):
        for then in older.get("steps") or []:
            if then.get("step_no") != step.get("step_no"):
                continue
            approved = [d for d in decisions_of(then) if d.get("decision") == "approved"]
            if approved:
                return [{**d, "in_version": older.get("plan_version")} for d in approved]
    return []


async def deciders(
    page: Page,
    plan_id: str,
    names: Names,
    people: set[str],
    cases: list[dict[str, Any]] | None = None,
) -> Names:
    """Names that also know where the deciders of a plan act from (the steps they decided), so
    an approver of the level above, whom the directory does not show a ward, is named by their
    unit: one call, only when someone is unknown (none when the cases are already read)."""
    unknown = {p for p in people if p and p not in names.people}
    if not unknown:
        return names
    if cases is None:
        try:
            cases = await page.api.get("/api/approvals/cases", plan_id=plan_id)
        except ApiError:
            return names
    where: dict[str, str] = {}
    for case in cases or []:
        for step in case.get("steps") or []:
            decided = [step.get("decided_by")]
            decided += [d.get("decided_by") for d in step.get("decisions") or []]
            for who in decided:
                if who in unknown:
                    where[who] = step["unit"]
    return names.knowing(where)


def milestone_lines(milestones: Any, lang: str) -> str:
    """A task's milestones as the form shows them: one a line, "Quý II/2026: xóa 6 điểm"."""
    lines = []
    for m in milestones or []:
        label = period_label(m.get("period"), lang)
        lines.append(f"{label}: {m['description']}" if m.get("description") else label)
    return "\n".join(lines)


def task_form(task: dict[str, Any], names: Names, unit: str) -> dict[str, str]:
    """A task as its form shows it: units by name, days day first, periods as officials name
    them, every value a string."""
    return {
        "task_group": str(task.get("task_group") or ""),
        "job": str(task.get("job") or ""),
        "responsible_person": str(task.get("responsible_person") or ""),
        "lead_unit": names.unit(task.get("lead_unit") or unit),
        "cooperating_units": names.units_named(task.get("cooperating_units") or []),
        "start": day(task.get("start")),
        "deadline": day(task.get("deadline")),
        "milestones": milestone_lines(task.get("milestones"), names.lang),
        "product_description": str(task.get("product_description") or ""),
        "product_quantity": number(task.get("product_quantity"), names.lang),
        "product_unit": str(task.get("product_unit") or ""),
    }


DIFF_PREFIXES = {"tasks": "task", "indicators": "indicator", "task_groups": "plan", "plan": "plan"}


GROUP_FIELDS = {"title": "plan.group_title", "not_applicable_reason": "plan.na_reason"}


SHORT_LABELS = {
    "milestones": "task.milestones_short",
    "cooperating_units": "plan.cooperating",
    "task_group": "task.group",
}


def field_name(section: str, field: str, lang: str) -> str:
    """A field of the diff by its label ("deadline" of a task is "Thời hạn")."""
    key = GROUP_FIELDS.get(field, "") if section == "task_groups" else SHORT_LABELS.get(field, "")
    key = key or f"{DIFF_PREFIXES.get(section, section)}.{field}"
    return MESSAGES[key][1 if lang == "en" else 0] if key in MESSAGES else field


def shown(names: Names, field: str, value: Any) -> str:
    """A value of a plan, a task or an indicator as the reader reads it: days day first,
    periods and units by name, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "–"
    if field in ("start", "deadline", "completed_on"):
        return day(value)
    if field == "milestones" and isinstance(value, list):
        return milestone_lines(value, names.lang).replace("\n", "; ")
    if field == "lead_unit":
        return names.unit(value)
    if field == "cooperating_units" and isinstance(value, list):
        return names.units_named(value)
    if field == "kind":
        key = f"task.kind.{value}"
        return names.t(key) if key in MESSAGES else str(value)
    if field in ("drafter", "author"):
        return names.person(value)
    if isinstance(value, bool):
        return names.t("common.yes" if value else "common.no")
    if isinstance(value, int | float):
        return official_number(value, names.lang)
    if isinstance(value, list):
        return "; ".join(shown(names, field, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(names, k, v)}" for k, v in value.items())
    return str(value)


templates.globals.update(field_name=field_name, shown=shown)


TASK_FORM_FIELDS = (
    "task_group",
    "job",
    "responsible_person",
    "lead_unit",
    "cooperating_units",
    "start",
    "deadline",
    "milestones",
    "product_description",
    "product_quantity",
    "product_unit",
)


def typed_task(form: FormData) -> dict[str, str]:
    """What was typed in a task's form, to show it again beside what was refused."""
    return {name: form_text(form, name) or "" for name in TASK_FORM_FIELDS if name in form}


async def previous_term(
    page: Page, plan: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The plan of the term before, when this one continues it (kế thừa), if the user may
    read it, and the code of each task a task here continues (task id → code)."""
    if not plan.get("previous_plan_id"):
        return None, {}
    try:
        previous = await page.api.get(f"/api/plans/{plan['previous_plan_id']}")
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
        previous = None
    codes = {t["id"]: t["code"] for t in (previous or {}).get("tasks", [])}
    return previous, {
        t["id"]: codes.get(t["carried_from_task_id"], t["code"])
        for t in plan["tasks"]
        if t.get("carried_from_task_id")
    }


async def next_term_choices(
    page: Page, plan: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """For the drafters of a plan in force: the plans already continuing it, and the next
    term's programs in force of the unit above (a term starting after this one ends)."""
    mine = (await page.api.get("/api/plans", unit=plan["unit"], limit=500))["items"]
    following = [
        p for p in mine if p.get("previous_plan_id") == plan["id"] and p["status"] != "rejected"
    ]
    above = parent_unit(plan["unit"])
    programs: list[dict[str, Any]] = []
    if above:
        programs = [
            p
            for p in (await page.api.get("/api/plans", unit=above, status="approved"))["items"]
            if p["term_start"] > plan["term_end"]
        ]
    return following, programs


async def plan_page(
    page: Page,
    plan_id: str,
    *,
    status_code: int = 200,
    refused: dict[str, Any] | None = None,
    problem: ProblemView | None = None,
    problem_task: str | None = None,
    typed: dict[str, str] | None = None,
    submit_refused: bool = False,
    decided: dict[str, Any] | None = None,
) -> Response:
    user = page.require_user()
    plan = await page.api.get(f"/api/plans/{plan_id}")
    editable = grid.may_edit(plan)
    findings = None
    if refused is not None:
        findings = sort_findings(
            refused.get("errors") or [], refused.get("warnings") or [], page.lang
        )
    elif editable:
        check = await page.api.post(f"/api/plans/{plan_id}/check")
        findings = sort_findings(check["errors"], check["warnings"], page.lang)
    try:
        comments = await page.api.get(f"/api/approvals/plans/{plan_id}/comments")
    except ApiError as exc:
        if exc.status not in (403, 404):
            raise
        comments = []
    task_comments, general_comments = comments_by_task(comments, plan["tasks"])
    asked = [
        r
        for r in await page.api.get(f"/api/plans/{plan_id}/revision-requests")
        if r["status"] == "open"
    ]
    item = None
    if user.has("head", "approver"):
        queue = await page.api.get("/api/approvals/queue")
        item = next((i for i in queue["items"] if i["plan_id"] == plan_id), None)
    changes = None
    if item is not None and item["plan_version"] >= 2:
        changes = await page.api.get(
            f"/api/plans/{plan_id}/diff",
            from_version=item["plan_version"] - 1,
            to_version=item["plan_version"],
        )
    elif editable and plan["status"] == "returned":
        changes = await page.api.get(f"/api/plans/{plan_id}/diff", from_version=plan["version"])
    elif editable and plan.get("in_force_version"):  # a revision: what it changes so far
        changes = await page.api.get(
            f"/api/plans/{plan_id}/diff", from_version=plan["in_force_version"]
        )
    previous, carried = await previous_term(page, plan)
    following: list[dict[str, Any]] = []
    next_programs: list[dict[str, Any]] = []
    if plan.get("in_force_version") and user.has("drafter") and plan["unit"] == user.unit:
        following, next_programs = await next_term_choices(page, plan)
    groups = {g["code"]: g for g in plan["task_groups"]}
    people = {c.get("author") for c in comments} | {c.get("resolved_by") for c in comments}
    cases = None
    if item is not None:  # the approver sees who signed the steps before theirs, and when
        cases = await plan_cases(page, plan_id)
    names = await deciders(page, plan_id, await page.names(), {p for p in people if p}, cases)
    signed = signed_steps(cases or [], item, names) if item is not None else []
    forms = {t["id"]: task_form(t, names, plan["unit"]) for t in plan["tasks"]}
    forms["new"] = task_form({}, names, plan["unit"])
    if typed is not None and problem_task in forms:
        forms[problem_task] = {**forms[problem_task], **typed}
    return await page.render(
        "plan.html",
        status_code=status_code,
        names=names,
        forms=forms,
        plan=plan,
        groups=groups,
        editable=editable,
        findings=findings,
        refused=refused is not None or (submit_refused and editable),
        problem=problem,
        problem_task=problem_task,
        task_comments=task_comments,
        general_comments=general_comments,
        item=item,
        changes=changes,
        asked=asked,
        previous=previous,
        carried=carried,
        following=following,
        next_programs=next_programs,
        signed=signed,
        decided=decided or {},
        flash=flash_of(page.request),
    )


@router.get("/plans/{plan_id}")
async def show_plan(plan_id: str, page: PageDep, refused: int = 0) -> Response:
    """The plan; ``?refused=1`` after a refused submission: the page says so above the list of
    its errors and warnings (run again by the check)."""
    return await plan_page(page, plan_id, submit_refused=bool(refused))


def task_body(form: FormData, names: Names, unit: str) -> tuple[dict[str, Any], list[Message]]:
    """A task form as the plans API's body: units named as typed kept by their code, days read
    day first, milestones' periods as officials write them kept as the plans keep them (2026-Q2,
    2026-03), lists split, empty dates and numbers left out; and what could not be read."""
    body: dict[str, Any] = {}
    refused: list[Message] = []
    for name in ("task_group", "job", "responsible_person", "product_description"):
        value = form_text(form, name)
        if value is not None:
            body[name] = value or None if name == "task_group" else value
    if (lead := form_text(form, "lead_unit")) is not None:
        body["lead_unit"] = names.unit_code(lead, unit) or None
    if (units := form_text(form, "cooperating_units")) is not None:
        body["cooperating_units"] = [
            names.unit_code(u, unit) for u in units.split(";") if u.strip()
        ]
    for name in ("start", "deadline"):
        if value := form_text(form, name):
            try:
                body[name] = read_day(value).isoformat()
            except Unreadable:
                refused.append(unreadable("official.bad_day", f"task.{name}", value, names.lang))
    if (lines := form_text(form, "milestones")) is not None:
        milestones = []
        for line in lines.splitlines():
            if not line.strip():
                continue
            period, _, description = line.partition(":")
            try:
                code = milestone_period(period)
            except Unreadable:
                refused.append(
                    unreadable(
                        "official.bad_period", "task.milestones_short", period.strip(), names.lang
                    )
                )
                continue
            milestones.append({"period": code, "description": description.strip()})
        body["milestones"] = milestones
    if (quantity := form_text(form, "product_quantity")) is not None:
        body["product_quantity"] = form_number(quantity, names.lang)
    if (measure := form_text(form, "product_unit")) is not None:
        body["product_unit"] = measure or None
    return body, refused


@router.post("/plans/{plan_id}/tasks")
async def add_task(plan_id: str, request: Request, page: PageDep) -> Response:
    user = page.require_user()
    form = await request.form()
    fields, refused = task_body(form, await page.names(), user.unit)
    typed = {**typed_task(form), "code": form_text(form, "code") or ""}
    if refused:
        return await plan_page(
            page,
            plan_id,
            status_code=422,
            problem=refusal(page, refused),
            problem_task="new",
            typed=typed,
        )
    body = {"code": form_text(form, "code") or "", **fields}
    r = await page.api.send("POST", f"/api/plans/{plan_id}/tasks", json=body)
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(
            page, plan_id, status_code=422, problem=view, problem_task="new", typed=typed
        )
    task = checked(r).json()
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#task-{task['id']}")


@router.post("/plans/{plan_id}/tasks/{task_id}")
async def update_task(plan_id: str, task_id: str, request: Request, page: PageDep) -> Response:
    user = page.require_user()
    form = await request.form()
    body, refused = task_body(form, await page.names(), user.unit)
    if refused:
        return await plan_page(
            page,
            plan_id,
            status_code=422,
            problem=refusal(page, refused),
            problem_task=task_id,
            typed=typed_task(form),
        )
    r = await page.api.send("PATCH", f"/api/plans/{plan_id}/tasks/{task_id}", json=body)
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(
            page,
            plan_id,
            status_code=422,
            problem=view,
            problem_task=task_id,
            typed=typed_task(form),
        )
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#task-{task_id}")


@router.post("/plans/{plan_id}/tasks/{task_id}/delete")
async def delete_task(plan_id: str, task_id: str, page: PageDep) -> Response:
    page.require_user()
    await page.api.delete(f"/api/plans/{plan_id}/tasks/{task_id}")
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#tasks")


@router.post("/plans/{plan_id}/groups/{code}")
async def update_group(plan_id: str, code: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    body: dict[str, Any] = {
        "not_applicable_reason": form_text(form, "not_applicable_reason") or None
    }
    if title := form_text(form, "title"):
        body["title"] = title
    r = await page.api.send("PATCH", f"/api/plans/{plan_id}/task-groups/{code}", json=body)
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(page, plan_id, status_code=422, problem=view)
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#group-{code}")


@router.post("/plans/{plan_id}/submit")
async def submit(plan_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    r = await page.api.send(
        "POST",
        f"/api/plans/{plan_id}/submit",
        json={"acknowledge_warnings": form.get("acknowledge_warnings") == "on"},
    )
    if r.status_code == 422:
        body = body_of(r)
        if isinstance(body, dict) and ("errors" in body or "warnings" in body):
            # Post/redirect/get: the page checks the plan again and lists the same errors and
            # warnings (the submission runs the check's rules), and a reload re-submits nothing.
            return redirect(f"{PREFIX}/plans/{plan_id}?refused=1#refused")
        return await plan_page(page, plan_id, status_code=422, refused=body)
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=submitted")


@router.post("/plans/{plan_id}/withdraw")
async def withdraw(plan_id: str, page: PageDep) -> Response:
    page.require_user()
    await page.api.post(f"/api/plans/{plan_id}/withdraw")
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved")


@router.post("/plans/{plan_id}/revise")
async def revise(plan_id: str, request: Request, page: PageDep) -> Response:
    """Start a revision of the plan in force (it stays in force until the revision is
    approved)."""
    page.require_user()
    form = await request.form()
    reason = form_text(form, "reason")
    r = await page.api.send(
        "POST", f"/api/plans/{plan_id}/revise", json={"reason": (reason or "").strip() or None}
    )
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(page, plan_id, status_code=422, problem=view)
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=revising")


def _year(form: FormData, name: str) -> int | str | None:
    """A year as typed: a number when it is one (the API names anything else)."""
    value = (form_text(form, name) or "").strip()
    return int(value) if value.isdigit() else value or None


@router.post("/plans/{plan_id}/next-term")
async def next_term(plan_id: str, request: Request, page: PageDep) -> Response:
    """Start the next term's plan from this plan in force (kế thừa), then show it."""
    page.require_user()
    form = await request.form()
    r = await page.api.send(
        "POST",
        f"/api/plans/{plan_id}/next-term",
        json={
            "title": (form_text(form, "title") or "").strip(),
            "term_start": _year(form, "term_start"),
            "term_end": _year(form, "term_end"),
            "parent_plan_id": form_text(form, "parent_plan_id") or None,
        },
    )
    if r.status_code in (409, 422):
        body = body_of(r)
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            labels = {
                f: translate(f"nextterm.{key}", page.lang)
                for f, key in (
                    ("title", "title"),
                    ("body.title", "title"),
                    ("term_start", "term_start"),
                    ("body.term_start", "term_start"),
                    ("term_end", "term_end"),
                    ("body.term_end", "term_end"),
                    ("parent_plan_id", "program"),
                    ("plan_id", "plan"),
                )
            }
            body["errors"] = [
                {**e, "field": labels.get(str(e.get("field")), e.get("field"))}
                if isinstance(e, dict)
                else e
                for e in body["errors"]
            ]
        view = problem_view(r.status_code, body, page.lang)
        return await plan_page(page, plan_id, status_code=r.status_code, problem=view)
    new = checked(r).json()
    return redirect(f"{PREFIX}/plans/{new['id']}")


@router.post("/plans/{plan_id}/discard-revision")
async def discard_revision(plan_id: str, page: PageDep) -> Response:
    page.require_user()
    await page.api.post(f"/api/plans/{plan_id}/discard-revision")
    return redirect(f"{PREFIX}/plans/{plan_id}?done=discarded")


@router.post("/plans/{plan_id}/import")
async def import_file(plan_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        view = ProblemView(422, page.t("error.invalid"), page.t("plan.import_file"), [])
        return await plan_page(page, plan_id, status_code=422, problem=view, problem_task="import")
    data = await upload.read()
    r = await page.api.send(
        "POST", f"/api/plans/{plan_id}/import", files={"file": (upload.filename, data)}
    )
    if r.status_code in (413, 422):
        view = problem_view(r.status_code, body_of(r), page.lang)
        if r.status_code == 422 and view.messages:
            refused = page.t("plan.import_refused")
            view = ProblemView(view.status, view.title, refused, view.messages)
        return await plan_page(page, plan_id, status_code=422, problem=view, problem_task="import")
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=imported")


def _file(r: httpx.Response) -> Response:
    """A file the API made (an export, the import template), passed on as it came."""
    headers = {
        k: v for k, v in r.headers.items() if k.lower() in ("content-type", "content-disposition")
    }
    return Response(r.content, headers=headers)


@router.get("/import-template")
async def import_template(page: PageDep) -> Response:
    """The spreadsheet to fill in and import: the importer's columns, an example row each."""
    page.require_user()
    return _file(checked(await page.api.send("GET", "/api/plans/import/template")))


@router.get("/plans/{plan_id}/export")
async def export(plan_id: str, page: PageDep, format: str = "xlsx") -> Response:
    page.require_user()
    return _file(
        checked(
            await page.api.send("GET", f"/api/plans/{plan_id}/export", params={"format": format})
        )
    )


@router.get("/plans/{plan_id}/diff")
async def diff(
    plan_id: str, page: PageDep, from_version: int | None = None, to_version: str | None = None
) -> Response:
    page.require_user()
    plan = await page.api.get(f"/api/plans/{plan_id}")
    versions = [v["version"] for v in await page.api.get(f"/api/plans/{plan_id}/versions")]
    result = None
    to: int | None = int(to_version) if to_version and to_version.isdigit() else None
    if versions:
        if from_version is None:
            if len(versions) >= 2:
                from_version, to = versions[-2], versions[-1]
            else:
                from_version, to = versions[-1], None
        result = await page.api.get(
            f"/api/plans/{plan_id}/diff", from_version=from_version, to_version=to
        )
    return await page.render(
        "diff.html", plan=plan, versions=versions, result=result, from_version=from_version, to=to
    )


@router.get("/plans/{plan_id}/grid")
async def task_grid(plan_id: str, page: PageDep) -> Response:
    """The plan's tasks as one table, like a spreadsheet (``grid.py``)."""
    return await grid.grid_page(page, plan_id)


@router.post("/plans/{plan_id}/grid")
async def save_task_grid(plan_id: str, request: Request, page: PageDep) -> Response:
    return await grid.save_grid(plan_id, request, page)


@router.get("/plans/{plan_id}/print")
async def print_plan(plan_id: str, page: PageDep) -> Response:
    """The plan as a document to print and annotate on paper: groups, tasks in a table, the
    indicators; marked "BẢN DỰ THẢO" on every page while it is not approved."""
    page.require_user()
    plan = await page.api.get(f"/api/plans/{plan_id}")
    return await page.render("plan_print.html", plan=plan, now=datetime.now(VIETNAM).isoformat())


@router.get("/coverage")
async def coverage(page: PageDep, plan_id: str | None = None) -> Response:
    user = page.require_user()
    programs = (await page.api.get("/api/plans", unit=user.unit, status="approved"))["items"]
    plan_id = plan_id or (programs[0]["id"] if programs else None)
    report = chart = None
    if plan_id:
        report = await page.api.get(f"/api/plans/{plan_id}/coverage")
        chart = Markup(coverage_svg(report, page.t))
    return await page.render(
        "coverage.html", programs=programs, plan_id=plan_id, report=report, chart=chart
    )


def svg_file(svg: str, filename: str) -> Response:
    """A chart as a file to download and paste into a report."""
    return Response(
        standalone(svg),
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/coverage/chart.svg")
async def coverage_chart(page: PageDep, plan_id: str) -> Response:
    """The coverage chart as an SVG file (the page makes the PNG from it in the browser)."""
    page.require_user()
    report = await page.api.get(f"/api/plans/{plan_id}/coverage")
    return svg_file(coverage_svg(report, page.t), "bieu-do-bao-phu.svg")


# -- auditor ---------------------------------------------------------------------------------------
