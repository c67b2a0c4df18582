"""The audit service in embedded mode: the skeleton story's trail through every query, unit
scope, tamper detection, signed checkpoints and inclusion proofs."""

from __future__ import annotations

import base64
import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from cascade_audit.domain import merkle
from cascade_audit.domain.checkpoint import load_public_key, signature_valid
from cascade_shared.db import table_of

from tests.story import EXPECTED_TRAIL, eventually, run_story, token

WARD = "vn.hue.huong-an"


async def _all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/audit/records", params=query, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_the_story_comes_back_complete_by_plan_actor_and_unit(
    client: httpx.AsyncClient,
) -> None:
    result = await run_story(client)
    auditor = await token(client, "auditor.hue")

    by_plan = await _all_pages(client, auditor, plan_id=result.plan_id, limit=2)
    assert [r["event_type"] for r in by_plan] == EXPECTED_TRAIL
    assert [r["seq"] for r in by_plan] == [r["seq"] for r in result.trail]

    drafter_did = await _all_pages(client, auditor, actor="drafter.huong-an", limit=3)
    assert {"plan.created", "plan.submitted"} <= {r["event_type"] for r in drafter_did}
    assert all(r["actor"] == "drafter.huong-an" for r in drafter_did)
    times = [(r["occurred_at"], r["seq"]) for r in drafter_did]
    assert times == sorted(times)

    in_ward = await _all_pages(client, auditor, unit=WARD, plan_id=result.plan_id)
    assert in_ward and all(r["org_unit"] == WARD for r in in_ward)
    in_city = await _all_pages(client, auditor, unit="vn.hue", plan_id=result.plan_id)
    assert [r["event_type"] for r in in_city] == EXPECTED_TRAIL

    decided = await _all_pages(
        client,
        auditor,
        plan_id=result.plan_id,
        event_type=["approval.step_decided", "plan.approved"],
    )
    assert [r["event_type"] for r in decided] == [
        "approval.step_decided",
        "approval.step_decided",
        "plan.approved",
    ]
    first, last = by_plan[0]["occurred_at"], by_plan[-1]["occurred_at"]
    window = await _all_pages(client, auditor, plan_id=result.plan_id, since=first, until=last)
    assert [r["seq"] for r in window] == [r["seq"] for r in by_plan[:-1]]

    r = await client.get(
        "/api/audit/records/export.csv", params={"plan_id": result.plan_id}, headers=auditor
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["event_type"] for row in rows] == EXPECTED_TRAIL
    assert rows[0]["hash"] == by_plan[0]["hash"]


async def test_auditors_see_their_subtree_and_no_further(client: httpx.AsyncClient) -> None:
    result = await run_story(client)
    drafter = await token(client, "drafter.huong-an")
    r = await client.get(f"/api/audit/plans/{result.plan_id}/events", headers=drafter)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/audit/verify", headers=drafter)
    assert r.status_code == 403
    r = await client.get("/api/audit/records", params={"actor": "x"})
    assert r.status_code == 401

    auditor = await token(client, "auditor.hue")
    r = await client.get("/api/audit/records", params={"unit": "vn.ha-noi"}, headers=auditor)
    assert r.status_code == 403, r.text
    r = await client.get("/api/audit/records", params={"unit": "vn"}, headers=auditor)
    assert r.status_code == 403, r.text
    # Everything auditor.hue sees lies in Huế's subtree.
    seen = await _all_pages(client, auditor, limit=1000)
    assert seen and all(r["org_unit"].startswith("vn.hue") for r in seen)
    national = await token(client, "auditor.vn")
    everything = await _all_pages(client, national, limit=1000)
    assert len(everything) > len(seen)

    r = await client.get("/api/audit/records", params={"cursor": "garbage!"}, headers=auditor)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"
    r = await client.post("/api/audit/checkpoints", headers=auditor)
    assert r.status_code == 403


def _audit_db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "audit.sqlite3")


