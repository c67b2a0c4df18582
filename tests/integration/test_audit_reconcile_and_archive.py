"""The "nothing lost" reconciliation and signed archives, in embedded mode."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tarfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cascade_audit.archive import verify_archive
from cascade_audit.domain.checkpoint import load_public_key
from cascade_audit.reconciliation import reconcile
from cascade_audit.settings import AuditSettings
from cascade_plans.models import outbox as plans_outbox
from cascade_shared.auth import Principal
from cascade_shared.envelope import Envelope
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, insert

from tests.story import run_story, token


async def test_reconciliation_finds_nothing_missing_then_names_a_dropped_event(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    await run_story(client)
    auditor = await token(client, "auditor.vn")
    drafter = await token(client, "drafter.huong-an")
    city_auditor = await token(client, "auditor.hue")

    # Every unit's events: central auditors and admins only.
    for headers in (drafter, city_auditor):
        r = await client.get("/api/plans/outbox/published", headers=headers)
        assert r.status_code == 403
        r = await client.get("/api/audit/reconciliation", headers=headers)
        assert r.status_code == 403
    r = await client.get("/api/plans/outbox/published", params={"limit": 2}, headers=auditor)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    assert r.json()["next_after_seq"] is not None

    until = datetime.now(UTC)
    params = {"since": start.isoformat(), "until": until.isoformat()}
    r = await client.get("/api/audit/reconciliation", params=params, headers=auditor)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["complete"] is True and report["missing"] == [], report
    for service in ("plans", "approvals", "notifications"):
        assert report["services"][service]["error"] is None
    assert report["services"]["plans"]["published"] >= 4
    assert report["services"]["approvals"]["published"] >= 5
    assert all(t["held"] == t["published"] for t in report["services"].values())

    # The same over HTTP, as in distributed mode: each service's listing paged through its API
    # with the caller's token (the in-process ASGI transport stands in for the network).
    transport = client._transport  # the embedded app behind the test client
    audit = transport.app.state.runtimes["audit"]  # type: ignore[attr-defined]
    remote = AuditSettings(base_url="http://cascade", reconcile_page=3)
    over_http = await reconcile(
        audit.engine,
        remote,
        since=start,
        until=until,
        authorization=auditor["Authorization"],
        transport=transport,
    )
    assert over_http.complete and over_http.services["plans"].published > 3
    refused = await reconcile(
        audit.engine,
        remote,
        since=start,
        until=until,
        authorization="Bearer x",
        transport=transport,
    )
    assert not refused.complete and "401" in (refused.services["plans"].error or "")
    nowhere = await reconcile(audit.engine, AuditSettings(), since=start, until=until)
    assert nowhere.services["approvals"].error == "no base URL configured for this service"

    # The plans relay marked an event published that the broker then lost.
    lost = str(uuid.uuid4())
    now = datetime.now(UTC)
    engine = create_engine(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(
            insert(plans_outbox).values(
                event_id=lost,
                event_type="plan.submitted",
                envelope={},
                occurred_at=now,
                available_at=now,
                attempts=1,
                published_at=now,
            )
        )
    engine.dispose()
    params["until"] = (now + timedelta(seconds=1)).isoformat()
    r = await client.get("/api/audit/reconciliation", params=params, headers=auditor)
    report = r.json()
    assert report["complete"] is False
    assert [(m["service"], m["event_id"], m["event_type"]) for m in report["missing"]] == [
        ("plans", lost, "plan.submitted")
    ]
    assert report["services"]["plans"]["missing"] == 1
    assert report["unexplained"] == []

    # The other way: an event nobody's outbox published, put on the bus by hand, is chained by
    # audit (embedded mode has no broker users to refuse it) and named as unexplained.
    made_up = Envelope(
        type="plan.approved",
        producer="plans",
        subject_id=str(uuid.uuid4()),
        payload={"plan_id": str(uuid.uuid4()), "version": 1, "title": "Kế hoạch không có thật"},
    )
    bus = transport.app.state.bus  # type: ignore[attr-defined]
    assert await bus.publish([made_up]) == [None]
    params["until"] = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    r = await client.get("/api/audit/reconciliation", params=params, headers=auditor)
    report = r.json()
    assert report["complete"] is False
    assert [(u["event_id"], u["producer"]) for u in report["unexplained"]] == [
        (str(made_up.id), "plans")
    ]

    r = await client.get(
        "/api/audit/reconciliation",
        params={"since": params["until"], "until": start.isoformat()},
        headers=auditor,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.until"


async def test_a_closed_period_exports_as_a_signed_archive(client: httpx.AsyncClient) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    result = await run_story(client)
    admin = await token(client, "admin")
    auditor = await token(client, "auditor.hue")
    until = datetime.now(UTC)
    params = {"since": since.isoformat(), "until": until.isoformat()}

    r = await client.get("/api/audit/archive", params=params, headers=auditor)
    assert r.status_code == 403
    # An archive is a stretch of the whole chain, every unit's records: not for a ward's admin.
    app = client._transport.app  # type: ignore[attr-defined]
    ward_admin = Principal(username="admin.phu-xuan", unit="vn.hue.phu-xuan", roles=["admin"])
    ward = {"Authorization": f"Bearer {app.state.token_verifier.issue(ward_admin)}"}
    r = await client.get("/api/audit/archive", params=params, headers=ward)
    assert r.status_code == 403, r.text
    r = await client.post("/api/audit/checkpoints", headers=ward)
    assert r.status_code == 403, r.text
    future = {**params, "until": (until + timedelta(hours=1)).isoformat()}
    r = await client.get("/api/audit/archive", params=future, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.until"

    r = await client.get("/api/audit/archive", params=params, headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/gzip"
    archive = r.content
    pem = (await client.get("/api/audit/checkpoints/public-key", headers=admin)).json()
    key = load_public_key(pem["public_key_pem"])

    verdict = verify_archive(io.BytesIO(archive), key)
    assert verdict.ok, verdict.reason
    manifest = verdict.manifest
    assert manifest["record_count"] == manifest["last_seq"] - manifest["first_seq"] + 1
    assert manifest["checkpoints"], "the export sealed the period first"
    assert verdict.chain is not None and verdict.chain.checkpoints_checked >= 1
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("records.jsonl")
        assert member is not None
        body = member.read().decode()
    assert result.trail[0]["event_id"] in body

    # One changed byte in the records, with the manifest left as it was: refused.
    forged = _replace_member(
        archive, "records.jsonl", body.replace("drafter.huong-an", "drafter.huong-aX", 1).encode()
    )
    assert not verify_archive(io.BytesIO(forged), key).ok
    other = Ed25519PrivateKey.generate().public_key()
    assert (
        verify_archive(io.BytesIO(archive), other).reason == "the manifest's signature is invalid"
    )


def _replace_member(archive: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive)) as src,
        tarfile.open(fileobj=out, mode="w:gz") as dst,
    ):
        for member in src.getmembers():
            content = data if member.name == name else src.extractfile(member).read()  # type: ignore[union-attr]
            member.size = len(content)
            dst.addfile(member, io.BytesIO(content))
    return out.getvalue()


async def test_operators_export_the_same_signed_archive_from_a_shell(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """``python -m cascade_audit.cli export`` on the embedded data folder: the same archive
    path as the API (seal first, then write), checked offline with ``verify-archive``."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    await run_story(client)
    until = datetime.now(UTC)
    admin = await token(client, "admin")
    pem = (await client.get("/api/audit/checkpoints/public-key", headers=admin)).json()
    (tmp_path / "audit-public.pem").write_text(pem["public_key_pem"])
    env = {**os.environ, "CASCADE_DATA_DIR": str(tmp_path), "CASCADE_BUS": "inprocess"}

    async def cli(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cascade_audit.cli",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    archive = tmp_path / "period.tar.gz"
    code, out = await cli(
        "export", "--since", since.isoformat(), "--until", until.isoformat(), "-o", str(archive)
    )
    assert code == 0, out
    code, out = await cli(
        "verify-archive", str(archive), "--public-key", str(tmp_path / "audit-public.pem")
    )
    assert code == 0 and '"ok": true' in out, out
    before = since - timedelta(hours=1)  # closed, and nothing arrived then
    empty = before.isoformat(), (before + timedelta(minutes=1)).isoformat()
    code, out = await cli("export", "--since", empty[0], "--until", empty[1], "-o", str(archive))
    assert code == 1 and "no records arrived in that period" in out
