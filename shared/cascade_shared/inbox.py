"""The inbox: consumers remember the events they handled, in the same transaction as the effect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from cascade_shared.envelope import Envelope, utcnow


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


async def claim(session: Any, table: Table, consumer: str, envelope: Envelope) -> bool:
    """Record that ``consumer`` handles ``envelope``; False if it already did (a repeat).

    Must run inside the transaction that applies the handler's effect.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(
            consumer=consumer,
            event_id=str(envelope.id),
            event_type=envelope.type,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)
