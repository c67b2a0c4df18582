"""The daily digest: when it goes out and how it is keyed, free of HTTP and SQL."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DIGEST_NAMESPACE = uuid.UUID("8f1d8a52-4a5c-4d47-9a51-0c2b1f0b7c11")


def next_digest_at(now: datetime, *, hour: int, zone: str) -> datetime:
    """The next ``hour``:00 in ``zone`` strictly after ``now`` (an aware datetime)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=tz)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)


def digest_event_id(username: str, day: date) -> str:
    """One digest per user and day: a stable id, so a repeated run sends nothing new."""
    return str(uuid.uuid5(DIGEST_NAMESPACE, f"{username}:{day.isoformat()}"))
