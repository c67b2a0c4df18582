"""The results loop in embedded mode: one process, SQLite files, the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.results_story import run_results_story


@pytest.fixture
async def app_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    monkeypatch.setenv("CASCADE_RESULTS_SCAN_SECONDS", "0.5")
    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.5,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as c:
            yield app, c


async def test_results_story_embedded(app_client: tuple[object, httpx.AsyncClient]) -> None:
    _, client = app_client
    await run_results_story(client, datetime.now(UTC).date())
