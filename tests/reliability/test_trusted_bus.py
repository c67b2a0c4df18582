"""A bus that only trusts who may speak, on the real RabbitMQ with one broker user per service.

Anyone able to publish used to be able to add permanent, valid-looking audit records. Here each
service connects as its own user (made by ``cascade-admin broker-users --password-files``, as
docker-compose.yml's broker-users job does, and read by the service from its password file, as
Compose's secrets give it: ``CASCADE_BROKER_PASSWORD_FILE``), the broker validates
``user_id`` and the routing keys each user may publish, and consumers apply an event only when its
producer's user sent it. Forged, mis-attributed and wrong-type events are each refused by the
broker or parked, and none is chained by audit; the real story still runs end to end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest
from cascade_shared.chassis import broker_users, cli
from cascade_shared.envelope import Envelope

from tests import infra
from tests.cluster import SERVICES, Cluster, make_cluster
from tests.e2e.test_faults import MGMT, _management_reachable
from tests.story import eventually, run_story

ADMIN = ("guest", "guest")


@pytest.fixture
async def trusted(
    pg_database: Any, namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Cluster, dict[str, str]]]:
    _management_reachable()
    template = f"{namespace}-{{service}}"
    users = broker_users.broker_users(template, namespace)
    # One password file per service, as deploy/make-secrets.sh makes them for Compose.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    passwords = {u.service: uuid.uuid4().hex for u in users}
    for service, password in passwords.items():
        (secrets / f"broker-{service}").write_text(password + "\n", encoding="utf-8")
    monkeypatch.setenv("CASCADE_NAMESPACE", namespace)
    monkeypatch.setenv("CASCADE_DELIVERY_LIMIT", "3")  # as tests/cluster.py configures them
    apply = ["broker-users", "--apply", MGMT, "--admin", ":".join(ADMIN)]
    apply += ["--template", template, "--password-files", f"{secrets}/broker-{{service}}"]
    await asyncio.to_thread(cli.admin_main, apply)
    host = infra.AMQP_URL.split("@", 1)[1]
    urls = {u.service: f"amqp://{u.name}:{passwords[u.service]}@{host}" for u in users}
    # The services' URLs name the user only: each reads its password from its file.
    users_only = {s: f"amqp://{template.format(service=s)}@{host}" for s in SERVICES}
    cluster = await make_cluster(pg_database, namespace, tmp_path, amqp_urls=users_only)
    cluster.extra_env["CASCADE_BROKER_USER_TEMPLATE"] = template
    try:
        for service in SERVICES:
            password_file = str(secrets / f"broker-{service}")
            cluster.start(service, CASCADE_BROKER_PASSWORD_FILE=password_file)
        for service in SERVICES:
            await cluster.wait_healthy(service)
        yield cluster, urls
    finally:
        cluster.stop_all()
        await broker_users.remove(users, management_url=MGMT, admin=ADMIN)


def _forged(type_: str, producer: str) -> aio_pika.Message:
    envelope = Envelope(
        type=type_,
        producer=producer,
        subject_id=str(uuid.uuid4()),
        payload={"plan_id": str(uuid.uuid4()), "title": "Kế hoạch giả", "version": 1},
    )
    return aio_pika.Message(
        envelope.to_json(),
        message_id=str(envelope.id),
        type=type_,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


async def _chained(cluster: Cluster, event_ids: list[str]) -> int:
    dsn = cluster.databases["audit"].replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM audit_record WHERE event_id = ANY($1::text[])", event_ids
            )
        )
    finally:
        await conn.close()


async def _dead(namespace: str, service: str) -> int:
    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{namespace}.{service}.dead", passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def _refused_by_broker(url: str, exchange: str, message: aio_pika.Message, key: str) -> str:
    """Publish with confirms; return how the broker refused it (it must)."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange, ensure=False)
        with pytest.raises(Exception) as refused:  # the broker's own error, whichever
            await target.publish(message, routing_key=key, timeout=10)
        return repr(refused.value)
    finally:
        await connection.close()


async def test_forged_mis_attributed_and_wrong_type_events_are_refused_or_parked(
    trusted: tuple[Cluster, dict[str, str]],
) -> None:
    cluster, urls = trusted
    ns = cluster.namespace
    events = f"{ns}.events"
    forged_ids: list[str] = []

    # 1. An outsider with publish rights (guest) sends a well-formed plan.approved claiming to
    #    come from plans: the broker takes it, every consumer parks it.
    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(events)
        message = _forged("plan.approved", "plans")
        forged_ids.append(str(message.message_id))
        await exchange.publish(message, routing_key="plan.approved", timeout=10)
    finally:
        await connection.close()

    # 2. Mis-attributed: the outsider claims to be the plans service's broker user. The broker
    #    refuses a user_id that is not the connection's.
    message = _forged("plan.approved", "plans")
    message.user_id = f"{ns}-plans"
    refusal = await _refused_by_broker(infra.AMQP_URL, events, message, "plan.approved")
    assert "PRECONDITION_FAILED" in refusal or "406" in refusal, refusal
    forged_ids.append(str(message.message_id))

    # 3. Wrong type: approvals' own user may not publish a plans event on the exchange (topic
    #    permissions)...
    message = _forged("plan.approved", "approvals")
    refusal = await _refused_by_broker(urls["approvals"], events, message, "plan.approved")
    assert "ACCESS_REFUSED" in refusal or "403" in refusal, refusal
    forged_ids.append(str(message.message_id))
    # ... and sent straight into audit's queue, past the exchange, it is parked there.
    connection = await aio_pika.connect(urls["approvals"])
    try:
        channel = await connection.channel(publisher_confirms=True)
        message = _forged("plan.approved", "approvals")
        message.user_id = f"{ns}-approvals"
        forged_ids.append(str(message.message_id))
        await channel.default_exchange.publish(message, routing_key=f"{ns}.audit", timeout=10)
    finally:
        await connection.close()

    async def parked() -> bool:
        counts = {s: await _dead(ns, s) for s in ("audit", "results", "notifications")}
        return counts == {"audit": 2, "results": 1, "notifications": 1}

    await eventually(parked, timeout=30)
    assert await _chained(cluster, forged_ids) == 0
    assert "refused plan.approved" in cluster.log_tail("audit", 400)

    # The services' own events still flow: the whole story, approvals to audit.
    async with cluster.client() as client:
        await run_story(client)
    await asyncio.sleep(0.5)
    assert await _chained(cluster, forged_ids) == 0
