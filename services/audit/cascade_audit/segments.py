"""The chain checked inside PostgreSQL, a segment at a time and several segments at once.

A record's hash covers the hash before it and the canonical JSON of its fields (``chain``).
PostgreSQL renders that JSON from the stored columns by plain concatenation - the payload's
stored text is already canonical (``models.ChainedJSON``) - hashes it, and compares each
record's ``prev_hash`` with the hash of the record before. Python only checks each sealed
segment's signed chain head and Merkle root, and joins the segments end to end.

The concatenation quotes strings without escaping them: a string that needs a JSON escape, or
a payload stored before payloads were stored canonically, renders differently from the hashed
text, and its segment is then reported suspect. The caller walks a suspect segment the exact
way (``ChainVerifier``), so every verdict, first broken record and reason is the walk's own:
the in-database check only ever says "these records are as they were hashed".
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit.domain import merkle
from cascade_audit.domain.chain import Segment
from cascade_audit.models import CHAINED

_NUMBERS = {"seq", "event_version"}
_ISO_UTC = (
    "'\"' || replace(to_char(occurred_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00\"'"
)


def _rendered(name: str) -> str:
    if name in _NUMBERS:
        return f"{name}::text"
    if name == "occurred_at":
        return _ISO_UTC
    if name == "payload":
        return "payload::text"
    return f"coalesce('\"' || {name} || '\"', 'null')"


RENDERED = (
    "concat("
    + ", ".join(
        f"'{',' if i else '{'}\"{name}\":', {_rendered(name)}"
        for i, name in enumerate(sorted(CHAINED))
    )
    + ", '}')"
)
"""The SQL expression of a record's hashed JSON, keys in the order ``chain.canonical`` sorts
them (a test holds the two equal on PostgreSQL). One ``concat`` builds it in one piece."""

CHECK = f"""
SELECT count(*) AS records,
       max(prev_hash) FILTER (WHERE seq = $1) AS first_prev_hash,
       max(hash) FILTER (WHERE seq = $2) AS last_hash,
       coalesce(bool_or(linked IS NOT TRUE OR hashed IS NOT TRUE), false) AS suspect,
       string_agg(hash, '' ORDER BY seq) FILTER (WHERE $3) AS leaves
FROM (
    SELECT seq, prev_hash, hash,
           prev_hash = lag(hash, 1, prev_hash) OVER (ORDER BY seq) AS linked,
           encode(sha256(convert_to(prev_hash || {RENDERED}, 'UTF8')), 'hex') = hash AS hashed
    FROM audit_record
    WHERE seq BETWEEN $1 AND $2
) AS r
"""


@dataclass(frozen=True)
class SegmentCheck:
    """What PostgreSQL found in one segment."""

    records: int
    first_prev_hash: str | None
    last_hash: str | None
    suspect: bool
    leaves: str | None

    def holds(self, segment: Segment, onto: str) -> bool:
        """Whether the segment is whole, every record as it was hashed, chained onto ``onto``,
        and (sealed) ending at its checkpoint's signed head under its signed Merkle root."""
        if self.suspect or self.first_prev_hash != onto:
            return False
        if self.records != segment.last_seq - segment.first_seq + 1:
            return False
        cp = segment.checkpoint
        if cp is None:
            return True
        if self.last_hash != cp.head_hash or self.leaves is None:
            return False
        try:
            hashes = bytes.fromhex(self.leaves)
        except ValueError:
            return False
        leaves = [hashes[i : i + 32] for i in range(0, len(hashes), 32)]
        return merkle.root(leaves).hex() == cp.merkle_root


async def _check(raw: Any, segment: Segment) -> SegmentCheck:
    row = await raw.fetchrow(
        CHECK, segment.first_seq, segment.last_seq, segment.checkpoint is not None
    )
    return SegmentCheck(
        row["records"], row["first_prev_hash"], row["last_hash"], row["suspect"], row["leaves"]
    )


async def checked(
    conn: AsyncConnection, segments: Sequence[Segment], *, workers: int = 2, ahead: int = 8
) -> AsyncGenerator[tuple[Segment, SegmentCheck]]:
    """Each segment with PostgreSQL's check of it, in order. ``workers`` connections of
    ``conn``'s engine check segments at once, at most ``ahead`` beyond the one being read, so
    memory stays flat whatever the store's size. Records are never updated, so each worker's
    own snapshot sees the same records up to the range asked for."""
    async with AsyncExitStack() as stack:
        free: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(max(workers, 1)):
            worker = await stack.enter_async_context(conn.engine.connect())
            free.put_nowait((await worker.get_raw_connection()).driver_connection)

        async def run(segment: Segment) -> SegmentCheck:
            raw = await free.get()
            try:
                return await _check(raw, segment)
            finally:
                free.put_nowait(raw)

        pending: deque[tuple[Segment, asyncio.Task[SegmentCheck]]] = deque()
        try:
            for segment in segments:
                pending.append((segment, asyncio.create_task(run(segment))))
                if len(pending) > ahead:
                    first, task = pending.popleft()
                    yield first, await task
            while pending:
                first, task = pending.popleft()
                yield first, await task
        finally:
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
