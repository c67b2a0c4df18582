"""Two replicas of every service behind the gateway, with one replica after another killed with
SIGKILL and restarted while whole stories run: no event lost, none applied twice, each range of
the audit chain sealed once, the chain whole and reconciled both ways; and a step left undecided
past its deadline is marked overdue and escalated exactly once, by whichever replica's deadline
scheduler gets there; announcements reach everyone below their unit exactly once, fanned out in
small chunks by both replicas' workers; and the readers who chose the daily e-mail digest get
exactly one digest each, with every one of their held notifications (the announcements among
them) in it exactly once, made by whichever replica's digest maker gets there first and sent by
whichever replica's sender claims it, and no other e-mail than critical notices, which are never
held; all while the kills go on.

The test's own requests never cross a kill (a lock holds the kill until the request in flight is
answered), so what is exercised is what the services do with each other: relays, consumers and
workers dying mid-work and their replicas carrying on.

The digest's hour is a setting, but the slot is fixed in each held e-mail when its event is
handled (the next digest hour after that moment), so no setting can bring the slot into the test
without also racing the handling of its events against the clock. The test does what the clock
would: once every event of the digest readers is handled (known from the notifications service's
inbox of handled events) and their e-mails are held, it moves their slot to now, as the
deadline above is moved back; everything after that is the services' own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cascade_notifications.domain.recipients import CRITICAL_KINDS
from cascade_notifications.handlers import HANDLERS

from tests.channels import MailSink
from tests.cluster import BIN, SERVICES
from tests.replicas import ReplicatedCluster, make_replicated
from tests.story import (
    create_draft,
    eventually,
    fixed_and_submitted,
    fresh_ward,
    queue_item,
    run_story,
    token,
)

STORIES = 4
SEED = 20261129
DIGEST_WARD = "replica-digest"
"""The ward whose drafter and head take their e-mail as a daily digest; its story is the first."""
ANNOUNCEMENTS = 2
ANNOUNCED = "notification.announced"


class TakesTurns(httpx.AsyncBaseTransport):
    """A transport whose requests and the killer take turns on one lock."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self.lock = lock
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.lock:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _chaos(
    replicated: ReplicatedCluster, lock: asyncio.Lock, stop: asyncio.Event, killed: list[str]
) -> None:
    """Every second or so, kill a replica whose twin is up, and start it again."""
    pick = random.Random(SEED)
    restarting: dict[str, asyncio.Task[None]] = {}
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()
        if stop.is_set():
            break
        for service, task in list(restarting.items()):
            if task.done():
                await task  # a replica that failed to come back fails the test
                del restarting[service]
        candidates = [s for s in SERVICES if s not in restarting]
        if not candidates:
            continue
        service, replica = pick.choice(candidates), pick.randrange(replicated.replicas)
        async with lock:
            replicated.kill(service, replica)
            killed.append(f"{service}-{replica}")
            replicated.start(service, replica)
        # Its twin serves meanwhile; this service is not touched again until it is back.
        restarting[service] = asyncio.create_task(replicated.wait_ready(service, replica))
    await asyncio.gather(*restarting.values())


async def _left_overdue(replicated: ReplicatedCluster, client: httpx.AsyncClient) -> str:
    """A plan submitted in a ward of its own whose sign-off is left undecided, its deadline
    moved four days back: the plan id."""
    ward = await fresh_ward(client, "replica-late")
    drafter = await token(client, f"drafter.{ward}")
    plan_id = await create_draft(client, drafter, "Kế hoạch để quá hạn phê duyệt")
    await fixed_and_submitted(client, drafter, plan_id)
    item = await queue_item(client, await token(client, f"head.{ward}"), plan_id)
    url = replicated.cluster.databases["approvals"].replace("+asyncpg", "")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE approval_step SET due_at = now() - interval '4 days' "
            "WHERE case_id = $1 AND status = 'active'",
            item["case_id"],
        )
    finally:
        await conn.close()
    return plan_id


