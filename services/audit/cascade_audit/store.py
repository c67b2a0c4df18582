"""Reading the audit store: filtered, unit-scoped, keyset-paged queries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from cascade_shared.auth import Principal
from cascade_shared.db import table_of
from sqlalchemy import ColumnElement, and_, literal_column, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit.domain.query import Cursor, RecordFilter, like_prefix
from cascade_audit.models import UNIT_LEVELS, AuditRecord

records = table_of(AuditRecord)

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


def subtree_of(f: RecordFilter, user: Principal | None) -> str | None:
    """The one unit whose subtree bounds the query: the requested unit (the caller may only
    ask inside their own subtree), else the caller's unit; None for the top of the hierarchy."""
    if f.unit is not None:
        return f.unit
    if user is None or "." not in user.unit:
        return None
    return user.unit


def conditions(f: RecordFilter) -> list[ColumnElement[bool]]:
    """Every filter but the unit subtree."""
    where: list[ColumnElement[bool]] = []
    if f.plan_id is not None:
        where.append(records.c.plan_id == f.plan_id)
    if f.actor is not None:
        where.append(records.c.actor == f.actor)
    if f.event_types:
        where.append(records.c.event_type.in_(f.event_types))
    if f.since is not None:
        where.append(records.c.occurred_at >= f.since)
    if f.until is not None:
        where.append(records.c.occurred_at < f.until)
    return where


ORDER = (records.c.occurred_at, records.c.seq)


async def page(
    conn: AsyncConnection,
    f: RecordFilter,
    user: Principal | None,
    *,
    limit: int,
    after: Cursor | None = None,
) -> tuple[Sequence[Any], Cursor | None]:
    """One page in (occurred_at, seq) order, and the cursor of the next page (None at the end).

    On PostgreSQL a city's or a ward's subtree is one ordered range of the index on that level
    of the unit and the time (``models.UNIT_LEVELS``): a page reads about a page of rows,
    whatever the store holds. Elsewhere a subtree is asked as two ordered, limited branches
    merged: the unit itself (an ordered range of the (org_unit, occurred_at, seq) index) and
    the units below it (a prefix LIKE). As one ``= OR LIKE`` condition the planner can only
    walk the time index and filter, which for one ward among thousands reads a hundred thousand
    rows per page."""
    where = conditions(f)
    if after is not None:
        where.append(tuple_(*ORDER) > (after.occurred_at, after.seq))
    unit = subtree_of(f, user)

    def branch(*extra: ColumnElement[bool]) -> Any:
        return select(*LIST_COLUMNS).where(and_(*where, *extra)).order_by(*ORDER).limit(limit + 1)

    level = unit.count(".") + 1 if unit is not None else 0
    if unit is None:
        query = branch()
    elif conn.dialect.name == "postgresql" and level in UNIT_LEVELS:
        query = branch(literal_column(UNIT_LEVELS[level]) == unit)
    else:
        own = branch(records.c.org_unit == unit).subquery()
        below = branch(records.c.org_unit.like(like_prefix(unit), escape="\\")).subquery()
        merged = union_all(select(*own.c), select(*below.c)).subquery()
        query = select(*merged.c).order_by(merged.c.occurred_at, merged.c.seq).limit(limit + 1)
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
