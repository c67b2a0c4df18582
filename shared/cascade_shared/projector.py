"""Read models: a service's own copy of another service's facts (units, users, delegations,
recipients), kept as the latest change made them whatever order the events arrive in.

Every projection goes through ``insert_or_lock``: the row is inserted if new, or else locked for
the rest of the handler's transaction (``FOR UPDATE``, read again after any concurrent change),
so two consumers of one row apply in turn; and each row keeps the ``occurred_at`` of the change
it reflects in ``changed_at``, so an older change (a concurrent consumer's, a dead letter sent
again) never undoes a newer one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from cascade_shared.db import table_of
from cascade_shared.envelope import Envelope, as_utc

P = TypeVar("P", bound=BaseModel)


class HasSession(Protocol):
    """What a projection needs of an event handler's context: its transaction's session."""

    @property
    def session(self) -> Any: ...


def dialect_of(session: Any) -> str:
    """The database dialect of a session or connection (``sqlite`` when it cannot tell)."""
    bind = session.bind if hasattr(session, "bind") else None
    return bind.dialect.name if bind is not None else "sqlite"


async def insert_ignoring_repeats(
    session: Any, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert ``rows``; a row whose unique ``keys`` already exist is skipped. Returns inserted."""
    if not rows:
        return 0
    insert = postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=list(keys))
    )
    return int(result.rowcount or 0)


async def insert_or_lock(session: Any, model: Any, fresh: dict[str, Any]) -> Any | None:
    """Insert ``fresh`` if no row has its key (returns None: done), else return that row, locked
    for the rest of the transaction and read after any concurrent change."""
    table = table_of(model)
    keys = [c.name for c in table.primary_key.columns]
    if await insert_ignoring_repeats(session, table, [fresh], keys):
        return None
    key = tuple(fresh[k] for k in keys)
    return await session.get(
        model, key[0] if len(key) == 1 else key, with_for_update=True, populate_existing=True
    )


def older(occurred_at: datetime, changed_at: datetime | None) -> bool:
    """Whether a change that occurred at ``occurred_at`` happened before the one a row
    (``changed_at``) already reflects."""
    return changed_at is not None and as_utc(changed_at) > as_utc(occurred_at)


async def project_latest(
    session: Any, model: Any, fresh: dict[str, Any], occurred_at: datetime
) -> bool:
    """Make the row of ``model`` keyed by ``fresh`` hold ``fresh``, unless it already reflects a
    later change. ``model`` has a ``changed_at`` column. Returns whether the row changed."""
    occurred = as_utc(occurred_at)
    row = await insert_or_lock(session, model, {**fresh, "changed_at": occurred})
    if row is None:
        return True
    if older(occurred, row.changed_at):
        return False
    for name, value in fresh.items():
        setattr(row, name, value)
    row.changed_at = occurred
    session.add(row)
    return True


def keeps_latest(
    model: Any, payload: type[P], fields: Collection[str] | Callable[[P], dict[str, Any]]
) -> Callable[[HasSession, Envelope], Awaitable[None]]:
    """An event handler that keeps ``model``'s row as the latest change made it: the event's
    ``payload`` read, the row's columns taken from it (the ``fields`` named, or what ``fields``
    makes of the payload) and projected with :func:`project_latest`. One handler for every
    read model a service keeps of another's facts (units, users, people, policies)."""

    async def keep(ctx: HasSession, envelope: Envelope) -> None:
        event = payload.model_validate(envelope.payload)
        fresh = fields(event) if callable(fields) else event.model_dump(include=set(fields))
        await project_latest(ctx.session, model, fresh, envelope.occurred_at)

    keep.__name__ = f"keep_latest_{getattr(model, '__name__', 'row')}"
    keep.__doc__ = f"Keep {getattr(model, '__name__', 'the row')} as the latest change made it."
    return keep
