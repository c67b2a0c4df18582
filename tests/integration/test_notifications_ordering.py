"""The notifications service on a real PostgreSQL when things come out of order: digest items
split across batches or replicas, or arriving after their slot's digest was made, each reach
their reader exactly once, in a digest; and an older directory or delegation event delivered
late (concurrent consumers, a dead-letter replay) never undoes a newer one."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
from cascade_notifications.models import Delivery, new_id
from cascade_notifications.workers.digest import make_digests
from cascade_notifications.workers.sending import send_due
from cascade_shared.db import table_of
from cascade_shared.envelope import utcnow
from sqlalchemy import insert

from tests.integration import test_notifications_postgres as pg
from tests.integration.test_notifications_postgres import HUE, Service, inbox, step

# The service on its own PostgreSQL database with an SMTP sink, as in the module above.
service, smtp_sink, hook_receiver = pg.service, pg.smtp_sink, pg.hook_receiver


# -- the daily digest ---------------------------------------------------------------------------
async def hold_for_digest(svc: Service, username: str, subjects: list[str], slot: datetime) -> None:
    """Queue e-mails for ``username``'s digest of ``slot``, as the handlers do."""
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "event_id": new_id(),
            "event_type": "plan.returned",
            "recipient": username,
            "channel": "email",
            "target": f"{username}@example.gov.vn",
            "subject": subject,
            "body": subject,
            "state": "digest",
            "attempts": 0,
            "next_attempt_at": slot,
            "created_at": now + timedelta(microseconds=n),
        }
        for n, subject in enumerate(subjects)
    ]
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(insert(table_of(Delivery)), rows)


def items(username: str, count: int, tag: str = "") -> list[str]:
    return [f"item {tag}{username} {n:04d}" for n in range(count)]


async def digest_all(svc: Service) -> None:
    """Run the digest maker until it finds nothing, then send everything that is due."""
    for _ in range(50):
        if not await make_digests(svc.runtime):
            break
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if not await send_due(svc.runtime, client):
                break
    pending = "SELECT count(*) FROM delivery WHERE state IN ('pending', 'digest')"
    assert await svc.scalar(pending) == 0


def mailed_items(svc: Service) -> Counter[tuple[str, str]]:
    """(recipient, item) for every item line of every e-mail the SMTP server received."""
    seen: Counter[tuple[str, str]] = Counter()
    for mail in svc.sink.messages():
        to = str(mail["To"]).split("@")[0]
        for line in mail.get_content().splitlines():
            if line.startswith("- "):
                seen[(to, line[2:].strip())] += 1
    return seen


def expected(by_user: dict[str, list[str]]) -> Counter[tuple[str, str]]:
    return Counter((user, s) for user, subjects in by_user.items() for s in subjects)


async def test_a_user_split_at_the_batch_boundary_gets_every_item_once(service: Service) -> None:
    svc = service
    await svc.runtime.stop_workers()  # this test runs the digest maker and the sender itself
    slot = utcnow() - timedelta(minutes=1)
    a, b = items("approver.hue", 999), items("head.hue", 3)
    await hold_for_digest(svc, "approver.hue", a, slot)
    await hold_for_digest(svc, "head.hue", b, slot)

    await digest_all(svc)

    assert mailed_items(svc) == expected({"approver.hue": a, "head.hue": b})
    assert await svc.scalar("SELECT count(*) FROM delivery WHERE state = 'digested'") == 1002
    assert len(svc.sink.raw) == 2  # whole users per batch: one e-mail each


async def test_items_after_their_slots_digest_come_in_another_digest(service: Service) -> None:
    svc = service
    await svc.runtime.stop_workers()
    slot = utcnow() - timedelta(minutes=1)
    first, late, later = (items("head.hue", 2, tag) for tag in ("", "late ", "later "))
    await hold_for_digest(svc, "head.hue", first, slot)
    assert await make_digests(svc.runtime) == 1
    # One arrives while the digest of its slot waits to be sent...
    await hold_for_digest(svc, "head.hue", late, slot)
    await digest_all(svc)
    # ... and one after that digest went out.
    await hold_for_digest(svc, "head.hue", later, slot)
    await digest_all(svc)

    assert mailed_items(svc) == expected({"head.hue": first + late + later})
    assert len(svc.sink.raw) == 3
    assert len({m["Message-ID"] for m in svc.sink.messages()}) == 3
    assert await make_digests(svc.runtime) == 0


