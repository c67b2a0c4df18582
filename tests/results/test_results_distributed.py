"""The results loop in distributed mode: each service its own process, PostgreSQL, RabbitMQ.

The same story as embedded mode, then faults: the results service killed with SIGKILL and
started again loses no report and sends no event twice; a plan.approved delivered twice is
applied once; an overdue task is chased exactly once however often the scheduler runs."""

from __future__ import annotations

import asyncio
import contextlib
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
from tests.e2e.test_faults import _require_tool, _run
from tests.results_story import (
    approved_ward_plan,
    month_of,
    run_results_story,
    tracked_tasks,
)
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


async def test_a_sign_off_cut_by_a_kill_and_a_decision_while_the_broker_is_down_count_once(
    cluster: Cluster,
) -> None:
    """The results service is killed while the head signs off, and the broker is stopped while
    the city accepts: after both come back, the report was submitted and accepted once, each
    event reached the audit once, and the roll-up shows the report's figure."""
    ctl = _require_tool("rabbitmqctl")
    async with cluster.client() as client:
        await approved_ward_plan(client)
        drafter = await token(client, "drafter.huong-an")
        head = await token(client, "head.huong-an")
        approver = await token(client, "approver.hue")
        auditor = await token(client, "auditor.vn")

        async def tracked() -> list[dict[str, Any]]:
            return await tracked_tasks(client, drafter, WARD)

        [task] = await eventually(tracked)
        period = month_of(datetime.now(UTC).date())
        r = await client.post(
            "/api/results/reports", json={"unit": WARD, "period": period}, headers=drafter
        )
        report = r.json()
        r = await client.put(
            f"/api/results/reports/{report['id']}/lines",
            json={"tasks": [{"task_id": task["id"], "state": "in_progress", "percent": 30}]},
            headers=drafter,
        )
        assert r.status_code == 200, r.text

        sign = f"/api/results/reports/{report['id']}/sign-off"
        attempt = asyncio.create_task(client.post(sign, headers=head))
        await asyncio.sleep(0.01)
        cluster.kill("results", signal.SIGKILL)
        with contextlib.suppress(httpx.HTTPError):
            await attempt
        cluster.start("results", CASCADE_RESULTS_SCAN_SECONDS="0.5")
        await cluster.wait_healthy("results")
        again = await client.post(sign, headers=head)  # the head tries again
        assert again.status_code in (200, 409), again.text

        await _run(ctl, "stop_app")
        try:
            r = await client.post(
                f"/api/results/reports/{report['id']}/decision",
                json={"decision": "accept"},
                headers=approver,
            )
            assert r.status_code == 200, r.text  # the event waits in the outbox
        finally:
            await _run(ctl, "start_app")
            await _run(ctl, "await_startup")

        async def both_recorded() -> list[str]:
            types = []
            for kind in ("results.report_submitted", "results.report_accepted"):
                types += [
                    r["event_type"]
                    for r in await records(client, auditor, kind)
                    if r["payload"]["report_id"] == report["id"]
                ]
            return types if len(types) >= 2 else []

        assert sorted(await eventually(both_recorded, timeout=90)) == [
            "results.report_accepted",
            "results.report_submitted",
        ]
        r = await client.get(f"/api/results/reports/{report['id']}/versions", headers=approver)
        assert [(v["version"], v["status"]) for v in r.json()] == [(1, "accepted")]
        r = await client.get(f"/api/results/tasks/{task['parent_task_id']}", headers=approver)
        assert r.json()["rolled_percent"] == 30
