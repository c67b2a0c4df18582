"""The in-app inbox of the signed-in user."""

from __future__ import annotations

from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.problems import not_found
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import col, select

from cascade_notifications.api.deps import CurrentUser, SessionDep
from cascade_notifications.models import Notification

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationPublic(BaseModel):
    id: str
    event_type: str
    kind: str
    title: str
    body: str
    plan_id: str | None
    created_at: Any
    read_at: Any


class InboxPage(BaseModel):
    items: list[NotificationPublic]
    unread: int


async def _unread(session: SessionDep, username: str) -> int:
    return int(
        (
            await session.exec(
                select(func.count())
                .select_from(Notification)
                .where(Notification.recipient == username, col(Notification.read_at).is_(None))
            )
        ).one()
    )


@router.get("/inbox", response_model=InboxPage)
async def my_inbox(
    user: CurrentUser,
    session: SessionDep,
    unread_only: bool = False,
    limit: int = Query(default=50, ge=1, le=500),
) -> dict[str, Any]:
    """Your notifications, newest first, with the exact unread count."""
    query = select(Notification).where(
        Notification.recipient == user.username, Notification.channel == "inapp"
    )
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = (
        await session.exec(
            query.order_by(col(Notification.created_at).desc(), col(Notification.id)).limit(limit)
        )
    ).all()
    return {
        "items": [r.model_dump() for r in rows],
        "unread": await _unread(session, user.username),
    }


@router.get("/unread-count")
async def unread_count(user: CurrentUser, session: SessionDep) -> dict[str, int]:
    return {"unread": await _unread(session, user.username)}


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(notification_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    row = await session.get(Notification, notification_id)
    if row is None or row.recipient != user.username:
        raise not_found("notification", notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        await session.commit()
    return row.model_dump()


@router.post("/read-all")
async def mark_all_read(user: CurrentUser, session: SessionDep) -> dict[str, int]:
    result = await session.execute(
        update(Notification)
        .where(col(Notification.recipient) == user.username, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    await session.commit()
    return {"marked": int(result.rowcount or 0)}
