"""The approver's screens: decide a step (with comments, in part, confirmed), resolve a
comment, the queue, and delegations."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dtime
from typing import Any

from fastapi import APIRouter, Request, Response

from cascade_portal.api import body_of, checked
from cascade_portal.official import (
    VIETNAM,
    Unreadable,
    read_day,
)
from cascade_portal.plan_screens import plan_page
from cascade_portal.problems import ProblemView, problem_view
from cascade_portal.screen_common import flash_of, form_text, refusal, unreadable
from cascade_portal.web import (
    PREFIX,
    Page,
    PageDep,
    PortalRoute,
    redirect,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


DECISIONS = ("approve", "return", "partial", "reject")


CONFIRMED = ("approve", "partial", "reject")


"""The decisions asked to be confirmed before they are sent (a return goes back for changes)."""


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
                    "task_code": form_text(form, f"task_code.{task_id}") or None,
                }
            )
    decision = form_text(form, "decision") or ""
    comment = form_text(form, "comment") or None
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
        "content_hash": form_text(form, "content_hash") or None,
    }
    if decision == "partial":  # approve the ticked task groups, return the others
        body["approved_groups"] = [
            v for v in form.getlist("approved_groups") if isinstance(v, str) and v
        ]
    case_id, step_no = form_text(form, "case_id"), form_text(form, "step_no")
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
        json={"resolution": form_text(form, "resolution") or None},
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
    typed = {k: form_text(form, k) or "" for k in ("delegate", "ends_at", "reason")}
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
            "delegate": form_text(form, "delegate") or "",
            "ends_at": ends_value,
            "reason": form_text(form, "reason") or None,
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
