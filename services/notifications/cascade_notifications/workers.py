"""Background workers: the sender of e-mails and webhook calls, the daily digest, and the
announcement fan-out. Each keeps its schedule in the database and is safe with two replicas:
rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and leased by moving
``next_attempt_at`` forward, so a sender that dies mid-batch leaves rows that come back later.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from cascade_shared.db import table_of
from cascade_shared.envelope import utcnow
from cascade_shared.events import AnnouncementPublished
from cascade_shared.projector import dialect_of, insert_ignoring_repeats
from cascade_shared.service import ServiceRuntime, WorkerFn
from cascade_shared.workers import periodic
from sqlalchemy import bindparam, select, text, update
from sqlmodel import col

from cascade_notifications.channels.email import build_email, send_email
from cascade_notifications.channels.webhook import post_webhook, webhook_headers
from cascade_notifications.domain.digest import DIGEST_NAMESPACE, digest_event_id
from cascade_notifications.domain.templates import render_kind
from cascade_notifications.domain.webhooks import retry_delay
from cascade_notifications.handlers import queue_webhooks
from cascade_notifications.models import (
    Announcement,
    Delivery,
    Notification,
    Recipient,
    WebhookSubscription,
    new_id,
)
from cascade_notifications.signals import Broadcast, after_commit
from cascade_notifications.store import (
    settings_of,
    signals_of,
)

log = logging.getLogger(__name__)
DELIVERY = table_of(Delivery)
NOTIFICATION = table_of(Notification)
ANNOUNCEMENT = table_of(Announcement)


def _poll_interval(runtime: ServiceRuntime) -> float:
    return settings_of(runtime).poll_interval


def _worker(
    name: str, step: Callable[[ServiceRuntime], Awaitable[int]], wake: Callable[..., Any]
) -> WorkerFn:
    """Run ``step`` until it finds nothing, then wait for a wake-up or the poll interval."""
    return periodic(name, step, _poll_interval, wake=wake, drain=True)


# -- sending e-mails and webhook calls ----------------------------------------------------------
async def claim_due(runtime: ServiceRuntime, limit: int) -> list[dict[str, Any]]:
    """Lease up to ``limit`` due pending deliveries: count the attempt, push the next try past the
    lease. Two senders never claim the same row at once (SKIP LOCKED / compare-and-set)."""
    settings = settings_of(runtime)
    now = utcnow()
    async with runtime.sessionmaker() as session, session.begin():
        due = (
            select(DELIVERY.c.id)
            .where(DELIVERY.c.state == "pending", DELIVERY.c.next_attempt_at <= now)
            .order_by(DELIVERY.c.next_attempt_at)
            .limit(limit)
        )
        if dialect_of(session) == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list((await session.execute(due)).scalars())
        if not ids:
            return []
        result = await session.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id.in_(ids), DELIVERY.c.state == "pending")
            .values(
                attempts=DELIVERY.c.attempts + 1,
                next_attempt_at=now + timedelta(seconds=settings.lease_seconds),
            )
            .returning(*DELIVERY.c)
        )
        return [dict(row._mapping) for row in result]


async def _mark(runtime: ServiceRuntime, row: dict[str, Any], error: str | None) -> None:
    """Record the outcome of one try; only if the row is still ours (same attempt count)."""
    settings = settings_of(runtime)
    now = utcnow()
    if error is None:
        values: dict[str, Any] = {"state": "sent", "sent_at": now, "last_error": None}
    elif row["attempts"] >= settings.max_attempts:
        values = {"state": "dead", "last_error": error[:2000]}
    else:
        delay = retry_delay(
            row["attempts"], base=settings.retry_base_seconds, cap=settings.retry_cap_seconds
        )
        values = {"last_error": error[:2000], "next_attempt_at": now + timedelta(seconds=delay)}
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(DELIVERY)
            .where(
                DELIVERY.c.id == row["id"],
                DELIVERY.c.attempts == row["attempts"],
                DELIVERY.c.state == "pending",
            )
            .values(**values)
        )


async def _subscriptions(runtime: ServiceRuntime, ids: set[str]) -> dict[str, WebhookSubscription]:
    if not ids:
        return {}
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(WebhookSubscription).where(col(WebhookSubscription.id).in_(ids))
            )
        ).scalars()
        return {r.id: r for r in rows}


async def send_due(runtime: ServiceRuntime, client: httpx.AsyncClient) -> int:
    """Send one batch of due deliveries concurrently; returns how many were tried."""
    settings = settings_of(runtime)
    rows = await claim_due(runtime, settings.batch_size)
    if not rows:
        return 0
    hooks = {r["recipient"] for r in rows if r["channel"] == "webhook"}
    subs = await _subscriptions(runtime, hooks)

    async def one(row: dict[str, Any]) -> None:
        try:
            if row["channel"] == "email":
                message = build_email(
                    delivery_id=row["id"],
                    to=row["target"],
                    subject=row["subject"],
                    body=row["body"],
                    settings=settings,
                )
                await send_email(message, settings)
            else:
                sub = subs.get(row["recipient"])
                if sub is None or not sub.active:
                    raise RuntimeError("the webhook subscription was removed")
                body = row["body"].encode()
                headers = webhook_headers(
                    secret=sub.secret,
                    body=body,
                    delivery_id=row["id"],
                    event_id=row["event_id"],
                    event_type=row["event_type"],
                )
                await post_webhook(client, sub.url, body, headers)
        except Exception as exc:  # any failure is retried, then dead
            log.warning("delivery %s (%s) failed: %s", row["id"], row["channel"], exc)
            await _mark(runtime, row, f"{type(exc).__name__}: {exc}")
        else:
            await _mark(runtime, row, None)

    async with asyncio.TaskGroup() as group:
        for row in rows:
            group.create_task(one(row))
    return len(rows)


async def delivery_sender(runtime: ServiceRuntime) -> None:
    """Worker: sends e-mails and webhook calls as they fall due."""
    settings = settings_of(runtime)
    async with httpx.AsyncClient(timeout=settings.webhook_timeout) as client:
        sender = _worker(
            "delivery sender",
            lambda rt: send_due(rt, client),
            lambda rt: signals_of(rt).deliveries,
        )
        await sender(runtime)


# -- the daily digest ---------------------------------------------------------------------------
DIGEST_BATCH = 1000
"""Due digest rows read per pass; a user whose rows go past it is still taken whole."""


def digest_key(username: str, day: date, n: int) -> str:
    """The event id of ``username``'s ``n``-th digest of ``day``: the first keeps
    :func:`digest_event_id`; items that come after it go out in digests 1, 2, ..."""
    if n == 0:
        return digest_event_id(username, day)
    return str(uuid.uuid5(DIGEST_NAMESPACE, f"{username}:{day.isoformat()}:{n}"))


async def _due_digest_rows(session: Any, now: datetime, batch: int) -> list[dict[str, Any]]:
    """Lock up to ``batch`` due digest rows, by user, never part of a user: when the batch ends
    inside a user, that user's other due rows are taken too. Rows another replica holds are
    skipped (``SKIP LOCKED``); they are in its digest."""
    postgres = dialect_of(session) == "postgresql"
    due = (DELIVERY.c.state == "digest", DELIVERY.c.next_attempt_at <= now)
    first = (
        select(DELIVERY)
        .where(*due)
        .order_by(DELIVERY.c.recipient, DELIVERY.c.created_at, DELIVERY.c.id)
        .limit(batch)
    )
    if postgres:
        first = first.with_for_update(skip_locked=True)
    rows = [dict(r._mapping) for r in await session.execute(first)]
    if len(rows) < batch:
        return rows
    last = rows[-1]["recipient"]
    rest = (
        select(DELIVERY)
        .where(*due, DELIVERY.c.recipient == last)
        .order_by(DELIVERY.c.created_at, DELIVERY.c.id)
    )
    if postgres:
        rest = rest.with_for_update(skip_locked=True)
    return [r for r in rows if r["recipient"] != last] + [
        dict(r._mapping) for r in await session.execute(rest)
    ]


async def make_digests(runtime: ServiceRuntime, *, batch: int = DIGEST_BATCH) -> int:
    """Fold each user's due digest rows into one e-mail delivery; returns the digests made.

    The rule: an item is marked ``digested`` only in the transaction that creates the digest
    e-mail containing it, so every item reaches its reader once, in a digest, on the day its
    slot came. A user's due rows are read whole (never split at the batch's end), locked, and
    put into the user's first digest of the slot's day (:func:`digest_event_id`). When that
    digest already exists - a replica holding some of the user's rows made it, or an item came
    after it was made, sent or not - the items go into the day's next digest (key ``n`` + 1,
    see :func:`digest_key`) rather than wait for the next slot. A digest once made is never
    changed, since the sender may be sending it. Two replicas never take the same row (``SKIP
    LOCKED``); racing for the same key, the second waits for the first's commit, finds it
    taken and uses the next (users are handled in name order, so they never deadlock).
    """
    now = utcnow()
    made = 0
    async with runtime.sessionmaker() as session, session.begin():
        rows = await _due_digest_rows(session, now, batch)
        if not rows:
            return 0
        by_user: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_user.setdefault(r["recipient"], []).append(r)
        people = {
            p.username: p
            for p in (
                await session.execute(
                    select(Recipient).where(col(Recipient.username).in_(list(by_user)))
                )
            ).scalars()
        }
        for username in sorted(by_user):
            items = by_user[username]
            person = people.get(username)
            slot: datetime = max(i["next_attempt_at"] for i in items)
            language = person.language if person else "vi"
            message = render_kind(
                "digest",
                {"day": slot.date().strftime("%d/%m/%Y"), "items": items},
                language,
            )
            for n in itertools.count():  # ends: each miss is a digest that already exists
                inserted = await insert_ignoring_repeats(
                    session,
                    DELIVERY,
                    [
                        {
                            "id": new_id(),
                            "event_id": digest_key(username, slot.date(), n),
                            "event_type": "digest",
                            "recipient": username,
                            "channel": "email",
                            "target": items[0]["target"],
                            "subject": message.title,
                            "body": message.body,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    ],
                    ["event_id", "recipient", "channel"],
                )
                if inserted:
                    break
            made += 1
        await session.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id.in_([r["id"] for r in rows]))
            .values(state="digested", sent_at=now)
        )
        after_commit(session, signals_of(runtime).deliveries.notify)
    return made


digest_maker = _worker("digest_maker", make_digests, lambda rt: Broadcast())
"""Worker: makes the daily digests when their hour comes (the slot is in each row)."""


# -- announcements ------------------------------------------------------------------------------
def _uuid_sql(dialect: str) -> str:
    return "gen_random_uuid()::text" if dialect == "postgresql" else "lower(hex(randomblob(16)))"


async def fan_out_chunk(runtime: ServiceRuntime) -> int:
    """Insert the next chunk of one pending announcement's recipients in one statement
    (``INSERT ... SELECT`` from the users read model), in one transaction with the cursor; the
    last chunk records ``notification.announced``. Returns the rows inserted (0 when idle)."""
    settings = settings_of(runtime)
    async with runtime.sessionmaker() as session, session.begin():
        claim = (
            select(ANNOUNCEMENT)
            .where(ANNOUNCEMENT.c.state == "pending")
            .order_by(ANNOUNCEMENT.c.created_at)
            .limit(1)
        )
        dialect = dialect_of(session)
        if dialect == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        found = (await session.execute(claim)).first()
        if found is None:
            return 0
        ann = dict(found._mapping)
        inserted, last, count = await insert_chunk(
            session,
            announcement_id=ann["id"],
            unit=ann["unit"],
            title=ann["title"],
            body=ann["body"],
            after=ann["cursor"],
            chunk=settings.announcement_chunk,
        )
        values: dict[str, Any] = {
            "cursor": last or ann["cursor"],
            "recipients": ann["recipients"] + inserted,
        }
        if count < settings.announcement_chunk:
            values.update(state="done", completed_at=utcnow())
            envelope = runtime.event(
                AnnouncementPublished(
                    announcement_id=ann["id"],
                    unit=ann["unit"],
                    title=ann["title"],
                    recipients=values["recipients"],
                ),
                actor=ann["author"],
                org_unit=ann["unit"],
                subject_id=ann["id"],
            )
            runtime.record(session, envelope)
            await queue_webhooks(session, envelope, utcnow())
            after_commit(session, signals_of(runtime).deliveries.notify)
        await session.execute(
            update(ANNOUNCEMENT).where(ANNOUNCEMENT.c.id == ann["id"]).values(**values)
        )
        after_commit(session, signals_of(runtime).inbox.notify)
        return max(inserted, 1)


async def insert_chunk(
    session: Any,
    *,
    announcement_id: str,
    unit: str,
    title: str,
    body: str,
    after: str | None,
    chunk: int,
) -> tuple[int, str | None, int]:
    """One chunk of an announcement: the next ``chunk`` active users of ``unit``'s subtree after
    username ``after``, inserted in one ``INSERT ... SELECT``. Returns (inserted, last, seen)."""
    dialect = dialect_of(session)
    subtree = "active AND (unit = :unit OR unit LIKE :prefix) AND username > :after"
    params = {"unit": unit, "prefix": unit + ".%", "after": after or ""}
    bounds = (
        await session.execute(
            text(
                f"SELECT max(username), count(*) FROM (SELECT username FROM recipient "
                f"WHERE {subtree} ORDER BY username LIMIT :chunk) AS c"
            ),
            {**params, "chunk": chunk},
        )
    ).one()
    last, seen = bounds[0], int(bounds[1])
    if not seen:
        return 0, None, 0
    result = await session.execute(
        text(
            "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind, title,"
            " body, plan_id, critical, created_at)"
            f" SELECT {_uuid_sql(dialect)}, :aid, 'notification.announced', username, 'inapp',"
            " 'notification.announced', :title, :body, NULL, false, :now"
            f" FROM recipient WHERE {subtree} AND username <= :last"
            " ON CONFLICT (event_id, recipient, channel) DO NOTHING"
        ).bindparams(bindparam("now", type_=NOTIFICATION.c.created_at.type)),
        {
            **params,
            "aid": announcement_id,
            "title": title,
            "body": body,
            "now": utcnow(),
            "last": last,
        },
    )
    return int(result.rowcount or 0), last, seen


announcement_fanout = _worker(
    "announcement_fanout", fan_out_chunk, lambda rt: signals_of(rt).announcements
)
"""Worker: fans pending announcements out, chunk by chunk, resuming after a restart."""


WORKERS = [delivery_sender, digest_maker, announcement_fanout]