async def test_verify_names_the_record_changed_directly_in_the_database(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    result = await run_story(client)
    auditor = await token(client, "auditor.hue")
    target = result.trail[3]["seq"]

    db = _audit_db(tmp_path)
    try:
        try:
            db.execute("UPDATE audit_record SET actor = 'someone.else' WHERE seq = ?", (target,))
            raise AssertionError("the store accepted an UPDATE")
        except sqlite3.IntegrityError as exc:
            assert "append-only" in str(exc)
        # A tamperer with file access removes the guard and edits the record.
        db.execute("DROP TRIGGER audit_record_no_update")
        db.execute(
            "UPDATE audit_record SET payload = json_set(payload, '$.comment', 'sửa lén') "
            "WHERE seq = ?",
            (target,),
        )
        db.commit()
    finally:
        db.close()

    r = await client.get("/api/audit/verify", headers=auditor)
    body = r.json()
    assert r.status_code == 200 and body["ok"] is False, body
    assert body["first_broken_seq"] == target
    assert "content" in body["reason"]


async def test_checkpoints_are_signed_chained_and_prove_inclusion(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    result = await run_story(client)
    admin = await token(client, "admin")
    auditor = await token(client, "auditor.hue")

    r = await client.post("/api/audit/checkpoints", headers=admin)
    assert r.status_code == 200, r.text
    (first,) = r.json()
    assert first["number"] == 1 and first["first_seq"] == 1
    assert first["reason"] == "requested"

    # The checkpoint event is itself recorded, but alone it is not a reason to seal again.
    async def sealed_event() -> Any:
        r = await client.get(
            "/api/audit/records",
            params={"event_type": "audit.checkpoint_sealed"},
            headers=admin,
        )
        return r.json()["items"]

    (event,) = await eventually(sealed_event)
    assert event["payload"]["merkle_root"] == first["merkle_root"]
    r = await client.post("/api/audit/checkpoints", headers=admin)
    assert r.json() == []

    key = (await client.get("/api/audit/checkpoints/public-key", headers=auditor)).json()
    public = load_public_key(key["public_key_pem"])
    assert key["algorithm"] == "Ed25519" and first["key_id"] == key["key_id"]
    assert signature_valid(public, first["statement"].encode(), first["signature"])
    assert not signature_valid(public, first["statement"].encode() + b" ", first["signature"])

    seq = result.trail[4]["seq"]
    r = await client.get(f"/api/audit/records/{seq}/proof", headers=auditor)
    assert r.status_code == 200, r.text
    proof = r.json()
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["record_hash"]),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(p) for p in proof["audit_path"]],
        bytes.fromhex(proof["checkpoint"]["merkle_root"]),
    )
    assert proof["record_hash"] == result.trail[4]["hash"]
    assert base64.b64decode(proof["checkpoint"]["signature"])
    r = await client.get(f"/api/audit/records/{event['seq']}/proof", headers=admin)
    assert r.status_code == 409

    # A second checkpoint chains onto the first (another ward's story).
    await run_story(client, "phu-xuan")
    (second,) = (await client.post("/api/audit/checkpoints", headers=admin)).json()
    assert second["previous_digest"] == first["digest"]
    assert second["first_seq"] == first["last_seq"] + 1

    r = await client.get(
        "/api/audit/verify", params={"from_seq": second["first_seq"]}, headers=auditor
    )
    body = r.json()
    assert body["ok"] is True and body["started_from_checkpoint"] == 1, body
    assert body["checked"] == body["to_seq"] - first["last_seq"]
    r = await client.get("/api/audit/verify", headers=auditor)
    assert r.json()["ok"] is True and r.json()["checkpoints_checked"] == 2

    # Someone rewrites a sealed record AND recomputes every hash after it: the chain alone
    # would look intact, the signed checkpoint does not.
    await _rewrite_chain_from(tmp_path, seq)
    body = (await client.get("/api/audit/verify", headers=auditor)).json()
    assert body["ok"] is False and body["first_broken_seq"] == first["first_seq"], body
    assert "checkpoint 1" in body["reason"]


async def _rewrite_chain_from(tmp_path: Path, seq: int) -> None:
    from types import SimpleNamespace

    from cascade_audit.domain.chain import record_hash
    from cascade_audit.models import CHAINED, AuditRecord, chained_fields
    from cascade_shared.envelope import Envelope  # noqa: F401
    from sqlalchemy import create_engine, select, text, update

    table = table_of(AuditRecord)
    engine = create_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_record_no_update"))
        rows = conn.execute(select(table).where(table.c.seq >= seq - 1).order_by(table.c.seq)).all()
        prev = rows[0].hash
        for i, row in enumerate(rows[1:]):
            values = {name: getattr(row, name) for name in CHAINED}
            if i == 0:
                values["actor"] = "someone.else"
            new_hash = record_hash(prev, chained_fields(SimpleNamespace(**values)))
            conn.execute(
                update(table)
                .where(table.c.seq == row.seq)
                .values(actor=values["actor"], prev_hash=prev, hash=new_hash)
            )
            prev = new_hash
        conn.execute(text("UPDATE chain_head SET hash = :h"), {"h": prev})
    engine.dispose()
