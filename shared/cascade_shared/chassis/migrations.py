"""Alembic plumbing shared by every service's migration tree.

Each service has its own tree and its own ``alembic_version`` in its own database. Migrations are
an explicit step (``cascade-migrate <service>``) before a service starts; on PostgreSQL they run
under an advisory lock, so replicas that race to migrate wait for each other.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cascade_shared.chassis.service import ServiceDefinition
from cascade_shared.db import advisory_key


def _lock_id(name: str) -> int:
    return advisory_key(f"cascade-migrate:{name}")


def run_env(metadata: MetaData, service: str) -> None:
    """The body of a service's ``env.py``."""
    config = context.config
    url = (
        config.attributes.get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("CASCADE_DATABASE_URL")
    )
    if not url:
        raise RuntimeError("set CASCADE_DATABASE_URL (or sqlalchemy.url) to migrate")
    sqlite = url.startswith("sqlite")

    def configure(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_lock_id(service)})"))
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        return

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(configure)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())


def alembic_config(definition: ServiceDefinition, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.attributes["url"] = url
    return cfg


@cache
def migration_heads(migrations: Path) -> frozenset[str]:
    """The head revisions of a service's migration tree (read once per process)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def upgrade_sync(definition: ServiceDefinition, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(definition, url), revision)


def downgrade_sync(definition: ServiceDefinition, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(definition, url), revision)


async def upgrade(definition: ServiceDefinition, url: str, revision: str = "head") -> None:
    """Upgrade from async code (Alembic's env runs its own event loop in a worker thread)."""
    await asyncio.to_thread(upgrade_sync, definition, url, revision)
