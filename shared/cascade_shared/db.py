"""Async database engines and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class, for statements that need no ORM objects.

    SQLModel sets ``__table__`` when it makes the class; its type stubs do not declare it."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through a session matched (a compare-and-set
    claimed its row when this is 1). The session types every statement's result as ``Result``;
    for these statements it is a ``CursorResult``, which counts them."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 10, pre_ping: bool = False) -> AsyncEngine:
    """An engine tuned per backend: WAL and a busy timeout for SQLite, a pool for PostgreSQL.

    The pool does not ping a connection before each use by default: on asyncpg that costs
    ``BEGIN; ;  ROLLBACK``, three round trips, on every checkout - a third of all the round
    trips of a plan's story. A connection that died meanwhile (the server restarted) fails its
    first statement instead; SQLAlchemy then sees a disconnect and renews the whole pool, the
    request answers 503 (``outages``) and a consumer's event is retried, so one failure, not
    one per pooled connection, and nothing is lost."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on any exception."""
    async with sessionmaker() as session, session.begin():
        yield session


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key for ``name`` (the same in every process)."""
    return zlib.crc32(name.encode())


async def serialize(session: AsyncSession, name: str) -> None:
    """Hold the lock named ``name`` until the session's transaction ends, so replicas doing the
    same one-off work (seeding, say) take turns; the second then finds it done. SQLite has one
    writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(name)}
        )
