"""Each audit record carries the hash of the record before it; changing any record breaks
every link after it, and verification names the first broken one.

Checkpoints add what a chain alone cannot give: someone able to rewrite every record after a
change (recomputing all later hashes) still cannot match the Merkle roots and chain heads that
were signed earlier and handed to others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cascade_audit.domain import merkle

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> str:
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    seq: int
    prev_hash: str
    hash: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    checkpoints_checked: int = 0


@dataclass(frozen=True)
class SealedRange:
    """A checkpoint as the verifier needs it: its range, signed root and signed chain head."""

    number: int
    first_seq: int
    last_seq: int
    merkle_root: str
    head_hash: str


class ChainVerifier:
    """Walks records in sequence order, one at a time (so ten million need no memory), checking
    each link and, where a checkpoint's range ends, that range's Merkle root and head."""

    def __init__(
        self,
        start_hash: str = GENESIS,
        start_seq: int = 1,
        checkpoints: Sequence[SealedRange] = (),
        *,
        checked: int = 0,
        checkpoints_checked: int = 0,
    ) -> None:
        """A walk starting at ``start_seq`` onto ``start_hash``; ``checked`` and
        ``checkpoints_checked`` count what was already verified before it."""
        self.expected_prev = start_hash
        self.expected_seq = start_seq
        self.checked = checked
        self.checkpoints_checked = checkpoints_checked
        self._pending = sorted(
            (c for c in checkpoints if c.first_seq >= start_seq), key=lambda c: c.first_seq
        )
        self._leaves: list[bytes] = []
        self.broken: Verdict | None = None

    def _fail(self, seq: int, reason: str) -> bool:
        self.broken = Verdict(False, self.checked, seq, reason, self.checkpoints_checked)
        return False

    def feed(self, link: Link) -> bool:
        """Check one more record; False (and ``broken`` set) at the first broken link."""
        if self.broken is not None:
            return False
        if link.seq != self.expected_seq:
            gap = f"{self.expected_seq}..{link.seq - 1}" if link.seq > self.expected_seq else ""
            reason = f"records {gap} are missing before it" if gap else "out of sequence"
            return self._fail(link.seq, reason)
        if link.prev_hash != self.expected_prev:
            return self._fail(link.seq, "prev_hash does not match the record before")
        if record_hash(link.prev_hash, link.fields) != link.hash:
            return self._fail(link.seq, "the record's content does not match its hash")
        self.expected_prev = link.hash
        self.expected_seq += 1
        self.checked += 1
        if self._pending:
            current = self._pending[0]
            if current.first_seq <= link.seq <= current.last_seq:
                self._leaves.append(bytes.fromhex(link.hash))
            if link.seq == current.last_seq:
                self._pending.pop(0)
                leaves, self._leaves = self._leaves, []
                if link.hash != current.head_hash:
                    return self._fail(
                        current.first_seq,
                        f"checkpoint {current.number} signed a different chain head: "
                        "records in its range were rewritten",
                    )
                if merkle.root(leaves).hex() != current.merkle_root:
                    return self._fail(
                        current.first_seq,
                        f"checkpoint {current.number}'s Merkle root does not match its records",
                    )
                self.checkpoints_checked += 1
        return True

    def verdict(self, expect_last_seq: int | None = None) -> Verdict:
        if self.broken is not None:
            return self.broken
        if expect_last_seq is not None and self.expected_seq <= expect_last_seq:
            return Verdict(
                False,
                self.checked,
                self.expected_seq,
                f"records {self.expected_seq}..{expect_last_seq} are missing",
                self.checkpoints_checked,
            )
        return Verdict(True, self.checked, checkpoints_checked=self.checkpoints_checked)


def verify(links: Iterable[Link], start_hash: str = GENESIS) -> Verdict:
    """Verify a whole sequence of links (starting wherever the first link starts)."""
    verifier: ChainVerifier | None = None
    for link in links:
        if verifier is None:
            verifier = ChainVerifier(start_hash, link.seq)
        if not verifier.feed(link):
            break
    return verifier.verdict() if verifier is not None else Verdict(True, 0)


@dataclass(frozen=True)
class Segment:
    """A run of records checked as one piece: a sealed checkpoint's range, or part of the
    records no checkpoint covers yet."""

    first_seq: int
    last_seq: int
    checkpoint: SealedRange | None = None


def segments_of(
    begin: int, to: int, sealed: Sequence[SealedRange], size: int = 20_000
) -> list[Segment]:
    """Records begin..to cut into segments: each checkpoint range inside it whole, and what lies
    between and after them in pieces of at most ``size``. A walk that starts at a segment's
    first record starts with no checkpoint half read."""
    segments: list[Segment] = []

    def loose(lo: int, hi: int) -> None:
        segments.extend(Segment(s, min(s + size - 1, hi)) for s in range(lo, hi + 1, size))

    position = begin
    for cp in sorted(sealed, key=lambda c: c.first_seq):
        if cp.first_seq < position or cp.last_seq > to:
            continue
        loose(position, cp.first_seq - 1)
        segments.append(Segment(cp.first_seq, cp.last_seq, cp))
        position = cp.last_seq + 1
    loose(position, to)
    return segments
