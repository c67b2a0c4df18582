"""The unit read models of notifications and results keep each directory entry's kind: an
older ``directory.unit_changed`` (sent before bodies existed, without ``kind``) is a unit, a
body is kept as one (so its name resolves) and never counted among the units below."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cascade_notifications import handlers as notifications_handlers
from cascade_notifications import models as notifications_models
from cascade_results import handlers as results_handlers
from cascade_results import models as results_models
from cascade_results.standing import child_units
from cascade_shared.chassis.service import HandlerContext
from cascade_shared.db import make_engine, make_sessionmaker
from cascade_shared.envelope import Envelope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
SERVICES = {
    "notifications": (notifications_handlers.HANDLERS, notifications_models),
    "results": (results_handlers.HANDLERS, results_models),
}

CITY = {"code": "vn.hue", "name": "Thành ủy Huế", "level": "city", "parent": "vn"}
OLD_WARD = {  # as announced before bodies existed: no kind
    "code": "vn.hue.huong-an",
    "name": "Phường Hương An",
    "level": "ward",
    "parent": "vn.hue",
}
BODY = {
    "code": "vn.hue.so-y-te",
    "name": "Sở Y tế thành phố Huế",
    "level": "city",
    "parent": "vn.hue",
    "kind": "body",
}


class ReadModels:
    def __init__(self, handlers: dict[str, Any], sessions: async_sessionmaker[AsyncSession]):
        self.handlers = handlers
        self.sessions = sessions

    async def handle(self, type_: str, payload: dict[str, Any], at: datetime = T0) -> None:
        envelope = Envelope(type=type_, producer="test", payload=payload, occurred_at=at)
        async with self.sessions() as session, session.begin():
            await self.handlers[type_](HandlerContext(None, session, envelope), envelope)  # type: ignore[arg-type]


@pytest.fixture(params=list(SERVICES))
async def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[ReadModels, Any]]:
    handlers, models = SERVICES[request.param]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    try:
        yield ReadModels(handlers, make_sessionmaker(engine)), models
    finally:
        await engine.dispose()


async def test_an_event_without_kind_is_a_unit_and_a_body_stays_a_body(
    service: tuple[ReadModels, Any],
) -> None:
    read, models = service
    for payload in (CITY, OLD_WARD, BODY):
        await read.handle("directory.unit_changed", payload)
    async with read.sessions() as session:
        kinds = {
            code: (await session.get(models.UnitView, code)).kind
            for code in ("vn.hue", "vn.hue.huong-an", "vn.hue.so-y-te")
        }
    assert kinds == {"vn.hue": "unit", "vn.hue.huong-an": "unit", "vn.hue.so-y-te": "body"}
    # An older change arriving late (before it was registered as a body) changes nothing.
    await read.handle("directory.unit_changed", {**BODY, "kind": "unit"}, T0.replace(hour=8))
    async with read.sessions() as session:
        assert (await session.get(models.UnitView, BODY["code"])).kind == "body"


async def test_results_counts_no_body_among_the_units_below(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'results.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(results_models.metadata.create_all)
    try:
        read = ReadModels(results_handlers.HANDLERS, make_sessionmaker(engine))
        for payload in (CITY, OLD_WARD, BODY):
            await read.handle("directory.unit_changed", payload)
        async with read.sessions() as session:
            assert [u.code for u in await child_units(session, "vn.hue")] == [OLD_WARD["code"]]
    finally:
        await engine.dispose()


async def test_notifications_counts_no_body_among_the_units_below(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'notifications.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(notifications_models.metadata.create_all)
    try:
        read = ReadModels(notifications_handlers.HANDLERS, make_sessionmaker(engine))
        for payload in (CITY, OLD_WARD, BODY):
            await read.handle("directory.unit_changed", payload)
        # Someone's account attached to the body does not make it a unit below either.
        user = {
            "username": "clerk.so-y-te",
            "name": "Văn thư Sở Y tế",
            "unit": BODY["code"],
            "roles": ["drafter"],
        }
        await read.handle("directory.user_changed", user)
        envelope = Envelope(type="plan.approved", producer="test", payload={})
        async with read.sessions() as session:
            ctx = HandlerContext(None, session, envelope)  # type: ignore[arg-type]
            assert await notifications_handlers._child_units(ctx, "vn.hue") == [OLD_WARD["code"]]
    finally:
        await engine.dispose()
