"""Embedded mode: an event no handler can take is parked in the data folder, central admins see
and replay it through the API, it is still there after a restart, and ``cascade-admin`` counts
it from a shell but leaves the replay to the running system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cascade_embedded.main import build_app
from cascade_shared.auth import Principal
from cascade_shared.bus import ParkedStore
from cascade_shared.chassis.cli import admin_main
from cascade_shared.envelope import Envelope
from cascade_shared.settings import Settings
from fastapi import FastAPI

from tests.story import eventually, token

URL = "/api/approvals/dead-letters"


@asynccontextmanager
async def embedded(data_dir: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = Settings(data_dir=data_dir, jwt_secret="dead-letters-test-secret-of-32-bytes")
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as client:
            yield app, client


async def test_central_admins_see_replay_and_keep_a_parked_event_across_a_restart(
    tmp_path: Path,
) -> None:
    poison = Envelope(type="plan.submitted", producer="plans", payload={"plan_id": "broken"})
    async with embedded(tmp_path) as (app, client):
        admin = await token(client, "admin")
        assert (await client.get(URL, headers=admin)).json() == {
            "service": "approvals",
            "parked": 0,
        }
        assert await app.state.bus.publish([poison]) == [None]  # back once it is parked
        assert (await client.get(URL, headers=admin)).json()["parked"] == 1

        # Nobody else may look or replay: a ward's head, a city's approver, the central
        # auditor, a city's admin, or anyone without a token.
        city_admin = Principal(username="admin.hue", unit="vn.hue", roles=["admin"])
        others = [await token(client, who) for who in ("head.huong-an", "approver.hue")]
        others += [await token(client, "auditor.vn")]
        others += [{"Authorization": f"Bearer {app.state.token_verifier.issue(city_admin)}"}]
        for headers in others:
            assert (await client.get(URL, headers=headers)).status_code == 403
            assert (await client.post(f"{URL}/replay", headers=headers)).status_code == 403
        assert (await client.get(URL)).status_code == 401

        store: ParkedStore = app.state.bus.parked
        [before] = store.list("approvals")
        r = await client.post(f"{URL}/replay", headers=admin)
        assert r.status_code == 200 and r.json() == {"service": "approvals", "replayed": 1}

        async def parked_again() -> bool:  # it fails the same way, and is parked once more
            return [row.seq for row in store.list("approvals")] not in ([], [before.seq])

        await eventually(parked_again)
        await eventually(lambda: _one(store))
        [after] = store.list("approvals")
        assert after.envelope.id == poison.id and after.seq != before.seq

    async with embedded(tmp_path) as (_app, client):  # restarted
        admin = await token(client, "admin")
        assert (await client.get(URL, headers=admin)).json()["parked"] == 1
        plans = await client.get("/api/plans/dead-letters", headers=admin)
        assert plans.status_code == 200 and plans.json()["parked"] == 0


async def _one(store: ParkedStore) -> bool:
    return len(store.list("approvals")) == 1


def test_cascade_admin_counts_the_parked_file_and_sends_replays_to_the_running_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASCADE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CASCADE_BUS", "inprocess")
    store = ParkedStore(tmp_path / "dead-letters.sqlite3")
    store.add("notifications", Envelope(type="plan.approved", producer="plans"), "KeyError")
    admin_main(["dead-count", "notifications"])
    assert capsys.readouterr().out.strip() == "1"
    with pytest.raises(SystemExit) as exit_:
        admin_main(["replay-dead", "notifications"])
    assert exit_.value.code == 2
    assert "POST /api/notifications/dead-letters/replay" in capsys.readouterr().err
    assert store.count("notifications") == 1  # nothing taken out where nobody would handle it
