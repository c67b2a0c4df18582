"""The distributed mode's bus on RabbitMQ, with aio-pika.

Topology (``ns`` is the namespace, ``cascade`` in production, unique per test run):
- ``{ns}.events``: durable topic exchange; routing key = event type.
- ``{ns}.{service}``: one durable quorum queue per consuming service, bound to its event types,
  with ``x-delivery-limit`` and dead-lettering to ``{ns}.dlx`` under the service's name, *at least
  once*: the queue keeps a dead-lettered message until the dead-letter queue has confirmed it, so
  a broker restart or an unroutable dead-letter target in between loses nothing.
- ``{ns}.dlx`` / ``{ns}.{service}.dead``: where a message that failed too often is parked,
  visible, until :meth:`RabbitMQBus.replay_dead_letters` moves it back.

Publishing uses a channel with publisher confirms and ``on_return_raises`` (unroutable is an
error), persistent messages, many confirms in flight, and a timeout on every publish. Each
consumer has its own channel with its prefetch set before consuming. ``connect_robust`` restores
the connection, channels, queues and consumers after the broker or the network drops, trying
again every 0.5-1 s (jittered per process, so a fleet does not reconnect in step); callbacks
given to :meth:`RabbitMQBus.on_reconnect` then run (the outbox relay publishes its backlog).

When tracing is on (:mod:`cascade_shared.tracing`), each publish is a producer span whose W3C
``traceparent`` travels in the message headers, and each delivery is handled in a consumer span
that continues it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import aio_pika
import aiormq.exceptions
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from opentelemetry.trace import Span

from cascade_shared import tracing
from cascade_shared.bus.base import EventBus, EventHandler
from cascade_shared.envelope import Envelope
from cascade_shared.events import CATALOGUE

log = logging.getLogger(__name__)

REPLAYED_FROM = "x-replayed-from-user"
"""Header of a parked message sent back to its queue: the broker user that first sent it."""


class RabbitMQBus(EventBus):
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "cascade",
        prefetch: int = 32,
        delivery_limit: int = 5,
        publish_timeout: float = 10.0,
        connect_attempts: int = 60,
        retry_delay: float = 0.2,
        reconnect_interval: float = 0.5,
        connection_name: str | None = None,
        producer_user: str | None = None,
    ) -> None:
        self.url = url
        self.user = unquote(urlsplit(url).username or "guest")
        """The broker user this process connects as: the validated ``user_id`` of what it sends."""
        self.producer_user = producer_user
        """Template of each producing service's broker user (``cascade-{service}``): when set, an
        event is applied only if the broker validated that its producer's user sent it."""
        self.connection_name = connection_name or f"{namespace}.cascade"
        """Shown by the broker (management UI, ``rabbitmqctl list_connections``)."""
        self.namespace = namespace
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        self.publish_timeout = publish_timeout
        self.connect_attempts = connect_attempts
        self.retry_delay = retry_delay
        self.reconnect_interval = reconnect_interval * (1 + random.random())
        """Seconds between reconnection attempts after a loss, jittered per process."""
        self._reconnect_callbacks: list[Callable[[], None]] = []
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        # Strong references: aio-pika holds declared queues only weakly.
        self._queues: dict[str, AbstractQueue] = {}
        self._consumer_channels: list[AbstractChannel] = []
        self._consumer_tags: dict[str, str] = {}
        self._subscriptions: dict[str, list[str]] = {}
        self._legacy_queues: set[str] = set()

    # -- names --------------------------------------------------------------------------------
    @property
    def exchange_name(self) -> str:
        return f"{self.namespace}.events"

    @property
    def dead_letter_exchange_name(self) -> str:
        return f"{self.namespace}.dlx"

    def queue_name(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def dead_letter_queue_name(self, service: str) -> str:
        return f"{self.namespace}.{service}.dead"

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        delay = 0.5
        for attempt in range(1, self.connect_attempts + 1):
            try:
                self._connection = await aio_pika.connect_robust(
                    self.url,
                    timeout=10,
                    reconnect_interval=self.reconnect_interval,
                    client_properties={"connection_name": self.connection_name},
                )
                break
            except Exception as exc:  # broker not up yet: retry the first connect
                if attempt == self.connect_attempts:
                    raise
                log.warning("RabbitMQ not reachable (%s), retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        assert self._connection is not None
        self._connection.reconnect_callbacks.add(self._reconnected)
        self._publish_channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._publish_channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    @property
    def connected(self) -> bool:
        connection, channel = self._connection, self._publish_channel
        return (
            connection is not None
            and not connection.is_closed
            and connection.connected.is_set()
            and channel is not None
            and not channel.is_closed
        )

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        self._reconnect_callbacks.append(callback)

    def _reconnected(self, *_: Any) -> None:
        log.info("reconnected to RabbitMQ")
        for callback in self._reconnect_callbacks:
            try:
                callback()
            except Exception:
                log.exception("a reconnect callback failed")

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._publish_channel = None
        self._exchange = None
        self._queues.clear()
        self._consumer_channels.clear()

    def queue_arguments(self, service: str) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange_name,
            "x-dead-letter-routing-key": service,
            # Dead-letter at least once; the strategy needs reject-publish (with the default
            # drop-head, RabbitMQ falls back to at most once).
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    async def declare(self, subscriptions: Mapping[str, Sequence[str]]) -> None:
        assert self._publish_channel is not None and self._connection is not None, "start() first"
        await self._publish_channel.declare_exchange(
            self.dead_letter_exchange_name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for service, patterns in subscriptions.items():
            self._subscriptions[service] = list(patterns)
            try:
                await self._declare_service_topology(service, patterns)
            except aiormq.exceptions.ChannelAccessRefused as exc:
                # With one broker user per service, a service may declare only its own queue;
                # the operator declared the others (cascade-admin broker-users --apply).
                log.info("%s's queue is not this broker user's to declare (%s)", service, exc)

    async def _declare_service_topology(self, service: str, patterns: Sequence[str]) -> None:
        assert self._connection is not None
        await self._declare_service_queue(service)
        async with self._connection.channel() as channel:
            # No second declare: a service may bind another's queue, not read its state.
            queue = await channel.get_queue(self.queue_name(service), ensure=False)
            for pattern in patterns:
                await queue.bind(self.exchange_name, routing_key=pattern)
            dead = await channel.declare_queue(
                self.dead_letter_queue_name(service),
                durable=True,
                arguments={"x-queue-type": "quorum"},
            )
            await dead.bind(self.dead_letter_exchange_name, routing_key=service)

    async def _declare_service_queue(self, service: str) -> None:
        """Declare the service's queue with today's arguments, on a channel of its own: a queue
        declared by an older release with other arguments (at-most-once dead-lettering) makes
        RabbitMQ refuse and close the channel. That queue is then used as it is, and the log
        says how to give it the new arguments (docs/deployment.md, "Dead letters")."""
        assert self._connection is not None
        name = self.queue_name(service)
        try:
            async with self._connection.channel() as channel:
                await channel.declare_queue(
                    name, durable=True, arguments=self.queue_arguments(service)
                )
        except aio_pika.exceptions.ChannelPreconditionFailed as exc:
            self._legacy_queues.add(name)
            log.error(
                "queue %s exists with other arguments (%s); it is used as it is, with "
                "at-most-once dead-lettering: apply the policy in docs/deployment.md "
                '("Dead letters") or recreate the queue while the service is stopped',
                name,
                exc,
            )

    # -- publishing ---------------------------------------------------------------------------
    def _message(
        self, envelope: Envelope, trace: Mapping[str, str] | None = None
    ) -> aio_pika.Message:
        """The AMQP message of ``envelope``; ``trace`` (``traceparent``, ``tracestate``) goes
        in its headers when tracing is on."""
        return aio_pika.Message(
            body=envelope.to_json(),
            message_id=str(envelope.id),
            type=envelope.type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            correlation_id=envelope.correlation_id,
            timestamp=envelope.occurred_at,
            app_id=envelope.producer,
            # RabbitMQ refuses a message whose user_id is not the connection's user, so the
            # consumers can trust it to say who sent it.
            user_id=self.user,
            headers={
                "x-event-version": envelope.version,
                "x-producer": envelope.producer,
                **(trace or {}),
            },
        )

    async def publish(
        self,
        envelopes: Sequence[Envelope],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> list[BaseException | None]:
        if self._exchange is None:
            return [ConnectionError("bus not started") for _ in envelopes]
        exchange = self._exchange
        recorded = list(headers) if headers is not None else [{} for _ in envelopes]

        async def one(envelope: Envelope, context: Mapping[str, str]) -> None:
            with tracing.publishing(envelope, self.exchange_name, context) as trace:
                confirmation = await exchange.publish(
                    self._message(envelope, trace),
                    routing_key=envelope.type,
                    mandatory=True,
                    timeout=self.publish_timeout,
                )
                # aio-pika returns the broker's answer; anything but Basic.Ack is not a confirm.
                if confirmation is not None and type(confirmation).__name__ not in ("Ack",):
                    raise ConnectionError(f"broker did not confirm: {confirmation!r}")

        results = await asyncio.gather(
            *(one(e, c) for e, c in zip(envelopes, recorded, strict=True)),
            return_exceptions=True,
        )
        return [r if isinstance(r, BaseException) else None for r in results]

    # -- consuming ----------------------------------------------------------------------------
    async def subscribe(self, service: str, handler: EventHandler) -> None:
        assert self._connection is not None, "start() first"
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)  # before consume: trap #645
        name = self.queue_name(service)
        if name in self._legacy_queues:
            queue = await channel.declare_queue(name, passive=True)
        else:
            queue = await channel.declare_queue(
                name, durable=True, arguments=self.queue_arguments(service)
            )
        self._consumer_channels.append(channel)
        self._queues[service] = queue

        async def on_message(message: AbstractIncomingMessage) -> None:
            try:
                envelope = Envelope.from_json(message.body)
            except Exception:
                log.exception("unreadable message %s parked", message.message_id)
                await self._settle(message.reject(requeue=False))
                return
            headers = message.headers or {}
            with tracing.handling(envelope, service, self.exchange_name, headers) as span:
                await self._handle(message, envelope, handler, span)

        self._consumer_tags[service] = await queue.consume(on_message)

    async def _handle(
        self,
        message: AbstractIncomingMessage,
        envelope: Envelope,
        handler: EventHandler,
        span: Span | None,
    ) -> None:
        """Apply one readable delivery, or park it, or give it back; then settle it."""
        refusal = self.refusal(envelope, message.user_id, message.headers or {})
        if refusal is not None:
            log.error(
                "refused %s %s, parked without applying it: %s",
                envelope.type,
                envelope.id,
                refusal,
            )
            tracing.refused(span, refusal)
            await self._settle(message.reject(requeue=False))
            return
        try:
            await handler(envelope)
        except Exception as exc:
            tracing.failed(span, exc)
            count = (message.headers or {}).get("x-delivery-count", 0)
            deliveries = (int(count) if isinstance(count, int | str) else 0) + 1
            log.exception(
                "handler failed for %s %s (delivery %d of %d)",
                envelope.type,
                envelope.id,
                deliveries,
                self.delivery_limit + 1,
            )
            await asyncio.sleep(min(self.retry_delay * deliveries, 2.0))
            # The quorum queue counts redeliveries and dead-letters past x-delivery-limit.
            await self._settle(message.nack(requeue=True))
            return
        await self._settle(message.ack())

    def refusal(
        self, envelope: Envelope, sender: str | None, headers: Mapping[str, Any]
    ) -> str | None:
        """Why this delivery must not be applied, or None. Checked only when each service has
        its own broker user: the event's type must be one its claimed producer produces, and
        the broker-validated sender must be that producer's user (or this service itself,
        sending back what it parked, vouching for the original sender)."""
        if self.producer_user is None:
            return None
        spec = CATALOGUE.get(envelope.type)
        if spec is None:
            return f"{envelope.type} is not an event type of the catalogue"
        if spec.producer != envelope.producer:
            return f"{envelope.producer} does not produce {envelope.type} ({spec.producer} does)"
        expected = self.producer_user.format(service=envelope.producer)
        if sender == self.user and headers.get(REPLAYED_FROM) is not None:
            sender = str(headers[REPLAYED_FROM])  # a replay: who sent it in the first place
        if sender != expected:
            return (
                f"it claims to come from {envelope.producer} (broker user {expected}) "
                f"but broker user {sender or 'unknown'} sent it"
            )
        return None

    @staticmethod
    async def _settle(outcome: Any) -> None:
        # After a reconnect the delivery tag is stale; the message will be redelivered and the
        # consumer's inbox drops the repeat, so a failed ack is logged, not raised.
        try:
            await outcome
        except Exception as exc:
            log.warning("could not settle a delivery (%s); it will be redelivered", exc)

    # -- dead letters -------------------------------------------------------------------------
    async def dead_letter_count(self, service: str) -> int:
        assert self._connection is not None
        async with self._connection.channel() as channel:
            queue = await channel.declare_queue(self.dead_letter_queue_name(service), passive=True)
            return int(queue.declaration_result.message_count or 0)

    async def replay_dead_letters(self, service: str) -> int:
        """Republish each parked message straight to the service's queue, then ack it. Only as
        many as were parked when it began: one that fails again and comes back is left for the
        next replay, so a replay always ends."""
        assert self._connection is not None
        moved = 0
        async with self._connection.channel(publisher_confirms=True) as channel:
            dead = await channel.declare_queue(self.dead_letter_queue_name(service), passive=True)
            parked = int(dead.declaration_result.message_count or 0)
            while moved < parked:
                message = await dead.get(no_ack=False, fail=False, timeout=self.publish_timeout)
                if message is None:
                    break
                headers = {
                    k: v
                    for k, v in (message.headers or {}).items()
                    if not k.startswith("x-death")
                    and k
                    not in (
                        "x-delivery-count",
                        "x-first-death-exchange",
                        "x-first-death-queue",
                        "x-first-death-reason",
                        "x-last-death-exchange",
                        "x-last-death-queue",
                        "x-last-death-reason",
                    )
                }
                if message.user_id and message.user_id != self.user:
                    headers[REPLAYED_FROM] = message.user_id
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        body=message.body,
                        message_id=message.message_id,
                        type=message.type,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        correlation_id=message.correlation_id,
                        app_id=message.app_id,
                        user_id=self.user,
                        headers=headers,
                    ),
                    routing_key=self.queue_name(service),
                    timeout=self.publish_timeout,
                )
                await message.ack()
                moved += 1
        return moved
