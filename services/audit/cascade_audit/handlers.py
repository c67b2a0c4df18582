"""Every event is appended to the chain, its own checkpoint events included."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cascade_shared.chassis.service import HandlerContext
from cascade_shared.db import table_of
from cascade_shared.envelope import Envelope, utcnow
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit.domain.chain import GENESIS, record_hash
from cascade_audit.models import AuditRecord, ChainHead, chained_fields

HEAD_KEY = "audit.chain_head"  # in the session of the transaction holding the head row
records = table_of(AuditRecord)
heads = table_of(ChainHead)


def plan_of(envelope: Envelope) -> str | None:
    plan_id = envelope.payload.get("plan_id")
    if plan_id is None and envelope.type.startswith("plan."):
        plan_id = envelope.subject_id
    return str(plan_id) if plan_id is not None else None


def row_of(envelope: Envelope, seq: int, prev_hash: str) -> dict[str, Any]:
    """The record of ``envelope`` at position ``seq``, hashed onto ``prev_hash``."""
    row: dict[str, Any] = {
        "seq": seq,
        "event_id": str(envelope.id),
        "event_type": envelope.type,
        "event_version": envelope.version,
        "occurred_at": envelope.occurred_at,
        "recorded_at": utcnow(),
        "producer": envelope.producer,
        "actor": envelope.actor,
        "org_unit": envelope.org_unit,
        "subject_id": envelope.subject_id,
        "plan_id": plan_of(envelope),
        "correlation_id": envelope.correlation_id,
        "payload": envelope.payload,
        "prev_hash": prev_hash,
    }
    row["hash"] = record_hash(prev_hash, chained_fields(SimpleNamespace(**row)))
    return row


async def record_event(ctx: HandlerContext, envelope: Envelope) -> None:
    """Append in the inbox's transaction: lock the head row, insert, move the head. Events
    applied together (the service's ``batch_limit``) share one transaction: the head is locked
    and read once, and each next record chains onto the one before."""
    conn = await ctx.session.connection()
    # The head row's lock serializes appenders, replicas and batches alike. (No lock of the
    # process's beside it: a transaction holding the head to append its batch's next record
    # would wait on it while another waited on the head - a deadlock.)
    head = ctx.session.info.get(HEAD_KEY) or await _locked_head(conn)
    seq = head[0] + 1
    row = row_of(envelope, seq, head[1])
    await conn.execute(update(heads).where(heads.c.id == 1).values(seq=seq, hash=row["hash"]))
    await conn.execute(insert(records).values(**row))
    ctx.session.info[HEAD_KEY] = (seq, row["hash"])


async def _locked_head(conn: AsyncConnection) -> tuple[int, str]:
    """The chain's head (last position and hash), its row locked until the transaction ends."""
    locked = select(heads.c.seq, heads.c.hash).where(heads.c.id == 1).with_for_update()
    head = (await conn.execute(locked)).first()
    if head is None:  # a store migrated before the head row was seeded: make it, once
        insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        await conn.execute(
            insert_(heads).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
        )
        head = (await conn.execute(locked)).one()
    return int(head.seq), str(head.hash)


HANDLERS = {"#": record_event}
