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
from cascade_audit.store import page, stream
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
    # Paged five at a time, unit by unit merged: every record of the subtree once, in order.
    async with a.engine.connect() as conn:
        streamed = [r async for r in stream(conn, RecordFilter(unit="vn.hue"), auditor, chunk=5)]
        everything, _ = await page(conn, RecordFilter(), None, limit=100)
    expected = [
        r.seq for r in everything if r.org_unit in ("vn.hue", "vn.hue.huong-an", "vn.hue.phu-xuan")
    ]
    assert [r.seq for r in streamed] == expected and len(expected) == 36

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


CHANGES = {  # what is changed, and the first record the whole chain's check must name
    "nothing": [],
    "a payload edited in a sealed range": [
        "UPDATE audit_record SET payload = jsonb_set(payload::jsonb, '{n}', '999')::json "
        "WHERE seq = 17"
    ],
    "a payload rewritten canonically past the last seal": [
        "UPDATE audit_record SET payload = replace(payload::text, '\"title\"', '\"titel\"')::json "
        "WHERE seq = 93"
    ],
    "the last record of a sealed range deleted": ["DELETE FROM audit_record WHERE seq = 20"],
    "a record deleted at a segment's end past the seals": [
        "DELETE FROM audit_record WHERE seq = 92"
    ],
    "the newest record deleted": ["DELETE FROM audit_record WHERE seq = 95"],
    "a link edited": ["UPDATE audit_record SET prev_hash = hash WHERE seq = 45"],
    "a hash edited": ["UPDATE audit_record SET hash = repeat('a', 64) WHERE seq = 64"],
    "an actor edited": ["UPDATE audit_record SET actor = 'x' WHERE seq = 33"],
    "a time edited by a microsecond": [
        "UPDATE audit_record SET occurred_at = occurred_at + interval '1 microsecond' "
        "WHERE seq = 71"
    ],
    "the chain rewritten from a changed record on": [
        "UPDATE audit_record SET actor = 'x' WHERE seq = 45",
        "rechain from 45",  # every later hash recomputed
    ],
}


FIRST_BROKEN = {
    "nothing": None,
    "a payload edited in a sealed range": 17,
    "a payload rewritten canonically past the last seal": 93,
    "the last record of a sealed range deleted": 21,
    "a record deleted at a segment's end past the seals": 93,
    "the newest record deleted": 95,
    "a link edited": 45,
    "a hash edited": 64,
    "an actor edited": 33,
    "a time edited by a microsecond": 71,
    "the chain rewritten from a changed record on": 41,  # checkpoint 5's signed head
}


async def _rechain_from(conn: Any, first: int) -> None:
    """Recompute every hash from ``first`` on, as someone rewriting the chain would."""
    from cascade_audit.domain.chain import record_hash
    from cascade_audit.models import chained_fields

    rows = (
        await conn.execute(
            text("SELECT * FROM audit_record WHERE seq >= :s ORDER BY seq"), {"s": first}
        )
    ).all()
    prev = (
        await conn.execute(text("SELECT hash FROM audit_record WHERE seq = :s"), {"s": first - 1})
    ).scalar()
    for row in rows:
        digest = record_hash(prev, chained_fields(row))
        await conn.execute(
            text("UPDATE audit_record SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": digest, "s": row.seq},
        )
        prev = digest


async def test_segments_checked_in_the_database_give_the_walks_verdict(
    replicas: list[ServiceRuntime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's segment checks name the same first broken record, for the same reason,
    with the same counts, as walking every record in Python - whatever was changed."""
    from cascade_audit import verification
    from cascade_audit.sealing import seal_due

    a, _ = replicas
    quoted = event(50).model_copy(update={"actor": 'Đ/c "Ba"', "subject_id": "a\\b"})
    for i in range(95):
        await a.handle(quoted if i == 50 else event(i))
    assert len(await seal_due(a)) == 9  # records 1..90 sealed in tens, 91..95 not yet
    key = private_key(a).public_key()

    walks: list[int] = []
    walk = verification._walk

    async def counted(conn: Any, verifier: Any, first: int, last: int, batch: int) -> None:
        walks.append(first)
        await walk(conn, verifier, first, last, batch)

    monkeypatch.setattr(verification, "_walk", counted)
    async with a.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE kept AS SELECT * FROM audit_record"))
    for name, statements in CHANGES.items():
        async with a.engine.begin() as conn:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            for sql in statements:
                if sql.startswith("rechain from"):
                    await _rechain_from(conn, int(sql.split()[-1]))
                else:
                    await conn.execute(text(sql))
        for from_seq in (1, 35):
            walks.clear()
            async with a.engine.connect() as conn:
                fast = await verify_store(conn, key, from_seq=from_seq, segment=2)
                walked = list(walks)
                plain = (
                    await verify_store(conn, key, from_seq=from_seq, in_database=False)
                ).verdict
            assert fast.verdict == plain, (name, from_seq, fast.verdict, plain)
            if from_seq == 1:
                assert fast.verdict.first_broken_seq == FIRST_BROKEN[name], (name, fast.verdict)
            if name == "nothing":
                # Only the segment holding the quoted strings needed the walk.
                assert fast.verdict.ok and walked == [51], walked
        async with a.engine.begin() as conn:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text("DELETE FROM audit_record"))
            await conn.execute(text("INSERT INTO audit_record SELECT * FROM kept"))
