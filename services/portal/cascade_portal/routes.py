"""The portal's screens, under ``/portal``: plain forms posting to portal routes, which call the
JSON APIs in the signed-in user's name and render the answer. This module has the session's
screens (signing in and out, the language, the home page) and lists every screen module's
router (``ROUTERS``): the plan's, the approver's, the inbox, the audit and the results."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from cascade_portal import (
    approver_screens,
    audit_screens,
    inbox_screens,
    plan_screens,
    results_screens,
)
from cascade_portal.api import body_of
from cascade_portal.i18n import LANGUAGES
from cascade_portal.problems import ProblemView, problem_view
from cascade_portal.screen_common import flash_of, parent_unit
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

_session = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


STATIC = {"portal.css": "text/css", "portal.js": "text/javascript"}


@_session.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(
        PACKAGE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


@_session.get("/lang/{code}")
async def switch_language(code: str, next: str | None = None) -> Response:
    response = redirect(safe_next(next))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


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


@_session.get("/sign-in")
async def sign_in_form(
    page: PageDep, next: str | None = None, reason: str | None = None
) -> Response:
    return await page.render(
        "sign_in.html",
        users=await dev_users(page),
        next=safe_next(next),
        reason="signin.expired" if reason == "expired" else None,
    )


@_session.post("/sign-in")
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


@_session.post("/sign-out")
async def sign_out() -> Response:
    response = redirect(f"{PREFIX}/sign-in")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


# -- home ------------------------------------------------------------------------------------------


@_session.get("/")
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


ROUTERS = (
    _session,
    plan_screens.router,
    approver_screens.router,
    inbox_screens.router,
    audit_screens.router,
    results_screens.router,
)
"""Every screen of the portal, for an app to include one by one."""
