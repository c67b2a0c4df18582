"""Signed archives of a closed period: the records (with their chain columns), the checkpoints
that seal them, and a manifest naming the chain's start and head and the file's hash, signed
with the checkpoint key. Anyone with the public key can check an archive offline
(:func:`verify_archive`, or ``python -m cascade_audit.cli verify-archive``)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.db import table_of
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade_audit.domain.chain import ChainVerifier, Link, SealedRange, Verdict
from cascade_audit.domain.checkpoint import (
    Statement,
    key_id,
    public_key_pem,
    sign,
    signature_valid,
)
from cascade_audit.models import AuditCheckpoint, AuditRecord, CheckpointHead, chained_fields, iso
from cascade_audit.sealing import private_key, seal_due
from cascade_audit.verification import checkpoint_public, seq_range_of

FORMAT = "cascade-audit-archive/1"
records = table_of(AuditRecord)
checkpoints = table_of(AuditCheckpoint)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(type(value))


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, default=_json_default) + "\n").encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


async def write_archive(
    conn: AsyncConnection,
    key: Ed25519PrivateKey,
    *,
    first_seq: int,
    last_seq: int,
    period: dict[str, Any],
    exported_by: str,
    batch: int = 5000,
) -> IO[bytes]:
    """A .tar.gz of records first_seq..last_seq in a temporary file (rewound, ready to send)."""
    body = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    digest = hashlib.sha256()
    start_hash = head_hash = None
    count = 0
    position = first_seq - 1
    while position < last_seq:
        rows = (
            await conn.execute(
                select(records)
                .where(records.c.seq > position, records.c.seq <= last_seq)
                .order_by(records.c.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for row in rows:
            data = _line(row._asdict())
            digest.update(data)
            body.write(data)
            start_hash = start_hash or row.prev_hash
            head_hash = row.hash
            count += 1
        position = rows[-1].seq
    cps = (
        await conn.execute(
            select(checkpoints)
            .where(checkpoints.c.last_seq >= first_seq, checkpoints.c.first_seq <= last_seq)
            .order_by(checkpoints.c.number)
        )
    ).all()
    cp_bytes = b"".join(_line(checkpoint_public(c)) for c in cps)
    public = key.public_key()
    manifest = {
        "format": FORMAT,
        "period": period,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "record_count": count,
        "start_hash": start_hash,
        "head_hash": head_hash,
        "records_sha256": digest.hexdigest(),
        "checkpoints_sha256": hashlib.sha256(cp_bytes).hexdigest(),
        "checkpoints": [c.number for c in cps],
        "key_id": key_id(public),
        "exported_by": exported_by,
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1, default=_json_default).encode()
    out = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        _add(tar, "manifest.json", manifest_bytes)
        _add(tar, "manifest.sig", sign(key, manifest_bytes).encode())
        _add(tar, "public-key.pem", public_key_pem(public).encode())
        _add(tar, "checkpoints.jsonl", cp_bytes)
        body.seek(0)
        info = tarfile.TarInfo("records.jsonl")
        info.size = body.seek(0, io.SEEK_END)
        body.seek(0)
        tar.addfile(info, body)
    body.close()
    out.seek(0)
    return out


@dataclass(frozen=True)
class ArchiveVerdict:
    ok: bool
    reason: str | None
    manifest: dict[str, Any]
    chain: Verdict | None = None


@dataclass(frozen=True)
class Export:
    first_seq: int
    last_seq: int
    data: IO[bytes]
    """The .tar.gz, rewound; the caller closes it."""


async def export_period(
    runtime: ServiceRuntime, *, since: datetime, until: datetime, exported_by: str
) -> Export | None:
    """The records that arrived in [since, until) as a signed archive, after sealing whatever of
    them no checkpoint covers yet; None when none arrived then."""
    head = table_of(CheckpointHead)
    async with runtime.engine.connect() as conn:
        first, last = await seq_range_of(conn, since, until)
        if first is None or last is None or last < first:
            return None
        sealed = (await conn.execute(select(head.c.last_seq))).scalar() or 0
    if sealed < last:
        await seal_due(runtime, force=True)
    async with runtime.engine.connect() as conn:
        data = await write_archive(
            conn,
            private_key(runtime),
            first_seq=first,
            last_seq=last,
            period={"since": since.isoformat(), "until": until.isoformat()},
            exported_by=exported_by,
        )
    return Export(first, last, data)


def verify_archive(data: IO[bytes], public_key: Ed25519PublicKey) -> ArchiveVerdict:
    """Check an archive with a key obtained independently (not the one inside the archive)."""
    with tarfile.open(fileobj=data, mode="r:gz") as tar:

        def read(name: str) -> bytes:
            member = tar.extractfile(name)
            if member is None:
                raise ValueError(f"{name} is missing")
            return member.read()

        manifest_bytes = read("manifest.json")
        manifest = json.loads(manifest_bytes)
        if not signature_valid(public_key, manifest_bytes, read("manifest.sig").decode()):
            return ArchiveVerdict(False, "the manifest's signature is invalid", manifest)
        cp_bytes = read("checkpoints.jsonl")
        if hashlib.sha256(cp_bytes).hexdigest() != manifest["checkpoints_sha256"]:
            return ArchiveVerdict(False, "checkpoints.jsonl differs from the manifest", manifest)
        sealed = []
        for line in cp_bytes.splitlines():
            cp = json.loads(line)
            if not signature_valid(public_key, cp["statement"].encode(), cp["signature"]):
                return ArchiveVerdict(False, f"checkpoint {cp['number']} is not signed", manifest)
            st = Statement.from_json(cp["statement"])
            sealed.append(
                SealedRange(st.number, st.first_seq, st.last_seq, st.merkle_root, st.head_hash)
            )
        body = read("records.jsonl")
    if hashlib.sha256(body).hexdigest() != manifest["records_sha256"]:
        return ArchiveVerdict(False, "records.jsonl differs from the manifest", manifest)
    verifier = ChainVerifier(manifest["start_hash"], manifest["first_seq"], sealed)
    last_hash = None
    for line in body.splitlines():
        row = json.loads(line)
        row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
        fields = chained_fields(_Row(row))
        if not verifier.feed(Link(row["seq"], row["prev_hash"], row["hash"], fields)):
            break
        last_hash = row["hash"]
    verdict = verifier.verdict(expect_last_seq=manifest["last_seq"])
    if not verdict.ok:
        return ArchiveVerdict(False, verdict.reason, manifest, verdict)
    if last_hash != manifest["head_hash"]:
        return ArchiveVerdict(False, "the chain head differs from the manifest", manifest, verdict)
    return ArchiveVerdict(True, None, manifest, verdict)


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
