"""Signed checkpoints: every so many records, the audit store seals the range since the last
checkpoint. A checkpoint states the range, the Merkle root of its record hashes, the hash of its
last record (the chain head) and the digest of the checkpoint before it, and is signed with the
service's Ed25519 key. Whoever holds a checkpoint (the level above, say) can later prove that the
store still has exactly those records, even if someone rewrote the whole chain after it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class Statement:
    """What a checkpoint signs. ``previous_digest`` chains checkpoints like records are chained."""

    number: int
    first_seq: int
    last_seq: int
    record_count: int
    merkle_root: str
    head_hash: str
    previous_digest: str | None
    sealed_at: str
    key_id: str

    def canonical(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> Statement:
        return cls(**json.loads(text))


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def signature_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SealPlan:
    """Which records the next checkpoint covers, or why none is due."""

    first_seq: int
    last_seq: int
    reason: str


def due(
    *,
    last_sealed_seq: int,
    head_seq: int,
    has_new_records: bool,
    oldest_unsealed_age_seconds: float | None,
    every: int,
    max_age_seconds: float,
    force: bool = False,
) -> SealPlan | None:
    """Whether to seal now, and which range.

    ``has_new_records`` says whether any unsealed record is not one of the store's own
    checkpoint events: a checkpoint event alone never causes the next checkpoint (no loop).
    A full checkpoint covers ``every`` records; the time rule (or ``force``) seals whatever is
    there.
    """
    if head_seq <= last_sealed_seq or not has_new_records:
        return None
    pending = head_seq - last_sealed_seq
    if pending >= every:
        return SealPlan(last_sealed_seq + 1, last_sealed_seq + every, "count")
    if force:
        return SealPlan(last_sealed_seq + 1, head_seq, "requested")
    if oldest_unsealed_age_seconds is not None and oldest_unsealed_age_seconds >= max_age_seconds:
        return SealPlan(last_sealed_seq + 1, head_seq, "age")
    return None
