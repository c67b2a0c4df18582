"""The portal's screens, under ``/portal``: plain forms posting to portal routes, which call the
JSON APIs in the signed-in user's name and render the answer."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from cascade_portal.api import ApiError, body_of, checked, client_for
from cascade_portal.chart import coverage_svg
from cascade_portal.i18n import LANGUAGES
from cascade_portal.problems import ProblemView, problem_view, sort_findings
from cascade_portal.web import (
    LANG_COOKIE,
    PACKAGE,
    PREFIX,
    TOKEN_COOKIE,
    Page,
    PageDep,
    PortalRoute,
    redirect,
    safe_next,
    set_session,
    user_of,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)

EDITABLE = ("draft", "returned", "withdrawn")
STATIC = {"portal.css": "text/css", "portal.js": "text/javascript"}
FLASHES = {"saved", "submitted", "decided", "imported", "granted", "revoked", "read"}


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


def demo_users() -> list[dict[str, Any]]:
    try:
        from cascade_plans.seed import DEMO_FILE
    except ImportError:  # a portal installed without the plans service
        return []
    try:
        return list(json.loads(DEMO_FILE.read_text(encoding="utf-8"))["users"])
    except (OSError, ValueError, KeyError):
        return []


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


async def plan_page(
    page: Page,
    plan_id: str,
    *,
    status_code: int = 200,
    refused: dict[str, Any] | None = None,
    problem: ProblemView | None = None,
    problem_task: str | None = None,
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
    groups = {g["code"]: g for g in plan["task_groups"]}
    return await page.render(
        "plan.html",
        status_code=status_code,
        plan=plan,
        groups=groups,
        editable=editable,
        findings=findings,
        refused=refused is not None,
        problem=problem,
        problem_task=problem_task,
        task_comments=task_comments,
        general_comments=general_comments,
        item=item,
        changes=changes,
        flash=flash_of(page.request),
    )


@router.get("/plans/{plan_id}")
async def show_plan(plan_id: str, page: PageDep) -> Response:
    return await plan_page(page, plan_id)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value).strip()


def task_body(form: FormData) -> dict[str, Any]:
    """A task form as the plans API's body: lists split, empty dates and numbers left out."""
    body: dict[str, Any] = {}
    for name in ("task_group", "job", "lead_unit", "responsible_person", "product_description"):
        value = _text(form, name)
        if value is not None:
            body[name] = value or None if name in ("task_group", "lead_unit") else value
    if (units := _text(form, "cooperating_units")) is not None:
        body["cooperating_units"] = [u.strip() for u in units.split(";") if u.strip()]
    for name in ("start", "deadline"):
        if value := _text(form, name):
            body[name] = value
    if (lines := _text(form, "milestones")) is not None:
        milestones = []
        for line in lines.splitlines():
            if not line.strip():
                continue
            period, _, description = line.partition(":")
            milestones.append({"period": period.strip(), "description": description.strip()})
        body["milestones"] = milestones
    if (quantity := _text(form, "product_quantity")) is not None:
        body["product_quantity"] = _number(quantity)
    if (unit := _text(form, "product_unit")) is not None:
        body["product_unit"] = unit or None
    return body


def _number(value: str) -> float | str | None:
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return value  # the API names the field and the reason


