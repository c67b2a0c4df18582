"""Every event is appended to the chain."""

from __future__ import annotations

import asyncio

from cascade_shared.envelope import Envelope
from cascade_shared.service import HandlerContext
from sqlmodel import select

from cascade_audit.domain.chain import GENESIS, record_hash
from cascade_audit.models import AuditRecord, ChainHead

_append_lock = asyncio.Lock()


async def record_event(ctx: HandlerContext, envelope: Envelope) -> None:
    session = ctx.session
    async with _append_lock:  # one appender per process; the head row lock serializes replicas
        head = (await session.exec(select(ChainHead).with_for_update())).first()
        if head is None:
            head = ChainHead(id=1, seq=0, hash=GENESIS)
        payload = envelope.payload
        record = AuditRecord(
            seq=head.seq + 1,
            event_id=str(envelope.id),
            event_type=envelope.type,
            event_version=envelope.version,
            occurred_at=envelope.occurred_at,
            producer=envelope.producer,
            actor=envelope.actor,
            org_unit=envelope.org_unit,
            subject_id=envelope.subject_id,
            plan_id=payload.get("plan_id")
            or (envelope.subject_id if envelope.type.startswith("plan.") else None),
            correlation_id=envelope.correlation_id,
            payload=payload,
            prev_hash=head.hash,
            hash="",
        )
        record.hash = record_hash(record.prev_hash, record.chained_fields())
        head.seq, head.hash = record.seq, record.hash
        session.add(record)
        session.add(head)
        await session.flush()


HANDLERS = {"#": record_event}
