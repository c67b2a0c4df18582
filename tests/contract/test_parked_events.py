"""The embedded bus parks an event that fails every delivery in a file, so it outlives a
restart as it would in RabbitMQ's dead-letter queue, and a replay cut short by a crash loses
nothing: the parked row goes only once the event was handled or parked again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cascade_shared.bus import InProcessBus, ParkedStore
from cascade_shared.envelope import Envelope

from tests.contract.test_bus_contract import LIMIT, TOPOLOGY, event, wait_until


async def started(store: ParkedStore) -> InProcessBus:
    bus = InProcessBus(delivery_limit=LIMIT, retry_delay=0.001, parked=store)
    await bus.start()
    await bus.declare(TOPOLOGY)
    return bus


async def test_a_parked_event_outlives_a_restart_and_is_handled_once_when_replayed(
    tmp_path: Path,
) -> None:
    store = ParkedStore(tmp_path / "dead-letters.sqlite3")
    tries: list[str] = []

    async def failing(e: Envelope) -> None:
        tries.append(str(e.id))
        raise ValueError("cannot read this plan")

    first = await started(store)
    await first.subscribe("contract", failing)
    poison = event("demo.item", n=0)
    assert await first.publish([poison]) == [None]  # returns once it is parked
    assert len(tries) == LIMIT + 1
    [row] = store.list("contract")
    assert row.envelope.id == poison.id and "cannot read this plan" in (row.error or "")
    await first.close()

    # Restarted: still parked, and only a consuming process may replay it.
    second = await started(store)
    assert await second.dead_letter_count("contract") == 1
    with pytest.raises(RuntimeError, match="dead-letters/replay"):
        await second.replay_dead_letters("contract")
    await second.subscribe("contract", failing)
    assert await second.replay_dead_letters("contract") == 1
    await wait_until(lambda: [r.seq for r in store.list("contract")] not in ([], [row.seq]))
    await wait_until(lambda: len(store.list("contract")) == 1)  # parked again, not twice
    assert len(tries) == 2 * (LIMIT + 1)
    await second.close()

    handled: list[str] = []

    async def cured(e: Envelope) -> None:
        handled.append(str(e.id))

    third = await started(store)
    await third.subscribe("contract", cured)
    assert await third.replay_dead_letters("contract") == 1
    await wait_until(lambda: store.count("contract") == 0)
    assert handled == [str(poison.id)]
    await third.close()


async def test_a_replay_cut_short_leaves_the_event_parked(tmp_path: Path) -> None:
    store = ParkedStore(tmp_path / "dead-letters.sqlite3")
    store.add("contract", event("demo.item", n=7), "ValueError: earlier")
    began = asyncio.Event()

    async def hangs(e: Envelope) -> None:
        began.set()
        await asyncio.Event().wait()  # the process dies while handling it

    bus = await started(store)
    await bus.subscribe("contract", hangs)
    assert await bus.replay_dead_letters("contract") == 1
    assert await bus.replay_dead_letters("contract") == 0  # already on its way
    await asyncio.wait_for(began.wait(), 5)
    await bus.close()
    assert store.count("contract") == 1
    [row] = store.list("contract")
    assert row.envelope.payload == {"n": 7} and row.error == "ValueError: earlier"


class FlakyStore(ParkedStore):
    """A parked file that cannot be written once (a full disk, a lock held too long)."""

    failures = 1

    def add(self, service: str, envelope: Envelope, error: str | None) -> int:
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")
        return super().add(service, envelope, error)


async def test_a_failure_to_park_is_reported_to_the_publisher_and_the_consumer_carries_on(
    tmp_path: Path,
) -> None:
    store = FlakyStore(tmp_path / "dead-letters.sqlite3")
    handled: list[int] = []

    async def handler(e: Envelope) -> None:
        if e.payload.get("poison"):
            raise ValueError("cannot read this plan")
        handled.append(int(e.payload["n"]))

    bus = await started(store)
    await bus.subscribe("contract", handler)
    poison = event("demo.item", poison=True, n=0)
    [result] = await bus.publish([poison])
    assert isinstance(result, OSError)  # not taken: the relay keeps the row and tries again
    assert await bus.publish([event("demo.item", n=1)]) == [None]
    assert handled == [1]  # the consumer lived through it
    assert await bus.publish([poison]) == [None]  # the relay's next try parks it
    assert store.count("contract") == 1
    await bus.close()


async def test_a_republish_of_a_queued_event_waits_for_it_instead_of_queueing_a_copy(
    tmp_path: Path,
) -> None:
    release = asyncio.Event()
    calls: list[str] = []

    async def slow(e: Envelope) -> None:
        calls.append(str(e.id))
        await release.wait()

    bus = InProcessBus(
        delivery_limit=LIMIT,
        retry_delay=0.001,
        publish_timeout=0.2,
        parked=ParkedStore(tmp_path / "dead-letters.sqlite3"),
    )
    await bus.declare(TOPOLOGY)
    await bus.subscribe("contract", slow)
    first = event("demo.item", n=1)
    [timed_out] = await bus.publish([first])  # the relay gives up waiting...
    assert isinstance(timed_out, TimeoutError)
    [again] = await bus.publish([first])  # ...and publishes the same row again
    assert isinstance(again, TimeoutError)
    release.set()
    assert await bus.publish([first]) == [None]
    assert calls == [str(first.id)]  # handled once; no copy was queued behind it
    await bus.close()
