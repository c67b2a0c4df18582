"""The skeleton story in embedded mode: one process, SQLite files, the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cascade_embedded.main import build_app
from cascade_shared.settings import Settings

from tests.story import run_story, token


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.5,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as c:
            yield c


async def test_skeleton_story_from_ward_draft_to_city_approval(client: httpx.AsyncClient) -> None:
    result = await run_story(client)
    assert result.trail[0]["actor"] == "drafter.huong-an"


async def test_a_sibling_ward_cannot_see_the_plan_and_a_city_approver_cannot_draft(
    client: httpx.AsyncClient,
) -> None:
    result = await run_story(client)
    sibling = await token(client, "drafter.phu-xuan")
    r = await client.get(f"/api/plans/{result.plan_id}", headers=sibling)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    approver = await token(client, "approver.hue")
    r = await client.post("/api/plans", json={"title": "Không được phép"}, headers=approver)
    assert r.status_code == 403
    r = await client.get("/api/plans/" + result.plan_id)
    assert r.status_code == 401
