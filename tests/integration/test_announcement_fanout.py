"""An announcement's fan-out, driven step by step on PostgreSQL and on SQLite (embedded mode):
each member of the subtree gets exactly one copy in their inbox through a crash in the middle
of a chunk and through a replay of the whole announcement; those who asked for e-mail get it
once, held for their daily digest, and the digest folds it in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cascade_notifications.service import SERVICE
from cascade_notifications.settings import NotificationsSettings
from cascade_notifications.store import unread_count
from cascade_notifications.workers import fanout
from cascade_notifications.workers.digest import make_digests
from cascade_notifications.workers.fanout import fan_out_chunk
from cascade_shared.bus.inprocess import InProcessBus
from cascade_shared.chassis.migrations import upgrade
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.settings import Settings
from sqlalchemy import bindparam, text
from sqlmodel.sql.sqltypes import UTCDateTime

CITY = "vn.hue"
MEMBERS = 2_345
CHUNK = 500


def timed(sql: str, params: dict[str, Any]) -> Any:
    """``sql`` with its datetime parameters bound as the models' UTC times (on both backends)."""
    return text(sql).bindparams(
        *(bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime))
    )


@dataclass
class Fanout:
    runtime: ServiceRuntime

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def run(self, sql: str, **params: Any) -> None:
        async with self.runtime.engine.begin() as conn:
            await conn.execute(timed(sql, params), params)

    async def drain(self) -> int:
        steps = 0
        while await fan_out_chunk(self.runtime):
            steps += 1
        return steps


@pytest.fixture(params=["postgresql", "sqlite"])
async def world(
    request: pytest.FixtureRequest, pg_database: Any, tmp_path: Path
) -> AsyncIterator[Fanout]:
    """The notifications database with MEMBERS members of the city's wards (every tenth with
    an e-mail address and a ``*`` rule asking for e-mail, every twentieth of those also with a
    rule for announcements that declines e-mail), and a pending announcement to the city."""
    if request.param == "postgresql":
        url = await pg_database("notifications")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'notifications.sqlite3'}"
    await upgrade(SERVICE, url)
    runtime = ServiceRuntime(SERVICE, Settings(database_url=url, workers=False), InProcessBus())
    runtime.provide(NotificationsSettings(announcement_chunk=CHUNK, smtp_host="smtp.invalid"))
    world = Fanout(runtime)
    try:
        async with runtime.engine.begin() as conn:
            for g in range(1, MEMBERS + 1):
                await conn.execute(
                    text(
                        "INSERT INTO recipient (username, name, unit, roles, email, language,"
                        " active) VALUES (:u, :n, :unit, '[]', :email, :lang, :active)"
                    ),
                    {
                        "u": f"member-{g:05d}",
                        "n": f"Đảng viên {g}",
                        "unit": f"{CITY}.w-{g % 7}",
                        "email": f"member-{g}@example.gov.vn" if g % 10 == 0 else None,
                        "lang": "en" if g % 20 == 0 else "vi",
                        "active": g % 100 != 1,  # inactive members are not told
                    },
                )
                if g % 10 == 0:
                    await conn.execute(
                        text(
                            "INSERT INTO preference (username, kind, inapp, email, digest)"
                            " VALUES (:u, '*', true, true, false)"
                        ),
                        {"u": f"member-{g:05d}"},
                    )
                if g % 200 == 0:
                    await conn.execute(
                        text(
                            "INSERT INTO preference (username, kind, inapp, email, digest)"
                            " VALUES (:u, 'notification.announced', true, false, false)"
                        ),
                        {"u": f"member-{g:05d}"},
                    )
            await conn.execute(
                text(
                    "INSERT INTO recipient (username, name, unit, roles, email, language, active)"
                    " VALUES ('outsider', 'Hà Nội', 'vn.ha-noi', '[]', 'o@example.gov.vn', 'vi',"
                    " true)"
                )
            )
            ann = {"unit": CITY, "now": utcnow()}
            await conn.execute(
                timed(
                    "INSERT INTO announcement (id, unit, title, body, author, state, recipients,"
                    " created_at) VALUES ('ann-1', :unit, 'Hội nghị quán triệt', 'Kính mời dự',"
                    " 'head.hue', 'pending', 0, :now)",
                    ann,
                ),
                ann,
            )
        yield world
    finally:
        await runtime.engine.dispose()


ACTIVE = MEMBERS - len([g for g in range(1, MEMBERS + 1) if g % 100 == 1])
ASKED = len([g for g in range(1, MEMBERS + 1) if g % 10 == 0 and g % 200 != 0])


async def copies(world: Fanout) -> tuple[int, int]:
    total = await world.scalar(
        "SELECT count(*) FROM inbox_announcement WHERE announcement_id = 'ann-1'"
    )
    distinct = await world.scalar(
        "SELECT count(DISTINCT recipient) FROM inbox_announcement WHERE announcement_id = 'ann-1'"
    )
    return int(total), int(distinct)


async def mails(world: Fanout) -> int:
    return int(
        await world.scalar(
            "SELECT count(*) FROM delivery WHERE event_id = 'ann-1' AND channel = 'email'"
            " AND state = 'digest'"
        )
    )


