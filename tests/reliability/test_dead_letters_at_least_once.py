"""A poison message is dead-lettered at least once: it survives a broker restart while it is
being dead-lettered, and reaches the dead-letter queue once that queue can take it.

With RabbitMQ's default (at most once) a message rejected while its dead-letter target cannot
take it is dropped: this test fails on queues declared without ``x-dead-letter-strategy:
at-least-once`` and ``x-overflow: reject-publish``.
"""

from __future__ import annotations

import aio_pika
from cascade_shared.bus.rabbitmq import RabbitMQBus
from cascade_shared.envelope import Envelope

from tests import infra
from tests.e2e.test_faults import _require_tool, _run
from tests.story import eventually

SERVICE = "contract"


async def _parked(channel: aio_pika.abc.AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    return int(queue.declaration_result.message_count or 0)


async def test_a_poison_message_survives_a_broker_restart_while_it_is_dead_lettered(
    namespace: str,
) -> None:
    ctl = _require_tool("rabbitmqctl")
    bus = RabbitMQBus(infra.AMQP_URL, namespace=namespace, delivery_limit=1)
    await bus.start()
    await bus.declare({SERVICE: ["poison.#"]})
    await bus.close()
    queue_name, dead_name = bus.queue_name(SERVICE), bus.dead_letter_queue_name(SERVICE)

    connection = await aio_pika.connect(infra.AMQP_URL)
    channel = await connection.channel()
    # The dead-letter queue cannot take it for now (as during a failover): no route to it.
    dead = await channel.declare_queue(dead_name, passive=True)
    await dead.unbind(bus.dead_letter_exchange_name, routing_key=SERVICE)
    exchange = await channel.get_exchange(bus.exchange_name)
    await exchange.publish(
        aio_pika.Message(b"not an envelope", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
        routing_key="poison.pill",
    )
    queue = await channel.declare_queue(queue_name, passive=True)

    async def delivered() -> aio_pika.abc.AbstractIncomingMessage | None:
        return await queue.get(no_ack=False, fail=False)

    message = await eventually(delivered, timeout=10)
    await message.reject(requeue=False)  # what the consumer does with an unreadable message
    await connection.close()

    # The broker restarts while the message waits to be dead-lettered.
    await _run(ctl, "stop_app")
    await _run(ctl, "start_app")
    await _run(ctl, "await_startup")

    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        channel = await connection.channel()
        assert await _parked(channel, dead_name) == 0
        dead = await channel.declare_queue(dead_name, passive=True)
        await dead.bind(bus.dead_letter_exchange_name, routing_key=SERVICE)
        # The queue's dead-letter worker retries what it holds when its topology changes (and
        # every few minutes anyway): a policy on the queue asks it to look again now.
        policy = f"{namespace}-retry-dead-letters"
        await _run(
            ctl,
            "set_policy",
            "--apply-to",
            "queues",
            policy,
            f"^{queue_name.replace('.', chr(92) + '.')}$",
            '{"delivery-limit": 1}',
        )
        try:

            async def parked() -> bool:
                return await _parked(channel, dead_name) == 1

            await eventually(parked, timeout=30, interval=0.2)
        finally:
            await _run(ctl, "clear_policy", policy)
        dead = await channel.declare_queue(dead_name, passive=True)
        got = await dead.get(no_ack=True, fail=False)
        assert got is not None and got.body == b"not an envelope"
        assert await _parked(channel, queue_name) == 0
    finally:
        await connection.close()


async def test_a_queue_declared_by_an_earlier_release_is_used_as_it_is(namespace: str) -> None:
    """RabbitMQ refuses to change a queue's arguments: the service keeps working on the queue an
    earlier release declared (at-most-once dead-lettering) and logs how to upgrade it."""
    bus = RabbitMQBus(infra.AMQP_URL, namespace=namespace, delivery_limit=1)
    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        channel = await connection.channel()
        earlier = {
            k: v
            for k, v in bus.queue_arguments(SERVICE).items()
            if k not in ("x-dead-letter-strategy", "x-overflow")
        }
        await channel.declare_queue(bus.queue_name(SERVICE), durable=True, arguments=earlier)
        await bus.start()
        await bus.declare({SERVICE: ["legacy.#"]})
        handled: list[Envelope] = []

        async def handler(envelope: Envelope) -> None:
            handled.append(envelope)

        await bus.subscribe(SERVICE, handler)
        sent = Envelope(type="legacy.event", producer="test", payload={"n": 1})
        assert await bus.publish([sent]) == [None]

        async def received() -> bool:
            return [e.id for e in handled] == [sent.id]

        await eventually(received, timeout=10)
    finally:
        await bus.close()
        await connection.close()
