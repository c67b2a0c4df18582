"""The portal's screens, under ``/portal``: plain forms posting to portal routes, which call the
JSON APIs in the signed-in user's name and render the answer."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import urlencode

import httpx
from cascade_shared.events import CATALOGUE
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from cascade_portal import grid
from cascade_portal.api import ApiError, body_of, checked, client_for
from cascade_portal.chart import coverage_svg, standalone
from cascade_portal.i18n import LANGUAGES, MESSAGES, translate
from cascade_portal.names import Names
from cascade_portal.official import (
    VIETNAM,
    Unreadable,
    day,
    fold,
    milestone_period,
    period_label,
    read_day,
    read_moment,
)
from cascade_portal.problems import Message, ProblemView, problem_view, sort_findings
from cascade_portal.trail import event_label, sentence
from cascade_portal.web import (
    LANG_COOKIE,
    PACKAGE,
    PREFIX,
    TOKEN_COOKIE,
    Page,
    PageDep,
    PortalRoute,
    number,
    redirect,
    safe_next,
    set_session,
    templates,
    user_of,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)

EDITABLE = grid.EDITABLE
DECISIONS = ("approve", "return", "partial", "reject")
CONFIRMED = ("approve", "partial", "reject")
DECIDED = {
    "approve": "approve",
    "approved": "approve",
    "return": "return",
    "returned": "return",
    "reject": "reject",
    "rejected": "reject",
}
"""A step decision as the approvals API records it (a step's new status) and its words."""
"""The decisions asked to be confirmed before they are sent (a return goes back for changes)."""
STATIC = {"portal.css": "text/css", "portal.js": "text/javascript"}
FLASHES = {
    "saved",
    "submitted",
    "decided",
    "imported",
    "granted",
    "revoked",
    "read",
    "revising",
    "discarded",
}


def parent_unit(unit: str) -> str | None:
    return unit.rsplit(".", 1)[0] if "." in unit else None


def flash_of(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in FLASHES else None


# -- frame -----------------------------------------------------------------------------------------
@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(
        PACKAGE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/lang/{code}")
async def switch_language(code: str, next: str | None = None) -> Response:
    response = redirect(safe_next(next))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/unread")
async def unread(page: PageDep) -> Response:
    """The bell's count, for the page script to poll (the session cookie authenticates it)."""
    return JSONResponse({"unread": await page.unread()}, headers={"Cache-Control": "no-store"})


def demo_directory() -> dict[str, Any]:
    """The demo's users and units (a portal installed without the plans service has none)."""
    try:
        from cascade_plans.seed import DEMO_FILE
    except ImportError:
        return {}
    try:
        return dict(json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def demo_users() -> list[dict[str, Any]]:
    """The demo users, each with the name of their unit (read before anyone signs in)."""
    demo = demo_directory()
    units = {u.get("code"): u.get("name") for u in demo.get("units", []) if isinstance(u, dict)}
    return [
        {**u, "unit_name": units.get(u.get("unit")) or u.get("unit")}
        for u in demo.get("users", [])
        if isinstance(u, dict) and "username" in u
    ]


async def dev_users(page: Page) -> list[dict[str, Any]]:
    """The demo users, if the APIs hand out dev tokens (embedded mode); else none."""
    users = demo_users()
    if not users:
        return []
    probe = await page.api.send("POST", "/api/auth/dev-token", json={"username": ""})
    return users if probe.status_code != 404 else []


@router.get("/sign-in")
async def sign_in_form(
    page: PageDep, next: str | None = None, reason: str | None = None
) -> Response:
    return await page.render(
        "sign_in.html",
        users=await dev_users(page),
        next=safe_next(next),
        reason="signin.expired" if reason == "expired" else None,
    )


@router.post("/sign-in")
async def sign_in(request: Request, page: PageDep) -> Response:
    form = await request.form()
    target = safe_next(str(form.get("next") or ""))
    username = str(form.get("username") or "").strip()
    token = str(form.get("token") or "").strip()
    problem: ProblemView | None = None
    if username:
        r = await page.api.send("POST", "/api/auth/dev-token", json={"username": username})
        if r.status_code == 200:
            token = r.json()["access_token"]
        else:
            problem = problem_view(r.status_code, body_of(r), page.lang)
    if token and problem is None:
        r = await page.api.send(
            "GET", "/api/notifications/unread-count", headers={"Authorization": f"Bearer {token}"}
        )
        who = user_of(token)
        if r.status_code == 200 and who is not None:
            response = redirect(target)
            set_session(request, response, token, who.expires_at - int(time.time()))
            return response
        problem = problem_view(
            r.status_code if r.status_code >= 400 else 401, body_of(r), page.lang
        )
        problem = ProblemView(problem.status, page.t("signin.bad_token"), problem.detail, [])
    return await page.render(
        "sign_in.html",
        status_code=problem.status if problem else 422,
        users=await dev_users(page),
        next=target,
        problem=problem,
        reason=None,
    )


@router.post("/sign-out")
async def sign_out() -> Response:
    response = redirect(f"{PREFIX}/sign-in")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


# -- home ------------------------------------------------------------------------------------------
@router.get("/")
async def home(page: PageDep) -> Response:
    user = page.require_user()
    plans = (await page.api.get("/api/plans", unit=user.unit, limit=50))["items"]
    programs: list[dict[str, Any]] = []
    above = parent_unit(user.unit)
    if user.has("drafter") and above:
        programs = (await page.api.get("/api/plans", unit=above, status="approved"))["items"]
        # One plan per program: a program the unit already has a plan under is revised there.
        taken = {p["parent_plan_id"] for p in plans if p["status"] != "rejected"}
        programs = [p for p in programs if p["id"] not in taken]
    queue = None
    if user.has("head", "approver"):
        queue = await page.api.get("/api/approvals/queue")
    return await page.render(
        "home.html", plans=plans, programs=programs, queue=queue, flash=flash_of(page.request)
    )


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
    it, how and when (every decision of a step that collects several)."""
    case = next((c for c in cases if c.get("id") == item.get("case_id")), None)
    out = []
    for step in (case or {}).get("steps") or []:
        if step.get("step_no", 0) >= item.get("step_no", 0):
            continue
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
        if not decisions:
            continue  # skipped, or resumed past it: nobody signed it in this submission
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
                        "how": names.t(f"trail.decision.{DECIDED.get(d.get('decision'))}")
                        if d.get("decision") in DECIDED
                        else "",
                        "when": d.get("decided_at"),
                        "username": d.get("decided_by"),
                    }
                    for d in decisions
                ],
            }
        )
    return out


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
        "product_quantity": number(task.get("product_quantity")),
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
        return number(value)
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
    return {name: _text(form, name) or "" for name in TASK_FORM_FIELDS if name in form}


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
    editable = plan["status"] in EDITABLE and user.has("drafter") and plan["unit"] == user.unit
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


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip()


def unreadable(key: str, field: str, text: str, lang: str) -> Message:
    """What was typed and could not be read, naming the field, in the user's language."""
    label = MESSAGES[field][1 if lang == "en" else 0] if field in MESSAGES else field
    words = MESSAGES[key][1 if lang == "en" else 0]
    return Message(words.replace("{field}", label).replace("{text}", text), "error", text)


def task_body(form: FormData, names: Names, unit: str) -> tuple[dict[str, Any], list[Message]]:
    """A task form as the plans API's body: units named as typed kept by their code, days read
    day first, milestones' periods as officials write them kept as the plans keep them (2026-Q2,
    2026-03), lists split, empty dates and numbers left out; and what could not be read."""
    body: dict[str, Any] = {}
    refused: list[Message] = []
    for name in ("task_group", "job", "responsible_person", "product_description"):
        value = _text(form, name)
        if value is not None:
            body[name] = value or None if name == "task_group" else value
    if (lead := _text(form, "lead_unit")) is not None:
        body["lead_unit"] = names.unit_code(lead, unit) or None
    if (units := _text(form, "cooperating_units")) is not None:
        body["cooperating_units"] = [
            names.unit_code(u, unit) for u in units.split(";") if u.strip()
        ]
    for name in ("start", "deadline"):
        if value := _text(form, name):
            try:
                body[name] = read_day(value).isoformat()
            except Unreadable:
                refused.append(unreadable("official.bad_day", f"task.{name}", value, names.lang))
    if (lines := _text(form, "milestones")) is not None:
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
    if (quantity := _text(form, "product_quantity")) is not None:
        body["product_quantity"] = _number(quantity)
    if (measure := _text(form, "product_unit")) is not None:
        body["product_unit"] = measure or None
    return body, refused


def refusal(page: Page, refused: list[Message]) -> ProblemView:
    return ProblemView(422, page.t("error.invalid"), "", refused)


def _number(value: str) -> float | str | None:
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value  # the API names the field and the reason


@router.post("/plans/{plan_id}/tasks")
async def add_task(plan_id: str, request: Request, page: PageDep) -> Response:
    user = page.require_user()
    form = await request.form()
    fields, refused = task_body(form, await page.names(), user.unit)
    typed = {**typed_task(form), "code": _text(form, "code") or ""}
    if refused:
        return await plan_page(
            page,
            plan_id,
            status_code=422,
            problem=refusal(page, refused),
            problem_task="new",
            typed=typed,
        )
    body = {"code": _text(form, "code") or "", **fields}
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
    body: dict[str, Any] = {"not_applicable_reason": _text(form, "not_applicable_reason") or None}
    if title := _text(form, "title"):
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
    reason = _text(form, "reason")
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
    value = (_text(form, name) or "").strip()
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
            "title": (_text(form, "title") or "").strip(),
            "term_start": _year(form, "term_start"),
            "term_end": _year(form, "term_end"),
            "parent_plan_id": _text(form, "parent_plan_id") or None,
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


@router.post("/plans/{plan_id}/decision")
async def decide(plan_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    comments = []
    for key, value in form.multi_items():
        if key.startswith("task_comment.") and isinstance(value, str) and value.strip():
            task_id = key.removeprefix("task_comment.")
            comments.append(
                {
                    "text": value.strip(),
                    "task_id": task_id,
                    "task_code": _text(form, f"task_code.{task_id}") or None,
                }
            )
    decision = _text(form, "decision") or ""
    comment = _text(form, "comment") or None
    typed = {
        "decision": decision,
        "comment": comment or "",
        "task_comments": {c["task_id"]: c["text"] for c in comments},
        "approved_groups": [v for v in form.getlist("approved_groups") if isinstance(v, str)],
        "confirmed": form.get("confirm") == "on",
    }
    # Nothing is chosen for the approver; approving or rejecting is confirmed first (a ticked
    # box, sent again: no script needed; the page script asks before the first post).
    if decision not in DECISIONS:
        view = ProblemView(422, page.t("decision.choose"), "", [])
        return await plan_page(
            page, plan_id, status_code=422, problem=view, problem_task="decision", decided=typed
        )
    if decision in CONFIRMED and not typed["confirmed"]:
        view = ProblemView(422, page.t("decision.confirm_needed"), "", [])
        return await plan_page(
            page,
            plan_id,
            status_code=422,
            problem=view,
            problem_task="decision",
            decided={**typed, "confirm_needed": True},
        )
    body: dict[str, Any] = {
        "decision": "return" if decision == "partial" else decision,
        "comment": comment,
        "comments": comments,
        "content_hash": _text(form, "content_hash") or None,
    }
    if decision == "partial":  # approve the ticked task groups, return the others
        body["approved_groups"] = [
            v for v in form.getlist("approved_groups") if isinstance(v, str) and v
        ]
    case_id, step_no = _text(form, "case_id"), _text(form, "step_no")
    r = await page.api.send(
        "POST", f"/api/approvals/cases/{case_id}/steps/{step_no}/decision", json=body
    )
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(
            page, plan_id, status_code=422, problem=view, problem_task="decision", decided=typed
        )
    checked(r)
    return redirect(f"{PREFIX}/queue?done=decided")


@router.post("/plans/{plan_id}/comments/{comment_id}/resolve")
async def resolve_comment(
    plan_id: str, comment_id: str, request: Request, page: PageDep
) -> Response:
    page.require_user()
    form = await request.form()
    await page.api.post(
        f"/api/approvals/comments/{comment_id}/resolve",
        json={"resolution": _text(form, "resolution") or None},
    )
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#comment-{comment_id}")


# -- approver --------------------------------------------------------------------------------------
@router.get("/queue")
async def queue(page: PageDep, status: str | None = None) -> Response:
    page.require_user()
    only_overdue = status == "overdue"
    data = await page.api.get("/api/approvals/queue", status="overdue" if only_overdue else None)
    return await page.render(
        "queue.html", queue=data, only_overdue=only_overdue, flash=flash_of(page.request)
    )


async def delegations_page(
    page: Page,
    *,
    status_code: int = 200,
    problem: ProblemView | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    user = page.require_user()
    rows = await page.api.get("/api/approvals/delegations")
    names = await page.names()
    colleagues = [p for p in names.people_of(user.unit) if p.get("username") != user.username]
    return await page.render(
        "delegations.html",
        status_code=status_code,
        delegations=rows,
        colleagues=colleagues,
        typed=typed or {},
        flash=flash_of(page.request) if problem is None else None,
        problem=problem,
    )


@router.get("/delegations")
async def delegations(page: PageDep) -> Response:
    return await delegations_page(page)


@router.post("/delegations")
async def grant(request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    typed = {k: _text(form, k) or "" for k in ("delegate", "ends_at", "reason")}
    ends = typed["ends_at"]
    ends_value: str | None = None
    if ends:
        try:
            # to the end of that day on Vietnam's clock
            ends_value = datetime.combine(read_day(ends), dtime(23, 59), VIETNAM).isoformat()
        except Unreadable:
            refused = [unreadable("official.bad_day", "delegations.ends_at", ends, page.lang)]
            return await delegations_page(
                page, status_code=422, problem=refusal(page, refused), typed=typed
            )
    r = await page.api.send(
        "POST",
        "/api/approvals/delegations",
        json={
            "delegate": _text(form, "delegate") or "",
            "ends_at": ends_value,
            "reason": _text(form, "reason") or None,
        },
    )
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await delegations_page(page, status_code=422, problem=view, typed=typed)
    checked(r)
    return redirect(f"{PREFIX}/delegations?done=granted")


@router.post("/delegations/{delegation_id}/revoke")
async def revoke(delegation_id: str, page: PageDep) -> Response:
    page.require_user()
    checked(await page.api.send("DELETE", f"/api/approvals/delegations/{delegation_id}"))
    return redirect(f"{PREFIX}/delegations?done=revoked")


# -- everyone --------------------------------------------------------------------------------------
@router.get("/inbox")
async def inbox(page: PageDep, before: str | None = None) -> Response:
    page.require_user()
    data = await page.api.get("/api/notifications/inbox", limit=50, before=before)
    return await page.render("inbox.html", inbox=data, flash=flash_of(page.request))


@router.post("/inbox/read-all")
async def read_all(page: PageDep) -> Response:
    page.require_user()
    await page.api.post("/api/notifications/read-all")
    return redirect(f"{PREFIX}/inbox?done=read")


@router.post("/inbox/{notification_id}/read")
async def read_one(notification_id: str, page: PageDep) -> Response:
    page.require_user()
    await page.api.post(f"/api/notifications/{notification_id}/read")
    return redirect(f"{PREFIX}/inbox?done=read")


async def effective_preferences(page: Page) -> dict[str, dict[str, bool]]:
    """Every kind the notifications service knows, with its channels: its own rule, else the
    ``*`` rule, else in-app and e-mail."""
    kinds = await page.api.get("/api/notifications/preferences/kinds")
    own = {r["kind"]: r for r in await page.api.get("/api/notifications/preferences")}
    default = own.get("*", {"inapp": True, "email": True, "digest": False})
    return {
        k["kind"]: {c: bool(own.get(k["kind"], default)[c]) for c in ("inapp", "email", "digest")}
        for k in kinds
    }


@router.get("/preferences")
async def preferences(page: PageDep) -> Response:
    page.require_user()
    return await page.render(
        "preferences.html", prefs=await effective_preferences(page), flash=flash_of(page.request)
    )


@router.post("/preferences")
async def save_preferences(request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    current = await effective_preferences(page)
    for kind in current:
        wanted = {c: form.get(f"{kind}.{c}") == "on" for c in ("inapp", "email", "digest")}
        if wanted != current[kind]:
            await page.api.put(f"/api/notifications/preferences/{kind}", json=wanted)
    return redirect(f"{PREFIX}/preferences?done=saved")


# -- city and central ------------------------------------------------------------------------------
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
AUDIT_FILTERS = ("plan_id", "actor", "unit", "event_type", "since", "until")
AUDIT_TIMES = {"since": "audit.since", "until": "audit.until"}


def audit_params(request: Request, lang: str) -> tuple[dict[str, str], list[Message]]:
    """The search filters for the audit API, and what could not be read. Times are typed on
    Vietnam's clock, day first ("14:05 03/03/2026", or a day alone: "until" a day takes the
    whole day in)."""
    out = {k: request.query_params[k] for k in AUDIT_FILTERS if request.query_params.get(k)}
    refused: list[Message] = []
    for name, label in AUDIT_TIMES.items():
        value = out.get(name)
        if not value:
            continue
        try:
            out[name] = read_moment(value, end_of_day=name == "until").isoformat()
        except Unreadable:
            refused.append(unreadable("official.bad_moment", label, value, lang))
            del out[name]
    return out, refused


async def audit_page(
    page: Page,
    *,
    filters: dict[str, str],
    records: dict[str, Any] | None = None,
    verified: dict[str, Any] | None = None,
    problem: ProblemView | None = None,
    status_code: int = 200,
    first: int = 1,
) -> Response:
    """The search form (people, units and kinds of event by name) and the records found, each
    told as a sentence."""
    user = page.require_user()
    names = await page.names()
    plans = await auditable_plans(page, user.unit, names)
    items = (records or {}).get("items") or []
    titles = {p["id"]: p["title"] for p in plans}
    titles.update(
        {
            r["plan_id"]: r["payload"].get("title") or r["payload"].get("plan_title")
            for r in items
            if r.get("plan_id") and (r["payload"].get("title") or r["payload"].get("plan_title"))
        }
    )
    rows = []
    for r in items:
        title = titles.get(r.get("plan_id"))
        record = {**r, "payload": {"plan_title": title, **r["payload"]}} if title else r
        rows.append({**r, "plan_title": title, "says": sentence(record, names)})
    people = names.people_of(user.unit, below=True)
    units = names.units_under(user.unit)
    kinds = [(kind, event_label(kind, names)) for kind in CATALOGUE]
    return await page.render(
        "audit.html",
        status_code=status_code,
        filters=filters,
        records=records,
        rows=rows,
        people=people,
        units=units,
        kinds=kinds,
        verified=verified,
        problem=problem,
        plans=plans,
        first=first,
        query=urlencode({**filters, "search": "1"}) if filters or records is not None else "",
    )


async def auditable_plans(page: Page, unit: str, names: Names) -> list[dict[str, Any]]:
    """The plans of the auditor's unit and the units below, to pick one by its title (unit by
    unit, then by title); none when they cannot be listed (the search still works)."""
    try:
        found = await page.api.get("/api/plans", unit=unit, subtree="true", limit=500)
    except ApiError:
        return []
    rows = [
        {
            "id": p["id"],
            "title": p.get("title") or "",
            "unit": p.get("unit") or "",
            "unit_name": names.unit(p.get("unit")),
            "term": f"{p.get('term_start')}–{p.get('term_end')}",
        }
        for p in (found or {}).get("items") or []
        if isinstance(p, dict) and p.get("id")
    ]
    return sorted(rows, key=lambda p: (p["unit"] != unit, fold(p["unit_name"]), fold(p["title"])))


@router.get("/audit")
async def audit(request: Request, page: PageDep, cursor: str | None = None, n: int = 1) -> Response:
    """The search; ``n`` numbers the first row (a next page goes on from the last one)."""
    page.require_user()
    filters, refused = audit_params(request, page.lang)
    typed = {k: request.query_params[k] for k in AUDIT_FILTERS if request.query_params.get(k)}
    if refused:
        return await audit_page(
            page, filters=typed, problem=refusal(page, refused), status_code=422
        )
    records = None
    if filters or request.query_params.get("search") is not None:
        records = await page.api.get("/api/audit/records", cursor=cursor, limit=100, **filters)
    return await audit_page(page, filters=typed, records=records, first=max(1, n))


@router.get("/audit/export.csv")
async def audit_csv(request: Request, page: PageDep) -> Response:
    """The audit API's CSV passed through as it streams (a whole city's trail can be large)."""
    page.require_user()
    params, refused = audit_params(request, page.lang)
    if refused:
        return await audit_page(page, filters={}, problem=refusal(page, refused), status_code=422)
    client = client_for(request, page.token)
    upstream = await client.send(
        client.build_request("GET", "/api/audit/records/export.csv", params=params),
        stream=True,
    )
    if upstream.status_code >= 400:
        await upstream.aread()
        await upstream.aclose()
        await client.aclose()
        raise ApiError(upstream.status_code, body_of(upstream))

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()
            await client.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-records.csv"'},
    )


@router.get("/audit/verify")
async def audit_verify(page: PageDep) -> Response:
    page.require_user()
    verified = await page.api.get("/api/audit/verify")
    return await audit_page(page, filters={}, verified=verified)
