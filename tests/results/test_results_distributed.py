"""The results loop in distributed mode: each service its own process, PostgreSQL, RabbitMQ.

The same story as embedded mode, then faults: the results service killed with SIGKILL and
started again loses no report and sends no event twice; a plan.approved delivered twice is
applied once; an overdue task is chased exactly once however often the scheduler runs."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from cascade_shared.envelope import Envelope

from tests import infra
from tests.cluster import SERVICES, Cluster, make_cluster
from tests.results_story import run_results_story, tracked_tasks
from tests.story import WARD, eventually, token

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


@pytest.fixture
async def cluster(pg_database: Any, namespace: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    c = await make_cluster(pg_database, namespace, tmp_path)
    try:
        for service in SERVICES:
            extra = {"CASCADE_RESULTS_SCAN_SECONDS": "0.5"} if service == "results" else {}
            c.start(service, **extra)
        for service in SERVICES:
            await c.wait_healthy(service)
        yield c
    finally:
        c.stop_all()


async def records(
    client: httpx.AsyncClient, who: dict[str, str], event_type: str
) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/audit/records", params={"event_type": event_type, "limit": 1000}, headers=who
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_results_story_and_faults_in_distributed_mode(cluster: Cluster) -> None:
    async with cluster.client() as client:
        story = await run_results_story(client, datetime.now(UTC).date())
        auditor = await token(client, "auditor.vn")

        # The overdue task is told once, however many scans ran.
        async def overdue_told() -> list[dict[str, Any]]:
            rows = await records(client, auditor, "results.task_overdue")
            return [r for r in rows if r["subject_id"] == story.task["id"]]

        told = await eventually(overdue_told)
        assert len(told) == 1 and told[0]["org_unit"] == WARD

        # The ward's head is told in the app (critical: it cannot be muted); the drafter was told
        # the report was accepted.
        head = await token(client, "head.huong-an")

        async def head_told() -> list[dict[str, Any]]:
            r = await client.get("/api/notifications/inbox", headers=head)
            assert r.status_code == 200, r.text
            return [n for n in r.json()["items"] if n["event_type"] == "results.task_overdue"]

        assert len(await eventually(head_told)) == 1
        drafter = await token(client, "drafter.huong-an")

        async def drafter_told() -> list[str]:
            r = await client.get("/api/notifications/inbox", headers=drafter)
            return [
                n["event_type"] for n in r.json()["items"] if n["event_type"].startswith("results.")
            ]

        assert "results.report_accepted" in await eventually(drafter_told)

        # Killed and started again: the reports are all there, nothing was sent twice.
        cluster.kill("results", signal.SIGKILL)
        cluster.start("results", CASCADE_RESULTS_SCAN_SECONDS="0.5")
        await cluster.wait_healthy("results")
        approver = await token(client, "approver.hue")
        r = await client.get(f"/api/results/reports/{story.report_id}/versions", headers=approver)
        assert r.status_code == 200, r.text
        assert [(v["version"], v["status"]) for v in r.json()] == [
            (1, "accepted"),
            (2, "submitted"),
        ]

        async def submitted_twice() -> list[dict[str, Any]]:
            rows = await records(client, auditor, "results.report_submitted")
            mine = [r for r in rows if r["payload"]["unit"] == WARD]
            return mine if len(mine) >= 2 else []

        sent = await eventually(submitted_twice)
        assert sorted(r["payload"]["version"] for r in sent) == [1, 2]
        assert len({r["event_id"] for r in sent}) == len(sent) == 2

        # plan.approved delivered again (a broker redelivery, here with a tampered copy of its
        # payload) is dropped by the inbox: the tracked task keeps what it had.
        [approved] = [
            r
            for r in await records(client, auditor, "plan.approved")
            if r["payload"]["plan_id"] == story.plan_id
        ]
        payload = approved["payload"]
        payload["tasks"][0]["job"] = "Bản sao giao lại không được áp dụng"
        envelope = Envelope(
            id=approved["event_id"],
            type="plan.approved",
            producer="plans",
            occurred_at=approved["occurred_at"],
            payload=payload,
        )
        connection = await aio_pika.connect(infra.AMQP_URL)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(f"{cluster.namespace}.events")
            for _ in range(2):
                await exchange.publish(
                    aio_pika.Message(envelope.to_json(), message_id=str(envelope.id)),
                    routing_key="plan.approved",
                )

        async def dropped_twice() -> bool:
            line = f"dropped a repeat of plan.approved {envelope.id}"
            return cluster.log_tail("results", 2000).count(line) == 2

        await eventually(dropped_twice)
        [after] = await tracked_tasks(client, drafter, WARD)
        assert after["job"] == story.task["job"] and after["percent"] == 80
        assert len(await overdue_told()) == 1
