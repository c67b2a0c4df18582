"""Outside bodies (departments, offices, the police, ...) are in the directory under the unit
they belong to, and the read models of notifications and results keep them - so a lead unit's
name resolves - but never count them among the units below: the embedded system with the demo
seed, where Huế has five wards and more than a dozen bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from cascade_notifications import models as notifications_models
from cascade_notifications.handlers import _child_units, with_unit_names
from cascade_results import models as results_models
from cascade_results.standing import child_units
from cascade_shared.chassis.service import HandlerContext
from cascade_shared.envelope import Envelope
from sqlmodel import select

from tests.story import eventually, token

HUE_WARDS = [
    "vn.hue.huong-an",
    "vn.hue.phong-phu",
    "vn.hue.phong-quang",
    "vn.hue.phu-xuan",
    "vn.hue.vinh-loc",
]
BODY = "vn.hue.so-y-te"
WARD_BODY = "vn.hue.huong-an.cong-an"


def runtimes(client: httpx.AsyncClient) -> dict[str, Any]:
    return client._transport.app.state.runtimes  # type: ignore[attr-defined,no-any-return]


async def directory_projected(runtime: Any, model: Any) -> bool:
    """The seeded directory (bodies included) has reached the service's read model."""
    async with runtime.sessionmaker() as session:
        rows = (await session.exec(select(model))).all()
    kinds = {r.code: r.kind for r in rows}
    return kinds.get(BODY) == "body" and kinds.get(WARD_BODY) == "body" and len(kinds) >= 60


async def test_notifications_keeps_bodies_but_not_among_the_units_below(
    client: httpx.AsyncClient,
) -> None:
    runtime = runtimes(client)["notifications"]
    await eventually(lambda: directory_projected(runtime, notifications_models.UnitView))
    envelope = Envelope(type="plan.approved", producer="test", payload={})
    async with runtime.sessionmaker() as session:
        ctx = HandlerContext(runtime, session, envelope)
        assert await _child_units(ctx, "vn.hue") == HUE_WARDS
        assert await _child_units(ctx, "vn.hue.huong-an") == []  # its bodies are no units
        assert "vn.hue" in await _child_units(ctx, "vn")
        # A body leading a task is still named in messages.
        named = await with_unit_names(ctx, {"lead_unit": BODY})
        assert named["lead_unit_name"] == "Sở Y tế thành phố Huế"


async def test_results_dashboard_and_units_below_list_the_wards_only(tmp_path: Path) -> None:
    """With the demo history (four wards' plans and reports), Huế's dashboard ranks its wards
    and no body; the units below a ward are none, though bodies are registered under it."""
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.5,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
        demo_history=True,
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as client:
            runtime = runtimes(client)["results"]
            await eventually(lambda: directory_projected(runtime, results_models.UnitView))
            async with runtime.sessionmaker() as session:
                below = await child_units(session, "vn.hue")
                assert sorted(u.code for u in below) == HUE_WARDS
                assert {u.kind for u in below} == {"unit"}
                assert await child_units(session, "vn.hue.huong-an") == []
                body = await session.get(results_models.UnitView, BODY)
                assert body is not None and (body.kind, body.parent) == ("body", "vn.hue")

            approver = await token(client, "approver.hue")
            params = {"unit": "vn.hue", "period": "2026-10", "as_of": "2026-11-29"}

            async def board() -> Any:
                r = await client.get("/api/results/dashboard", params=params, headers=approver)
                assert r.status_code == 200, r.text
                units = r.json()["units"]
                return units if len(units) == 4 else None

            units = await eventually(board)
            assert {row["unit"] for row in units} < set(HUE_WARDS)
            assert all(row["rank"] for row in units)
            r = await client.get("/api/results/dashboard.csv", params=params, headers=approver)
            assert r.status_code == 200 and "Phường Phú Xuân" in r.text
            assert "Sở Y tế" not in r.text and "Công an" not in r.text
