"""What a service is made of, and the runtime that runs it: database, outbox relay, consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from cascade_shared import inbox
from cascade_shared.bus.base import EventBus
from cascade_shared.chassis.metrics import Metrics
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import make_engine, make_sessionmaker
from cascade_shared.envelope import Envelope
from cascade_shared.events import Payload, spec_of
from cascade_shared.logs import correlation_id
from cascade_shared.outages import is_transient
from cascade_shared.outbox import OutboxRelay, prune_published, record_event
from cascade_shared.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class HandlerContext:
    """What an event handler gets: the session of the transaction that also records the event in
    the inbox, and a way to emit follow-up events into the same transaction's outbox."""

    def __init__(self, runtime: ServiceRuntime, session: AsyncSession, cause: Envelope) -> None:
        self.runtime = runtime
        self.session = session
        self.cause = cause

    def emit(
        self,
        payload: Payload,
        *,
        actor: str | None = None,
        org_unit: str | None = None,
        subject_id: str | None = None,
    ) -> Envelope:
        """Record the event of ``payload`` in this transaction's outbox, caused by the event
        being handled (its actor unless another is named, and its correlation)."""
        envelope = self.runtime.event(
            payload,
            actor=actor if actor is not None else self.cause.actor,
            org_unit=org_unit,
            subject_id=subject_id,
            correlation=self.cause.correlation_id,
        )
        self.runtime.record(self.session, envelope)
        return envelope


EventHandlerFn = Callable[[HandlerContext, Envelope], Awaitable[None]]
WorkerFn = Callable[["ServiceRuntime"], Coroutine[Any, Any, None]]
"""A long-running background loop of a service (deadline scheduler, webhook sender, ...).

Started with the service and cancelled when it stops; it must survive its own errors (log and
carry on) and keep its schedule in the database, so a restart or a second replica neither loses
nor repeats work."""


@dataclass
class ServiceDefinition:
    """A service as the runtime sees it: its tables, migrations, routes and event handlers."""

    name: str
    metadata: MetaData
    outbox: Table
    inbox: Table
    migrations: Path
    routers: Sequence[APIRouter] = ()
    handlers: Mapping[str, EventHandlerFn] = field(default_factory=dict)
    on_start: Callable[[ServiceRuntime], Awaitable[None]] | None = None
    workers: Sequence[WorkerFn] = ()
    default_port: int = 8000
    # Deliveries that arrive together are applied together, up to this many in one transaction
    # (one inbox claim and one handler call each): for a service whose handlers serialize on
    # one row anyway (the audit chain's head), or cost a transaction each for little work.
    batch_limit: int = 1

    @property
    def bindings(self) -> list[str]:
        """The event types (or ``#``) the service's queue is bound to: those it handles."""
        return list(self.handlers)


