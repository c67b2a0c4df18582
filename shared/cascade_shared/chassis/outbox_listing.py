"""What each service's outbox has published: the other half of the audit's "nothing lost"
reconciliation. Every service answers ``GET /api/<service>/outbox/published`` (central auditors
and admins) with the ids and types of the events its relay marked published, in outbox order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cascade_shared.auth import CurrentUser
from cascade_shared.params import Seq, ZonedTime


class PublishedEvent(BaseModel):
    seq: int
    event_id: str
    event_type: str
    occurred_at: datetime
    published_at: datetime


class PublishedPage(BaseModel):
    service: str
    items: list[PublishedEvent]
    next_after_seq: int | None
    """Pass as ``after_seq`` for the next page; None at the end."""


async def published_events(
    engine: AsyncEngine,
    outbox: Table,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int = 0,
    limit: int = 1000,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of published outbox rows whose ``published_at`` is in [since, until)."""
    t = outbox
    query = select(t.c.seq, t.c.event_id, t.c.event_type, t.c.occurred_at, t.c.published_at).where(
        t.c.published_at.is_not(None), t.c.seq > after_seq
    )
    if since is not None:
        query = query.where(t.c.published_at >= since)
    if until is not None:
        query = query.where(t.c.published_at < until)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(t.c.seq).limit(limit + 1))).all()
    more = len(rows) > limit
    items = [row._asdict() for row in rows[:limit]]
    return items, (items[-1]["seq"] if more and items else None)


def published_router(service: str) -> APIRouter:
    """The ``/api/<service>/outbox/published`` route of one service."""
    router = APIRouter(prefix=f"/api/{service}", tags=["reconciliation"])

    @router.get(
        "/outbox/published",
        response_model=PublishedPage,
        name=f"{service}_outbox_published",
        summary=f"Events the {service} service has published (for the audit reconciliation)",
    )
    async def outbox_published(
        request: Request,
        user: CurrentUser,
        since: Annotated[ZonedTime | None, Query(description="published at or after")] = None,
        until: Annotated[ZonedTime | None, Query(description="published before")] = None,
        after_seq: Annotated[Seq, Query(description="next_after_seq of the last page")] = 0,
        limit: int = Query(default=1000, ge=1, le=10000),
    ) -> dict[str, Any]:
        user.require_central("auditor", "admin")  # every unit's events
        runtime = request.app.state.runtimes[service]
        items, nxt = await published_events(
            runtime.engine,
            runtime.definition.outbox,
            since=since,
            until=until,
            after_seq=after_seq,
            limit=limit,
        )
        return {"service": service, "items": items, "next_after_seq": nxt}

    return router
