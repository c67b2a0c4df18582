"""Running the reconciliation: ask each service's outbox what it published in a window (in this
process directly, elsewhere through ``/api/<service>/outbox/published``), then look every event
id up in the store, and every record of the window up in what was published."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
from cascade_shared.chassis.outbox_listing import published_events
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.db import table_of
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cascade_audit.domain.completeness import Published, Reconciliation, Unexplained
from cascade_audit.models import AuditRecord
from cascade_audit.settings import AuditSettings

records = table_of(AuditRecord)
PRODUCERS = ("plans", "approvals", "notifications", "results", "audit")
LOOKUP_CHUNK = 1000


async def _local(runtime: ServiceRuntime, since: Any, until: Any, page: int) -> AsyncIterator[Any]:
    after = 0
    while True:
        items, nxt = await published_events(
            runtime.engine,
            runtime.definition.outbox,
            since=since,
            until=until,
            after_seq=after,
            limit=page,
        )
        for item in items:
            yield item
        if nxt is None:
            return
        after = nxt


async def _remote(
    client: httpx.AsyncClient, base: str, service: str, params: dict[str, Any], page: int
) -> AsyncIterator[Any]:
    after = 0
    while True:
        r = await client.get(
            f"{base.rstrip('/')}/api/{service}/outbox/published",
            params={**params, "after_seq": after, "limit": page},
        )
        r.raise_for_status()
        body = r.json()
        for item in body["items"]:
            yield item
        if body["next_after_seq"] is None:
            return
        after = body["next_after_seq"]


async def held_ids(engine: AsyncEngine, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    async with engine.connect() as conn:
        for i in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[i : i + LOOKUP_CHUNK]
            found.update(
                (
                    await conn.execute(
                        select(records.c.event_id).where(records.c.event_id.in_(chunk))
                    )
                ).scalars()
            )
    return found


async def held_records(
    engine: AsyncEngine, since: datetime | None, until: datetime | None
) -> list[Unexplained]:
    """The records of events that occurred in [since, until): each must have been published."""
    query = select(
        records.c.event_id, records.c.event_type, records.c.producer, records.c.occurred_at
    )
    if since is not None:
        query = query.where(records.c.occurred_at >= since)
    if until is not None:
        query = query.where(records.c.occurred_at < until)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(records.c.occurred_at))).all()
    return [Unexplained(r.event_id, r.event_type, r.producer, r.occurred_at) for r in rows]


async def reconcile(
    audit_engine: AsyncEngine,
    settings: AuditSettings,
    *,
    since: datetime | None,
    until: datetime | None,
    local: Mapping[str, ServiceRuntime] | None = None,
    authorization: str | None = None,
    services: Sequence[str] = PRODUCERS,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Reconciliation:
    """Compare, per producing service, what its outbox published in [since, until) with what
    the audit store holds; and, the other way, name every record of an event that occurred in
    [since, until) that no outbox published (an event occurs before it is published, so the
    outboxes are read from ``since`` up to now for this). Services running in this process are
    read directly; the others through their base URL (``CASCADE_AUDIT_BASE_URL`` /
    ``CASCADE_AUDIT_SERVICE_URLS``), with the caller's bearer token."""
    result = Reconciliation()
    local = local or {}
    headers = {"Authorization": authorization} if authorization else {}
    page = settings.reconcile_page
    published_ids: set[str] = set()
    async with httpx.AsyncClient(
        headers=headers, timeout=settings.reconcile_timeout, transport=transport
    ) as client:

        async def listed(service: str, start: Any, end: Any) -> list[Published] | None:
            runtime = local.get(service)
            window = {k: v.isoformat() for k, v in {"since": start, "until": end}.items() if v}
            try:
                if runtime is not None:
                    source = _local(runtime, start, end, page)
                else:
                    base = settings.url_for(service)
                    if base is None:
                        result.failed(service, "no base URL configured for this service")
                        return None
                    source = _remote(client, base, service, window, page)
                return [
                    Published(service, i["event_id"], i["event_type"], i["published_at"])
                    async for i in source
                ]
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                result.failed(service, f"could not list its published events: {exc!r}"[:500])
                return None

        for service in services:
            published = await listed(service, since, until)
            if published is None:
                continue
            held = await held_ids(audit_engine, [p.event_id for p in published])
            result.add(service, published, held)
            published_ids.update(p.event_id for p in published)
            if until is not None:  # published after the window, occurred in it
                later = await listed(service, until, None)
                published_ids.update(p.event_id for p in later or ())
        if result.answered:
            result.explain(await held_records(audit_engine, since, until), published_ids)
    return result


def report(result: Reconciliation, since: Any, until: Any) -> dict[str, Any]:
    return {
        "since": since,
        "until": until,
        "complete": result.complete,
        "services": {
            name: {
                "published": t.published,
                "held": t.held,
                "missing": t.missing,
                "error": t.error,
            }
            for name, t in result.services.items()
        },
        "missing": [
            {
                "service": m.service,
                "event_id": m.event_id,
                "event_type": m.event_type,
                "published_at": m.published_at,
            }
            for m in result.missing
        ],
        "unexplained": [
            {
                "event_id": u.event_id,
                "event_type": u.event_type,
                "producer": u.producer,
                "occurred_at": u.occurred_at,
            }
            for u in result.unexplained
        ],
    }
