"""The same contract, held by both bus implementations: in-process and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from cascade_shared.bus import EventBus, InProcessBus
from cascade_shared.bus.rabbitmq import RabbitMQBus
from cascade_shared.envelope import Envelope

from tests import infra

LIMIT = 2
TOPOLOGY = {"contract": ["demo.#"], "other": ["other.*"]}


@pytest.fixture(params=["inprocess", "rabbitmq"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    namespace = f"t{infra.RUN_ID}{uuid.uuid4().hex[:6]}"
    if request.param == "inprocess":
        the_bus: EventBus = InProcessBus(delivery_limit=LIMIT, retry_delay=0.001)
    else:
        infra.require_server("RabbitMQ", infra.AMQP_HOST, infra.AMQP_PORT)
        the_bus = RabbitMQBus(
            infra.AMQP_URL,
            namespace=namespace,
            delivery_limit=LIMIT,
            prefetch=10,
            retry_delay=0.01,
            publish_timeout=5,
        )
    await the_bus.start()
    await the_bus.declare(TOPOLOGY)
    yield the_bus
    await the_bus.close()
    if request.param == "rabbitmq":
        await infra.delete_namespace(namespace, list(TOPOLOGY))


def event(type_: str, **payload: object) -> Envelope:
    return Envelope(type=type_, producer="test", payload=dict(payload))


async def wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_delivers_by_event_type_and_confirms(bus: EventBus) -> None:
    seen: list[Envelope] = []

    async def handler(e: Envelope) -> None:
        seen.append(e)

    await bus.subscribe("contract", handler)
    events = [event("demo.created", n=1), event("demo.sub.changed", n=2)]
    results = await bus.publish(events)
    assert results == [None, None]
    await wait_until(lambda: len(seen) == 2)
    assert {e.id for e in seen} == {e.id for e in events}
    assert seen[0].payload in ({"n": 1}, {"n": 2})


async def test_unroutable_event_is_an_error_not_a_silent_success(bus: EventBus) -> None:
    results = await bus.publish([event("nobody.listens")])
    assert isinstance(results[0], BaseException)


async def test_a_failing_handler_gets_the_message_again(bus: EventBus) -> None:
    attempts: Counter[str] = Counter()
    done: list[str] = []

    async def flaky(e: Envelope) -> None:
        attempts[str(e.id)] += 1
        if attempts[str(e.id)] < 2:
            raise RuntimeError("transient")
        done.append(str(e.id))

    await bus.subscribe("contract", flaky)
    e = event("demo.flaky")
    assert await bus.publish([e]) == [None]
    await wait_until(lambda: done == [str(e.id)])
    assert attempts[str(e.id)] == 2


async def test_poison_message_is_parked_while_others_flow_and_can_be_replayed(
    bus: EventBus,
) -> None:
    attempts: Counter[str] = Counter()
    good: list[int] = []
    cured = False

    async def handler(e: Envelope) -> None:
        attempts[str(e.id)] += 1
        if e.payload.get("poison") and not cured:
            raise ValueError("cannot handle this one")
        good.append(int(e.payload["n"]))

    await bus.subscribe("contract", handler)
    poison = event("demo.item", poison=True, n=0)
    assert await bus.publish([poison]) == [None]
    others = [event("demo.item", n=i) for i in range(1, 21)]
    assert await bus.publish(others) == [None] * 20
    await wait_until(lambda: len(good) == 20)
    await wait_until(lambda: attempts[str(poison.id)] == LIMIT + 1)

    async def parked() -> int:
        return await bus.dead_letter_count("contract")

    for _ in range(100):
        if await parked() == 1:
            break
        await asyncio.sleep(0.05)
    assert await parked() == 1
    assert attempts[str(poison.id)] == LIMIT + 1  # the first delivery plus LIMIT retries

    cured = True
    assert await bus.replay_dead_letters("contract") == 1
    await wait_until(lambda: 0 in good)
    assert await parked() == 0
