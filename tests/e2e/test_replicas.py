"""Two replicas of every service behind the gateway, with one replica after another killed with
SIGKILL and restarted while whole stories run: no event lost, none applied twice, each range of
the audit chain sealed once, the chain whole and reconciled both ways; and a step left undecided
past its deadline is marked overdue and escalated exactly once, by whichever replica's deadline
scheduler gets there, while the kills go on.

The test's own requests never cross a kill (a lock holds the kill until the request in flight is
answered), so what is exercised is what the services do with each other: relays, consumers and
workers dying mid-work and their replicas carrying on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.cluster import BIN, SERVICES
from tests.replicas import ReplicatedCluster, make_replicated
from tests.story import (
    create_draft,
    eventually,
    fixed_and_submitted,
    fresh_ward,
    queue_item,
    run_story,
    token,
)

STORIES = 4
SEED = 20261129


class TakesTurns(httpx.AsyncBaseTransport):
    """A transport whose requests and the killer take turns on one lock."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self.lock = lock
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.lock:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _chaos(
    replicated: ReplicatedCluster, lock: asyncio.Lock, stop: asyncio.Event, killed: list[str]
) -> None:
    """Every second or so, kill a replica whose twin is up, and start it again."""
    pick = random.Random(SEED)
    restarting: dict[str, asyncio.Task[None]] = {}
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()
        if stop.is_set():
            break
        for service, task in list(restarting.items()):
            if task.done():
                await task  # a replica that failed to come back fails the test
                del restarting[service]
        candidates = [s for s in SERVICES if s not in restarting]
        if not candidates:
            continue
        service, replica = pick.choice(candidates), pick.randrange(replicated.replicas)
        async with lock:
            replicated.kill(service, replica)
            killed.append(f"{service}-{replica}")
            replicated.start(service, replica)
        # Its twin serves meanwhile; this service is not touched again until it is back.
        restarting[service] = asyncio.create_task(replicated.wait_ready(service, replica))
    await asyncio.gather(*restarting.values())


async def _left_overdue(replicated: ReplicatedCluster, client: httpx.AsyncClient) -> str:
    """A plan submitted in a ward of its own whose sign-off is left undecided, its deadline
    moved four days back: the plan id."""
    ward = await fresh_ward(client, "replica-late")
    drafter = await token(client, f"drafter.{ward}")
    plan_id = await create_draft(client, drafter, "Kế hoạch để quá hạn phê duyệt")
    await fixed_and_submitted(client, drafter, plan_id)
    item = await queue_item(client, await token(client, f"head.{ward}"), plan_id)
    url = replicated.cluster.databases["approvals"].replace("+asyncpg", "")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE approval_step SET due_at = now() - interval '4 days' "
            "WHERE case_id = $1 AND status = 'active'",
            item["case_id"],
        )
    finally:
        await conn.close()
    return plan_id


