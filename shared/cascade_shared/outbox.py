"""The transactional outbox and its relay.

A service writes its state change and the event into its own ``outbox`` table in one
transaction (:func:`record_event`). The relay claims unpublished rows in batches
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas share the work), publishes them with many
confirms in flight, and marks a row published only after the broker confirmed it. A crash after
the confirm and before the mark publishes the row again; consumers' inboxes drop the repeat.
The relay wakes as soon as a transaction that wrote an event commits, and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    event,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from cascade_shared import tracing
from cascade_shared.bus.base import EventBus
from cascade_shared.envelope import Envelope, utcnow

log = logging.getLogger(__name__)

ID = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    """Add the outbox table to a service's metadata."""
    return Table(
        "outbox",
        metadata,
        Column("seq", ID, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("available_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unpublished",
            "available_at",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )


_WAKE_KEY = "cascade_outbox_wake"
_PENDING_KEY = "cascade_outbox_pending"


def record_event(
    session: Any, table: Table, envelope: Envelope, wake: Callable[[], None] | None = None
) -> None:
    """Add ``envelope`` to the outbox in the session's current transaction.

    ``session`` is an ORM session (sync or async). The rows are written in one batch just before
    the session commits, inside the same transaction as the state change; ``wake`` is called once
    the commit succeeded, so the relay publishes within milliseconds instead of at its next poll.
    When tracing is on, the current trace context is kept beside the envelope's fields
    (:data:`cascade_shared.tracing.HEADERS_KEY`), for the relay to publish the event in it.
    """
    sync_session: Session = getattr(session, "sync_session", session)
    pending: dict[Table, list[dict[str, Any]]] = sync_session.info.setdefault(_PENDING_KEY, {})
    stored = envelope.to_dict()
    headers = tracing.current_headers()
    if headers:
        stored[tracing.HEADERS_KEY] = headers
    pending.setdefault(table, []).append(
        {
            "event_id": str(envelope.id),
            "event_type": envelope.type,
            "envelope": stored,
            "occurred_at": envelope.occurred_at,
            "available_at": utcnow(),
            "attempts": 0,
        }
    )
    if wake is not None:
        sync_session.info.setdefault(_WAKE_KEY, set()).add(wake)


@event.listens_for(Session, "before_commit")
def _write_pending_events(session: Session) -> None:
    for table, rows in session.info.pop(_PENDING_KEY, {}).items():
        session.execute(table.insert(), rows)


@event.listens_for(Session, "after_commit")
def _wake_relays_after_commit(session: Session) -> None:
    for wake in session.info.pop(_WAKE_KEY, ()):
        wake()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_WAKE_KEY, None)


async def prune_published(
    engine: AsyncEngine, table: Table, *, older_than: timedelta, batch_size: int = 5000
) -> int:
    """Delete rows published more than ``older_than`` ago, a batch per transaction so the relay
    is never held up; unpublished rows are never touched. Returns how many were deleted.

    The audit reconciliation lists published rows by ``published_at``: keep them longer than
    the windows it is asked about."""
    cutoff = utcnow() - older_than
    deleted = 0
    while True:
        oldest = (
            select(table.c.seq)
            .where(table.c.published_at < cutoff)
            .order_by(table.c.published_at)
            .limit(batch_size)
        )
        async with engine.begin() as conn:
            result = await conn.execute(
                delete(table).where(table.c.seq.in_(oldest.scalar_subquery()))
            )
        count = int(result.rowcount or 0)
        deleted += count
        if count < batch_size:
            return deleted


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(0.5 * 2 ** max(attempts - 1, 0), 60.0))


