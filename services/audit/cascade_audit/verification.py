"""Verifying the store: the chain link by link, the checkpoints' signatures and Merkle roots,
and inclusion proofs of single records."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cascade_shared.db import table_of
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit import segments
from cascade_audit.domain import merkle
from cascade_audit.domain.chain import (
    GENESIS,
    ChainVerifier,
    Link,
    SealedRange,
    Segment,
    Verdict,
    segments_of,
)
from cascade_audit.domain.checkpoint import Statement, key_id, signature_valid
from cascade_audit.models import (
    CHAINED,
    AuditCheckpoint,
    AuditRecord,
    ChainHead,
    chained_fields,
    iso,
)

records = table_of(AuditRecord)
checkpoints = table_of(AuditCheckpoint)
chain_head = table_of(ChainHead)
VERIFY_COLUMNS = [records.c[name] for name in CHAINED] + [records.c.prev_hash, records.c.hash]


@dataclass(frozen=True)
class StoreVerdict:
    verdict: Verdict
    from_seq: int
    to_seq: int
    started_from_checkpoint: int | None

    def as_dict(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "ok": v.ok,
            "checked": v.checked,
            "first_broken_seq": v.first_broken_seq,
            "reason": v.reason,
            "checkpoints_checked": v.checkpoints_checked,
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "started_from_checkpoint": self.started_from_checkpoint,
        }


def checkpoint_problem(row: Any, public_key: Ed25519PublicKey, previous: Any | None) -> str | None:
    """Why a stored checkpoint cannot be trusted, or None: its statement must be signed by our
    key, agree with its columns, and chain onto the checkpoint before it."""
    if row.key_id != key_id(public_key):
        return f"checkpoint {row.number} was signed by an unknown key {row.key_id}"
    message = row.statement.encode()
    if not signature_valid(public_key, message, row.signature):
        return f"checkpoint {row.number}'s signature is invalid"
    st = Statement.from_json(message)
    columns = (row.number, row.first_seq, row.last_seq, row.merkle_root, row.head_hash)
    if (st.number, st.first_seq, st.last_seq, st.merkle_root, st.head_hash) != columns:
        return f"checkpoint {row.number}'s columns differ from what was signed"
    if previous is not None and st.previous_digest != previous.digest:
        return f"checkpoint {row.number} does not chain onto checkpoint {previous.number}"
    if st.digest() != row.digest:
        return f"checkpoint {row.number}'s digest does not match its statement"
    return None


async def head_seq(conn: AsyncConnection) -> int:
    head = (await conn.execute(select(chain_head.c.seq))).first()
    return head.seq if head is not None else 0


async def seq_range_of(
    conn: AsyncConnection, since: datetime | None, until: datetime | None
) -> tuple[int | None, int | None]:
    """The records that arrived in [since, until), as a sequence range."""
    lo = hi = None
    if since is not None:
        lo = (
            await conn.execute(
                select(func.min(records.c.seq)).where(records.c.recorded_at >= since)
            )
        ).scalar()
        lo = lo if lo is not None else (await head_seq(conn)) + 1
    if until is not None:
        hi = (
            await conn.execute(select(func.max(records.c.seq)).where(records.c.recorded_at < until))
        ).scalar()
        hi = hi if hi is not None else 0
    return lo, hi


async def verify_store(
    conn: AsyncConnection,
    public_key: Ed25519PublicKey,
    *,
    from_seq: int | None = None,
    to_seq: int | None = None,
    batch: int = 5000,
    workers: int = 2,
    segment: int = 20_000,
    in_database: bool = True,
) -> StoreVerdict:
    """Verify records from_seq..to_seq (default: all). The walk starts at the newest checkpoint
    that ends before ``from_seq``, trusting its signed chain head instead of every record before
    it; each checkpoint whose range the walk covers is checked against its Merkle root. On
    PostgreSQL ``workers`` connections check segments of the chain at once (``segments``);
    ``in_database=False`` walks every record in Python instead, as SQLite always does."""
    last = await head_seq(conn)
    to = min(to_seq, last) if to_seq is not None else last
    start_at = max(from_seq or 1, 1)
    cps = (await conn.execute(select(checkpoints).order_by(checkpoints.c.number))).all()
    anchor = None
    for cp in cps:
        if cp.last_seq < start_at:
            anchor = cp
    used = [
        cp for cp in cps if (anchor is None or cp.number >= anchor.number) and cp.first_seq <= to
    ]
    previous = None
    if anchor is not None and anchor.number > 1:
        previous = next((c for c in cps if c.number == anchor.number - 1), None)
    for cp in used:
        problem = checkpoint_problem(cp, public_key, previous)
        if problem is not None:
            return StoreVerdict(
                Verdict(False, 0, cp.first_seq, problem),
                start_at,
                to,
                anchor.number if anchor else None,
            )
        previous = cp
    begin = anchor.last_seq + 1 if anchor is not None else 1
    start = anchor.head_hash if anchor is not None else GENESIS
    sealed = [
        SealedRange(c.number, c.first_seq, c.last_seq, c.merkle_root, c.head_hash)
        for c in used
        if c.last_seq <= to and c.first_seq >= begin
    ]
    if in_database and conn.dialect.name == "postgresql":
        plan = segments_of(begin, to, sealed, segment)
        verdict = await _verify_in_segments(conn, start, plan, to, sealed, batch, workers)
    else:
        verifier = ChainVerifier(start, begin, sealed)
        await _walk(conn, verifier, begin, to, batch)
        verdict = verifier.verdict(expect_last_seq=to)
    return StoreVerdict(verdict, start_at, to, anchor.number if anchor else None)


async def _verify_in_segments(
    conn: AsyncConnection,
    start: str,
    plan: list[Segment],
    to: int,
    sealed: list[SealedRange],
    batch: int,
    workers: int,
) -> Verdict:
    """PostgreSQL checks the segments, several at once; a segment it cannot vouch for is
    walked record by record from its start, and the walk goes on past it until it is clean
    at a segment's end (then PostgreSQL's checks carry on) or finds the first broken record."""
    onto, checked, sealed_checked = start, 0, 0
    async with aclosing(segments.checked(conn, plan, workers=workers)) as checks:
        async for segment, check in checks:
            if check.holds(segment, onto):
                onto, checked = str(check.last_hash), checked + check.records
                sealed_checked += segment.checkpoint is not None
                continue
            verifier = ChainVerifier(
                onto,
                segment.first_seq,
                [c for c in sealed if c.first_seq >= segment.first_seq],
                checked=checked,
                checkpoints_checked=sealed_checked,
            )
            await _walk(conn, verifier, segment.first_seq, segment.last_seq, batch)
            if verifier.broken is None and verifier.expected_seq > segment.last_seq:
                onto, checked = verifier.expected_prev, verifier.checked
                sealed_checked = verifier.checkpoints_checked
                continue
            if verifier.broken is None:  # records missing at the segment's end
                await _walk(conn, verifier, segment.last_seq + 1, to, batch)
            return verifier.verdict(expect_last_seq=to)
    return Verdict(True, checked, checkpoints_checked=sealed_checked)


async def _walk(
    conn: AsyncConnection, verifier: ChainVerifier, first: int, last: int, batch: int
) -> None:
    """Feed records first..last to ``verifier`` until it finds a broken one."""
    async for links in _links(conn, first, last, batch):
        for link in links:
            if not verifier.feed(link):
                return


_PG_BATCH = (
    "SELECT " + ", ".join(CHAINED) + ", prev_hash, hash FROM audit_record "
    "WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
)


async def _links(
    conn: AsyncConnection, begin: int, to: int, batch: int
) -> AsyncIterator[list[Link]]:
    """Records begin..to as links, a batch at a time (keyset on seq). On PostgreSQL the rows
    come straight from asyncpg: at ten million records SQLAlchemy's row processing would cost
    more than the hashing."""
    position = begin - 1
    raw = None
    if conn.dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
    while position < to:
        if raw is not None:
            rows = await raw.fetch(_PG_BATCH, position, to, batch)
            links = [_pg_link(r) for r in rows]
        else:
            result = await conn.execute(
                select(*VERIFY_COLUMNS)
                .where(records.c.seq > position, records.c.seq <= to)
                .order_by(records.c.seq)
                .limit(batch)
            )
            links = [Link(r.seq, r.prev_hash, r.hash, chained_fields(r)) for r in result]
        if not links:
            return
        yield links
        position = links[-1].seq


_N = len(CHAINED)
_PAYLOAD = CHAINED.index("payload")
_OCCURRED = CHAINED.index("occurred_at")


def _pg_link(row: Any) -> Link:
    values = list(row)
    if isinstance(values[_PAYLOAD], str):  # SQLAlchemy's asyncpg connections decode JSON
        values[_PAYLOAD] = json.loads(values[_PAYLOAD])
    values[_OCCURRED] = iso(values[_OCCURRED])
    fields = dict(zip(CHAINED, values[:_N], strict=True))
    return Link(values[0], values[_N], values[_N + 1], fields)


async def inclusion_proof(conn: AsyncConnection, seq: int) -> dict[str, Any] | None:
    """The checkpoint covering record ``seq`` and the record's audit path to its Merkle root;
    None when no checkpoint covers it yet."""
    cp = (
        await conn.execute(
            select(checkpoints).where(checkpoints.c.first_seq <= seq, checkpoints.c.last_seq >= seq)
        )
    ).first()
    if cp is None:
        return None
    hashes = (
        (
            await conn.execute(
                select(records.c.hash)
                .where(records.c.seq.between(cp.first_seq, cp.last_seq))
                .order_by(records.c.seq)
            )
        )
        .scalars()
        .all()
    )
    leaves = [bytes.fromhex(h) for h in hashes]
    index = seq - cp.first_seq
    return {
        "seq": seq,
        "record_hash": hashes[index],
        "leaf_index": index,
        "tree_size": len(leaves),
        "audit_path": [p.hex() for p in merkle.inclusion_path(leaves, index)],
        "checkpoint": checkpoint_public(cp),
    }


def checkpoint_public(cp: Any) -> dict[str, Any]:
    return {
        "number": cp.number,
        "checkpoint_id": cp.checkpoint_id,
        "first_seq": cp.first_seq,
        "last_seq": cp.last_seq,
        "record_count": cp.record_count,
        "merkle_root": cp.merkle_root,
        "head_hash": cp.head_hash,
        "previous_digest": cp.previous_digest,
        "digest": cp.digest,
        "statement": cp.statement,
        "signature": cp.signature,
        "key_id": cp.key_id,
        "reason": cp.reason,
        "sealed_at": cp.sealed_at,
    }
