"""Announcements: a unit's head (or an admin) tells everyone in the unit's subtree."""

from __future__ import annotations

from typing import Any

from cascade_shared.params import Id, RequestBody
from cascade_shared.problems import not_found
from fastapi import APIRouter
from pydantic import BaseModel, Field

from cascade_notifications.api.deps import CurrentUser, Runtime, SessionDep
from cascade_notifications.models import Announcement
from cascade_notifications.store import signals_of

router = APIRouter(prefix="/api/notifications/announcements", tags=["announcements"])


class AnnouncementIn(RequestBody):
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=5000)
    unit: str | None = Field(default=None, max_length=200, description="default: your own unit")


class AnnouncementOut(BaseModel):
    id: str
    unit: str
    title: str
    author: str
    state: str
    """pending while it is being fanned out, done when everyone has it."""
    recipients: int
    created_at: Any
    completed_at: Any


@router.post("", response_model=AnnouncementOut, status_code=202)
async def announce(
    body: AnnouncementIn, user: CurrentUser, session: SessionDep, runtime: Runtime
) -> dict[str, Any]:
    """Announce to every active user of a unit and the units below it. Accepted at once; the
    inbox entries are inserted in chunks by a worker (1.66 million take seconds, not hours)."""
    user.require_role("head", "admin")
    unit = body.unit or user.unit
    user.require_sees(unit)
    row = Announcement(unit=unit, title=body.title, body=body.body, author=user.username)
    session.add(row)
    await session.commit()
    signals_of(runtime).announcements.notify()
    return row.model_dump()


@router.get("/{announcement_id}", response_model=AnnouncementOut)
async def announcement(
    announcement_id: Id, user: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    """An announcement's progress, for users who see its unit."""
    row = await session.get(Announcement, announcement_id)
    if row is None or not user.sees(row.unit):
        raise not_found("announcement", announcement_id)
    return row.model_dump()
