"""What inspectors ask: the story of a plan, and whether the record is untampered."""

from __future__ import annotations

from typing import Any

from cascade_shared.auth import Principal
from cascade_shared.problems import forbidden
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from cascade_audit.api.deps import CurrentUser, SessionDep
from cascade_audit.domain.chain import GENESIS, Link, verify
from cascade_audit.models import AuditRecord

router = APIRouter(prefix="/api/audit", tags=["audit"])


class RecordPublic(BaseModel):
    seq: int
    event_id: str
    event_type: str
    occurred_at: Any
    recorded_at: Any
    producer: str
    actor: str | None
    org_unit: str | None
    plan_id: str | None
    correlation_id: str | None
    payload: dict[str, Any]
    hash: str


class VerifyResult(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None


def _require_auditor(user: Principal) -> None:
    user.require_role("auditor", "admin")


@router.get("/plans/{plan_id}/events", response_model=list[RecordPublic])
async def plan_story(
    plan_id: str,
    user: CurrentUser,
    session: SessionDep,
    limit: int = Query(default=500, ge=1, le=5000),
) -> list[Any]:
    """Everything that happened to one plan, across its versions, in the order it happened
    (event time, then arrival); the chain itself keeps arrival order."""
    _require_auditor(user)
    rows = (
        await session.exec(
            select(AuditRecord)
            .where(AuditRecord.plan_id == plan_id)
            .order_by(col(AuditRecord.occurred_at), col(AuditRecord.seq))
            .limit(limit)
        )
    ).all()
    if rows and not any(user.sees(r.org_unit or "") for r in rows):
        raise forbidden(f"plan {plan_id} is outside your unit {user.unit}")
    return [r.model_dump() for r in rows if user.sees(r.org_unit or "")]


@router.get("/verify", response_model=VerifyResult)
async def verify_chain(user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Walk the whole chain and report the first broken link."""
    _require_auditor(user)
    result = await session.stream(
        select(AuditRecord).order_by(col(AuditRecord.seq)).execution_options(yield_per=1000)
    )
    links = []
    async for (row,) in result:
        links.append(Link(row.seq, row.prev_hash, row.hash, row.chained_fields()))
    verdict = verify(links, GENESIS)
    return {
        "ok": verdict.ok,
        "checked": verdict.checked,
        "first_broken_seq": verdict.first_broken_seq,
        "reason": verdict.reason,
    }
