"""The audit store: append-only records in a hash chain, sealed by signed checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.inbox import inbox_table
from cascade_shared.outbox import outbox_table
from sqlalchemy import JSON, BigInteger, Column, Dialect, Index, Integer, Text, text
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from cascade_audit.domain.chain import canonical


class AuditTable(SQLModel, registry=registry()):
    """Base of the audit service's tables."""


metadata = AuditTable.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

SEQ = BigInteger().with_variant(Integer(), "sqlite")

CHECKPOINT_EVENT = "audit.checkpoint_sealed"


class ChainedJSON(TypeDecorator[Any]):
    """A JSON column written exactly as the chain hashes it: sorted keys, no spaces, UTF-8
    (``chain.canonical``). The stored text of a record's payload is then, byte for byte, the
    payload's part of the hashed record, so PostgreSQL can check records without rebuilding
    them in Python (``segments``). Reading is plain JSON."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> str | None:
            return None if value is None else canonical(value)

        return process


def _first_parts(count: int) -> str:
    part = "split_part(org_unit::text, '.'::text, {})"
    expression = part.format(1)
    for n in range(2, count + 1):
        expression = f"(({expression} || '.'::text) || {part.format(n)})"
    return expression


UNIT_LEVELS = {2: _first_parts(2), 3: _first_parts(3)}
"""A record's unit cut to its first two parts (the city or province: ``vn.hue`` for every
record of Huế and below) and to its first three (the ward). PostgreSQL indexes both with the
time, so a city's or a ward's whole subtree is one ordered index range (``store.page``).
Written as PostgreSQL shows them back, so the migrations test compares them as equal."""


class AuditRecord(AuditTable, table=True):
    """One event as it arrived. Never updated or deleted: the database refuses both (triggers
    installed by the migrations), and the chain and checkpoints reveal anyone who bypasses that.

    Every list query orders by (occurred_at, seq); each common filter has an index that ends in
    those two columns, so a page is an index range scan whatever the table's size."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_plan_story", "plan_id", "occurred_at", "seq"),
        Index("ix_audit_record_actor_time", "actor", "occurred_at", "seq"),
        Index("ix_audit_record_type_time", "event_type", "occurred_at", "seq"),
        Index(
            "ix_audit_record_unit_time",
            "org_unit",
            "occurred_at",
            "seq",
            postgresql_ops={"org_unit": "text_pattern_ops"},
        ),
        Index("ix_audit_record_time", "occurred_at", "seq"),
        Index("ix_audit_record_city_time", text(UNIT_LEVELS[2]), "occurred_at", "seq").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_audit_record_ward_time", text(UNIT_LEVELS[3]), "occurred_at", "seq").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_audit_record_recorded_at", "recorded_at"),
    )
    seq: int = Field(sa_column=Column(SEQ, primary_key=True, autoincrement=False))
    event_id: str = Field(unique=True, max_length=36)
    event_type: str = Field(max_length=100)
    event_version: int = 1
    occurred_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)
    producer: str = Field(max_length=50)
    actor: str | None = Field(default=None, max_length=100)
    org_unit: str | None = Field(default=None, max_length=200)
    subject_id: str | None = Field(default=None, max_length=100)
    plan_id: str | None = Field(default=None, max_length=36)
    correlation_id: str | None = Field(default=None, max_length=100)
    payload: dict[str, Any] = Field(sa_column=Column(ChainedJSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def chained_fields(self) -> dict[str, Any]:
        return chained_fields(self)


CHAINED = (
    "seq",
    "event_id",
    "event_type",
    "event_version",
    "occurred_at",
    "producer",
    "actor",
    "org_unit",
    "subject_id",
    "plan_id",
    "correlation_id",
    "payload",
)
"""What the hash covers: everything but the chain columns and the local arrival time."""


def chained_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of a record (an ORM object, a Core row or anything with attributes)."""
    fields = {name: getattr(row, name) for name in CHAINED}
    fields["occurred_at"] = iso(fields["occurred_at"])
    return fields


def iso(value: datetime) -> str:
    return as_utc(value).isoformat()


class ChainHead(AuditTable, table=True):
    """One row: the newest record's sequence number and hash. Locked while appending, so
    concurrent consumers (and replicas) append one at a time."""

    __tablename__ = "chain_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class AuditCheckpoint(AuditTable, table=True):
    """A signed seal over records first_seq..last_seq. ``statement`` holds the exact signed
    bytes; the columns repeat its fields for queries. Append-only like the records."""

    __tablename__ = "audit_checkpoint"
    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    checkpoint_id: str = Field(unique=True, max_length=36)
    first_seq: int = Field(sa_column=Column(SEQ, nullable=False, unique=True))
    last_seq: int = Field(sa_column=Column(SEQ, nullable=False, unique=True))
    record_count: int
    merkle_root: str = Field(max_length=64)
    head_hash: str = Field(max_length=64)
    previous_digest: str | None = Field(default=None, max_length=64)
    digest: str = Field(max_length=64)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=32)
    reason: str = Field(max_length=20)
    sealed_at: datetime = Field(default_factory=utcnow)


class CheckpointHead(AuditTable, table=True):
    """One row: the newest checkpoint. Sealers claim it (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, and a compare-and-set on its number everywhere), so two replicas never seal the
    same range."""

    __tablename__ = "checkpoint_head"
    id: int = Field(default=1, primary_key=True)
    number: int = 0
    last_seq: int = Field(default=0, sa_column=Column(SEQ, nullable=False, default=0))
    digest: str | None = Field(default=None, max_length=64)
