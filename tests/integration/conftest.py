"""Fixtures shared by the approvals tests on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

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
