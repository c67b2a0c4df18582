"""The audit store on the real PostgreSQL: concurrent appends keep one unbroken chain, the
database refuses updates and deletes, a direct change is named by verify, and two replicas
sealing at once never seal the same range twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cascade_audit.domain.query import RecordFilter
from cascade_audit.sealing import private_key
from cascade_audit.service import SERVICE
from cascade_audit.settings import AuditSettings
from cascade_audit.store import page
from cascade_audit.verification import verify_store
from cascade_shared.auth import Principal
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import Envelope
from cascade_shared.settings import Settings
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

UNITS = ["vn.hue.huong-an", "vn.hue.phu-xuan", "vn.hue", "vn.ha-noi", "vn.hue_x"]


def event(i: int) -> Envelope:
    return Envelope(
        type="plan.submitted" if i % 3 else "approval.step_decided",
        producer="plans",
        actor=f"user{i % 4}",
        org_unit=UNITS[i % len(UNITS)],
        subject_id=f"plan-{i % 7}",
        payload={"plan_id": f"plan-{i % 7}", "n": i, "title": "Kế hoạch"},
    )


@pytest.fixture
async def replicas(
    pg_database: Callable[[str], Awaitable[str]], tmp_path: Path
) -> AsyncIterator[list[ServiceRuntime]]:
    url = await pg_database("audit")
    settings = Settings(database_url=url, data_dir=tmp_path)
    bus = InProcessBus()
    runtimes = [ServiceRuntime(SERVICE, settings, bus) for _ in range(2)]
    await upgrade(SERVICE, url)
    for runtime in runtimes:
        assert SERVICE.on_start is not None
        await SERVICE.on_start(runtime)
        runtime.provide(AuditSettings(checkpoint_every=10))
    yield runtimes
    for runtime in runtimes:
        await runtime.engine.dispose()


async def _scalar(runtime: ServiceRuntime, sql: str) -> Any:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar()


async def test_one_chain_append_only_and_a_direct_change_is_named(
    replicas: list[ServiceRuntime],
) -> None:
    a, b = replicas
    events = [event(i) for i in range(60)]
    await asyncio.gather(*(r.handle(e) for r, e in zip([a, b] * 30, events, strict=True)))
    await a.handle(events[0])  # a repeat is dropped by the inbox
    assert await _scalar(a, "SELECT count(*) FROM audit_record") == 60
    assert await _scalar(a, "SELECT max(seq) FROM audit_record") == 60
    key = private_key(a).public_key()
    async with a.engine.connect() as conn:
        verdict = await verify_store(conn, key)
    assert verdict.verdict.ok and verdict.verdict.checked == 60

    # Unit subtree on PostgreSQL (prefix LIKE with the escaped "_"): Huế and below only.
    auditor = Principal(username="a", unit="vn.hue", roles=["auditor"])
    async with a.engine.connect() as conn:
        rows, _ = await page(conn, RecordFilter(), auditor, limit=100)
        mine, _ = await page(conn, RecordFilter(unit="vn.hue.huong-an"), auditor, limit=100)
    assert {r.org_unit for r in rows} == {"vn.hue", "vn.hue.huong-an", "vn.hue.phu-xuan"}
    assert {r.org_unit for r in mine} == {"vn.hue.huong-an"} and len(mine) == 12

    for sql in (
        "UPDATE audit_record SET actor = 'x' WHERE seq = 17",
        "DELETE FROM audit_record WHERE seq = 17",
        "TRUNCATE audit_record",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with a.engine.begin() as conn:
                await conn.execute(text(sql))

    # Someone with superuser rights bypasses the triggers and edits record 17.
    async with a.engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "UPDATE audit_record SET payload = "
                "jsonb_set(payload::jsonb, '{title}', '\"Sửa lén\"')::json WHERE seq = 17"
            )
        )
    async with a.engine.connect() as conn:
        verdict = await verify_store(conn, key)
        tail = await verify_store(conn, key, from_seq=30)
    assert not verdict.verdict.ok and verdict.verdict.first_broken_seq == 17
    # No checkpoint yet: a range check has nothing to start from but the beginning.
    assert tail.started_from_checkpoint is None and tail.verdict.first_broken_seq == 17


async def test_two_replicas_sealing_at_once_never_seal_the_same_range(
    replicas: list[ServiceRuntime],
) -> None:
    from cascade_audit.sealing import seal_due

    a, b = replicas
    for i in range(95):
        await (a if i % 2 else b).handle(event(i))
    sealed = await asyncio.gather(seal_due(a), seal_due(b), seal_due(a), seal_due(b))
    ranges = sorted((row["first_seq"], row["last_seq"]) for rows in sealed for row in rows)
    assert ranges == [(1 + 10 * k, 10 + 10 * k) for k in range(9)]
    numbers = await _scalar(
        a, "SELECT string_agg(number::text, ',' ORDER BY number) FROM audit_checkpoint"
    )
    assert numbers == ",".join(str(n) for n in range(1, 10))
    assert (
        await _scalar(a, "SELECT count(*) FROM outbox WHERE event_type = 'audit.checkpoint_sealed'")
        == 9
    )
    # Nothing more is due until ten more records or an hour; verify checks all nine.
    assert await seal_due(a) == []
    key = private_key(a).public_key()
    async with a.engine.connect() as conn:
        whole = await verify_store(conn, key)
        ranged = await verify_store(conn, key, from_seq=75, to_seq=90)
    assert whole.verdict.ok and whole.verdict.checkpoints_checked == 9
    assert ranged.verdict.ok and ranged.started_from_checkpoint == 7
    assert ranged.verdict.checked == 90 - 70
    with pytest.raises(DBAPIError, match="append-only"):
        async with a.engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_checkpoint WHERE number = 9"))


async def test_the_sealer_workers_of_two_replicas_seal_each_range_once(
    replicas: list[ServiceRuntime],
) -> None:
    from cascade_audit.sealing import checkpoint_sealer

    from tests.story import eventually

    for runtime in replicas:
        runtime.provide(AuditSettings(checkpoint_every=10, seal_poll_interval=0.05))
    workers = [asyncio.create_task(checkpoint_sealer(r)) for r in replicas]
    try:
        for i in range(25):
            await replicas[i % 2].handle(event(i))

        async def two_sealed() -> bool:
            return await _scalar(replicas[0], "SELECT count(*) FROM audit_checkpoint") >= 2

        await eventually(two_sealed)
        await asyncio.sleep(0.3)  # both workers have polled again since
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    ranges = await _scalar(
        replicas[0],
        "SELECT string_agg(first_seq || '-' || last_seq, ',' ORDER BY number) "
        "FROM audit_checkpoint",
    )
    assert ranges == "1-10,11-20", "records 21..25 wait for ten more or an hour"
