"""The one versioned envelope every Cascade event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENVELOPE_SCHEMA = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime. Every stored time is UTC: SQLite keeps a datetime's
    wall clock and drops its offset, so an aware time is converted before it is stored, and a
    naive one (as SQLite gives it back) is UTC."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Envelope(BaseModel):
    """A fact that happened in one service, told to the others.

    ``id`` is also the AMQP ``message_id`` and the inbox key; ``type`` is also the routing key.
    ``version`` is the version of the payload schema for that type, so consumers can read old
    and new payloads side by side. Unknown fields are ignored, so producers may add fields.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    actor: str | None = None
    org_unit: str | None = None
    subject_id: str | None = None
    correlation_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    schema_version: int = ENVELOPE_SCHEMA

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Envelope:
        return cls.model_validate_json(data)

    def to_dict(self) -> dict[str, Any]:
        """The envelope as JSON-ready values (ids and times as strings)."""
        return self.model_dump(mode="json")