async def _digest_readers(
    client: httpx.AsyncClient, notifications: asyncpg.Connection
) -> list[str]:
    """The drafter and head of a ward of their own, with e-mail addresses, who chose to get all
    their e-mail in the daily digest; returned once the notifications service knows their
    addresses (directory events travel)."""
    ward = await fresh_ward(client, DIGEST_WARD)
    admin = await token(client, "admin")
    readers = []
    for role in ("drafter", "head"):
        username = f"{role}.{ward}"
        r = await client.put(
            f"/api/directory/users/{username}",
            json={
                "username": username,
                "name": f"Cán bộ {ward}",
                "unit": f"vn.hue.{ward}",
                "roles": [role],
                "email": f"{username}@example.gov.vn",
            },
            headers=admin,
        )
        assert r.status_code == 200, r.text
        r = await client.put(
            "/api/notifications/preferences/*",
            json={"inapp": True, "email": True, "digest": True},
            headers=await token(client, username),
        )
        assert r.status_code == 200, r.text
        readers.append(username)

    async def known() -> bool:
        found = await notifications.fetchval(
            "SELECT count(*) FROM recipient WHERE username = ANY($1) AND email IS NOT NULL",
            readers,
        )
        return bool(found == len(readers))

    await eventually(known, timeout=60)
    return readers


async def _announce(
    client: httpx.AsyncClient, notifications: asyncpg.Connection
) -> tuple[list[str], list[str]]:
    """Huế's head announces to the whole city, twice, once the notifications service knows
    every user of the city (the audience is fixed before the fan-out starts): the
    announcements' ids and the audience."""
    head = await token(client, "head.hue")
    r = await client.get("/api/directory/users", params={"unit": "vn.hue"}, headers=head)
    assert r.status_code == 200, r.text
    audience = sorted(u["username"] for u in r.json())

    async def everyone_known() -> bool:
        rows = await notifications.fetch(
            "SELECT username FROM recipient WHERE active AND (unit = 'vn.hue' OR unit LIKE "
            "'vn.hue.%')"
        )
        return sorted(r["username"] for r in rows) == audience

    await eventually(everyone_known, timeout=60)
    ids = []
    for n in range(ANNOUNCEMENTS):
        r = await client.post(
            "/api/notifications/announcements",
            json={
                "title": f"Thông báo số {n + 1} của Thành ủy Huế",
                "body": "Triển khai kế hoạch tổng vệ sinh môi trường toàn thành phố.",
                "unit": "vn.hue",
            },
            headers=head,
        )
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    return ids, audience


async def _announced(client: httpx.AsyncClient, ids: list[str]) -> bool:
    head = await token(client, "head.hue")
    for ann in ids:
        r = await client.get(f"/api/notifications/announcements/{ann}", headers=head)
        assert r.status_code == 200, r.text
        if r.json()["state"] != "done":
            return False
    return True


async def _check_announcements(
    client: httpx.AsyncClient, ids: list[str], audience: list[str]
) -> None:
    """Everyone below the unit has each announcement in their inbox once; each was recorded
    once (``notification.announced``, with the number reached)."""
    head = await token(client, "head.hue")
    titles = {}
    for ann in ids:
        r = await client.get(f"/api/notifications/announcements/{ann}", headers=head)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "done" and r.json()["recipients"] == len(audience), r.text
        titles[ann] = r.json()["title"]
    for username in audience:
        copies = Counter(
            n["title"] for n in await _inbox(client, username) if n["kind"] == ANNOUNCED
        )
        assert copies == Counter(titles.values()), (username, copies)
    auditor = await token(client, "auditor.vn")

    async def in_the_audit() -> list[Any] | None:
        r = await client.get(
            "/api/audit/records", params={"event_type": ANNOUNCED, "limit": 1000}, headers=auditor
        )
        assert r.status_code == 200, r.text
        found = [e for e in r.json()["items"] if e["subject_id"] in titles]
        return found if len(found) >= len(ids) else None

    recorded = await eventually(in_the_audit)
    assert sorted(e["subject_id"] for e in recorded) == sorted(ids), recorded
    assert all(e["payload"]["recipients"] == len(audience) for e in recorded), recorded


