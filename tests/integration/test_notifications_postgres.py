"""The notifications service alone on a real PostgreSQL, fed envelopes through its runtime and
served by uvicorn (so the SSE stream is read as it flows): recipient rules from the read models,
critical notices, exactly once across redelivery even when the inbox forgot, the daily digest,
dead webhooks and their replay, and an announcement fanned out in chunks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from cascade_notifications.service import SERVICE
from cascade_notifications.workers.digest import make_digests, user_claimed
from cascade_notifications.workers.fanout import fan_out_chunk
from cascade_notifications.workers.sending import send_due
from cascade_shared.auth import Principal
from cascade_shared.chassis.app import create_app
from cascade_shared.chassis.service import ServiceRuntime
from cascade_shared.envelope import Envelope, utcnow
from cascade_shared.settings import Settings
from sqlalchemy import literal, select, text

from tests.channels import SECRET, MailSink, Receiver, mail_server, webhook_receiver
from tests.cluster import free_port
from tests.integration.test_notifications_channels import channel_env
from tests.story import eventually

HUE, WARD, SIBLING = "vn.hue", "vn.hue.huong-an", "vn.hue.phu-xuan"
USERS = [
    ("approver.hue", HUE, ["approver"], "vi"),
    ("approver2.hue", HUE, ["approver"], "en"),
    ("deputy.hue", HUE, ["drafter"], "vi"),
    ("head.hue", HUE, ["head"], "vi"),
    ("drafter.huong-an", WARD, ["drafter"], "vi"),
    ("head.huong-an", WARD, ["head"], "vi"),
    ("drafter.phu-xuan", SIBLING, ["drafter"], "vi"),
    ("head.phu-xuan", SIBLING, ["head"], "vi"),
    ("auditor.phu-xuan", SIBLING, ["auditor"], "vi"),
    ("approver.ha-noi", "vn.ha-noi", ["approver"], "vi"),
]


@dataclass
class Service:
    runtime: ServiceRuntime
    http: httpx.AsyncClient
    sink: MailSink
    hook: Receiver
    hook_url: str
    issue: Any

    def headers(self, username: str, unit: str, *roles: str) -> dict[str, str]:
        principal = Principal(username=username, unit=unit, roles=list(roles))
        return {"Authorization": f"Bearer {self.issue(principal)}"}

    async def handle(self, type_: str, payload: dict[str, Any], **kw: Any) -> Envelope:
        envelope = Envelope(type=type_, producer="test", payload=payload, **kw)
        await self.runtime.handle(envelope)
        return envelope

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()


@pytest.fixture
def smtp_sink() -> Iterator[tuple[MailSink, int]]:
    with mail_server() as server:
        yield server


@pytest.fixture
def hook_receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver that accepts every well-signed call at once."""
    with webhook_receiver(SECRET, failures=0) as endpoint:
        yield endpoint