@router.post("/plans/{plan_id}/tasks")
async def add_task(plan_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    body = {"code": _text(form, "code") or "", **task_body(form)}
    r = await page.api.send("POST", f"/api/plans/{plan_id}/tasks", json=body)
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(page, plan_id, status_code=422, problem=view, problem_task="new")
    task = checked(r).json()
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved#task-{task['id']}")


@router.post("/plans/{plan_id}/tasks/{task_id}")
async def update_task(plan_id: str, task_id: str, request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    r = await page.api.send("PATCH", f"/api/plans/{plan_id}/tasks/{task_id}", json=task_body(form))
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(page, plan_id, status_code=422, problem=view, problem_task=task_id)
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
        return await plan_page(page, plan_id, status_code=422, refused=body_of(r))
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=submitted")


@router.post("/plans/{plan_id}/withdraw")
async def withdraw(plan_id: str, page: PageDep) -> Response:
    page.require_user()
    await page.api.post(f"/api/plans/{plan_id}/withdraw")
    return redirect(f"{PREFIX}/plans/{plan_id}?done=saved")


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
        return await plan_page(page, plan_id, status_code=422, problem=view, problem_task="import")
    checked(r)
    return redirect(f"{PREFIX}/plans/{plan_id}?done=imported")


@router.get("/plans/{plan_id}/export")
async def export(plan_id: str, page: PageDep, format: str = "xlsx") -> Response:
    page.require_user()
    r = checked(
        await page.api.send("GET", f"/api/plans/{plan_id}/export", params={"format": format})
    )
    headers = {
        k: v for k, v in r.headers.items() if k.lower() in ("content-type", "content-disposition")
    }
    return Response(r.content, headers=headers)


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
    decision = _text(form, "decision") or "approve"
    comment = _text(form, "comment") or None
    body = {
        "decision": decision,
        "comment": comment,
        "comments": comments,
        "content_hash": _text(form, "content_hash") or None,
    }
    case_id, step_no = _text(form, "case_id"), _text(form, "step_no")
    r = await page.api.send(
        "POST", f"/api/approvals/cases/{case_id}/steps/{step_no}/decision", json=body
    )
    if r.status_code == 422:
        view = problem_view(422, body_of(r), page.lang)
        return await plan_page(
            page, plan_id, status_code=422, problem=view, problem_task="decision"
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


@router.get("/delegations")
async def delegations(page: PageDep) -> Response:
    page.require_user()
    rows = await page.api.get("/api/approvals/delegations")
    return await page.render(
        "delegations.html", delegations=rows, flash=flash_of(page.request), problem=None
    )


@router.post("/delegations")
async def grant(request: Request, page: PageDep) -> Response:
    page.require_user()
    form = await request.form()
    ends = _text(form, "ends_at") or ""
    try:
        ends_at = datetime.combine(date.fromisoformat(ends), dtime(23, 59), tzinfo=UTC)
        ends_value: str | None = ends_at.isoformat()
    except ValueError:
        ends_value = ends or None
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
        rows = await page.api.get("/api/approvals/delegations")
        view = problem_view(422, body_of(r), page.lang)
        return await page.render(
            "delegations.html", status_code=422, delegations=rows, flash=None, problem=view
        )
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


# -- auditor ---------------------------------------------------------------------------------------
AUDIT_FILTERS = ("plan_id", "actor", "unit", "event_type", "since", "until")


VIETNAM = "+07:00"  # officials enter times on Vietnam's clock (no daylight saving)


def audit_params(request: Request) -> dict[str, str]:
    """The search filters for the audit API; a time from the form without a zone is taken as
    Vietnam's time."""
    out = {k: request.query_params[k] for k in AUDIT_FILTERS if request.query_params.get(k)}
    for name in ("since", "until"):
        value = out.get(name)
        if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", value):
            out[name] = value + VIETNAM
    return out


@router.get("/audit")
async def audit(request: Request, page: PageDep, cursor: str | None = None) -> Response:
    page.require_user()
    filters = audit_params(request)
    shown = {k: request.query_params[k] for k in AUDIT_FILTERS if request.query_params.get(k)}
    records = None
    if filters or request.query_params.get("search") is not None:
        records = await page.api.get("/api/audit/records", cursor=cursor, limit=100, **filters)
    query = urlencode({**shown, "search": "1"})
    return await page.render(
        "audit.html", filters=shown, records=records, verified=None, query=query
    )


@router.get("/audit/export.csv")
async def audit_csv(request: Request, page: PageDep) -> Response:
    """The audit API's CSV passed through as it streams (a whole city's trail can be large)."""
    page.require_user()
    client = client_for(request, page.token)
    upstream = await client.send(
        client.build_request("GET", "/api/audit/records/export.csv", params=audit_params(request)),
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
    return await page.render("audit.html", filters={}, records=None, verified=verified, query="")
