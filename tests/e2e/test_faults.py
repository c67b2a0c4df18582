"""Faults in the distributed mode, each service its own process on the real PostgreSQL and
RabbitMQ: services killed with SIGKILL in the middle of the story, the broker's connections
dropped, the broker restarted, PostgreSQL restarted. The story completes every time, with no
event lost and none applied twice (checked against the audit store)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
import pytest

from tests import infra
from tests.cluster import Cluster, make_cluster
from tests.results_story import approved_ward_plan
from tests.revision_story import approve_by, in_force, revise_city_program, revision_requests
from tests.story import (
    EXPECTED_TRAIL,
    audit_types,
    create_draft,
    decide,
    eventually,
    fix,
    queue_item,
    run_story,
    token,
)

MGMT = os.environ.get("CASCADE_TEST_RABBITMQ_MGMT", "http://127.0.0.1:15672")


@pytest.fixture
async def cluster(pg_database: Any, namespace: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    c = await make_cluster(pg_database, namespace, tmp_path)
    try:
        await c.start_all()
        yield c
    finally:
        c.stop_all()


async def restart(cluster: Cluster, service: str) -> None:
    cluster.start(service)
    await cluster.wait_healthy(service)


async def test_each_service_killed_mid_story_loses_nothing_and_repeats_nothing(
    cluster: Cluster,
) -> None:
    async with cluster.client() as client:
        drafter = await token(client, "drafter.huong-an")
        head = await token(client, "head.huong-an")
        city = await token(client, "approver.hue")
        auditor = await token(client, "auditor.hue")
        plan_id = await create_draft(client, drafter, "Kế hoạch phường Hương An (sự cố)")
        await fix(client, drafter, plan_id)

        # plan.submitted is in flight when approvals dies.
        r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
        assert r.status_code == 200, r.text
        cluster.kill("approvals")
        await restart(cluster, "approvals")
        item = await queue_item(client, head, plan_id)

        # audit is down while the ward head signs off; its queue keeps the events.
        cluster.kill("audit")
        assert (await decide(client, head, item)).status_code == 200
        await restart(cluster, "audit")

        # The city decides; plans dies with approval.case_completed in flight, and
        # notifications is down when plans announces plan.approved.
        item = await queue_item(client, city, plan_id)
        cluster.kill("notifications")
        assert (await decide(client, city, item)).status_code == 200
        cluster.kill("plans")
        await restart(cluster, "plans")

        async def approved() -> bool:
            r = await client.get(f"/api/plans/{plan_id}", headers=drafter)
            return r.status_code == 200 and r.json()["status"] == "approved"

        await eventually(approved, timeout=60)
        await restart(cluster, "notifications")

        async def told() -> list[Any]:
            r = await client.get("/api/notifications/inbox", headers=drafter)
            assert r.status_code == 200, r.text
            return [
                n
                for n in r.json()["items"]
                if n["plan_id"] == plan_id and n["event_type"] == "plan.approved"
            ]

        assert len(await eventually(told, timeout=60)) == 1

        async def whole_trail() -> list[str] | None:
            types = await audit_types(client, auditor, plan_id)
            return types if len(types) >= len(EXPECTED_TRAIL) else None

        assert await eventually(whole_trail, timeout=60) == EXPECTED_TRAIL
        await asyncio.sleep(1.0)  # any late repeat would show up now
        assert await audit_types(client, auditor, plan_id) == EXPECTED_TRAIL
        assert len(await told()) == 1
        r = await client.get("/api/audit/verify", headers=auditor)
        assert r.status_code == 200 and r.json()["ok"] is True, r.text


def _management_reachable() -> None:
    host, port = MGMT.split("://", 1)[1].split(":")
    infra.require_server("RabbitMQ's management API", host, int(port))


async def _connections(namespace: str) -> list[str]:
    async with httpx.AsyncClient(auth=("guest", "guest"), timeout=10) as mgmt:
        r = await mgmt.get(f"{MGMT}/api/connections")
        r.raise_for_status()
        return [
            c["name"]
            for c in r.json()
            if str((c.get("client_properties") or {}).get("connection_name", "")).startswith(
                namespace + "."
            )
        ]


async def test_dropped_broker_connections_are_restored_and_the_story_completes(
    cluster: Cluster,
) -> None:
    _management_reachable()

    async def all_connected() -> list[str] | None:
        names = await _connections(cluster.namespace)
        return names if len(names) >= 4 else None

    names = await eventually(all_connected, timeout=30)
    async with httpx.AsyncClient(auth=("guest", "guest"), timeout=10) as mgmt:
        for name in names:
            r = await mgmt.delete(
                f"{MGMT}/api/connections/{quote(name, safe='')}",
                headers={"X-Reason": "fault test: network dropped"},
            )
            assert r.status_code in (204, 404), r.text
    await eventually(all_connected, timeout=60)
    async with cluster.client() as client:
        await run_story(client)


def _require_tool(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if infra.IN_CI:
            pytest.fail(f"{tool} is needed for this fault test in CI", pytrace=False)
        pytest.skip(f"{tool} is not installed here")
    return path


async def _run(*cmd: str, timeout: float = 120) -> None:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)}: {out.decode(errors='replace')}"


async def test_the_services_carry_on_after_the_broker_restarts(cluster: Cluster) -> None:
    ctl = _require_tool("rabbitmqctl")
    async with cluster.client() as client:
        drafter = await token(client, "drafter.huong-an")
        plan_id = await create_draft(client, drafter, "Kế hoạch phường Hương An (khởi động lại)")
        await fix(client, drafter, plan_id)
        await _run(ctl, "stop_app")
        try:
            # The broker is down: the submission still succeeds (the outbox keeps the event).
            r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
            assert r.status_code == 200, r.text
        finally:
            await _run(ctl, "start_app")
            await _run(ctl, "await_startup")
        head = await token(client, "head.huong-an")
        await queue_item(client, head, plan_id)
        await run_story(client, "phu-xuan")  # another ward: one plan per ward and program


def _pg_cluster() -> tuple[str, str]:
    ctl = _require_tool("pg_ctlcluster")
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.skip("no local PostgreSQL cluster to restart")
    return ctl, versions[0]


async def test_the_services_recover_after_postgresql_restarts(cluster: Cluster) -> None:
    ctl, version = _pg_cluster()
    async with cluster.client() as client:
        await run_story(client)
        drafter = await token(client, "drafter.huong-an")
        statuses: list[int] = []
        restarting = True

        async def read_all_along() -> None:
            # Reads while PostgreSQL restarts: 200, or 503 with Retry-After, never a 500.
            while restarting:
                r = await client.get("/api/plans", headers=drafter)
                statuses.append(r.status_code)
                if r.status_code == 503:
                    assert r.headers["retry-after"], r.headers
                await asyncio.sleep(0.05)

        reader = asyncio.create_task(read_all_along())
        try:
            await asyncio.to_thread(
                subprocess.run,
                [ctl, "--skip-systemctl-redirect", version, "main", "restart"],
                check=True,
                timeout=120,
            )
            deadline = asyncio.get_running_loop().time() + 60
            while not infra._reachable(infra.PG_HOST, infra.PG_PORT):
                assert asyncio.get_running_loop().time() < deadline, "PostgreSQL did not come back"
                await asyncio.sleep(0.5)
        finally:
            restarting = False
            await reader
        assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
        # No manual step: the same processes serve the whole story again (another ward's).
        await run_story(client, "phu-xuan")


async def test_a_revision_cascade_is_asked_once_through_a_crash_and_a_repeated_delivery(
    cluster: Cluster,
) -> None:
    """Huế's revision is approved while plans is killed with the decision in flight; then the
    same ``approval.case_completed`` is delivered again. Each ward linked to the changed task
    is asked exactly once, and told once."""
    connection = await aio_pika.connect(infra.AMQP_URL)
    async with connection, cluster.client() as client:
        channel = await connection.channel(publisher_confirms=True)
        spy = await channel.declare_queue(f"{cluster.namespace}.case-spy", exclusive=True)
        await spy.bind(f"{cluster.namespace}.events", routing_key="approval.case_completed")
        linked = await approved_ward_plan(client, "vn.hue.huong-an", 0)
        elsewhere = await approved_ward_plan(client, "vn.hue.phu-xuan", 1)
        program, _ = await revise_city_program(client, {"deadline": "2026-10-31"}, approve=False)
        await approve_by(client, program, "head.hue")
        central = await token(client, "approver.vn")
        item = await queue_item(client, central, program)
        assert (await decide(client, central, item)).status_code == 200
        cluster.kill("plans")  # approval.case_completed reaches a dead plans, or half-handled
        await restart(cluster, "plans")
        city = await token(client, "drafter.hue")
        await in_force(client, city, program, 2)

        # The case's completion, exactly as approvals published it, arrives once more.
        completed = None
        async with spy.iterator(timeout=30) as messages:
            async for message in messages:
                await message.ack()
                body = json.loads(message.body)
                if body["subject_id"] == program and body["payload"]["outcome"] == "approved":
                    completed = message
                    break
        assert completed is not None
        exchange = await channel.get_exchange(f"{cluster.namespace}.events")
        await exchange.publish(
            aio_pika.Message(
                completed.body,
                message_id=completed.message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key="approval.case_completed",
        )
        await asyncio.sleep(2.0)  # the repeat, if it did anything, would show by now

        ward = await token(client, "drafter.huong-an")
        (request,) = await revision_requests(client, ward, linked)
        assert request["parent_version"] == 2
        assert (
            await revision_requests(client, await token(client, "drafter.phu-xuan"), elsewhere)
            == []
        )
        auditor = await token(client, "auditor.hue")

        async def asked_in_audit() -> list[Any]:
            r = await client.get(
                "/api/audit/records",
                params={"event_type": "plan.revision_requested", "limit": 50},
                headers=auditor,
            )
            return [rec["subject_id"] for rec in r.json()["items"]]

        assert await eventually(asked_in_audit, timeout=60) == [linked]

        async def told() -> list[Any]:
            r = await client.get("/api/notifications/inbox", headers=ward)
            return [n for n in r.json()["items"] if n["event_type"] == "plan.revision_requested"]

        assert len(await eventually(told, timeout=60)) == 1
        await asyncio.sleep(1.0)
        assert await asked_in_audit() == [linked]
        assert len(await told()) == 1