async def test_every_member_gets_one_copy_through_a_crash_and_a_replay(
    world: Fanout, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fanout.queue_announcement_mail
    calls = 0

    async def crash_in_the_second_chunk(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        await real(*args, **kwargs)
        if calls == 2:
            raise RuntimeError("the worker died in the middle of a chunk")
        return 0

    monkeypatch.setattr(fanout, "queue_announcement_mail", crash_in_the_second_chunk)
    assert await fan_out_chunk(world.runtime) == CHUNK
    with pytest.raises(RuntimeError):
        await fan_out_chunk(world.runtime)
    # The second chunk's copies, e-mails and cursor went together.
    assert await copies(world) == (CHUNK, CHUNK)
    cursor = await world.scalar("SELECT cursor FROM announcement WHERE id = 'ann-1'")
    assert cursor == await world.scalar(
        "SELECT max(recipient) FROM inbox_announcement WHERE announcement_id = 'ann-1'"
    )
    monkeypatch.setattr(fanout, "queue_announcement_mail", real)
    await world.drain()
    assert await fan_out_chunk(world.runtime) == 0  # done: nothing left, nothing repeated
    assert await copies(world) == (ACTIVE, ACTIVE)
    assert await world.scalar("SELECT recipients FROM announcement WHERE id = 'ann-1'") == ACTIVE
    assert await world.scalar("SELECT state FROM announcement WHERE id = 'ann-1'") == "done"
    assert await mails(world) == ASKED
    assert (
        await world.scalar(
            "SELECT count(*) FROM outbox WHERE event_type = 'notification.announced'"
        )
        == 1
    )
    assert (
        await world.scalar(
            "SELECT count(*) FROM inbox_announcement WHERE recipient IN ('outsider',"
            " 'member-00001', 'member-00101')"
        )
        == 0
    )

    # Replayed from the start (as if its progress were lost): the keys insert nothing twice.
    await world.run("UPDATE announcement SET state = 'pending', cursor = NULL WHERE id = 'ann-1'")
    await world.drain()
    assert await copies(world) == (ACTIVE, ACTIVE)
    assert await mails(world) == ASKED


async def test_those_who_asked_get_it_in_their_digest_in_their_language(world: Fanout) -> None:
    await world.drain()
    asked = await world.scalar(
        "SELECT count(*) FROM delivery WHERE event_id = 'ann-1' AND recipient = 'member-00010'"
        " AND state = 'digest' AND target = 'member-10@example.gov.vn'"
        " AND subject = 'Thông báo: Hội nghị quán triệt' AND body = 'Kính mời dự'"
    )
    assert asked == 1
    english = await world.scalar(
        "SELECT subject FROM delivery WHERE event_id = 'ann-1' AND recipient = 'member-00020'"
    )
    assert english and english != "Thông báo: Hội nghị quán triệt"
    # A rule for announcements wins over the ``*`` rule; no rule, no e-mail.
    for declined in ("member-00200", "member-00011"):
        assert (
            await world.scalar(
                "SELECT count(*) FROM delivery WHERE event_id = 'ann-1' AND recipient = :u",
                u=declined,
            )
            == 0
        )
    # The unread count is exact for a member, and zero for someone outside the subtree.
    async with world.runtime.sessionmaker() as session:
        assert await unread_count(session, "member-00010") == 1
        assert await unread_count(session, "outsider") == 0

    # When the digest's hour comes, the announcement goes out folded into it, once.
    await world.run(
        "UPDATE delivery SET next_attempt_at = :past WHERE state = 'digest'",
        past=utcnow() - timedelta(minutes=1),
    )
    while await make_digests(world.runtime):
        pass
    assert await world.scalar("SELECT count(*) FROM delivery WHERE state = 'digest'") == 0
    digest = await world.scalar(
        "SELECT body FROM delivery WHERE event_type = 'digest' AND recipient = 'member-00010'"
    )
    assert "Hội nghị quán triệt" in digest
    assert await world.scalar("SELECT count(*) FROM delivery WHERE event_type = 'digest'") == ASKED


async def test_a_unit_code_with_a_wildcard_reaches_its_own_subtree_only(world: Fanout) -> None:
    """An ``_`` in a unit's code is a character, not LIKE's any-character."""
    for username, unit in (("inside", "vn.ha_noi.w-1"), ("lookalike", "vn.haxnoi.w-1")):
        await world.run(
            "INSERT INTO recipient (username, name, unit, roles, language, active)"
            " VALUES (:u, :u, :unit, '[]', 'vi', true)",
            u=username,
            unit=unit,
        )
    now = utcnow()
    await world.run(
        "INSERT INTO announcement (id, unit, title, body, author, state, recipients, created_at)"
        " VALUES ('ann-2', 'vn.ha_noi', 'Họp', 'Kính mời', 'head', 'pending', 0, :now)",
        now=now,
    )
    await world.drain()
    reached = "SELECT {} FROM inbox_announcement WHERE announcement_id = 'ann-2'"
    assert await world.scalar(reached.format("count(*)")) == 1
    assert await world.scalar(reached.format("min(recipient)")) == "inside"
