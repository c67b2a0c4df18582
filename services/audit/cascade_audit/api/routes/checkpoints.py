"""Signed checkpoints: list them, hand them (and the public key) to a third party, prove that
one record is covered by one, and seal on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from cascade_shared.db import table_of
from cascade_shared.params import BigInt, Number
from cascade_shared.problems import conflict, forbidden, not_found
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from cascade_audit.api.deps import Auditor, ConnDep, Operator, Runtime
from cascade_audit.domain.checkpoint import ALGORITHM, key_id, public_key_pem
from cascade_audit.models import AuditCheckpoint, AuditRecord
from cascade_audit.sealing import private_key, seal_due
from cascade_audit.verification import checkpoint_public, inclusion_proof

router = APIRouter(prefix="/api/audit", tags=["audit"])
checkpoints = table_of(AuditCheckpoint)
records = table_of(AuditRecord)


class CheckpointPublic(BaseModel):
    number: int
    checkpoint_id: str
    first_seq: int
    last_seq: int
    record_count: int
    merkle_root: str
    head_hash: str
    previous_digest: str | None
    digest: str
    statement: str
    signature: str
    key_id: str
    reason: str
    sealed_at: datetime


class CheckpointPage(BaseModel):
    items: list[CheckpointPublic]
    next_after: int | None


class PublicKey(BaseModel):
    algorithm: str
    key_id: str
    public_key_pem: str


class InclusionProof(BaseModel):
    seq: int
    record_hash: str
    leaf_index: int
    tree_size: int
    audit_path: list[str]
    checkpoint: CheckpointPublic


@router.get("/checkpoints", response_model=CheckpointPage)
async def list_checkpoints(
    user: Auditor,
    conn: ConnDep,
    after: Annotated[Number | None, Query(description="checkpoint number to start after")] = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    """Checkpoints in order. Each carries its exact signed ``statement`` (canonical JSON) and
    the Ed25519 ``signature`` over it (base64)."""
    rows = (
        await conn.execute(
            select(checkpoints)
            .where(checkpoints.c.number > (after or 0))
            .order_by(checkpoints.c.number)
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [checkpoint_public(r) for r in rows],
        "next_after": rows[-1].number if more else None,
    }


@router.get("/checkpoints/public-key", response_model=PublicKey)
async def public_key(user: Auditor, runtime: Runtime) -> dict[str, Any]:
    """The key that verifies every checkpoint signature, for whoever holds checkpoints."""
    key = private_key(runtime).public_key()
    return {"algorithm": ALGORITHM, "key_id": key_id(key), "public_key_pem": public_key_pem(key)}


@router.post("/checkpoints", response_model=list[CheckpointPublic])
async def seal_now(user: Operator, runtime: Runtime) -> list[dict[str, Any]]:
    """Seal everything not yet sealed now (operators; the worker otherwise seals every N
    records and at least hourly). Empty when there is nothing new to seal."""
    return await seal_due(runtime, force=True)


@router.get("/records/{seq}/proof", response_model=InclusionProof)
async def proof(seq: BigInt, user: Auditor, conn: ConnDep) -> dict[str, Any]:
    """The inclusion proof of record ``seq`` (RFC 6962 audit path) to the Merkle root of the
    signed checkpoint that covers it."""
    record = (
        await conn.execute(select(records.c.seq, records.c.org_unit).where(records.c.seq == seq))
    ).first()
    if record is None:
        raise not_found("record", seq)
    if "." in user.unit and not user.sees(record.org_unit or ""):
        raise forbidden(f"record {seq} is outside your unit {user.unit}")
    result = await inclusion_proof(conn, seq)
    if result is None:
        raise conflict(f"record {seq} is not sealed by a checkpoint yet")
    return result
