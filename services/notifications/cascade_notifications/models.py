"""The notifications service's tables: its read model of users, and the inbox entries."""

from __future__ import annotations

import uuid
from datetime import datetime

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class NotificationsTable(SQLModel, registry=registry()):
    """Base of the notifications service's tables."""


metadata = NotificationsTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class Recipient(NotificationsTable, table=True):
    """A user as this service knows them, kept from ``directory.user_changed`` events."""

    __tablename__ = "recipient"
    username: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    unit: str = Field(index=True, max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    email: str | None = Field(default=None, max_length=200)
    language: str = Field(default="vi", max_length=10)
    active: bool = True


class Notification(NotificationsTable, table=True):
    """One message to one recipient on one channel, created once per event."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel"),
        Index("ix_notification_recipient_created", "recipient", "created_at"),
    )
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=100)
    recipient: str = Field(max_length=100)
    channel: str = Field(default="inapp", max_length=20)
    kind: str = Field(max_length=50)
    title: str = Field(max_length=500)
    body: str = Field(max_length=5000)
    plan_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
