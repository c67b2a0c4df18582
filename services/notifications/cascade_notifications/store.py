"""Persistence helpers shared by handlers, routes and workers (SQLAlchemy Core on hot paths)."""

from __future__ import annotations

from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import utcnow
from cascade_shared.errors import Conflict
from sqlalchemy import func, select
from sqlmodel import col

from cascade_notifications.models import Delivery, InboxAnnouncement, Notification
from cascade_notifications.settings import NotificationsSettings
from cascade_notifications.signals import Signals


async def unread_count(session: Any, username: str) -> int:
    """The exact number of unread in-app messages: notifications (a partial index on unread rows
    keeps it fast) plus announcements (the user's few copies, by the key's recipient prefix),
    in one statement."""
    notifications = (
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.recipient) == username, col(Notification.read_at).is_(None))
        .scalar_subquery()
    )
    announcements = (
        select(func.count())
        .select_from(InboxAnnouncement)
        .where(
            col(InboxAnnouncement.recipient) == username,
            col(InboxAnnouncement.read_at).is_(None),
        )
        .scalar_subquery()
    )
    return int((await session.execute(select(notifications + announcements))).scalar_one())


def settings_of(runtime: ServiceRuntime) -> NotificationsSettings:
    """The service's settings, read once per runtime."""
    return runtime.own(NotificationsSettings)


def signals_of(runtime: ServiceRuntime) -> Signals:
    """The runtime's in-process wake-ups of the workers."""
    return runtime.own(Signals)


async def send_again(session: Any, runtime: ServiceRuntime, row: Delivery) -> Delivery:
    """Put a dead (or sent) delivery back in the queue with a fresh count of attempts; it keeps
    its id, so the receiver still sees the same ``Idempotency-Key`` or ``Message-ID``."""
    if row.state in ("pending", "digest"):
        raise Conflict("the delivery is still waiting to be sent")
    row.state, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, utcnow(), None
    session.add(row)
    await session.commit()
    signals_of(runtime).deliveries.notify()
    return row