class OutboxRelay:
    """Publishes a service's outbox to the bus."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        bus: EventBus,
        *,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        on_confirmed: Callable[[Sequence[Envelope]], Awaitable[None] | None] | None = None,
    ) -> None:
        self.engine = engine
        self.table = table
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.on_confirmed = on_confirmed
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._retry_due = False
        self.published_total = 0
        """Events this relay has published since it was made (``/metrics``)."""
        self.last_pass_at: float | None = None
        """``time.monotonic()`` when the relay last finished a pass (readiness asks)."""

    def wake(self) -> None:
        """Safe to call from any code running on the relay's event loop."""
        self._wake.set()

    def retry_now(self) -> None:
        """The bus is back: publish the rows that failed during the outage at once, instead of
        when their backoff (up to a minute) runs out."""
        self._retry_due = True
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def stuck_for(self) -> float:
        """Seconds since the relay last finished a pass (0 before its first)."""
        if self.last_pass_at is None:
            return 0.0
        return time.monotonic() - self.last_pass_at

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        self.last_pass_at = time.monotonic()
        while not self._stopping:
            try:
                if not self.bus.connected:
                    published = 0  # nothing would be confirmed: keep the rows' attempts
                else:
                    if self._retry_due:
                        self._retry_due = False
                        await self.make_due()
                    published = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                published = 0
                await asyncio.sleep(self.poll_interval)
            self.last_pass_at = time.monotonic()
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError  # a cancellation swallowed below: stop all the same
            if published >= self.batch_size:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the wake-up does, and the relay would never stop.
            try:
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def make_due(self) -> int:
        """Make every unpublished row waiting out a backoff available now; returns how many."""
        t = self.table
        now = utcnow()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(t)
                .where(t.c.published_at.is_(None), t.c.available_at > now)
                .values(available_at=now)
            )
        count = int(result.rowcount or 0)
        if count:
            log.info("outbox: %d events that waited out a failure are published now", count)
        return count

    async def relay_once(self) -> int:
        """Claim one batch, publish it and record the outcome. Returns how many were confirmed.

        On PostgreSQL the claimed rows stay locked (``FOR UPDATE SKIP LOCKED``) until the outcome
        is recorded, so several relays never publish the same row at once. SQLite has one writer
        and one relay per file, so the batch is read, published and marked in short transactions
        that never hold the file while consumers write.
        """
        t = self.table
        query = (
            select(t.c.seq, t.c.envelope, t.c.attempts)
            .where(t.c.published_at.is_(None), t.c.available_at <= utcnow())
            .order_by(t.c.seq)
            .limit(self.batch_size)
        )
        if self.engine.dialect.name == "postgresql":
            async with self.engine.begin() as conn:
                rows = (await conn.execute(query.with_for_update(skip_locked=True))).all()
                if not rows:
                    return 0
                results = await self._publish(rows)
                return await self._record(conn, rows, results)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            return 0
        results = await self._publish(rows)
        async with self.engine.begin() as conn:
            return await self._record(conn, rows, results)

    async def _publish(self, rows: Sequence[Any]) -> list[BaseException | None]:
        envelopes = [Envelope.model_validate(r.envelope) for r in rows]
        # The trace context each event was recorded in (only ever there when tracing is on).
        headers = [r.envelope.get(tracing.HEADERS_KEY) or {} for r in rows]
        if any(headers):
            results = await self.bus.publish(envelopes, headers=headers)
        else:
            results = await self.bus.publish(envelopes)
        if self.on_confirmed is not None:
            ok = [e for e, err in zip(envelopes, results, strict=True) if err is None]
            maybe = self.on_confirmed(ok)
            if maybe is not None:
                await maybe
        return results

    async def _record(
        self, conn: Any, rows: Sequence[Any], results: Sequence[BaseException | None]
    ) -> int:
        t = self.table
        confirmed = [r.seq for r, err in zip(rows, results, strict=True) if err is None]
        if confirmed:
            await conn.execute(
                update(t).where(t.c.seq.in_(confirmed)).values(published_at=utcnow())
            )
            self.published_total += len(confirmed)
        for row, err in zip(rows, results, strict=True):
            if err is not None:
                attempts = row.attempts + 1
                await conn.execute(
                    update(t)
                    .where(t.c.seq == row.seq)
                    .values(
                        attempts=attempts,
                        last_error=repr(err)[:2000],
                        available_at=utcnow() + backoff(attempts),
                    )
                )
        if len(confirmed) < len(rows):
            log.warning(
                "outbox: %d of %d not confirmed; will retry", len(rows) - len(confirmed), len(rows)
            )
        return len(confirmed)

    async def pending(self) -> int:
        from sqlalchemy import func

        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count()).where(self.table.c.published_at.is_(None))
                    )
                ).scalar_one()
            )