class ServiceRuntime:
    def __init__(
        self,
        definition: ServiceDefinition,
        settings: Settings,
        bus: EventBus,
        metrics: Metrics | None = None,
    ) -> None:
        self.definition = definition
        self.metrics = metrics or Metrics()
        self.name = definition.name
        self.settings = settings
        self.bus = bus
        self.database_url = settings.database_url_for(definition.name)
        self.engine: AsyncEngine = make_engine(
            self.database_url, pool_size=settings.db_pool_size, pre_ping=settings.db_pre_ping
        )
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.relay = OutboxRelay(
            self.engine,
            definition.outbox,
            bus,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_interval,
        )
        bus.on_reconnect(self.relay.retry_now)
        self._own: dict[type, Any] = {}
        self.duplicates_dropped = 0
        self.handled = 0
        self.batches = 0
        self._workers: list[asyncio.Task[None]] = []
        self._waiting: list[tuple[Envelope, asyncio.Future[str]]] = []
        self._draining: asyncio.Task[None] | None = None

    # -- the service's own state ----------------------------------------------------------------
    def own(self, kind: type[T], make: Callable[[], T] | None = None) -> T:
        """The service's own state of type ``kind`` (its settings, its signing key, its
        wake-ups, ...), made once per runtime by ``make`` (or ``kind()``) on first use."""
        found = self._own.get(kind)
        if found is None:
            found = self._own[kind] = make() if make is not None else kind()
        return cast(T, found)

    def provide(self, value: T) -> T:
        """Set the service's own state of ``value``'s type (e.g. settings a test or a benchmark
        chooses), in place of what ``own`` would make."""
        self._own[type(value)] = value
        return value

    # -- events -------------------------------------------------------------------------------
    def event(
        self,
        payload: Payload,
        *,
        actor: str | None,
        org_unit: str | None = None,
        subject_id: str | None = None,
        correlation: str | None = None,
    ) -> Envelope:
        """The event of ``payload``: its type and version from the catalogue. A service emits
        only the events the catalogue says it produces."""
        spec = spec_of(payload)
        if spec.producer != self.name:
            raise TypeError(f"{spec.type} is produced by {spec.producer}, not {self.name}")
        return Envelope(
            type=spec.type,
            version=spec.version,
            producer=self.name,
            actor=actor,
            org_unit=org_unit,
            subject_id=subject_id,
            correlation_id=correlation or correlation_id.get(),
            payload=payload.wire(),
        )

    def emit(
        self,
        session: AsyncSession,
        payload: Payload,
        *,
        actor: str | None,
        org_unit: str | None = None,
        subject_id: str | None = None,
    ) -> Envelope:
        """Record the event of ``payload`` in this service's outbox, in the session's
        transaction (it is published once that commits)."""
        envelope = self.event(payload, actor=actor, org_unit=org_unit, subject_id=subject_id)
        self.record(session, envelope)
        return envelope

    def record(self, session: AsyncSession, envelope: Envelope) -> None:
        """Put ``envelope`` in this service's outbox, in the session's transaction."""
        record_event(session, self.definition.outbox, envelope, wake=self.relay.wake)

    async def handle(self, envelope: Envelope) -> None:
        """Apply one delivery exactly once: inbox claim, handler and its events in one commit.

        With a ``batch_limit`` above 1, deliveries waiting together are applied in one
        transaction; when that fails, each is applied alone, so one bad event fails only its
        own delivery (which the bus retries, then parks) and the others still apply."""
        if self.definition.batch_limit <= 1:
            await self._handle_alone(envelope)
            return
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((envelope, done))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name=f"{self.name}:batches")
        await asyncio.shield(done)

    async def _handle_alone(self, envelope: Envelope) -> None:
        token = correlation_id.set(envelope.correlation_id)
        started = time.perf_counter()
        outcome = "failed"
        try:
            (outcome,) = await self._apply_retrying([envelope])
        finally:
            correlation_id.reset(token)
            self.metrics.event_handled(
                self.name, envelope.type, outcome, time.perf_counter() - started
            )

    async def _apply_retrying(self, envelopes: list[Envelope]) -> list[str]:
        """:meth:`_apply`, again while the database is restarting or briefly unreachable, in
        place, so it does not use up the messages' deliveries and park good events."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            stop=stop_after_delay(self.settings.transient_retry_seconds),
            reraise=True,
        ):
            with attempt:
                return await self._apply(envelopes)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _drain(self) -> None:
        """Apply the waiting deliveries, ``batch_limit`` at a time, until none wait."""
        while self._waiting:
            await asyncio.sleep(0)  # deliveries already on their way join this batch
            batch = self._waiting[: self.definition.batch_limit]
            del self._waiting[: len(batch)]
            envelopes = [e for e, _ in batch]
            started = time.perf_counter()
            try:
                outcomes = await self._apply_retrying(envelopes)
            except Exception as exc:
                if len(batch) == 1:  # it was alone already: its delivery fails
                    batch[0][1].set_exception(exc)
                    continue
                log.warning("a batch of %d failed; applying each alone", len(batch))
                for envelope, done in batch:
                    try:
                        await self._handle_alone(envelope)
                    except Exception as exc:
                        if not done.done():
                            done.set_exception(exc)
                    else:
                        if not done.done():
                            done.set_result("applied")
                continue
            self.batches += 1
            share = (time.perf_counter() - started) / len(batch)
            for (envelope, done), outcome in zip(batch, outcomes, strict=True):
                self.metrics.event_handled(self.name, envelope.type, outcome, share)
                if not done.done():
                    done.set_result(outcome)

    async def _apply(self, envelopes: list[Envelope]) -> list[str]:
        """Claim and handle ``envelopes`` in one transaction: per envelope "applied", or
        "repeat" when the inbox dropped it."""
        handlers = self.definition.handlers
        outcomes: list[str] = []
        async with self.sessionmaker() as session, session.begin():
            for envelope in envelopes:
                token = correlation_id.set(envelope.correlation_id)
                try:
                    if not await inbox.claim(session, self.definition.inbox, self.name, envelope):
                        log.info("dropped a repeat of %s %s", envelope.type, envelope.id)
                        outcomes.append("repeat")
                        continue
                    handler = handlers.get(envelope.type) or handlers.get("#")
                    if handler is not None:
                        await handler(HandlerContext(self, session, envelope), envelope)
                    outcomes.append("applied")
                finally:
                    correlation_id.reset(token)
        self.handled += outcomes.count("applied")
        self.duplicates_dropped += outcomes.count("repeat")
        return outcomes

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(
        self, *, consume: bool = True, relay: bool = True, workers: bool = True
    ) -> None:
        if self.definition.on_start is not None:
            await self.definition.on_start(self)
        if relay:
            await self.relay.start()
        if consume and self.definition.handlers:
            await self.bus.subscribe(self.name, self.handle)
        if workers and self.settings.workers:
            for worker in self.definition.workers:
                name = f"{self.name}:{getattr(worker, '__name__', 'worker')}"
                self._workers.append(asyncio.create_task(worker(self), name=name))
            if relay and self.settings.outbox_retention_days > 0:
                pruner = asyncio.create_task(outbox_pruner(self), name=f"{self.name}:pruner")
                self._workers.append(pruner)

    async def prune_outbox(self) -> int:
        """Delete this service's outbox rows published longer ago than the retention."""
        keep = timedelta(days=self.settings.outbox_retention_days)
        return await prune_published(self.engine, self.definition.outbox, older_than=keep)

    async def stop_workers(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._workers.clear()

    async def stop(self) -> None:
        if self._draining is not None:
            self._draining.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._draining
        for _, done in self._waiting:  # never applied: their deliveries come back
            done.cancel()
        self._waiting.clear()
        await self.stop_workers()
        await self.relay.stop()
        await self.engine.dispose()


async def _prune_step(runtime: ServiceRuntime) -> int:
    deleted = await runtime.prune_outbox()
    if deleted:
        log.info("pruned %d published outbox rows of %s", deleted, runtime.name)
    return deleted


outbox_pruner = periodic(
    "outbox_pruner", _prune_step, lambda runtime: runtime.settings.outbox_prune_interval
)
"""Deletes published outbox rows past the retention; the relay does not depend on it."""


def runtime_of(request: Request, service: str) -> ServiceRuntime:
    return request.app.state.runtimes[service]
