"""Sending e-mails and webhook calls as they fall due: rows claimed with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL and leased by moving ``next_attempt_at`` forward, so a sender that dies
mid-batch leaves rows that come back later."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.projector import dialect_of
from sqlalchemy import select, update
from sqlmodel import col

from cascade_notifications.channels.email import build_email, send_email
from cascade_notifications.channels.webhook import post_webhook, webhook_headers
from cascade_notifications.domain.webhooks import retry_delay
from cascade_notifications.models import (
    WebhookSubscription,
)
from cascade_notifications.store import (
    settings_of,
    signals_of,
)
from cascade_notifications.workers.common import DELIVERY, worker

log = logging.getLogger(__name__)


async def claim_due(
    runtime: ServiceRuntime, limit: int
) -> tuple[list[dict[str, Any]], dict[str, WebhookSubscription]]:
    """Lease up to ``limit`` due pending deliveries: count the attempt, push the next try past the
    lease. Two senders never claim the same row at once (SKIP LOCKED / compare-and-set). With
    them, in the same transaction, the subscriptions their webhook calls go to."""
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
            return [], {}
        result = await session.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id.in_(ids), DELIVERY.c.state == "pending")
            .values(
                attempts=DELIVERY.c.attempts + 1,
                next_attempt_at=now + timedelta(seconds=settings.lease_seconds),
            )
            .returning(*DELIVERY.c)
        )
        rows = [dict(row._mapping) for row in result]
        hooks = {r["recipient"] for r in rows if r["channel"] == "webhook"}
        if not hooks:
            return rows, {}
        subs = (
            await session.execute(
                select(WebhookSubscription).where(col(WebhookSubscription.id).in_(hooks))
            )
        ).scalars()
        return rows, {sub.id: sub for sub in subs}


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


async def send_due(runtime: ServiceRuntime, client: httpx.AsyncClient) -> int:
    """Send one batch of due deliveries concurrently; returns how many were tried."""
    settings = settings_of(runtime)
    rows, subs = await claim_due(runtime, settings.batch_size)
    if not rows:
        return 0

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
        sender = worker(
            "delivery sender",
            lambda rt: send_due(rt, client),
            lambda rt: signals_of(rt).deliveries,
        )
        await sender(runtime)