async def _inbox(client: httpx.AsyncClient, username: str) -> list[Any]:
    r = await client.get(
        "/api/notifications/inbox", params={"limit": 500}, headers=await token(client, username)
    )
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None, "more than one page"
    return list(r.json()["items"])


async def _held_for_digest(
    client: httpx.AsyncClient,
    notifications: asyncpg.Connection,
    readers: list[str],
    plan_id: str,
) -> list[Any]:
    """The e-mails held for the readers' digest, once the notifications service has handled
    every event of the digest ward's story it listens to (and so held every e-mail of it); the
    announcements are done before this is called. Held e-mails and the readers' inboxes agree:
    one e-mail per notification that is not critical (critical ones are never held)."""
    auditor = await token(client, "auditor.vn")
    r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
    assert r.status_code == 200, r.text
    told = {e["event_id"] for e in r.json() if e["event_type"] in HANDLERS}
    assert told, r.json()

    async def handled() -> bool:
        found = await notifications.fetchval(
            "SELECT count(DISTINCT event_id) FROM inbox WHERE event_id = ANY($1)", list(told)
        )
        return bool(found == len(told))

    await eventually(handled, timeout=60)
    held = await notifications.fetch(
        "SELECT id, recipient, event_type, subject, state FROM delivery "
        "WHERE recipient = ANY($1) AND channel = 'email'",
        readers,
    )
    # Critical notices (the story's task is past its deadline: the results service chases it)
    # go out at once, never in a digest.
    at_once = [h for h in held if h["event_type"] in CRITICAL_KINDS]
    assert all(h["state"] != "digest" for h in at_once), at_once
    held = [h for h in held if h["event_type"] not in CRITICAL_KINDS]
    assert {h["state"] for h in held} == {"digest"}, held
    for reader in readers:
        inbox = [n for n in await _inbox(client, reader) if not n["critical"]]
        mine = [h for h in held if h["recipient"] == reader]
        assert Counter(h["event_type"] for h in mine) == Counter(n["event_type"] for n in inbox), (
            reader,
            mine,
            inbox,
        )
        assert sum(h["event_type"] == ANNOUNCED for h in mine) == ANNOUNCEMENTS, mine
        assert len(mine) > ANNOUNCEMENTS, mine  # and the story's notifications
    return list(held)


def _message_id(mail: Any) -> str:
    """The delivery id an e-mail's Message-ID carries (``<id@domain>``)."""
    return str(mail["Message-ID"]).strip().strip("<>").split("@")[0]


async def _digests_sent(
    notifications: asyncpg.Connection, sink: MailSink, readers: list[str], held: list[Any]
) -> list[Any] | None:
    """The readers' digests, once every held e-mail is folded into one and every digest is
    sent and seen by the SMTP server; None before."""
    left = await notifications.fetchval(
        "SELECT count(*) FROM delivery WHERE id = ANY($1) AND state <> 'digested'",
        [h["id"] for h in held],
    )
    digests = await notifications.fetch(
        "SELECT id, recipient, state FROM delivery WHERE event_type = 'digest' "
        "AND recipient = ANY($1)",
        readers,
    )
    dead = [d for d in digests if d["state"] == "dead"]
    assert not dead, dead
    mailed = {_message_id(m) for m in sink.messages()}
    if left or not digests or any(d["state"] != "sent" or d["id"] not in mailed for d in digests):
        return None
    return sorted((dict(d) for d in digests), key=lambda d: d["id"])


