"""Read models on a real PostgreSQL when two consumers race on one row: a newer directory
change is being applied (its transaction holds the row) while an older one, delivered late by
a concurrent consumer, arrives. The older one must wait for the newer and then change nothing -
in approvals (who holds which role) and in results (unit names), through the one shared
projector. Before it, approvals read the row without a lock and the older change won."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from cascade_shared.chassis.service import HandlerContext, ServiceDefinition, ServiceRuntime
from cascade_shared.envelope import Envelope, utcnow

from tests import infra

pytestmark = pytest.mark.postgres


async def _waiting_on_a_lock(database: str) -> None:
    """Until a backend of ``database`` waits on a row lock (the late consumer is blocked)."""
    conn = await asyncpg.connect(infra.pg_admin_dsn())
    try:
        for _ in range(400):
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
            if waiting:
                return
            await asyncio.sleep(0.025)
        raise AssertionError("the late consumer never reached the row")
    finally:
        await conn.close()


async def race(
    runtime: ServiceRuntime,
    type_: str,
    first: dict[str, Any],
    newer: dict[str, Any],
    older: dict[str, Any],
) -> None:
    """Apply ``first``; then ``newer`` in a transaction left open while ``older`` (stamped
    between them) is handled by a second consumer; then let both finish."""
    handler = runtime.definition.handlers[type_]
    now = utcnow()
    await runtime.handle(
        Envelope(
            type=type_, producer="plans", payload=first, occurred_at=now - timedelta(minutes=1)
        )
    )
    late = Envelope(type=type_, producer="plans", payload=older, occurred_at=now)
    fresh = Envelope(
        type=type_, producer="plans", payload=newer, occurred_at=now + timedelta(seconds=5)
    )
    async with runtime.sessionmaker() as session_a:
        await session_a.begin()
        await handler(HandlerContext(runtime, session_a, fresh), fresh)
        await session_a.flush()

        async def second_consumer() -> None:
            async with runtime.sessionmaker() as session_b, session_b.begin():
                await handler(HandlerContext(runtime, session_b, late), late)

        other = asyncio.create_task(second_consumer())
        database = runtime.engine.url.database
        assert database is not None
        await _waiting_on_a_lock(database)
        await session_a.commit()
    await other


async def test_approvals_keeps_the_newer_role_when_an_older_change_races_it(
    runtime_of: Callable[[ServiceDefinition], Awaitable[ServiceRuntime]],
) -> None:
    from cascade_approvals.models import DirectoryUser
    from cascade_approvals.service import SERVICE

    runtime = await runtime_of(SERVICE)

    def user(name: str, roles: list[str]) -> dict[str, Any]:
        return {"username": "approver2.hue", "name": name, "unit": "vn.hue", "roles": roles}

    await race(
        runtime,
        "directory.user_changed",
        user("v0", ["approver"]),
        user("v2", []),  # the newer change took the role away
        user("v1", ["approver"]),
    )
    async with runtime.sessionmaker() as session:
        row = await session.get(DirectoryUser, "approver2.hue")
        assert row is not None and (row.name, row.roles) == ("v2", [])


async def test_results_keeps_the_newer_unit_name_when_an_older_change_races_it(
    runtime_of: Callable[[ServiceDefinition], Awaitable[ServiceRuntime]],
) -> None:
    from cascade_results.models import UnitView
    from cascade_results.service import SERVICE

    runtime = await runtime_of(SERVICE)

    def unit(name: str) -> dict[str, Any]:
        return {"code": "vn.hue.huong-an", "name": name, "level": "ward", "parent": "vn.hue"}

    await race(
        runtime,
        "directory.unit_changed",
        unit("Phường Hương An"),
        unit("Phường Hương An (mới)"),
        unit("Phường Hương An (cũ)"),
    )
    async with runtime.sessionmaker() as session:
        row = await session.get(UnitView, "vn.hue.huong-an")
        assert row is not None and row.name == "Phường Hương An (mới)"


async def test_results_keeps_the_newer_name_of_a_person_when_an_older_change_races_it(
    runtime_of: Callable[[ServiceDefinition], Awaitable[ServiceRuntime]],
) -> None:
    from cascade_results.models import PersonView
    from cascade_results.service import SERVICE

    runtime = await runtime_of(SERVICE)

    def person(name: str) -> dict[str, Any]:
        return {"username": "approver.hue", "name": name, "unit": "vn.hue", "roles": ["approver"]}

    await race(
        runtime,
        "directory.user_changed",
        person("Trần Văn Bình"),
        person("Trần Văn Bình (Trưởng ban)"),
        person("Trần Văn Bình (cũ)"),
    )
    async with runtime.sessionmaker() as session:
        row = await session.get(PersonView, "approver.hue")
        assert row is not None and row.name == "Trần Văn Bình (Trưởng ban)"
