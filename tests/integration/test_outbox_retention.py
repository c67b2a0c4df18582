"""Published outbox rows are deleted after the retention, a batch at a time, on SQLite and on
PostgreSQL; unpublished rows never are; every service prunes its own outbox while it runs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cascade_plans.service import SERVICE
from cascade_shared.bus import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.outbox import prune_published
from cascade_shared.settings import Settings
from sqlalchemy import select

from tests import infra

OUTBOX = SERVICE.outbox


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[ServiceRuntime]]]:
    """A factory of the plans service's runtime (no demo data) on a fresh migrated database."""
    if request.param == "postgresql":
        infra.require_server("PostgreSQL", infra.PG_HOST, infra.PG_PORT)
    made: list[ServiceRuntime] = []
    databases: list[str] = []

    async def make(**settings: object) -> ServiceRuntime:
        url = None
        if request.param == "postgresql":
            databases.append(f"cascade_t_{infra.RUN_ID}_outbox_{uuid.uuid4().hex[:6]}")
            url = await infra.create_database(databases[-1])
        folder = tmp_path / str(len(made))
        config = Settings(data_dir=folder, database_url=url, seed_demo=False, **settings)  # type: ignore[arg-type]
        rt = ServiceRuntime(SERVICE, config, InProcessBus())
        await upgrade(SERVICE, rt.database_url)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        await rt.stop()
    for name in databases:
        await infra.drop_database(name)


async def put_rows(rt: ServiceRuntime, ages_in_days: list[float | None]) -> None:
    """One outbox row per age: published that many days ago, or never (None)."""
    now = utcnow()
    rows = []
    for age in ages_in_days:
        envelope = Envelope(type="plan.submitted", producer="plans", payload={"age": age})
        rows.append(
            {
                "event_id": str(envelope.id),
                "event_type": envelope.type,
                "envelope": envelope.to_dict(),
                "occurred_at": now - timedelta(days=age or 60),
                "available_at": now,
                "attempts": 0,
                "published_at": None if age is None else now - timedelta(days=age),
            }
        )
    async with rt.engine.begin() as conn:
        await conn.execute(OUTBOX.insert(), rows)


async def ages(rt: ServiceRuntime) -> list[float | None]:
    async with rt.engine.connect() as conn:
        envelopes = (await conn.execute(select(OUTBOX.c.envelope))).scalars().all()
    return sorted((e["payload"]["age"] for e in envelopes), key=lambda a: (a is None, a or 0))


async def test_only_rows_published_before_the_retention_go(
    runtime: Callable[..., Awaitable[ServiceRuntime]],
) -> None:
    rt = await runtime()
    await put_rows(rt, [45, 40, 31, 29, 1, None, None])
    deleted = await prune_published(rt.engine, OUTBOX, older_than=timedelta(days=30), batch_size=2)
    assert deleted == 3  # two batches of two, the second one short
    assert await ages(rt) == [1, 29, None, None]
    assert await prune_published(rt.engine, OUTBOX, older_than=timedelta(days=30)) == 0


async def test_a_running_service_prunes_its_outbox_and_zero_keeps_everything(
    runtime: Callable[..., Awaitable[ServiceRuntime]],
) -> None:
    keeper = await runtime(outbox_retention_days=0)
    await put_rows(keeper, [400, None])
    await keeper.start(consume=False)
    assert not any("pruner" in t.get_name() for t in keeper._workers)
    await keeper.stop()

    rt = await runtime(outbox_retention_days=7, outbox_prune_interval=0.05)
    await put_rows(rt, [10, 8, 2])
    await rt.start(consume=False)
    for _ in range(200):
        if await ages(rt) == [2]:
            break
        await asyncio.sleep(0.05)
    assert await ages(rt) == [2]