@pytest.fixture
async def service(
    pg_database: Any,
    monkeypatch: pytest.MonkeyPatch,
    smtp_sink: tuple[MailSink, int],
    hook_receiver: tuple[Receiver, str],
) -> AsyncIterator[Service]:
    url = await pg_database("notifications")
    channel_env(monkeypatch, smtp_sink[1])
    monkeypatch.setenv("CASCADE_NOTIFICATIONS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("CASCADE_NOTIFICATIONS_ANNOUNCEMENT_CHUNK", "1000")
    monkeypatch.setenv("CASCADE_NOTIFICATIONS_STREAM_POLL_SECONDS", "0.2")
    settings = Settings(
        database_url=url,
        bus="inprocess",
        jwt_secret="postgres-test-secret-of-at-least-32-bytes",
        relay_poll_interval=0.2,
    )
    app = create_app([SERVICE], settings, migrate=True)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def up() -> bool:
                try:
                    return (await http.get("/api/notifications/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up)
            runtime = app.state.runtimes["notifications"]
            svc = Service(
                runtime,
                http,
                smtp_sink[0],
                hook_receiver[0],
                hook_receiver[1],
                app.state.token_verifier.issue,
            )
            for code, parent, level in [
                ("vn", None, "central"),
                (HUE, "vn", "city"),
                (WARD, HUE, "ward"),
                (SIBLING, HUE, "ward"),
                ("vn.ha-noi", "vn", "city"),
            ]:
                await svc.handle(
                    "directory.unit_changed",
                    {"code": code, "name": code, "level": level, "parent": parent},
                )
            for username, unit, roles, language in USERS:
                await svc.handle(
                    "directory.user_changed",
                    {
                        "username": username,
                        "name": "Đồng chí " + username,
                        "unit": unit,
                        "roles": roles,
                        "email": f"{username}@example.gov.vn",
                        "language": language,
                    },
                )
            yield svc
    finally:
        server.should_exit = True
        await task


async def inbox(svc: Service, username: str, unit: str) -> list[dict[str, Any]]:
    r = await svc.http.get("/api/notifications/inbox", headers=svc.headers(username, unit, "x"))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def counts(svc: Service) -> tuple[int, int]:
    return (
        await svc.scalar("SELECT count(*) FROM notification"),
        await svc.scalar("SELECT count(*) FROM delivery"),
    )


def step(**extra: Any) -> dict[str, Any]:
    return {
        "case_id": "case-1",
        "plan_id": "plan-1",
        "plan_version": 1,
        "plan_title": "Kế hoạch phường Hương An",
        "plan_unit": WARD,
        "step_no": 2,
        "unit": HUE,
        "role": "approver",
        "due_at": "2026-12-01T10:00:00+00:00",
        **extra,
    }


async def test_rules_critical_notices_and_exactly_once_across_redelivery(service: Service) -> None:
    svc = service
    now = utcnow()
    # The deputy acts for approver.hue this week, and turned every channel off.
    await svc.handle(
        "approval.delegation_granted",
        {
            "delegation_id": "d-1",
            "unit": HUE,
            "delegator": "approver.hue",
            "delegate": "deputy.hue",
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=6)).isoformat(),
        },
    )
    deputy = svc.headers("deputy.hue", HUE, "drafter")
    r = await svc.http.put(
        "/api/notifications/preferences/*",
        json={"inapp": False, "email": False, "digest": False},
        headers=deputy,
    )
    assert r.status_code == 200, r.text

    events = [
        await svc.handle("approval.step_assigned", step()),
        await svc.handle("approval.step_overdue", step()),
        await svc.handle(
            "approval.step_escalated", step(unit=WARD, role="head", escalated_to_unit=HUE)
        ),
        await svc.handle(
            "plan.returned",
            {
                "plan_id": "plan-1",
                "version": 1,
                "unit": WARD,
                "unit_level": "ward",
                "title": "Kế hoạch phường Hương An",
                "drafter": "drafter.huong-an",
                "comment": "Cần lượng hóa rõ hơn",
                "comments": [{"task_code": "HA-01", "text": "Nêu rõ tuyến đường"}],
            },
        ),
        await svc.handle(
            "plan.approved",
            {
                "plan_id": "program-hue",
                "version": 1,
                "unit": HUE,
                "unit_level": "city",
                "title": "Chương trình hành động của Thành phố Huế",
                "drafter": "deputy.hue",
            },
        ),
    ]

    def kinds(items: list[dict[str, Any]]) -> list[tuple[str, bool]]:
        return sorted((n["kind"], n["critical"]) for n in items)

    assert kinds(await inbox(svc, "approver.hue", HUE)) == [
        ("approval.step_assigned", False),
        ("approval.step_overdue", True),
    ]
    english = await inbox(svc, "approver2.hue", HUE)
    assert {n["title"] for n in english} == {
        "A plan awaits your decision: Kế hoạch phường Hương An",
        "Overdue decision: Kế hoạch phường Hương An",
    }
    # The delegate chose silence: only the critical notice reaches their inbox.
    assert kinds(await inbox(svc, "deputy.hue", HUE)) == [("approval.step_overdue", True)]
    assert kinds(await inbox(svc, "head.hue", HUE)) == [
        ("approval.step_escalated", True),
        ("plan.approved", False),
    ]
    returned = await inbox(svc, "drafter.huong-an", WARD)
    assert kinds(returned) == [("plan.returned", False), ("plan.to_concretize", False)]
    note = next(n for n in returned if n["kind"] == "plan.returned")
    assert "Nhiệm vụ HA-01: Nêu rõ tuyến đường" in note["body"]
    for who, unit in [("head.huong-an", WARD), ("drafter.phu-xuan", SIBLING)]:
        assert "plan.to_concretize" in {n["kind"] for n in await inbox(svc, who, unit)}
    assert await inbox(svc, "auditor.phu-xuan", SIBLING) == []
    assert await inbox(svc, "approver.ha-noi", "vn.ha-noi") == []

    # Every e-mail goes out once, with its delivery's Message-ID.
    expected_mails = await svc.scalar("SELECT count(*) FROM delivery WHERE channel = 'email'")
    assert expected_mails > 0

    async def all_sent() -> bool:
        left = await svc.scalar("SELECT count(*) FROM delivery WHERE state <> 'sent'")
        return left == 0 and len(svc.sink.raw) >= expected_mails

    await eventually(all_sent)
    mails = svc.sink.messages()
    assert len(mails) == expected_mails == len({m["Message-ID"] for m in mails})

    # Redelivery creates nothing; nor does a replay after the inbox forgot (the unique key).
    before = await counts(svc)
    for envelope in events:
        await svc.runtime.handle(envelope)
    assert await counts(svc) == before
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM inbox"))
    for envelope in events:
        await svc.runtime.handle(envelope)
    assert await counts(svc) == before
    # Once the delegation is revoked, the deputy is no longer told of the approver's steps.
    await svc.handle(
        "approval.delegation_revoked",
        {
            "delegation_id": "d-1",
            "unit": HUE,
            "delegator": "approver.hue",
            "delegate": "deputy.hue",
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=6)).isoformat(),
            "active": False,
        },
    )
    await svc.handle("approval.step_reminded", step(case_id="case-2", plan_id="plan-2"))
    assert kinds(await inbox(svc, "deputy.hue", HUE)) == [("approval.step_overdue", True)]
    assert ("approval.step_reminded", True) in kinds(await inbox(svc, "approver.hue", HUE))
    # Two senders racing over the same rows (two replicas) send nothing twice.
    expected_mails = await svc.scalar("SELECT count(*) FROM delivery WHERE channel = 'email'")
    async with httpx.AsyncClient() as client:
        await asyncio.gather(send_due(svc.runtime, client), send_due(svc.runtime, client))
    await eventually(all_sent)
    mails = svc.sink.messages()
    assert len(mails) == expected_mails == len({m["Message-ID"] for m in mails})


