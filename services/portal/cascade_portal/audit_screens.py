"""The audit search, its CSV export and the chain's verification."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from cascade_shared.events import CATALOGUE
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from cascade_portal.api import ApiError, body_of, client_for
from cascade_portal.names import Names
from cascade_portal.official import (
    Unreadable,
    fold,
    read_moment,
)
from cascade_portal.problems import Message, ProblemView
from cascade_portal.screen_common import refusal, unreadable
from cascade_portal.trail import event_label, sentence
from cascade_portal.web import (
    PREFIX,
    Page,
    PageDep,
    PortalRoute,
)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


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
