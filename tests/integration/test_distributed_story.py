"""The skeleton story in distributed mode: four processes, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from cascade_shared.envelope import Envelope

from tests import infra
from tests.cluster import BIN, Cluster, make_cluster
from tests.story import eventually, run_story, token


@pytest.fixture
async def cluster(pg_database: Any, namespace: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    c = await make_cluster(pg_database, namespace, tmp_path)
    try:
        await c.start_all()
        yield c
    finally:
        c.stop_all()


async def test_skeleton_story_with_each_service_in_its_own_process(cluster: Cluster) -> None:
    async with cluster.client() as client:
        result = await run_story(client)
    assert {row["producer"] for row in result.trail} == {"plans", "approvals"}


async def _admin(cluster: Cluster, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "cascade-admin"),
        *args,
        env=cluster.env("approvals"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def test_a_poison_event_is_parked_after_n_tries_while_the_story_flows(
    cluster: Cluster,
) -> None:
    """A ``plan.submitted`` the approvals handler cannot read fails CASCADE_DELIVERY_LIMIT + 1
    times, lands in approvals' dead-letter queue, and never blocks the events behind it; an
    operator sees it with ``cascade-admin dead-count`` and sends it back with ``replay-dead``."""
    poison = Envelope(type="plan.submitted", producer="plans", payload={"plan_id": "broken"})
    connection = await aio_pika.connect(infra.AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(f"{cluster.namespace}.events")
        await exchange.publish(
            aio_pika.Message(
                poison.to_json(),
                message_id=str(poison.id),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=poison.type,
        )

    async with cluster.client() as client:
        await run_story(client)  # flows past the poison message

    async def parked() -> bool:
        return await _admin(cluster, "dead-count", "approvals") == "1"

    await eventually(parked, timeout=60)
    assert await _admin(cluster, "replay-dead", "approvals") == "1"
    # Replayed, it fails again the same way and is parked again: still visible, never lost.
    await eventually(parked, timeout=60)
    # The approvals process itself shows the same queue to central admins, and replays it.
    async with cluster.client() as client:
        admin = await token(client, "admin")
        r = await client.get("/api/approvals/dead-letters", headers=admin)
        assert r.json() == {"service": "approvals", "parked": 1}, r.text
        head = await token(client, "head.huong-an")
        assert (await client.get("/api/approvals/dead-letters", headers=head)).status_code == 403
        r = await client.post("/api/approvals/dead-letters/replay", headers=admin)
        assert r.json() == {"service": "approvals", "replayed": 1}, r.text
    await eventually(parked, timeout=60)