async def _check_digests(
    notifications: asyncpg.Connection,
    sink: MailSink,
    readers: list[str],
    held: list[Any],
    digests: list[Any],
) -> None:
    """Each reader got exactly one digest (a copy sent again after a crash between sending and
    marking carries the same Message-ID, so mail systems drop it: it counts once), and it lists
    every e-mail held for them exactly once; any other e-mail they got is a critical notice."""
    addresses = {f"{reader}@example.gov.vn": reader for reader in readers}
    copies: dict[str, list[Any]] = defaultdict(list)
    for mail in sink.messages():  # before the rows below: every e-mail's row exists by then
        if str(mail["To"]) in addresses:
            copies[_message_id(mail)].append(mail)
    made = {d["id"]: d["recipient"] for d in digests}
    rows = await notifications.fetch(
        "SELECT id, recipient, event_type FROM delivery WHERE id = ANY($1)", list(copies)
    )
    at_once = {r["id"]: r for r in rows if r["event_type"] in CRITICAL_KINDS}
    assert set(copies) - set(at_once) == set(made), (sorted(copies), rows, made)
    for delivery_id, same in copies.items():
        assert len({m.get_content() for m in same}) == 1, delivery_id  # a resend is the same
        to = addresses[str(same[0]["To"])]
        assert to == (
            made[delivery_id] if delivery_id in made else at_once[delivery_id]["recipient"]
        )
    for reader in readers:
        mine = [i for i, r in made.items() if r == reader]
        assert len(mine) == 1, (reader, mine)
        body = copies[mine[0]][0].get_content()
        listed = Counter(line[2:].strip() for line in body.splitlines() if line.startswith("- "))
        expected = Counter(h["subject"].strip() for h in held if h["recipient"] == reader)
        assert listed == expected, (reader, listed, expected)


