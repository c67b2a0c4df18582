"""What an inspector may ask for, and the keyset cursor that pages through it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from cascade_shared.units import like_prefix

__all__ = ["Cursor", "RecordFilter", "like_prefix"]


@dataclass(frozen=True)
class Cursor:
    """The position after the last record of a page: records sort by (occurred_at, seq)."""

    occurred_at: datetime
    seq: int

    def encode(self) -> str:
        raw = f"{self.occurred_at.isoformat()}|{self.seq}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Raises ValueError for anything that is not a cursor this service gave out."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            when, seq = raw.rsplit("|", 1)
            return cls(datetime.fromisoformat(when), int(seq))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("not a cursor from this API") from exc


@dataclass(frozen=True)
class RecordFilter:
    """Filters combine with AND. ``unit`` means that unit and every unit below it."""

    plan_id: str | None = None
    actor: str | None = None
    unit: str | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
