"""Reading the audit store: filtered, unit-scoped, keyset-paged queries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from cascade_shared.auth import Principal
from sqlalchemy import ColumnElement, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit.domain.query import Cursor, RecordFilter, like_prefix
from cascade_audit.models import AuditRecord

records = AuditRecord.__table__  # type: ignore[attr-defined]

LIST_COLUMNS = [
    records.c.seq,
    records.c.event_id,
    records.c.event_type,
    records.c.event_version,
    records.c.occurred_at,
    records.c.recorded_at,
    records.c.producer,
    records.c.actor,
    records.c.org_unit,
    records.c.subject_id,
    records.c.plan_id,
    records.c.correlation_id,
    records.c.payload,
    records.c.prev_hash,
    records.c.hash,
]


def in_subtree(unit: str) -> ColumnElement[bool]:
    """The unit and everything below it; a prefix LIKE the text_pattern_ops index can serve."""
    return or_(records.c.org_unit == unit, records.c.org_unit.like(like_prefix(unit), escape="\\"))


def visible_to(user: Principal) -> ColumnElement[bool] | None:
    """Auditors see their own unit's subtree. The top of the hierarchy (a unit with no parent,
    e.g. ``vn``) sees everything, records without a unit (checkpoint events) included."""
    if "." not in user.unit:
        return None
    return in_subtree(user.unit)


def conditions(f: RecordFilter, user: Principal | None) -> list[ColumnElement[bool]]:
    """``user`` None: no unit scope (only for checks such as "does this plan exist at all")."""
    where: list[ColumnElement[bool]] = []
    scope = visible_to(user) if user is not None else None
    if scope is not None:
        where.append(scope)
    if f.plan_id is not None:
        where.append(records.c.plan_id == f.plan_id)
    if f.actor is not None:
        where.append(records.c.actor == f.actor)
    if f.unit is not None:
        where.append(in_subtree(f.unit))
    if f.event_types:
        where.append(records.c.event_type.in_(f.event_types))
    if f.since is not None:
        where.append(records.c.occurred_at >= f.since)
    if f.until is not None:
        where.append(records.c.occurred_at < f.until)
    return where


async def page(
    conn: AsyncConnection,
    f: RecordFilter,
    user: Principal | None,
    *,
    limit: int,
    after: Cursor | None = None,
) -> tuple[Sequence[Any], Cursor | None]:
    """One page in (occurred_at, seq) order, and the cursor of the next page (None at the end)."""
    where = conditions(f, user)
    if after is not None:
        where.append(tuple_(records.c.occurred_at, records.c.seq) > (after.occurred_at, after.seq))
    query = (
        select(*LIST_COLUMNS)
        .where(and_(*where))
        .order_by(records.c.occurred_at, records.c.seq)
        .limit(limit + 1)
    )
    rows = (await conn.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = Cursor(rows[-1].occurred_at, rows[-1].seq) if more and rows else None
    return rows, nxt


async def stream(
    conn: AsyncConnection, f: RecordFilter, user: Principal, *, chunk: int = 1000
) -> AsyncIterator[Any]:
    """Every matching record, one keyset page at a time (memory stays flat)."""
    after: Cursor | None = None
    while True:
        rows, after = await page(conn, f, user, limit=chunk, after=after)
        for row in rows:
            yield row
        if after is None:
            return
