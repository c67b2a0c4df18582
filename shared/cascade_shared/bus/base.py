"""What every bus does, whichever broker carries it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence

from cascade_shared.envelope import Envelope

EventHandler = Callable[[Envelope], Awaitable[None]]
"""Handles one delivery. Returning acknowledges it; raising asks for redelivery, and a message
that fails ``delivery_limit`` times is parked in the service's dead-letter queue."""


class EventBus(ABC):
    """A topic bus: publishers send envelopes routed by type, each consuming service has one
    durable queue bound to the types it needs, and failures end in a per-service dead letter."""

    @abstractmethod
    async def start(self) -> None:
        """Connect (retrying until the broker answers)."""

    @abstractmethod
    async def close(self) -> None: ...

    @property
    def connected(self) -> bool:
        """Whether events can be published and delivered now (readiness asks)."""
        return True

    def on_reconnect(self, callback: Callable[[], None]) -> None:  # noqa: B027 (optional)
        """Call ``callback`` each time the connection to the broker is restored after a loss.
        A bus without a broker never loses it, so by default the callback is never called."""

    @abstractmethod
    async def declare(self, subscriptions: Mapping[str, Sequence[str]]) -> None:
        """Declare the exchange and every consuming service's queue with its bindings, so an
        event published before its consumer first starts still waits in that consumer's queue."""

    @abstractmethod
    async def publish(
        self,
        envelopes: Sequence[Envelope],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> list[BaseException | None]:
        """Publish a batch with many confirms in flight. For each envelope, ``None`` means the
        broker confirmed it; an exception means it may not have been sent and must be retried.
        ``headers``, one mapping per envelope when given, is the trace context each was
        recorded in (:mod:`cascade_shared.tracing`)."""

    @abstractmethod
    async def subscribe(self, service: str, handler: EventHandler) -> None:
        """Start consuming the service's queue (declared by :meth:`declare`)."""

    @abstractmethod
    async def dead_letter_count(self, service: str) -> int: ...

    @abstractmethod
    async def replay_dead_letters(self, service: str) -> int:
        """Move every parked message of ``service`` back to its queue; return how many."""
