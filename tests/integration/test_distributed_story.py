"""The skeleton story in distributed mode: four processes, PostgreSQL and RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster import Cluster, make_cluster
from tests.story import run_story


@pytest.fixture
async def cluster(pg_database: Any, namespace: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    c = await make_cluster(pg_database, namespace, tmp_path)
    try:
        await c.start_all()
        yield c
    finally:
        c.stop_all()


async def test_skeleton_story_with_each_service_in_its_own_process(cluster: Cluster) -> None:
    async with cluster.client() as client:
        result = await run_story(client)
    assert {row["producer"] for row in result.trail} == {"plans", "approvals"}
