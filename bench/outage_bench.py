"""Recovery after outages, in distributed mode on this machine's PostgreSQL and RabbitMQ.

Each round cuts one link of the plans service for ``--outage`` seconds (default 10) through a
TCP proxy, and measures from the moment the link returns:

- **broker**: plans are submitted while the broker is away (their events wait in the outbox);
  the time until the last of them is published, seen by a consumer of the test's own on the real
  broker (push, not polls), and whether they arrived in the order they were written;
- **database**: the time until a read of the plans list answers 200 again (503 until then).

    .venv/bin/python -m bench.outage_bench            # 3 rounds of each, 20 plans a round

Prints the figures and writes bench/OUTAGE-REPORT.md. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from tests import infra
from tests.cluster import make_cluster
from tests.proxy import TcpProxy
from tests.story import create_draft, eventually, fix, token

HERE = Path(__file__).parent


async def _databases() -> tuple[Any, list[str]]:
    made: list[str] = []

    async def make(label: str) -> str:
        name = f"cascade_bench_outage_{label}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        return await infra.create_database(name)

    return make, made


async def broker_round(
    client: httpx.AsyncClient, proxy: TcpProxy, arrivals: list[tuple[float, str]], args: Any
) -> dict[str, Any]:
    drafter = await token(client, "drafter.huong-an")
    plan_ids = []
    for i in range(args.plans):
        plan_id = await create_draft(client, drafter, f"Kế hoạch {i + 1} (đo phục hồi)")
        await fix(client, drafter, plan_id)
        plan_ids.append(plan_id)
    arrivals.clear()
    await proxy.cut()
    cut_at = time.monotonic()
    for plan_id in plan_ids:
        r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
        assert r.status_code == 200, r.text
    await asyncio.sleep(max(0.0, args.outage - (time.monotonic() - cut_at)))
    await proxy.open()
    back_at = time.monotonic()

    async def all_published() -> bool:
        return len(arrivals) >= len(plan_ids)

    await eventually(all_published, timeout=120, interval=0.01)
    return {
        "plans": len(plan_ids),
        "published_after_s": round(arrivals[-1][0] - back_at, 3),
        "first_after_s": round(arrivals[0][0] - back_at, 3),
        "in_order": [p for _, p in arrivals] == plan_ids,
    }


async def database_round(client: httpx.AsyncClient, proxy: TcpProxy, args: Any) -> dict[str, Any]:
    drafter = await token(client, "drafter.huong-an")
    await proxy.cut()
    await asyncio.sleep(args.outage)
    during = (await client.get("/api/plans", headers=drafter)).status_code
    await proxy.open()
    back_at = time.monotonic()

    async def served() -> bool:
        return (await client.get("/api/plans", headers=drafter)).status_code == 200

    await eventually(served, timeout=120, interval=0.01)
    return {"status_during": during, "served_after_s": round(time.monotonic() - back_at, 3)}


async def run(args: Any) -> dict[str, Any]:
    make, made = await _databases()
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    amqp_proxy = TcpProxy(infra.AMQP_HOST, infra.AMQP_PORT)
    pg_proxy = TcpProxy(infra.PG_HOST, infra.PG_PORT)
    await amqp_proxy.open()
    await pg_proxy.open()
    amqp = infra.AMQP_URL.replace(f":{infra.AMQP_PORT}/", f":{amqp_proxy.port}/")
    logs = Path(tempfile.mkdtemp(prefix="cascade-outage-bench-"))
    cluster = await make_cluster(make, namespace, logs, amqp_urls={"plans": amqp})
    direct = cluster.databases["plans"]
    cluster.databases["plans"] = direct.replace(f":{infra.PG_PORT}/", f":{pg_proxy.port}/")
    arrivals: list[tuple[float, str]] = []
    connection = await aio_pika.connect(infra.AMQP_URL)
    try:
        await cluster.start_all()
        await infra.watch_published(connection, namespace, "plan.submitted", arrivals)
        broker: list[dict[str, Any]] = []
        database: list[dict[str, Any]] = []
        async with cluster.client() as client:
            for i in range(args.rounds):
                broker.append(await broker_round(client, amqp_proxy, arrivals, args))
                print(f"broker round {i + 1}: {broker[-1]}", flush=True)
            for i in range(args.rounds):
                database.append(await database_round(client, pg_proxy, args))
                print(f"database round {i + 1}: {database[-1]}", flush=True)
    finally:
        await connection.close()
        cluster.stop_all()
        await amqp_proxy.close()
        await pg_proxy.close()
        await infra.delete_namespace(namespace, ["plans", "approvals", "notifications", "results"])
        for name in made:
            await infra.drop_database(name)
    return {
        "outage_s": args.outage,
        "broker": broker,
        "database": database,
        "broker_median_s": statistics.median(r["published_after_s"] for r in broker),
        "database_median_s": statistics.median(r["served_after_s"] for r in database),
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        "# Recovery after outages",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}), distributed mode on the "
        "local PostgreSQL and RabbitMQ, with `python -m bench.outage_bench`.",
        "",
        f"Each round cuts one link of the plans service for {figures['outage_s']:g} s through "
        "a TCP proxy. Times run from the moment the link returns.",
        "",
        "## Broker outage: the outbox backlog",
        "",
        "| round | plans submitted during the outage | first published after | "
        "last published after | in order |",
        "|---|---|---|---|---|",
    ]
    for i, r in enumerate(figures["broker"], 1):
        lines.append(
            f"| {i} | {r['plans']} | {r['first_after_s']:.2f} s | "
            f"{r['published_after_s']:.2f} s | {'yes' if r['in_order'] else 'NO'} |"
        )
    lines += [
        "",
        f"Median: the backlog is published **{figures['broker_median_s']:.2f} s** after the "
        "broker returns (target: within 2 s).",
        "",
        "## Database outage: reads",
        "",
        "| round | a read during the outage | served again after |",
        "|---|---|---|",
    ]
    for i, r in enumerate(figures["database"], 1):
        lines.append(f"| {i} | {r['status_during']} | {r['served_after_s']:.2f} s |")
    lines += [
        "",
        f"Median: reads are served **{figures['database_median_s']:.2f} s** after the "
        "database returns; during the outage they answer 503 with Retry-After.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plans", type=int, default=20)
    parser.add_argument("--outage", type=float, default=10.0)
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    text = report(figures)
    print(text)
    (HERE / "OUTAGE-REPORT.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
