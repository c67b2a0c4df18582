"""The inbox and the notification preferences."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from cascade_portal.screen_common import flash_of
from cascade_portal.web import (
    PREFIX,
    Page,
    PageDep,
    PortalRoute,
    redirect,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


@router.get("/unread")
async def unread(page: PageDep) -> Response:
    """The bell's count, for the page script to poll (the session cookie authenticates it)."""
    return JSONResponse({"unread": await page.unread()}, headers={"Cache-Control": "no-store"})


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