async def test_a_daily_digest_folds_a_users_mail_into_one_message(service: Service) -> None:
    svc = service
    drafter = svc.headers("drafter.huong-an", WARD, "drafter")
    r = await svc.http.put(
        "/api/notifications/preferences/*", json={"digest": True}, headers=drafter
    )
    assert r.status_code == 200, r.text
    for n in (1, 2):
        await svc.handle(
            "plan.returned",
            {
                "plan_id": f"plan-{n}",
                "version": n,
                "unit": WARD,
                "unit_level": "ward",
                "title": f"Kế hoạch số {n}",
                "drafter": "drafter.huong-an",
                "comment": "Bổ sung tiến độ",
            },
        )
    held = "SELECT count(*) FROM delivery WHERE recipient = 'drafter.huong-an' AND state = 'digest'"
    assert await svc.scalar(held) == 2
    assert await make_digests(svc.runtime) == 0  # not yet 07:00 in Huế
    first_row = await svc.scalar(
        "SELECT min(id) FROM delivery WHERE recipient = 'drafter.huong-an' AND state = 'digest'"
    )
    async with svc.runtime.engine.connect() as other:
        # Another replica is in the middle of claiming the drafter's digest when the clock
        # reaches the digest hour: it has locked one row and is about to lock the other.
        claimed = await other.execute(select(user_claimed(literal("drafter.huong-an"))))
        assert claimed.scalar() is True
        async with svc.runtime.engine.begin() as conn:
            await conn.execute(
                text("UPDATE delivery SET next_attempt_at = now() WHERE state = 'digest'")
            )
        await other.execute(
            text("SELECT id FROM delivery WHERE id = :id FOR UPDATE"), {"id": first_row}
        )
        # Neither this call nor the service's own digest worker takes the other row for a
        # digest of its own: the drafter is claimed whole.
        assert await make_digests(svc.runtime) == 0
        assert await svc.scalar(held) == 2
        await other.rollback()
    # This call or the service's own digest worker, whichever comes first, folds them: once.
    made = await make_digests(svc.runtime)
    digests_made = (
        "SELECT count(*) FROM delivery WHERE event_type = 'digest' "
        "AND recipient = 'drafter.huong-an'"
    )

    async def folded() -> bool:
        return await svc.scalar(digests_made) == 1 and await svc.scalar(held) == 0

    await eventually(folded)
    assert made in (0, 1)
    assert await make_digests(svc.runtime) == 0
    assert await svc.scalar(digests_made) == 1

    def digests() -> list[Any]:
        return [m for m in svc.sink.messages() if m["Subject"].startswith("Tổng hợp thông báo")]

    async def mailed() -> bool:
        return len(digests()) == 1

    await eventually(mailed)
    body = digests()[0].get_content()
    assert "Kế hoạch bị trả lại để chỉnh sửa: Kế hoạch số 1" in body
    assert "Kế hoạch bị trả lại để chỉnh sửa: Kế hoạch số 2" in body
    single = [m for m in svc.sink.messages() if m["To"].startswith("drafter.huong-an")]
    assert len(single) == 1  # the head got single messages; the drafter only the digest