async def test_two_replicas_of_every_service_survive_repeated_kills(
    pg_database: Any, namespace: str, tmp_path: Path
) -> None:
    replicated = await make_replicated(pg_database, namespace, tmp_path, replicas=2)
    key = tmp_path / "audit-signing-key.pem"
    await asyncio.to_thread(
        subprocess.run, [str(BIN / "cascade-audit-admin"), "keygen", str(key)], check=True
    )
    replicated.cluster.extra_env.update(
        {
            "CASCADE_AUDIT_SIGNING_KEY_FILE": str(key),
            "CASCADE_AUDIT_CHECKPOINT_EVERY": "4",  # both replicas' sealers race all along
            "CASCADE_AUDIT_SEAL_POLL_INTERVAL": "0.5",
            # Twelve processes on one PostgreSQL (max_connections 100, shared with the run).
            "CASCADE_DB_POOL_SIZE": "3",
            # Both replicas' deadline schedulers race for every overdue step.
            "CASCADE_APPROVALS_DEADLINE_POLL_SECONDS": "0.2",
        }
    )
    since = datetime.now(UTC) - timedelta(seconds=1)
    lock = asyncio.Lock()
    stop = asyncio.Event()
    killed: list[str] = []
    try:
        await replicated.start_all()
        chaos = asyncio.create_task(_chaos(replicated, lock, stop, killed))
        try:
            async with replicated.client(transport=TakesTurns(lock)) as client:
                plans: list[str] = []
                wards: dict[str, str] = {}
                # At least STORIES stories, and on until a replica of every service was killed.
                while len(plans) < STORIES or {k.rsplit("-", 1)[0] for k in killed} != set(
                    SERVICES
                ):
                    assert len(plans) < 4 * STORIES, f"too few kills: {killed}"
                    # A ward has one plan per program: each story in a ward of its own.
                    ward = await fresh_ward(client, f"replica-{len(plans) + 1}")
                    plans.append((await run_story(client, ward)).plan_id)
                    wards[plans[-1]] = ward
                late = await _left_overdue(replicated, client)
                city_head = await token(client, "head.hue")

                async def escalated() -> list[Any]:
                    r = await client.get("/api/notifications/inbox", headers=city_head)
                    return [
                        n
                        for n in r.json()["items"]
                        if n["plan_id"] == late and n["event_type"] == "approval.step_escalated"
                    ]

                await eventually(escalated, timeout=90)
                await asyncio.sleep(2)  # more scans by both schedulers, kills going on
        finally:
            stop.set()
            await chaos

        async with replicated.client() as client:
            auditor = await token(client, "auditor.vn")
            approved = []
            for plan_id in plans:  # one case per plan, however often the submission arrived
                drafter = await token(client, f"drafter.{wards[plan_id]}")
                r = await client.get(
                    "/api/approvals/cases", params={"plan_id": plan_id}, headers=drafter
                )
                assert r.status_code == 200 and len(r.json()) == 1, r.text
                r = await client.get("/api/notifications/inbox", headers=drafter)
                approved += [
                    n
                    for n in r.json()["items"]
                    if n["event_type"] == "plan.approved" and n["plan_id"] == plan_id
                ]
            assert len(approved) == len(plans)

            # The late step: marked overdue and escalated once each, told once.
            async def deadline_events() -> list[str] | None:
                r = await client.get(f"/api/audit/plans/{late}/events", headers=auditor)
                kinds = [e["event_type"] for e in r.json()]
                return kinds if "approval.step_escalated" in kinds else None

            kinds = await eventually(deadline_events)
            assert kinds.count("approval.step_overdue") == 1, kinds
            assert kinds.count("approval.step_escalated") == 1, kinds
            city_head = await token(client, "head.hue")
            r = await client.get("/api/notifications/inbox", headers=city_head)
            told = [
                n
                for n in r.json()["items"]
                if n["plan_id"] == late and n["event_type"] == "approval.step_escalated"
            ]
            assert len(told) == 1, told

            r = await client.get("/api/audit/verify", headers=auditor)
            assert r.status_code == 200 and r.json()["ok"] is True, r.text
            checkpoints = (
                await client.get("/api/audit/checkpoints", params={"limit": 1000}, headers=auditor)
            ).json()["items"]
            assert len(checkpoints) >= 2
            for earlier, later in itertools.pairwise(checkpoints):
                assert later["first_seq"] == earlier["last_seq"] + 1, (earlier, later)

            until = datetime.now(UTC) - timedelta(seconds=2)
            await asyncio.sleep(2.5)
            r = await client.get(
                "/api/audit/reconciliation",
                params={"since": since.isoformat(), "until": until.isoformat()},
                headers=auditor,
            )
            assert r.status_code == 200, r.text
            report = r.json()
            assert report["complete"] is True, report
            assert report["services"]["plans"]["published"] >= STORIES * 3
    finally:
        replicated.stop_all()
    print(f"\nkilled and restarted: {', '.join(killed)}")
