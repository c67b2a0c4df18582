"""The in-app inbox of the signed-in user: list (keyset pages), unread count, mark read, and a
live stream of the unread count (server-sent events).

The inbox reads two tables: ``notification`` (one row per event, recipient and channel) and
``inbox_announcement`` (one narrow row per announcement and recipient, the text kept once in
``announcement``). A page takes the next ``limit + 1`` of each in keyset order and merges them."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from cascade_shared.db import rows_matched, table_of
from cascade_shared.envelope import utcnow
from cascade_shared.params import INTEGER_MAX, Id, PageCursor, refuse_nul, storable_time
from cascade_shared.problems import invalid, not_found
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import String, literal, tuple_, update
from sqlmodel import col, select

from cascade_notifications.api.deps import CurrentUser, Runtime, SessionDep
from cascade_notifications.models import Announcement, InboxAnnouncement, Notification
from cascade_notifications.store import settings_of, signals_of, unread_count

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

ANNOUNCED = "notification.announced"
_CREATED_AT = table_of(Notification).c.created_at.type


class NotificationPublic(BaseModel):
    id: str
    event_type: str
    kind: str
    title: str
    body: str
    plan_id: str | None
    critical: bool
    created_at: Any
    read_at: Any


class InboxPage(BaseModel):
    items: list[NotificationPublic]
    unread: int
    next_cursor: str | None = None
    """Pass as ``before`` to read the next (older) page; None on the last page."""


def _cursor(item: dict[str, Any]) -> str:
    raw = json.dumps([item["created_at"].isoformat(), item["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return storable_time(datetime.fromisoformat(created)), refuse_nul(str(ident))
    except (ValueError, TypeError) as exc:
        raise invalid("query.before", "not a cursor this API gave out") from exc


def _after(created: datetime, ident: str) -> Any:
    """The cursor as a row value, its time bound as the columns' type (UTC on every backend)."""
    return tuple_(literal(created, type_=_CREATED_AT), literal(ident, type_=String()))


def _announcement_item(ann: Any, read_at: datetime | None) -> dict[str, Any]:
    """An announcement's copy as an inbox item: its id is the announcement's (one copy per
    recipient), its time the announcement's."""
    return {
        "id": ann.id,
        "event_type": ANNOUNCED,
        "kind": ANNOUNCED,
        "title": ann.title,
        "body": ann.body,
        "plan_id": None,
        "critical": False,
        "created_at": ann.created_at,
        "read_at": read_at,
    }


async def _announcements(
    session: Any, username: str, *, unread_only: bool, before: tuple[datetime, str] | None, n: int
) -> list[dict[str, Any]]:
    """Up to ``n`` of the user's announcements older than ``before``, newest first."""
    query = (
        select(Announcement, InboxAnnouncement.read_at)
        .join(InboxAnnouncement, col(InboxAnnouncement.announcement_id) == Announcement.id)
        .where(InboxAnnouncement.recipient == username)
    )
    if unread_only:
        query = query.where(col(InboxAnnouncement.read_at).is_(None))
    if before:
        created, ident = before
        query = query.where(
            tuple_(col(Announcement.created_at), col(Announcement.id)) < _after(created, ident)
        )
    query = query.order_by(col(Announcement.created_at).desc(), col(Announcement.id).desc())
    rows = (await session.exec(query.limit(n))).all()
    return [_announcement_item(ann, read_at) for ann, read_at in rows]


@router.get("/inbox", response_model=InboxPage)
async def my_inbox(
    user: CurrentUser,
    session: SessionDep,
    unread_only: bool = False,
    limit: int = Query(default=50, ge=1, le=500),
    before: Annotated[
        PageCursor | None, Query(description="next_cursor of the previous page")
    ] = None,
) -> dict[str, Any]:
    """Your notifications, newest first, with the exact unread count. Pages by keyset
    (created_at, id), so a long history stays as fast as a short one."""
    # Notifications and announcements' copies: the next ``limit + 1`` of each, merged.
    query = select(Notification).where(Notification.recipient == user.username)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    cursor = _decode_cursor(before) if before else None
    if cursor:
        created, ident = cursor
        # A row comparison, which the inbox index answers as a range (an OR of the two cases
        # would read every newer row of the recipient's first).
        query = query.where(
            tuple_(col(Notification.created_at), col(Notification.id)) < _after(created, ident)
        )
    rows = (
        await session.exec(
            query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(
                limit + 1
            )
        )
    ).all()
    items = [r.model_dump() for r in rows] + await _announcements(
        session, user.username, unread_only=unread_only, before=cursor, n=limit + 1
    )
    items.sort(key=lambda i: (i["created_at"], i["id"]), reverse=True)
    page, more = items[:limit], len(items) > limit
    return {
        "items": page,
        "unread": await unread_count(session, user.username),
        "next_cursor": _cursor(page[-1]) if more else None,
    }


@router.get("/unread-count")
async def my_unread_count(user: CurrentUser, session: SessionDep) -> dict[str, int]:
    """The exact number of your unread notifications."""
    return {"unread": await unread_count(session, user.username)}


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def unread_stream(
    request: Request,
    user: CurrentUser,
    runtime: Runtime,
    max_events: Annotated[
        int | None,
        Query(ge=1, le=INTEGER_MAX, description="close the stream after this many events"),
    ] = None,
) -> StreamingResponse:
    """Server-sent events: ``event: unread`` with ``{"unread": n}`` at once and whenever the
    count changes. Woken in-process when this process changes an inbox; it also re-reads the
    count every few seconds, which covers changes made by other replicas."""
    settings = settings_of(runtime)
    changes = signals_of(runtime).inbox

    async def events() -> AsyncIterator[str]:
        last: int | None = None
        sent = 0
        while True:
            async with runtime.sessionmaker() as session:
                count = await unread_count(session, user.username)
            if count != last:
                last, sent = count, sent + 1
                yield f"event: unread\ndata: {json.dumps({'unread': count})}\n\n"
                if max_events is not None and sent >= max_events:
                    return
            if not await changes.wait(settings.stream_poll_seconds):
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(
    notification_id: Id, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Mark one of your notifications read (someone else's is not found)."""
    # An announcement's copy is marked by the announcement's id.
    row = await session.get(Notification, notification_id)
    if row is not None and row.recipient == user.username:
        if row.read_at is None:
            row.read_at = utcnow()
            session.add(row)
            await session.commit()
            signals_of(runtime).inbox.notify()
        return row.model_dump()
    copy = await session.get(InboxAnnouncement, (user.username, notification_id))
    ann = await session.get(Announcement, notification_id) if copy is not None else None
    if copy is None or ann is None:
        raise not_found("notification", notification_id)
    if copy.read_at is None:
        copy.read_at = utcnow()
        session.add(copy)
        await session.commit()
        signals_of(runtime).inbox.notify()
    return _announcement_item(ann, copy.read_at)


@router.post("/read-all")
async def mark_all_read(user: CurrentUser, session: SessionDep, runtime: Runtime) -> dict[str, int]:
    """Mark every unread notification of yours read."""
    # Notifications and announcements' copies alike.
    now = utcnow()
    marked = 0
    for model in (Notification, InboxAnnouncement):
        result = await session.execute(
            update(model)
            .where(col(model.recipient) == user.username, col(model.read_at).is_(None))
            .values(read_at=now)
        )
        marked += rows_matched(result)
    await session.commit()
    signals_of(runtime).inbox.notify()
    return {"marked": marked}
