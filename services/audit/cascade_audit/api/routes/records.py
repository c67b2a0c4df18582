"""What inspectors ask: the story of a plan, what one person did, what happened in a unit's
subtree, by type and time, page by page or as one CSV; and whether the record is untampered."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from cascade_shared.params import (
    BIGINT_MAX,
    BIGINT_MIN,
    EventType,
    Id,
    PageCursor,
    RecordSeq,
    StoredTime,
    UnitCode,
    Username,
    ZonedTime,
    storable_time,
)
from cascade_shared.problems import forbidden, invalid
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from cascade_audit import store
from cascade_audit.api.deps import Auditor, ConnDep, Runtime
from cascade_audit.domain.query import Cursor, RecordFilter
from cascade_audit.sealing import private_key
from cascade_audit.verification import seq_range_of, verify_store

router = APIRouter(prefix="/api/audit", tags=["audit"])


class RecordPublic(BaseModel):
    seq: int
    event_id: str
    event_type: str
    event_version: int
    occurred_at: datetime
    recorded_at: datetime
    producer: str
    actor: str | None
    org_unit: str | None
    subject_id: str | None
    plan_id: str | None
    correlation_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class RecordPage(BaseModel):
    items: list[RecordPublic]
    next_cursor: str | None


class VerifyResult(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
    checkpoints_checked: int = 0
    from_seq: int = 1
    to_seq: int = 0
    started_from_checkpoint: int | None = None


def _filter(
    user: Any,
    *,
    plan_id: str | None = None,
    actor: str | None = None,
    unit: str | None = None,
    event_type: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> RecordFilter:
    if unit is not None and not user.sees(unit):
        raise forbidden(f"unit {unit} is outside your unit {user.unit} and the units below it")
    if since is not None and until is not None and until <= since:
        raise invalid("query.until", "must be after since", "until must be after since")
    return RecordFilter(plan_id, actor, unit, tuple(event_type or ()), since, until)


def _cursor(token: str | None) -> Cursor | None:
    if token is None:
        return None
    try:
        cursor = Cursor.decode(token)
        storable_time(cursor.occurred_at)
        if not BIGINT_MIN <= cursor.seq <= BIGINT_MAX:
            raise ValueError("not a cursor from this API")
    except ValueError as exc:
        raise invalid("query.cursor", str(exc), str(exc)) from exc
    return cursor


@router.get("/plans/{plan_id}/events", response_model=list[RecordPublic])
async def plan_story(
    plan_id: Id, user: Auditor, conn: ConnDep, limit: int = Query(default=500, ge=1, le=5000)
) -> list[Any]:
    """Everything that happened to one plan, across its versions, in the order it happened
    (event time, then arrival). For longer stories page through ``/records?plan_id=``."""
    rows, _ = await store.page(conn, RecordFilter(plan_id=plan_id), user, limit=limit)
    if not rows:
        first, _ = await store.page(conn, RecordFilter(plan_id=plan_id), None, limit=1)
        if first and not user.sees(first[0].org_unit or ""):
            raise forbidden(f"plan {plan_id} is outside your unit {user.unit}")
        if first:  # the plan's first record arrived between the two reads: it is the user's
            rows, _ = await store.page(conn, RecordFilter(plan_id=plan_id), user, limit=limit)
    return [row._asdict() for row in rows]


@router.get("/records", response_model=RecordPage)
async def search(
    user: Auditor,
    conn: ConnDep,
    plan_id: Id | None = None,
    actor: Annotated[Username | None, Query(description="username of who did it")] = None,
    unit: Annotated[UnitCode | None, Query(description="this unit and every unit below it")] = None,
    event_type: Annotated[
        list[EventType] | None, Query(description="one or more event types")
    ] = None,
    since: Annotated[ZonedTime | None, Query(description="occurred at or after")] = None,
    until: Annotated[ZonedTime | None, Query(description="occurred before")] = None,
    cursor: Annotated[
        PageCursor | None, Query(description="next_cursor of the previous page")
    ] = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """Records matching every given filter, in the order they happened, inside the caller's
    unit subtree. Pass ``next_cursor`` back as ``cursor`` for the next page."""
    f = _filter(
        user,
        plan_id=plan_id,
        actor=actor,
        unit=unit,
        event_type=event_type,
        since=since,
        until=until,
    )
    rows, nxt = await store.page(conn, f, user, limit=limit, after=_cursor(cursor))
    return {"items": [r._asdict() for r in rows], "next_cursor": nxt.encode() if nxt else None}


CSV_COLUMNS = [
    "seq",
    "occurred_at",
    "recorded_at",
    "event_type",
    "event_version",
    "producer",
    "actor",
    "org_unit",
    "plan_id",
    "subject_id",
    "event_id",
    "correlation_id",
    "payload",
    "prev_hash",
    "hash",
]


@router.get("/records/export.csv", response_class=StreamingResponse)
async def export_csv(
    user: Auditor,
    runtime: Runtime,
    plan_id: Id | None = None,
    actor: Username | None = None,
    unit: UnitCode | None = None,
    event_type: Annotated[list[EventType] | None, Query()] = None,
    since: StoredTime | None = None,
    until: StoredTime | None = None,
) -> StreamingResponse:
    """The same filters as ``/records``, every matching record as CSV, streamed page by page."""
    f = _filter(
        user,
        plan_id=plan_id,
        actor=actor,
        unit=unit,
        event_type=event_type,
        since=since,
        until=until,
    )

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        async with runtime.engine.connect() as conn:
            async for row in store.stream(conn, f, user):
                values = row._asdict()
                values["payload"] = json.dumps(values["payload"], ensure_ascii=False)
                writer.writerow([_cell(values[c]) for c in CSV_COLUMNS])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-records.csv"'},
    )


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@router.get("/verify", response_model=VerifyResult)
async def verify_chain(
    user: Auditor,
    conn: ConnDep,
    runtime: Runtime,
    from_seq: RecordSeq | None = None,
    to_seq: RecordSeq | None = None,
    since: Annotated[ZonedTime | None, Query(description="records that arrived from then")] = None,
    until: Annotated[ZonedTime | None, Query(description="records that arrived before")] = None,
) -> dict[str, Any]:
    """Walk the chain and report the first broken link. Without a range: the whole chain. With
    one: from the nearest signed checkpoint before it, checking every covered checkpoint's
    signature and Merkle root on the way."""
    if since is not None or until is not None:
        lo, hi = await seq_range_of(conn, since, until)
        from_seq = lo if lo is not None else from_seq
        to_seq = hi if hi is not None else to_seq
    key = private_key(runtime).public_key()
    result = await verify_store(conn, key, from_seq=from_seq, to_seq=to_seq)
    return result.as_dict()
