"""The notifications service's tables.

Read models kept from events (units, users, delegations), the in-app inbox, the delivery queue of
e-mails and webhook calls, preferences, webhook subscriptions and announcements.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class NotificationsTable(SQLModel, registry=registry()):
    """Base of the notifications service's tables."""


metadata = NotificationsTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


def new_id() -> str:
    return str(uuid.uuid4())


# -- read models kept from events ---------------------------------------------------------------
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
    changed_at: datetime | None = None
    """When the change applied last happened; an older change arriving late is ignored."""


class UnitView(NotificationsTable, table=True):
    """An org unit as this service knows it, kept from ``directory.unit_changed`` events."""

    __tablename__ = "unit_view"
    code: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=300)
    level: str = Field(max_length=20)
    parent: str | None = Field(default=None, index=True, max_length=200)
    kind: str = Field(default="unit", max_length=10, sa_column_kwargs={"server_default": "unit"})
    """``unit`` (a Party committee that makes plans) or ``body`` (an outside body registered
    under its unit: kept so its name resolves, never counted among the units below)."""
    changed_at: datetime | None = None
    """When the change applied last happened; an older change arriving late is ignored."""


class Delegation(NotificationsTable, table=True):
    """An approver's delegation to a colleague, kept from ``approval.delegation_*`` events."""

    __tablename__ = "delegation"
    delegation_id: str = Field(primary_key=True, max_length=36)
    unit: str = Field(max_length=200)
    delegator: str = Field(index=True, max_length=100)
    delegate: str = Field(max_length=100)
    starts_at: datetime
    ends_at: datetime
    active: bool = True
    changed_at: datetime | None = None
    """When the event applied last happened. A revoke is final: once inactive, a grant (late,
    or replayed) never makes the delegation active again."""


# -- the in-app inbox ---------------------------------------------------------------------------
class Notification(NotificationsTable, table=True):
    """One in-app message to one recipient, created once per event (the unique key).
    Announcements are kept apart, in ``inbox_announcement``."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel"),
        Index("ix_notification_inbox", "recipient", "created_at", "id"),
        Index(
            "ix_notification_unread",
            "recipient",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=100)
    recipient: str = Field(max_length=100)
    channel: str = Field(default="inapp", max_length=20)
    kind: str = Field(max_length=50)
    title: str = Field(max_length=500)
    body: str = Field(max_length=5000)
    plan_id: str | None = Field(default=None, max_length=36)
    critical: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class InboxAnnouncement(NotificationsTable, table=True):
    """An announcement in one recipient's inbox: a narrow row with their read mark.

    The announcement's title and body are kept once, in ``announcement``; a city's fan-out
    writes one row of (recipient, announcement) per member, keyed by recipient first so the
    fan-out, which walks recipients in username order, appends to the key's index. The key also
    makes the copy exactly once per recipient. The inbox shows these rows beside
    ``notification``'s, and counts their unread ones (a recipient has few announcements, so the
    key's range of them is counted without another index)."""

    __tablename__ = "inbox_announcement"
    recipient: str = Field(primary_key=True, max_length=100)
    announcement_id: str = Field(primary_key=True, max_length=36)
    read_at: datetime | None = None


# -- e-mails and webhook calls waiting to go out -------------------------------------------------
class Delivery(NotificationsTable, table=True):
    """One e-mail or webhook call, once per (event, recipient, channel).

    ``recipient`` is a username (e-mail) or a webhook subscription id. Workers claim due rows
    (``state`` pending, ``next_attempt_at`` passed) and lease them by moving ``next_attempt_at``
    forward, so a crashed sender's rows come back after the lease. ``state``: pending, digest
    (waits for the user's daily digest), digested, sent, dead.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel"),
        Index(
            "ix_delivery_due",
            "next_attempt_at",
            postgresql_where=text("state IN ('pending', 'digest')"),
            sqlite_where=text("state IN ('pending', 'digest')"),
        ),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=100)
    recipient: str = Field(max_length=100)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=1000)
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


# -- settings of users and units ------------------------------------------------------------------
class Preference(NotificationsTable, table=True):
    """A user's channels for one kind of event (``*`` for every kind), and digest or single."""

    __tablename__ = "preference"
    username: str = Field(primary_key=True, max_length=100)
    kind: str = Field(primary_key=True, max_length=50)
    inapp: bool = True
    email: bool = True
    digest: bool = False


class WebhookSubscription(NotificationsTable, table=True):
    """Another government system that wants to hear about a unit's subtree."""

    __tablename__ = "webhook_subscription"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(index=True, max_length=200)
    url: str = Field(max_length=1000)
    secret: str = Field(max_length=200)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class Announcement(NotificationsTable, table=True):
    """A unit's message to everyone in its subtree, fanned out in chunks by a worker.

    ``cursor`` is the last username reached, committed with each chunk's rows, so the fan-out
    resumes after a restart where it stopped.
    """

    __tablename__ = "announcement"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(max_length=200)
    title: str = Field(max_length=500)
    body: str = Field(max_length=5000)
    author: str = Field(max_length=100)
    state: str = Field(default="pending", max_length=20)
    cursor: str | None = Field(default=None, max_length=100)
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