def rejection(plan_id: str) -> dict[str, Any]:
    """A ``plan.rejected`` payload for a Hương An plan."""
    return {
        "plan_id": plan_id,
        "version": 1,
        "unit": WARD,
        "unit_level": "ward",
        "title": "Kế hoạch bị bác",
        "drafter": "drafter.huong-an",
        "comment": "Không phù hợp",
    }


async def test_a_dead_webhook_is_replayed_and_arrives_once(service: Service) -> None:
    svc = service
    head = svc.headers("head.hue", HUE, "head")
    r = await svc.http.post(
        "/api/notifications/webhooks",
        json={"url": svc.hook_url, "secret": SECRET, "event_types": ["plan.rejected"]},
        headers=head,
    )
    assert r.status_code == 201, r.text
    sub = r.json()["id"]
    svc.hook.failures = 1000  # the receiving system is down
    envelope = await svc.handle("plan.rejected", rejection("plan-9"))
    await svc.handle("plan.returned", {**envelope.payload, "plan_id": "plan-10"})

    async def dead() -> Any:
        r = await svc.http.get(
            f"/api/notifications/webhooks/{sub}/deliveries",
            params={"state": "dead"},
            headers=head,
        )
        return r.json()

    [delivery] = await eventually(dead)  # only plan.rejected was subscribed
    assert delivery["attempts"] == 3 and "503" in delivery["last_error"]
    assert delivery["event_id"] == str(envelope.id)
    r = await svc.http.post(
        f"/api/notifications/webhooks/deliveries/{delivery['id']}/replay",
        headers=svc.headers("drafter.huong-an", WARD, "drafter"),
    )
    assert r.status_code == 403
    svc.hook.failures = 0  # back up
    r = await svc.http.post(
        f"/api/notifications/webhooks/deliveries/{delivery['id']}/replay", headers=head
    )
    assert r.status_code == 200 and r.json()["state"] == "pending", r.text

    async def arrived() -> Any:
        return svc.hook.events()

    [call] = await eventually(arrived)
    assert call["id"] == str(envelope.id) and call["payload"]["comment"] == "Không phù hợp"
    assert list(svc.hook.accepted) == [delivery["id"]]
    assert svc.hook.bad_signatures == 0


