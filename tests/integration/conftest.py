"""Fixtures shared by the integration tests on PostgreSQL: an approvals instance, and a
service's runtime on a fresh database of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceDefinition, ServiceRuntime
from cascade_shared.settings import Settings

from tests.integration.test_approvals_postgres import Instance, _instances


@pytest.fixture
async def approvals_db(pg_database: Any) -> str:
    """A fresh approvals database for this test."""
    return str(await pg_database("approvals"))


@pytest.fixture
async def one(approvals_db: str) -> AsyncIterator[Instance]:
    """One approvals instance on it, its workers off (the test drives them)."""
    async with AsyncExitStack() as stack:
        (instance,) = await _instances(stack, approvals_db, 1, workers=False)
        yield instance


@pytest.fixture
async def runtime_of(
    pg_database: Any,
) -> AsyncIterator[Callable[[ServiceDefinition], Awaitable[ServiceRuntime]]]:
    """Makes a runtime of a service on a fresh, migrated PostgreSQL database, over an
    in-process bus, its workers off and nothing started (the test hands it events)."""
    made: list[ServiceRuntime] = []

    async def make(definition: ServiceDefinition) -> ServiceRuntime:
        url = await pg_database(definition.name)
        await upgrade(definition, url)
        runtime = ServiceRuntime(
            definition, Settings(database_url=url, workers=False), InProcessBus()
        )
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        await runtime.stop()
