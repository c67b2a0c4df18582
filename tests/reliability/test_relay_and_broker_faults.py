"""Reliability proofs against the real RabbitMQ and PostgreSQL, with real processes.

1. The relay dies after the broker confirmed a message but before it marked it sent: the event
   arrives twice and is applied once.
2. The broker is unreachable while plans are submitted: the submissions succeed, nothing is lost,
   and everything is delivered once it is back.
(3. A poison message is parked after N tries while others flow: tests/contract and below.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from tests import infra
from tests.cluster import make_cluster
from tests.proxy import TcpProxy
from tests.story import (
    WARDS,
    audit_types,
    cases_of,
    create_draft,
    eventually,
    fix,
    run_story,
    token,
)

CRASHING = Path(__file__).with_name("crashing_service.py")


async def spy_queue(namespace: str, routing_key: str) -> tuple[Any, Any]:
    """A queue of the test's own, bound to the exchange, that sees every copy published."""
    connection = await aio_pika.connect(infra.AMQP_URL)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"{namespace}.spy", durable=False, exclusive=True)
    await queue.bind(f"{namespace}.events", routing_key=routing_key)
    return connection, queue


async def drain(queue: Any) -> list[str]:
    ids = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        ids.append(message.message_id)
    return ids


async def test_relay_killed_after_confirm_publishes_again_and_consumers_apply_once(
    pg_database: Any, namespace: str, tmp_path: Path
) -> None:
    cluster = await make_cluster(pg_database, namespace, tmp_path)
    try:
        await cluster.start_all()
        connection, spy = await spy_queue(namespace, "plan.submitted")
        async with cluster.client() as client:
            drafter = await token(client, "drafter.huong-an")
            auditor = await token(client, "auditor.hue")
            plan_id = await create_draft(client, drafter, "Kế hoạch của phường (thử sự cố)")
            await fix(client, drafter, plan_id)

            cluster.kill("plans")
            cluster.start("plans", [sys.executable, str(CRASHING), "plans"])
            await cluster.wait_healthy("plans")
            crashing = cluster.processes["plans"]
            with contextlib.suppress(httpx.HTTPError):  # it may die before it answers
                await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
            await asyncio.to_thread(crashing.wait, 30)
            assert crashing.returncode == 137, cluster.log_tail("plans")
            cluster.processes.pop("plans")

            cluster.start("plans")
            await cluster.wait_healthy("plans")

            async def delivered_twice() -> list[str]:
                seen.extend(await drain(spy))
                return seen if len(seen) >= 2 else []

            seen: list[str] = []
            ids = await eventually(delivered_twice)
            assert len(ids) == 2 and len(set(ids)) == 1  # the same event, published twice

            async def one_case() -> list[Any]:
                return await cases_of(client, drafter, plan_id)

            cases = await eventually(one_case)
            await asyncio.sleep(1.5)  # give a second copy every chance to do harm
            cases = await cases_of(client, drafter, plan_id)
            assert len(cases) == 1
            types = await audit_types(client, auditor, plan_id)
            assert types.count("plan.submitted") == 1
        await connection.close()
    finally:
        cluster.stop_all()


async def test_submissions_while_the_broker_is_unreachable_are_delivered_when_it_returns(
    pg_database: Any, namespace: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(infra.AMQP_HOST, infra.AMQP_PORT)
    await proxy.open()
    amqp = infra.AMQP_URL.replace(f":{infra.AMQP_PORT}/", f":{proxy.port}/")
    assert amqp != infra.AMQP_URL
    cluster = await make_cluster(pg_database, namespace, tmp_path, amqp_urls={"plans": amqp})
    try:
        await cluster.start_all()
        async with cluster.client() as client:
            city = await token(client, "approver.hue")
            auditor = await token(client, "auditor.hue")
            plan_ids = []
            drafters: dict[str, dict[str, str]] = {}
            for i, ward in enumerate(WARDS[:3]):  # three plans: one per ward and program
                drafter = await token(client, f"drafter.{ward}")
                plan_id = await create_draft(client, drafter, f"Kế hoạch số {i + 1} của phường")
                await fix(client, drafter, plan_id)
                plan_ids.append(plan_id)
                drafters[plan_id] = drafter

            await proxy.cut()
            for plan_id in plan_ids:
                r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafters[plan_id])
                assert r.status_code == 200, r.text
            await asyncio.sleep(2)
            for plan_id in plan_ids:
                assert await cases_of(client, city, plan_id) == []

            await proxy.open()

            async def all_delivered() -> bool:
                return all([len(await cases_of(client, city, p)) == 1 for p in plan_ids])

            await eventually(all_delivered, timeout=90)
            for plan_id in plan_ids:
                assert (await audit_types(client, auditor, plan_id)).count("plan.submitted") == 1
            # The link is back for good: a whole story still runs end to end (a fourth ward's).
            await run_story(client, WARDS[3])
    finally:
        cluster.stop_all()
        await proxy.close()