async def test_a_dead_email_is_seen_by_the_units_heads_and_sent_again_once(
    service: Service,
) -> None:
    svc = service
    svc.sink.refusing = True  # the mail server is down for maintenance
    envelope = await svc.handle("plan.rejected", rejection("plan-11"))
    head = svc.headers("head.huong-an", WARD, "head")

    async def dead() -> Any:
        r = await svc.http.get("/api/notifications/emails", params={"state": "dead"}, headers=head)
        assert r.status_code == 200, r.text
        return r.json() if len(r.json()) == 2 else None

    mails = await eventually(dead)  # the drafter and the head of the ward, three tries each
    assert {m["recipient"] for m in mails} == {"drafter.huong-an", "head.huong-an"}
    assert all(m["attempts"] == 3 and "451" in m["last_error"] for m in mails)
    assert all(m["event_id"] == str(envelope.id) and m["unit"] == WARD for m in mails)
    drafters = next(m for m in mails if m["recipient"] == "drafter.huong-an")

    # The city above sees them; a sibling ward's head and a drafter do not.
    r = await svc.http.get(
        "/api/notifications/emails",
        params={"state": "dead"},
        headers=svc.headers("head.hue", HUE, "head"),
    )
    assert {m["id"] for m in r.json()} == {m["id"] for m in mails}
    sibling = svc.headers("head.phu-xuan", SIBLING, "head")
    r = await svc.http.get("/api/notifications/emails", headers=sibling)
    assert r.status_code == 200 and r.json() == []
    r = await svc.http.post(f"/api/notifications/emails/{drafters['id']}/resend", headers=sibling)
    assert r.status_code == 404, r.text
    drafter = svc.headers("drafter.huong-an", WARD, "drafter")
    r = await svc.http.get("/api/notifications/emails", headers=drafter)
    assert r.status_code == 403, r.text
    r = await svc.http.post(f"/api/notifications/emails/{drafters['id']}/resend", headers=drafter)
    assert r.status_code == 403, r.text
    assert svc.sink.raw == []

    svc.sink.refusing = False  # back up: only the one sent again goes out
    r = await svc.http.post(f"/api/notifications/emails/{drafters['id']}/resend", headers=head)
    assert r.status_code == 200 and r.json()["state"] == "pending", r.text

    async def sent() -> Any:
        r = await svc.http.get("/api/notifications/emails", params={"state": "sent"}, headers=head)
        return r.json()

    [done] = await eventually(sent)
    assert done["id"] == drafters["id"] and done["attempts"] == 1 and done["last_error"] is None
    [mail] = svc.sink.messages()
    assert mail["To"] == "drafter.huong-an@example.gov.vn"
    assert mail["Message-ID"].startswith(f"<{drafters['id']}@")
    r = await svc.http.post(f"/api/notifications/emails/{drafters['id']}/resend", headers=head)
    assert r.status_code == 200  # a sent one may be sent again (the reader lost it)
    r = await svc.http.post("/api/notifications/emails/no-such-mail/resend", headers=head)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_an_announcement_reaches_the_whole_subtree_in_chunks_with_a_live_count(
    service: Service,
) -> None:
    svc = service
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO recipient (username, name, unit, roles, email, language, active)"
                " SELECT 'member-' || lpad(g::text, 5, '0'), 'Đảng viên',"
                " :unit || '.to-' || (g % 7), '[]', NULL, 'vi', true"
                " FROM generate_series(1, 2500) AS g"
            ),
            {"unit": WARD},
        )
    subtree = await svc.scalar(
        "SELECT count(*) FROM recipient WHERE unit = :u OR unit LIKE :p", u=HUE, p=HUE + ".%"
    )
    r = await svc.http.post(
        "/api/notifications/announcements",
        json={"title": "Hội nghị quán triệt Nghị quyết", "body": "Kính mời toàn thể đảng viên."},
        headers=svc.headers("drafter.huong-an", WARD, "drafter"),
    )
    assert r.status_code == 403
    r = await svc.http.post(
        "/api/notifications/announcements",
        json={"title": "x", "body": "y", "unit": HUE},
        headers=svc.headers("head.phu-xuan", SIBLING, "head"),
    )
    assert r.status_code == 403

    member = svc.headers("member-00042", WARD + ".to-0", "member")
    lines: list[str] = []

    async def listen() -> None:
        async with svc.http.stream(
            "GET", "/api/notifications/stream", params={"max_events": 3}, headers=member
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    lines.append(line)

    r = await svc.http.post(
        "/api/notifications/webhooks",
        json={"url": svc.hook_url, "secret": SECRET, "event_types": ["notification.announced"]},
        headers=svc.headers("head.hue", HUE, "head"),
    )
    assert r.status_code == 201, r.text
    listener = asyncio.create_task(listen())
    await eventually(lambda: asyncio.sleep(0, lines))  # the stream said 0 unread first
    r = await svc.http.post(
        "/api/notifications/announcements",
        json={
            "title": "Hội nghị quán triệt Nghị quyết Đại hội XIV",
            "body": "Kính mời toàn thể đảng viên tham dự tại 1.605 điểm cầu.",
            "unit": HUE,
        },
        headers=svc.headers("head.hue", HUE, "head"),
    )
    assert r.status_code == 202, r.text
    announcement = r.json()["id"]

    async def done() -> Any:
        r = await svc.http.get(
            f"/api/notifications/announcements/{announcement}",
            headers=svc.headers("head.hue", HUE, "head"),
        )
        return r.json() if r.json()["state"] == "done" else None

    finished = await eventually(done)
    assert finished["recipients"] == subtree > 2500
    assert await fan_out_chunk(svc.runtime) == 0  # nothing left, nothing repeated
    rows = "SELECT count(*) FROM inbox_announcement WHERE announcement_id = :a"
    assert await svc.scalar(rows, a=announcement) == subtree
    outside = (
        "SELECT count(*) FROM inbox_announcement WHERE announcement_id = :a"
        " AND recipient = 'approver.ha-noi'"
    )
    assert await svc.scalar(outside, a=announcement) == 0
    announced = await svc.scalar(
        "SELECT count(*) FROM outbox WHERE event_type = 'notification.announced'"
        " AND envelope->'payload'->>'recipients' = :n",
        n=str(subtree),
    )
    assert announced == 1

    async def hooked() -> Any:
        return svc.hook.events()

    [call] = await eventually(hooked)
    assert call["type"] == "notification.announced"
    assert call["payload"]["recipients"] == subtree

    page = await inbox(svc, "member-00042", WARD + ".to-0")
    assert [n["title"] for n in page] == ["Hội nghị quán triệt Nghị quyết Đại hội XIV"]
    r = await svc.http.post("/api/notifications/read-all", headers=member)
    assert r.json() == {"marked": 1}
    await asyncio.wait_for(listener, 10)
    assert [json.loads(line[6:])["unread"] for line in lines] == [0, 1, 0]


async def test_the_inbox_pages_by_keyset_through_a_long_history(service: Service) -> None:
    svc = service
    async with svc.runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO notification (id, event_id, event_type, recipient, channel, kind,"
                " title, body, critical, created_at)"
                " SELECT gen_random_uuid()::text, gen_random_uuid()::text, 'plan.approved',"
                " 'head.hue', 'inapp', 'plan.approved', 'Tin số ' || g, '', false,"
                " now() - (g % 50) * interval '1 minute' FROM generate_series(1, 230) AS g"
            )
        )
    head = svc.headers("head.hue", HUE, "head")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["before"] = cursor
        r = await svc.http.get("/api/notifications/inbox", params=params, headers=head)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["unread"] == 230
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 230
    r = await svc.http.get("/api/notifications/inbox", params={"before": "nonsense"}, headers=head)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.before"
