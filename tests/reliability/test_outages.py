"""Outages as an operator meets them, on the real servers, through cuttable links.

1. Readiness tells the truth: while the broker is away a service is live but not ready (naming the
   broker); while its database is away, reads answer 503 with Retry-After (never 500) and
   readiness names the database; both recover by themselves.
2. Recovery in seconds: events written during a 10 s broker outage are published once it
   returns, in the order they were written, without waiting out the relay's backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from tests import infra
from tests.cluster import make_cluster
from tests.integration.test_metrics import samples, value
from tests.proxy import TcpProxy
from tests.story import WARDS, cases_of, create_draft, eventually, fix, token

PROBLEM = "application/problem+json"
OUTAGE_SECONDS = 10.0


async def _get(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        return await http.get(path)


async def test_every_service_is_live_and_ready_in_embedded_mode(
    client: httpx.AsyncClient,
) -> None:
    for service in ("plans", "approvals", "notifications", "results", "audit"):
        live = await client.get(f"/api/{service}/health/live")
        assert live.status_code == 200 and live.json() == {"status": "live"}
        for path in (f"/api/{service}/health/ready", f"/api/{service}/health"):
            ready = await client.get(path)
            assert ready.status_code == 200, ready.text
            assert ready.json() == {
                "status": "ready",
                "checks": {"database": "ok", "broker": "ok", "relay": "ok"},
            }


async def test_a_broker_outage_makes_a_service_unready_and_its_backlog_follows_in_order(
    pg_database: Any, namespace: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(infra.AMQP_HOST, infra.AMQP_PORT)
    await proxy.open()
    amqp = infra.AMQP_URL.replace(f":{infra.AMQP_PORT}/", f":{proxy.port}/")
    cluster = await make_cluster(pg_database, namespace, tmp_path, amqp_urls={"plans": amqp})
    arrivals: list[tuple[float, str]] = []
    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        await cluster.start_all()
        # Each plan.submitted as it is published, seen on the real broker.
        await infra.watch_published(connection, namespace, "plan.submitted", arrivals)
        port = cluster.ports["plans"]
        async with cluster.client() as client:
            city = await token(client, "approver.hue")
            plan_ids = []
            drafters: dict[str, dict[str, str]] = {}
            for i, ward in enumerate(WARDS):  # five plans: one per ward and program
                drafter = await token(client, f"drafter.{ward}")
                plan_id = await create_draft(client, drafter, f"Kế hoạch số {i + 1} (mất kết nối)")
                await fix(client, drafter, plan_id)
                plan_ids.append(plan_id)
                drafters[plan_id] = drafter

            await proxy.cut()
            cut_at = time.monotonic()

            async def unready() -> dict[str, Any] | None:
                r = await _get(port, "/api/plans/health/ready")
                return r.json() if r.status_code == 503 else None

            problem = await eventually(unready, timeout=15)
            assert problem["checks"]["broker"] == "disconnected", problem
            assert problem["checks"]["database"] == "ok"
            assert "broker" in problem["detail"]
            assert (await _get(port, "/api/plans/health/live")).status_code == 200

            for plan_id in plan_ids:  # the outbox keeps each event while the broker is away
                r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafters[plan_id])
                assert r.status_code == 200, r.text
            # What an operator's alert watches: the backlog and its age, on the service itself.
            backlog = samples((await _get(port, "/metrics")).text)
            assert value(backlog, "cascade_outbox_pending", service="plans") == len(plan_ids)
            assert value(backlog, "cascade_outbox_oldest_unpublished_seconds", service="plans") > 0
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
            assert arrivals == []

            await proxy.open()
            back_at = time.monotonic()

            async def all_published() -> bool:
                return len(arrivals) >= len(plan_ids)

            await eventually(all_published, timeout=60)
            assert [plan for _, plan in arrivals] == plan_ids  # in the order they were written
            print(
                f"\nbacklog of {len(plan_ids)} published "
                f"{arrivals[-1][0] - back_at:.2f} s after a {OUTAGE_SECONDS:g} s broker outage"
            )

            async def ready() -> bool:
                return (await _get(port, "/api/plans/health/ready")).status_code == 200

            await eventually(ready, timeout=15)

            async def drained() -> bool:
                # The relay marks and counts the rows once the broker confirmed them, which may
                # come after a consumer has already seen the messages.
                after = samples((await _get(port, "/metrics")).text)
                return value(after, "cascade_outbox_pending", service="plans") == 0 and value(
                    after, "cascade_outbox_published_total", service="plans"
                ) >= len(plan_ids)

            await eventually(drained, timeout=15)

            async def all_cases() -> bool:
                return all([len(await cases_of(client, city, p)) == 1 for p in plan_ids])

            await eventually(all_cases, timeout=60)
    finally:
        await connection.close()
        cluster.stop_all()
        await proxy.close()


async def test_reads_answer_503_while_the_database_is_away_and_recover_by_themselves(
    pg_database: Any, namespace: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(infra.PG_HOST, infra.PG_PORT)
    await proxy.open()
    cluster = await make_cluster(pg_database, namespace, tmp_path)
    direct = cluster.databases["plans"]
    cluster.databases["plans"] = direct.replace(f":{infra.PG_PORT}/", f":{proxy.port}/")
    assert cluster.databases["plans"] != direct
    try:
        await cluster.start_all()
        port = cluster.ports["plans"]
        async with cluster.client() as client:
            drafter = await token(client, "drafter.huong-an")
            assert (await client.get("/api/plans", headers=drafter)).status_code == 200

            await proxy.cut()
            r = await client.get("/api/plans", headers=drafter)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith(PROBLEM)
            assert int(r.headers["retry-after"]) > 0
            assert r.json()["title"] == "Service unavailable"

            ready = await _get(port, "/api/plans/health/ready")
            assert ready.status_code == 503, ready.text
            assert ready.headers["retry-after"]
            checks = ready.json()["checks"]
            assert checks["database"].startswith("unavailable"), checks
            assert checks["broker"] == "ok"
            assert (await _get(port, "/api/plans/health/live")).status_code == 200
            # Another service, with its own database, is unaffected.
            assert (
                await _get(cluster.ports["approvals"], "/api/approvals/health")
            ).status_code == 200

            await proxy.open()

            async def served() -> bool:
                return (await client.get("/api/plans", headers=drafter)).status_code == 200

            await eventually(served, timeout=30)
            assert (await _get(port, "/api/plans/health/ready")).status_code == 200
    finally:
        cluster.stop_all()
        await proxy.close()


async def test_a_database_behind_this_release_migrations_is_not_ready(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    import sqlite3

    def stamp(revision: str | None) -> str:
        # In a thread: the app shares this event loop, and SQLite's lock may be its to release.
        with contextlib.closing(sqlite3.connect(tmp_path / "results.sqlite3", timeout=30)) as db:
            with db:
                (head,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
                if revision is not None:
                    db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        return str(head)

    head = await asyncio.to_thread(stamp, "0001")
    try:
        r = await client.get("/api/results/health/ready")
        assert r.status_code == 503, r.text
        assert r.json()["checks"]["database"] == f"migrations at 0001, this release needs {head}"
        assert (await client.get("/api/results/health/live")).status_code == 200
        assert (await client.get("/api/plans/health/ready")).status_code == 200
    finally:
        await asyncio.to_thread(stamp, head)
    assert (await client.get("/api/results/health/ready")).status_code == 200
