"""The audit store: append-only records in a hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cascade_shared.envelope import utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class AuditTable(SQLModel, registry=registry()):
    """Base of the audit service's tables."""


metadata = AuditTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditRecord(AuditTable, table=True):
    __tablename__ = "audit_record"
    seq: int = Field(sa_column=Column(SEQ, primary_key=True, autoincrement=False))
    event_id: str = Field(unique=True, max_length=36)
    event_type: str = Field(index=True, max_length=100)
    event_version: int = 1
    occurred_at: datetime = Field(index=True)
    recorded_at: datetime = Field(default_factory=utcnow)
    producer: str = Field(max_length=50)
    actor: str | None = Field(default=None, index=True, max_length=100)
    org_unit: str | None = Field(default=None, index=True, max_length=200)
    subject_id: str | None = Field(default=None, max_length=100)
    plan_id: str | None = Field(default=None, index=True, max_length=36)
    correlation_id: str | None = Field(default=None, max_length=100)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def chained_fields(self) -> dict[str, Any]:
        """What the hash covers: everything but the chain columns and the local arrival time."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "occurred_at": _iso(self.occurred_at),
            "producer": self.producer,
            "actor": self.actor,
            "org_unit": self.org_unit,
            "subject_id": self.subject_id,
            "plan_id": self.plan_id,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
        }


def _iso(value: datetime) -> str:
    from datetime import UTC

    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


class ChainHead(AuditTable, table=True):
    """One row: the newest record's sequence number and hash. Locked while appending, so
    concurrent consumers (and replicas) append one at a time."""

    __tablename__ = "chain_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