async def test_two_digest_makers_racing_send_every_item_once(service: Service) -> None:
    svc = service
    await svc.runtime.stop_workers()
    slot = utcnow() - timedelta(minutes=1)
    users = ["approver.hue", "approver2.hue", "deputy.hue"]
    queued = {u: items(u, 700) for u in users}
    for username, subjects in queued.items():
        await hold_for_digest(svc, username, subjects, slot)

    for _ in range(20):  # two replicas, each claiming rows with SKIP LOCKED
        made = await asyncio.gather(make_digests(svc.runtime), make_digests(svc.runtime))
        if not any(made):
            break
    await digest_all(svc)

    assert mailed_items(svc) == expected(queued)


# -- read models: the latest change wins ------------------------------------------------------
def user(active: bool, name: str) -> dict[str, Any]:
    return {
        "username": "approver2.hue",
        "name": name,
        "unit": HUE,
        "roles": ["approver"],
        "email": "approver2.hue@example.gov.vn",
        "language": "en",
        "active": active,
    }


async def test_an_older_user_change_arriving_late_is_ignored(service: Service) -> None:
    svc = service
    now = utcnow()
    await svc.handle("directory.user_changed", user(False, "v2"), occurred_at=now)
    await svc.handle(
        "directory.user_changed", user(True, "v1"), occurred_at=now - timedelta(seconds=5)
    )
    row = "SELECT name || ':' || active::text FROM recipient WHERE username = 'approver2.hue'"
    assert await svc.scalar(row) == "v2:false"
    await svc.handle("approval.step_assigned", step())
    assert await inbox(svc, "approver2.hue", HUE) == []  # still deactivated
    assert len(await inbox(svc, "approver.hue", HUE)) == 1
    # A newer change applies.
    await svc.handle(
        "directory.user_changed", user(True, "v3"), occurred_at=now + timedelta(seconds=5)
    )
    assert await svc.scalar(row) == "v3:true"


def delegation(n: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "delegation_id": f"d-{n}",
        "unit": HUE,
        "delegator": "approver.hue",
        "delegate": "deputy.hue",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=6)).isoformat(),
    }


async def test_a_revoke_handled_before_its_grant_wins(service: Service) -> None:
    svc = service
    now = utcnow()
    # The revoke overtakes its grant.
    await svc.handle(
        "approval.delegation_revoked", {**delegation(1), "active": False}, occurred_at=now
    )
    await svc.handle(
        "approval.delegation_granted", delegation(1), occurred_at=now - timedelta(seconds=5)
    )
    # A grant stamped later than its revoke (clocks of two replicas) does not reopen it either.
    await svc.handle(
        "approval.delegation_revoked", {**delegation(2), "active": False}, occurred_at=now
    )
    await svc.handle(
        "approval.delegation_granted", delegation(2), occurred_at=now + timedelta(seconds=5)
    )
    # And a grant replayed after its revoke (a dead letter sent again) changes nothing.
    granted = await svc.handle(
        "approval.delegation_granted", delegation(3), occurred_at=now - timedelta(seconds=5)
    )
    await svc.handle(
        "approval.delegation_revoked", {**delegation(3), "active": False}, occurred_at=now
    )
    async with svc.runtime.engine.begin() as conn:
        await conn.exec_driver_sql("DELETE FROM inbox")  # the inbox forgot the grant
    await svc.runtime.handle(granted)

    active = "SELECT count(*) FROM delegation WHERE active"
    assert await svc.scalar(active) == 0
    assert await svc.scalar("SELECT count(*) FROM delegation") == 3
    await svc.handle("approval.step_assigned", step())
    assert await inbox(svc, "deputy.hue", HUE) == []  # the delegate is not told of the step
    assert len(await inbox(svc, "approver.hue", HUE)) == 1
