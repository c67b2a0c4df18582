"""Each audit record carries the hash of the record before it; changing any record breaks
every link after it, and verification names the first broken one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


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


def verify(links: Iterable[Link], start_hash: str = GENESIS) -> Verdict:
    expected_prev = start_hash
    checked = 0
    for link in links:
        if link.prev_hash != expected_prev:
            return Verdict(False, checked, link.seq, "prev_hash does not match the record before")
        if record_hash(link.prev_hash, link.fields) != link.hash:
            return Verdict(False, checked, link.seq, "the record's content does not match its hash")
        expected_prev = link.hash
        checked += 1
    return Verdict(True, checked)
