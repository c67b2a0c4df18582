"""The embedded mode's bus: the same contract as RabbitMQ, inside one process.

``publish`` returns only after every bound consumer has handled the event (or parked it), so the
outbox relay marks a row published only once its effects are committed: a crash in between makes
the relay publish again and the consumers' inboxes drop the repeat.

An event that fails every delivery is parked in a :class:`ParkedStore` (a SQLite file in the data
folder), so it survives a restart. A replay leaves each parked row in place until the consumer has
handled the event or parked it again: a crash during a replay loses nothing either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cascade_shared.bus.base import EventBus, EventHandler
from cascade_shared.bus.parked import ParkedStore
from cascade_shared.envelope import Envelope
from cascade_shared.events import routing_key_matches

log = logging.getLogger(__name__)


_Delivery = tuple[Envelope, int | None]
"""An event, and the parked row it is a replay of (None for a fresh publish)."""


def _retrieved(fut: asyncio.Future[None]) -> None:
    """Mark a failure as seen when its publisher stopped waiting (no "never retrieved" noise)."""
    if not fut.cancelled():
        fut.exception()


@dataclass
class _ServiceQueue:
    patterns: list[str]
    queue: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)
    waiting: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    """Event id -> what its publishers wait on. A republish of an event still queued (the relay
    gave up waiting) joins the wait instead of queueing a second copy."""
    dead: list[Envelope] = field(default_factory=list)
    """Parked events when the bus has no store (tests)."""
    replaying: set[int] = field(default_factory=set)
    worker: asyncio.Task[None] | None = None


class InProcessBus(EventBus):
    def __init__(
        self,
        *,
        delivery_limit: int = 5,
        retry_delay: float = 0.02,
        publish_timeout: float = 30.0,
        parked: ParkedStore | None = None,
    ) -> None:
        self.parked = parked
        self.delivery_limit = delivery_limit
        self.retry_delay = retry_delay
        self.publish_timeout = publish_timeout
        self._queues: dict[str, _ServiceQueue] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for q in self._queues.values():
            if q.worker:
                q.worker.cancel()
        await asyncio.gather(
            *(q.worker for q in self._queues.values() if q.worker), return_exceptions=True
        )
        for q in self._queues.values():
            q.worker = None

    async def declare(self, subscriptions: Mapping[str, Sequence[str]]) -> None:
        for service, patterns in subscriptions.items():
            if service not in self._queues:
                self._queues[service] = _ServiceQueue(patterns=list(patterns))

    async def publish(
        self,
        envelopes: Sequence[Envelope],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> list[BaseException | None]:
        """``headers`` are not carried: within one process, the spans of the HTTP request that
        recorded an event are all the tracing embedded mode has."""
        loop = asyncio.get_running_loop()
        per_envelope: list[list[asyncio.Future[None]] | None] = []
        for envelope in envelopes:
            futures: list[asyncio.Future[None]] = []
            for q in self._queues.values():
                if any(routing_key_matches(p, envelope.type) for p in q.patterns):
                    key = str(envelope.id)
                    fut = q.waiting.get(key)
                    if fut is None:
                        fut = q.waiting[key] = loop.create_future()
                        fut.add_done_callback(_retrieved)
                        q.queue.put_nowait((envelope, None))
                    futures.append(fut)
            per_envelope.append(futures or None)
        results: list[BaseException | None] = []
        for bound in per_envelope:
            if bound is None:  # like mandatory publishing: unroutable is an error
                results.append(LookupError("no queue is bound for this event type"))
                continue
            try:
                if bound:
                    # Shielded: a publisher that gives up must not cancel the wait of the next one.
                    waits = (asyncio.shield(f) for f in bound)
                    async with asyncio.timeout(self.publish_timeout):
                        await asyncio.gather(*waits)
                results.append(None)
            except (TimeoutError, Exception) as exc:
                results.append(exc)
        return results

    async def subscribe(self, service: str, handler: EventHandler) -> None:
        q = self._queues[service]
        if q.worker is None:
            q.worker = asyncio.create_task(self._consume(service, q, handler))

    async def _consume(self, service: str, q: _ServiceQueue, handler: EventHandler) -> None:
        while True:
            envelope, replay_of = await q.queue.get()
            failure: Exception | None = None
            try:
                await self._deliver(service, q, handler, envelope, replay_of)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one event stop the service's consumer
                log.exception("delivering %s to %s failed", envelope.id, service)
                failure = exc
            fut = q.waiting.pop(str(envelope.id), None) if replay_of is None else None
            if fut is None or fut.done():
                continue
            if failure is None:
                fut.set_result(None)
            else:  # the event was neither handled nor parked: the relay publishes it again
                fut.set_exception(failure)

    async def _deliver(
        self,
        service: str,
        q: _ServiceQueue,
        handler: EventHandler,
        envelope: Envelope,
        replay_of: int | None,
    ) -> None:
        """Handle one event with its retries, or park it; raises if it could do neither."""
        error: str | None = None
        # Like a quorum queue's x-delivery-limit: the first delivery plus ``limit`` retries.
        for attempt in range(1, self.delivery_limit + 2):
            try:
                await handler(envelope)
                error = None
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("handler failed", extra={"service": service, "attempt": attempt})
                await asyncio.sleep(self.retry_delay * attempt)
        try:
            if error is not None:
                log.error("parked in dead letters: %s %s", service, envelope.id)
                if self.parked is None:
                    q.dead.append(envelope)
                else:
                    await asyncio.to_thread(self.parked.add, service, envelope, error)
            if replay_of is not None and self.parked is not None:
                # Only now, handled or parked anew, may the replayed row go.
                await asyncio.to_thread(self.parked.remove, replay_of)
        finally:
            if replay_of is not None:
                q.replaying.discard(replay_of)

    async def dead_letter_count(self, service: str) -> int:
        if self.parked is not None:
            return await asyncio.to_thread(self.parked.count, service)
        return len(self._queues[service].dead)

    async def replay_dead_letters(self, service: str) -> int:
        q = self._queues[service]
        if self.parked is None:
            parked, q.dead = q.dead, []
            for envelope in parked:
                q.queue.put_nowait((envelope, None))
            return len(parked)
        if q.worker is None:
            raise RuntimeError(
                f"the {service} service is not consuming in this process: replay its parked"
                f" events through the running system (POST /api/{service}/dead-letters/replay)"
            )
        rows = await asyncio.to_thread(self.parked.list, service)
        fresh = [r for r in rows if r.seq not in q.replaying]
        for row in fresh:
            q.replaying.add(row.seq)
            q.queue.put_nowait((row.envelope, row.seq))
        return len(fresh)
