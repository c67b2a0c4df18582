"""The notifications read models keep the latest change whatever order events arrive in (on
SQLite, as in embedded mode, whose datetimes come back without a zone); and the keys of a
user's digests of one day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cascade_notifications.domain.digest import digest_event_id
from cascade_notifications.handlers import HANDLERS
from cascade_notifications.models import Delegation, Recipient, UnitView, metadata
from cascade_notifications.workers.digest import digest_key
from cascade_shared.chassis.service import HandlerContext
from cascade_shared.db import make_engine, make_sessionmaker
from cascade_shared.envelope import Envelope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class ReadModels:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def handle(self, type_: str, payload: dict[str, Any], at: datetime) -> None:
        envelope = Envelope(type=type_, producer="test", payload=payload, occurred_at=at)
        async with self.sessions() as session, session.begin():
            await HANDLERS[type_](HandlerContext(None, session, envelope), envelope)  # type: ignore[arg-type]

    async def get(self, model: Any, key: str) -> Any:
        async with self.sessions() as session:
            return await session.get(model, key)


@pytest.fixture
async def models(tmp_path: Path) -> AsyncIterator[ReadModels]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'notifications.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield ReadModels(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def user(name: str, active: bool) -> dict[str, Any]:
    return {
        "username": "u",
        "name": name,
        "unit": "vn.hue",
        "roles": ["approver"],
        "active": active,
    }


async def test_an_older_user_change_is_ignored(models: ReadModels) -> None:
    await models.handle("directory.user_changed", user("v2", False), T0)
    await models.handle("directory.user_changed", user("v1", True), T0 - timedelta(seconds=1))
    row = await models.get(Recipient, "u")
    assert (row.name, row.active) == ("v2", False)
    await models.handle("directory.user_changed", user("v3", True), T0 + timedelta(seconds=1))
    row = await models.get(Recipient, "u")
    assert (row.name, row.active) == ("v3", True)
    # The same event again (redelivery after the inbox forgot) applies the same values.
    await models.handle("directory.user_changed", user("v3", True), T0 + timedelta(seconds=1))
    assert (await models.get(Recipient, "u")).name == "v3"


async def test_an_older_unit_change_is_ignored(models: ReadModels) -> None:
    unit = {"code": "vn.hue", "level": "city", "parent": "vn"}
    await models.handle("directory.unit_changed", {**unit, "name": "new"}, T0)
    await models.handle("directory.unit_changed", {**unit, "name": "old"}, T0 - timedelta(1))
    assert (await models.get(UnitView, "vn.hue")).name == "new"


def delegation(**extra: Any) -> dict[str, Any]:
    return {
        "delegation_id": "d-1",
        "unit": "vn.hue",
        "delegator": "approver.hue",
        "delegate": "deputy.hue",
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(days=7)).isoformat(),
        **extra,
    }


GRANT, REVOKE = "approval.delegation_granted", "approval.delegation_revoked"


@pytest.mark.parametrize("grant_at", [T0 - timedelta(seconds=1), T0 + timedelta(seconds=1)])
async def test_a_revoke_before_its_grant_wins(models: ReadModels, grant_at: datetime) -> None:
    await models.handle(REVOKE, delegation(active=False), T0)
    await models.handle(GRANT, delegation(), grant_at)
    row = await models.get(Delegation, "d-1")
    assert row.active is False and row.delegate == "deputy.hue"


async def test_a_grant_replayed_after_its_revoke_changes_nothing(models: ReadModels) -> None:
    await models.handle(GRANT, delegation(), T0 - timedelta(seconds=1))
    assert (await models.get(Delegation, "d-1")).active is True
    await models.handle(REVOKE, delegation(active=False), T0)
    await models.handle(GRANT, delegation(), T0 - timedelta(seconds=1))
    assert (await models.get(Delegation, "d-1")).active is False


def test_each_digest_of_a_day_has_its_own_key() -> None:
    day = date(2026, 11, 23)
    assert digest_key("u", day, 0) == digest_event_id("u", day)
    keys = {
        digest_key(u, d, n) for u in ("u", "v") for d in (day, date(2026, 11, 24)) for n in range(3)
    }
    assert len(keys) == 12
    assert digest_key("u", day, 1) == digest_key("u", day, 1)