async def test_two_replicas_of_every_service_survive_repeated_kills(
    pg_database: Any, namespace: str, tmp_path: Path, smtp: tuple[MailSink, int]
) -> None:
    sink, smtp_port = smtp
    replicated = await make_replicated(pg_database, namespace, tmp_path, replicas=2)
    key = tmp_path / "audit-signing-key.pem"
    await asyncio.to_thread(
        subprocess.run, [str(BIN / "cascade-audit-admin"), "keygen", str(key)], check=True
    )
    replicated.cluster.extra_env.update(
        {
            "CASCADE_AUDIT_SIGNING_KEY_FILE": str(key),
            "CASCADE_AUDIT_CHECKPOINT_EVERY": "4",  # both replicas' sealers race all along
            "CASCADE_AUDIT_SEAL_POLL_INTERVAL": "0.5",
            # Twelve processes on one PostgreSQL (max_connections 100, shared with the run).
            "CASCADE_DB_POOL_SIZE": "3",
            # Both replicas' deadline schedulers race for every overdue step.
            "CASCADE_APPROVALS_DEADLINE_POLL_SECONDS": "0.2",
            # E-mail to the test's SMTP server. Both replicas' digest makers, senders and
            # announcement fan-outs look often, so they race; an e-mail claimed by a sender that
            # is killed comes back after a short lease; announcements go out in many chunks.
            "CASCADE_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "CASCADE_NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "CASCADE_NOTIFICATIONS_POLL_INTERVAL": "0.2",
            "CASCADE_NOTIFICATIONS_LEASE_SECONDS": "3",
            "CASCADE_NOTIFICATIONS_RETRY_BASE_SECONDS": "0.2",
            "CASCADE_NOTIFICATIONS_RETRY_CAP_SECONDS": "1",
            "CASCADE_NOTIFICATIONS_ANNOUNCEMENT_CHUNK": "3",
        }
    )
    since = datetime.now(UTC) - timedelta(seconds=1)
    lock = asyncio.Lock()
    stop = asyncio.Event()
    killed: list[str] = []
    notifications = await asyncpg.connect(
        replicated.cluster.databases["notifications"].replace("+asyncpg", "")
    )

    try:
        await replicated.start_all()
        chaos = asyncio.create_task(_chaos(replicated, lock, stop, killed))
        try:
            async with replicated.client(transport=TakesTurns(lock)) as client:
                readers = await _digest_readers(client, notifications)
                plans: list[str] = []
                wards: dict[str, str] = {}
                # At least STORIES stories, and on until a replica of every service was killed;
                # the first in the digest readers' ward.
                while len(plans) < STORIES or {k.rsplit("-", 1)[0] for k in killed} != set(
                    SERVICES
                ):
                    assert len(plans) < 4 * STORIES, f"too few kills: {killed}"
                    # A ward has one plan per program: each story in a ward of its own.
                    if plans:
                        ward = await fresh_ward(client, f"replica-{len(plans)}")
                    else:
                        ward = DIGEST_WARD
                    plans.append((await run_story(client, ward)).plan_id)
                    wards[plans[-1]] = ward
                late = await _left_overdue(replicated, client)
                # Every user made by now: the announcements' audience is fixed.
                announcements, audience = await _announce(client, notifications)
                city_head = await token(client, "head.hue")

                async def escalated() -> list[Any]:
                    r = await client.get("/api/notifications/inbox", headers=city_head)
                    return [
                        n
                        for n in r.json()["items"]
                        if n["plan_id"] == late and n["event_type"] == "approval.step_escalated"
                    ]

                await eventually(escalated, timeout=90)
                await eventually(lambda: _announced(client, announcements), timeout=90)

                # The digest readers' slot comes (see the module's docstring): both replicas'
                # digest makers race for their held e-mails, and their senders for the digests.
                held = await _held_for_digest(client, notifications, readers, plans[0])
                moved = await notifications.execute(
                    "UPDATE delivery SET next_attempt_at = now() "
                    "WHERE state = 'digest' AND id = ANY($1)",
                    [h["id"] for h in held],
                )
                assert moved == f"UPDATE {len(held)}", moved
                digests = await eventually(
                    lambda: _digests_sent(notifications, sink, readers, held), timeout=90
                )
                await asyncio.sleep(2)  # more scans by both schedulers, kills going on
        finally:
            stop.set()
            await chaos

        # Every held e-mail in exactly one digest, one digest per reader, each sent.
        assert await _digests_sent(notifications, sink, readers, held) == digests  # and no more
        await _check_digests(notifications, sink, readers, held, digests)

        async with replicated.client() as client:
            auditor = await token(client, "auditor.vn")
            approved = []
            for plan_id in plans:  # one case per plan, however often the submission arrived
                drafter = await token(client, f"drafter.{wards[plan_id]}")
                r = await client.get(
                    "/api/approvals/cases", params={"plan_id": plan_id}, headers=drafter
                )
                assert r.status_code == 200 and len(r.json()) == 1, r.text
                r = await client.get("/api/notifications/inbox", headers=drafter)
                approved += [
                    n
                    for n in r.json()["items"]
                    if n["event_type"] == "plan.approved" and n["plan_id"] == plan_id
                ]
            assert len(approved) == len(plans)
            await _check_announcements(client, announcements, audience)

            # The late step: marked overdue and escalated once each, told once.
            async def deadline_events() -> list[str] | None:
                r = await client.get(f"/api/audit/plans/{late}/events", headers=auditor)
                kinds = [e["event_type"] for e in r.json()]
                return kinds if "approval.step_escalated" in kinds else None

            kinds = await eventually(deadline_events)
            assert kinds.count("approval.step_overdue") == 1, kinds
            assert kinds.count("approval.step_escalated") == 1, kinds
            city_head = await token(client, "head.hue")
            r = await client.get("/api/notifications/inbox", headers=city_head)
            told = [
                n
                for n in r.json()["items"]
                if n["plan_id"] == late and n["event_type"] == "approval.step_escalated"
            ]
            assert len(told) == 1, told

            r = await client.get("/api/audit/verify", headers=auditor)
            assert r.status_code == 200 and r.json()["ok"] is True, r.text
            checkpoints = (
                await client.get("/api/audit/checkpoints", params={"limit": 1000}, headers=auditor)
            ).json()["items"]
            assert len(checkpoints) >= 2
            for earlier, later in itertools.pairwise(checkpoints):
                assert later["first_seq"] == earlier["last_seq"] + 1, (earlier, later)

            until = datetime.now(UTC) - timedelta(seconds=2)
            await asyncio.sleep(2.5)
            r = await client.get(
                "/api/audit/reconciliation",
                params={"since": since.isoformat(), "until": until.isoformat()},
                headers=auditor,
            )
            assert r.status_code == 200, r.text
            report = r.json()
            assert report["complete"] is True, report
            assert report["services"]["plans"]["published"] >= STORIES * 3
    finally:
        await notifications.close()
        replicated.stop_all()
    print(f"\nkilled and restarted: {', '.join(killed)}")
