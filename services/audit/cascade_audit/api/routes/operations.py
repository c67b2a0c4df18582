"""Operators' and inspectors' checks: the "nothing lost" reconciliation and signed archives."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from cascade_shared.envelope import utcnow
from cascade_shared.params import ZonedTime
from cascade_shared.problems import Problem, invalid
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from cascade_audit.api.deps import CentralAuditor, Operator, Runtime
from cascade_audit.archive import export_period
from cascade_audit.reconciliation import reconcile, report
from cascade_audit.sealing import audit_settings

router = APIRouter(prefix="/api/audit", tags=["audit"])


class Tally(BaseModel):
    published: int
    held: int
    missing: int
    error: str | None


class MissingEvent(BaseModel):
    service: str
    event_id: str
    event_type: str
    published_at: datetime | str


class UnexplainedRecord(BaseModel):
    event_id: str
    event_type: str
    producer: str
    occurred_at: datetime | str


class ReconciliationReport(BaseModel):
    since: datetime | None
    until: datetime | None
    complete: bool
    services: dict[str, Tally]
    missing: list[MissingEvent]
    unexplained: list[UnexplainedRecord]
    """Records of events that occurred in the window that no service's outbox published."""


@router.get("/reconciliation", response_model=ReconciliationReport)
async def reconciliation(
    request: Request,
    user: CentralAuditor,
    runtime: Runtime,
    since: Annotated[
        ZonedTime | None, Query(description="published at or after (default: a day ago)")
    ] = None,
    until: Annotated[ZonedTime | None, Query(description="published before (default: now)")] = None,
) -> dict[str, Any]:
    """For a window of publication times, every event each service's outbox published that the
    audit store does not hold (``missing``); and every record of an event that occurred in the
    window that no outbox published (``unexplained``: made up, or sent by someone who is not a
    Cascade service). ``complete`` is true when every service answered and both lists are
    empty. Leave a few seconds between ``until`` and now so in-flight events have arrived."""
    until = until or utcnow()
    since = since or until - timedelta(days=1)
    if until <= since:
        raise invalid("query.until", "must be after since")
    result = await reconcile(
        runtime.engine,
        audit_settings(runtime),
        since=since,
        until=until,
        local=request.app.state.runtimes,
        authorization=request.headers.get("Authorization"),
    )
    return report(result, since, until)


@router.get("/archive", response_class=StreamingResponse)
async def archive(
    user: Operator,
    runtime: Runtime,
    since: Annotated[ZonedTime, Query(description="records that arrived at or after")],
    until: Annotated[
        ZonedTime, Query(description="records that arrived before; must be in the past")
    ],
) -> StreamingResponse:
    """A closed period as a signed archive (.tar.gz): ``records.jsonl`` with every record's
    chain columns, ``checkpoints.jsonl``, ``manifest.json`` (range, start hash, chain head,
    file hashes) and ``manifest.sig`` (Ed25519). Unsealed records in the period are sealed
    first, so the archive's checkpoints cover all of it."""
    if until > utcnow():
        raise invalid("query.until", "the period must be closed: until lies in the future")
    if until <= since:
        raise invalid("query.until", "must be after since")
    export = await export_period(runtime, since=since, until=until, exported_by=user.username)
    if export is None:
        raise Problem(404, "Not found", "no records arrived in that period", type_="not-found")
    data = export.data

    def chunks() -> Any:
        try:
            while block := data.read(256 * 1024):
                yield block
        finally:
            data.close()

    name = f"audit-{export.first_seq}-{export.last_seq}.tar.gz"
    return StreamingResponse(
        chunks(),
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
