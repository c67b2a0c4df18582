"""Sealing checkpoints, and the worker that does it every N records or at least hourly."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.chassis.workers import periodic
from cascade_shared.db import table_of
from cascade_shared.envelope import as_utc, utcnow
from cascade_shared.events import CheckpointSealed
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cascade_audit.domain import merkle
from cascade_audit.domain.checkpoint import Statement, due, key_id, sign
from cascade_audit.keys import signing_key
from cascade_audit.models import (
    CHECKPOINT_EVENT,
    AuditCheckpoint,
    AuditRecord,
    ChainHead,
    CheckpointHead,
    iso,
)
from cascade_audit.settings import AuditSettings

log = logging.getLogger(__name__)

records = table_of(AuditRecord)
checkpoints = table_of(AuditCheckpoint)
chain_head = table_of(ChainHead)
checkpoint_head = table_of(CheckpointHead)


@dataclass(frozen=True)
class AuditKeys:
    """The key the audit service signs its checkpoints with, read at start."""

    signing: Ed25519PrivateKey


def audit_settings(runtime: ServiceRuntime) -> AuditSettings:
    return runtime.own(AuditSettings)


def private_key(runtime: ServiceRuntime) -> Ed25519PrivateKey:
    return runtime.own(
        AuditKeys, lambda: AuditKeys(signing_key(audit_settings(runtime), runtime.settings))
    ).signing


async def _claim_head(conn: Any, dialect: str) -> Any:
    """The checkpoint head, locked for this sealer; None while another replica holds it."""
    query = select(checkpoint_head).where(checkpoint_head.c.id == 1)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    head = (await conn.execute(query)).first()
    if head is not None:
        return head
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(checkpoint_head)
    await conn.execute(ins.values(id=1, number=0, last_seq=0, digest=None).on_conflict_do_nothing())
    return (await conn.execute(query)).first()


async def seal_once(runtime: ServiceRuntime, *, force: bool = False) -> dict[str, Any] | None:
    """Seal the next checkpoint if one is due (or ``force``: whatever is unsealed). Returns the
    new checkpoint's row as a dict, or None when nothing was due or another sealer is at it."""
    cfg = audit_settings(runtime)
    key = private_key(runtime)
    dialect = runtime.engine.dialect.name
    async with runtime.sessionmaker() as session, session.begin():
        conn = await session.connection()
        head = await _claim_head(conn, dialect)
        if head is None:
            return None
        chain = (await conn.execute(select(chain_head.c.seq))).first()
        head_seq = chain.seq if chain is not None else 0
        first_new = (
            await conn.execute(
                select(records.c.recorded_at)
                .where(records.c.seq > head.last_seq, records.c.event_type != CHECKPOINT_EVENT)
                .order_by(records.c.seq)
                .limit(1)
            )
        ).first()
        age: float | None = None
        if first_new is not None:
            age = (utcnow() - as_utc(first_new.recorded_at)).total_seconds()
        plan = due(
            last_sealed_seq=head.last_seq,
            head_seq=head_seq,
            has_new_records=first_new is not None,
            oldest_unsealed_age_seconds=age,
            every=cfg.checkpoint_every,
            max_age_seconds=cfg.checkpoint_max_age_seconds,
            force=force,
        )
        if plan is None:
            return None
        hashes = (
            await conn.execute(
                select(records.c.seq, records.c.hash)
                .where(records.c.seq.between(plan.first_seq, plan.last_seq))
                .order_by(records.c.seq)
            )
        ).all()
        expected = plan.last_seq - plan.first_seq + 1
        if len(hashes) != expected or hashes[0].seq != plan.first_seq:
            raise RuntimeError(
                f"records {plan.first_seq}..{plan.last_seq} have gaps: cannot seal them"
            )
        now = utcnow()
        statement = Statement(
            number=head.number + 1,
            first_seq=plan.first_seq,
            last_seq=plan.last_seq,
            record_count=expected,
            merkle_root=merkle.root([bytes.fromhex(h.hash) for h in hashes]).hex(),
            head_hash=hashes[-1].hash,
            previous_digest=head.digest,
            sealed_at=iso(now),
            key_id=key_id(key.public_key()),
        )
        message = statement.canonical()
        row = {
            **asdict(statement),
            "checkpoint_id": str(uuid.uuid4()),
            "digest": statement.digest(),
            "statement": message.decode(),
            "signature": sign(key, message),
            "reason": plan.reason,
            "sealed_at": now,
        }
        # Compare-and-set: only the sealer that saw this number moves the head.
        moved = await conn.execute(
            update(checkpoint_head)
            .where(checkpoint_head.c.id == 1, checkpoint_head.c.number == head.number)
            .values(number=statement.number, last_seq=plan.last_seq, digest=row["digest"])
        )
        if moved.rowcount != 1:
            await session.rollback()
            return None
        await conn.execute(insert(checkpoints).values(**row))
        runtime.emit(
            session,
            CheckpointSealed(
                checkpoint_id=row["checkpoint_id"],
                first_seq=plan.first_seq,
                last_seq=plan.last_seq,
                merkle_root=statement.merkle_root,
                previous_checkpoint=head.digest,
                signature=row["signature"],
                key_id=statement.key_id,
            ),
            actor=None,
            subject_id=row["checkpoint_id"],
        )
    log.info(
        "sealed checkpoint %s over records %s..%s (%s)",
        statement.number,
        plan.first_seq,
        plan.last_seq,
        plan.reason,
    )
    return row


async def seal_due(runtime: ServiceRuntime, *, force: bool = False) -> list[dict[str, Any]]:
    """Seal every checkpoint that is due now (a backlog becomes several full checkpoints)."""
    sealed = []
    while (row := await seal_once(runtime, force=force)) is not None:
        sealed.append(row)
    return sealed


async def _seal_step(runtime: ServiceRuntime) -> int:
    return len(await seal_due(runtime))


checkpoint_sealer = periodic(
    "checkpoint_sealer", _seal_step, lambda runtime: audit_settings(runtime).seal_poll_interval
)
"""Worker: every few seconds, seal what is due. Its schedule is the database itself (the
checkpoint head and the records' arrival times), so restarts lose nothing."""
