"""Each service's schema changes only through its migrations: they agree with the models, and
upgrade -> downgrade -> upgrade works on PostgreSQL (and upgrades SQLite for embedded mode)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from cascade_shared.chassis.migrations import alembic_config, downgrade_sync, upgrade_sync
from cascade_shared.chassis.registry import all_services
from cascade_shared.chassis.service import ServiceDefinition
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = all_services()
IDS = [s.name for s in SERVICES]


async def _diff(definition: ServiceDefinition, url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Any) -> list[Any]:
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(ctx, definition.metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("definition", SERVICES, ids=IDS)
def test_single_head(definition: ServiceDefinition) -> None:
    script = ScriptDirectory.from_config(alembic_config(definition, "sqlite://"))
    assert len(script.get_heads()) == 1


@pytest.mark.parametrize("definition", SERVICES, ids=IDS)
async def test_stairway_and_models_match_on_postgres(
    definition: ServiceDefinition, pg_database: Any
) -> None:
    url = await pg_database(definition.name)
    await asyncio.to_thread(upgrade_sync, definition, url)
    assert await _diff(definition, url) == []
    expected = set(definition.metadata.tables)
    assert expected <= await _tables(url)
    await asyncio.to_thread(downgrade_sync, definition, url, "base")
    assert await _tables(url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade_sync, definition, url)
    assert await _diff(definition, url) == []


@pytest.mark.parametrize("definition", SERVICES, ids=IDS)
async def test_models_match_on_sqlite(definition: ServiceDefinition, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    await asyncio.to_thread(upgrade_sync, definition, url)
    assert await _diff(definition, url) == []
    await asyncio.to_thread(downgrade_sync, definition, url, "base")
    await asyncio.to_thread(upgrade_sync, definition, url)
