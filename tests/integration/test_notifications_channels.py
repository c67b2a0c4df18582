"""Notifications end to end in embedded mode: the skeleton story and a return-and-resubmit story
produce the expected inbox entries, e-mails seen by a real SMTP server (aiosmtpd; Vietnamese
subject and body, MIME-encoded) and signed webhook calls to a receiver that fails three times per
call, verifies every signature, and gets each call exactly once successfully."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.channels import SECRET, MailSink, Receiver
from tests.story import (
    create_draft,
    decide,
    eventually,
    fix,
    fixed_and_submitted,
    queue_item,
    token,
)

WARD = "vn.hue.huong-an"
TITLE = "Kế hoạch thực hiện Nghị quyết của phường"


def channel_env(monkeypatch: pytest.MonkeyPatch, smtp_port: int) -> None:
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "RETRY_BASE_SECONDS": "0.05",
        "RETRY_CAP_SECONDS": "0.2",
        "MAX_ATTEMPTS": "5",
        "POLL_INTERVAL": "0.1",
    }.items():
        monkeypatch.setenv(f"CASCADE_NOTIFICATIONS_{key}", value)


@pytest.fixture
async def app_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: tuple[MailSink, int]
) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded system with e-mail to the test SMTP server and fast retries."""
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    channel_env(monkeypatch, smtp[1])
    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.2,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as c:
            yield c


async def inbox_of(client: httpx.AsyncClient, who: str, plan_id: str) -> list[tuple[str, str]]:
    r = await client.get("/api/notifications/inbox", headers=await token(client, who))
    assert r.status_code == 200, r.text
    return sorted(
        (n["event_type"], n["title"]) for n in r.json()["items"] if n["plan_id"] == plan_id
    )


async def subscribe(client: httpx.AsyncClient, url: str) -> str:
    admin = await token(client, "head.hue")
    r = await client.post(
        "/api/notifications/webhooks",
        json={"url": url, "unit": "vn.hue", "secret": SECRET, "event_types": []},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["secret"] == SECRET
    return str(r.json()["id"])


async def test_the_skeleton_story_reaches_inbox_mail_and_webhook_exactly_once(
    app_client: httpx.AsyncClient,
    smtp: tuple[MailSink, int],
    receiver: tuple[Receiver, str],
) -> None:
    client, (sink, _), (hook, url) = app_client, smtp, receiver
    # Wrong users: a drafter cannot subscribe a system; a ward head cannot subscribe the city.
    drafter = await token(client, "drafter.huong-an")
    r = await client.post("/api/notifications/webhooks", json={"url": url}, headers=drafter)
    assert r.status_code == 403
    r = await client.post(
        "/api/notifications/webhooks",
        json={"url": url, "unit": "vn.hue"},
        headers=await token(client, "head.huong-an"),
    )
    assert r.status_code == 403
    subscription = await subscribe(client, url)

    head = await token(client, "head.huong-an")
    city = await token(client, "approver.hue")
    plan_id = await create_draft(client, drafter, "Kế hoạch thực hiện Nghị quyết của phường")
    await fixed_and_submitted(client, drafter, plan_id)
    item = await queue_item(client, head, plan_id)
    assert (await decide(client, head, item)).status_code == 200
    item = await queue_item(client, city, plan_id)
    assert (await decide(client, city, item)).status_code == 200

    async def approved_told() -> Any:
        return ("plan.approved" in dict(await inbox_of(client, "drafter.huong-an", plan_id))) and (
            len(story_mails(sink)) >= 5
        )

    await eventually(approved_told)
    assert await inbox_of(client, "head.huong-an", plan_id) == [
        ("approval.step_assigned", "Kế hoạch chờ Đồng chí phê duyệt: " + TITLE),
        ("plan.approved", "Kế hoạch đã được phê duyệt: " + TITLE),
    ]
    for approver in ("approver.hue", "approver2.hue"):
        assert await inbox_of(client, approver, plan_id) == [
            ("approval.step_assigned", "Kế hoạch chờ Đồng chí phê duyệt: " + TITLE)
        ]
    assert await inbox_of(client, "drafter.huong-an", plan_id) == [
        ("plan.approved", "Kế hoạch đã được phê duyệt: " + TITLE)
    ]
    assert await inbox_of(client, "drafter.phu-xuan", plan_id) == []

    # E-mail: one per (event, recipient), subject and body in Vietnamese, MIME-encoded.
    mails = story_mails(sink)
    by_to = Counter((m["To"], m["Subject"]) for m in mails)
    assert by_to == {
        ("head.huong-an@example.gov.vn", "Kế hoạch chờ Đồng chí phê duyệt: " + TITLE): 1,
        ("approver.hue@example.gov.vn", "Kế hoạch chờ Đồng chí phê duyệt: " + TITLE): 1,
        ("approver2.hue@example.gov.vn", "Kế hoạch chờ Đồng chí phê duyệt: " + TITLE): 1,
        ("drafter.huong-an@example.gov.vn", "Kế hoạch đã được phê duyệt: " + TITLE): 1,
        ("head.huong-an@example.gov.vn", "Kế hoạch đã được phê duyệt: " + TITLE): 1,
    }
    approved_mail = next(m for m in mails if m["To"].startswith("drafter.huong-an"))
    assert "đã được phê duyệt và có hiệu lực" in approved_mail.get_content()
    assert approved_mail.get_content_charset() == "utf-8"
    raw = next(
        r
        for r, m in zip(sink.raw, sink.messages(), strict=True)
        if m["To"].startswith("drafter.huong-an") and str(m["Subject"]).endswith(TITLE)
    )
    assert b"Subject: =?utf-8?" in raw  # RFC 2047, not raw 8-bit bytes in the header
    assert len({m["Message-ID"] for m in mails}) == len(mails)

    # Webhook: every event about Huế's subtree, each accepted exactly once after three failures.
    def about_plan() -> list[str]:
        return sorted(e["type"] for e in hook.events() if e["payload"].get("plan_id") == plan_id)

    async def hooks_done() -> Any:
        return "plan.approved" in about_plan()

    await eventually(hooks_done)
    assert hook.bad_signatures == 0
    assert all(len(calls) == 1 for calls in hook.accepted.values())
    assert all(hook.tries[key] == 4 for key in hook.accepted)
    assert about_plan().count("plan.approved") == 1
    assert about_plan().count("approval.step_assigned") == 2
    r = await client.get(
        f"/api/notifications/webhooks/{subscription}/deliveries",
        params={"state": "sent"},
        headers=await token(client, "head.hue"),
    )
    assert r.status_code == 200, r.text
    assert {d["attempts"] for d in r.json()} == {4}
    # Not the ward's to read.
    r = await client.get(
        f"/api/notifications/webhooks/{subscription}/deliveries",
        headers=await token(client, "head.phu-xuan"),
    )
    assert r.status_code == 404


def story_mails(sink: MailSink) -> list[email.message.EmailMessage]:
    """The mails about the story's plan (the seeded programs are announced at start too)."""
    return [m for m in sink.messages() if str(m["Subject"]).endswith(TITLE)]


async def test_return_and_resubmit_tells_drafter_and_head_with_the_comments(
    app_client: httpx.AsyncClient, smtp: tuple[MailSink, int]
) -> None:
    client, (sink, _) = app_client, smtp
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    city = await token(client, "approver.hue")
    plan_id = await create_draft(client, drafter, TITLE)
    await fixed_and_submitted(client, drafter, plan_id)
    item = await queue_item(client, head, plan_id)
    assert (await decide(client, head, item)).status_code == 200
    item = await queue_item(client, city, plan_id)
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task = plan["tasks"][0]
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision",
        json={
            "decision": "return",
            "comment": "Cần lượng hóa rõ hơn",
            "comments": [
                {"task_id": task["id"], "task_code": task["code"], "text": "Nêu rõ tuyến đường"}
            ],
        },
        headers=city,
    )
    assert r.status_code == 200, r.text

    async def returned_told() -> Any:
        kinds = dict(await inbox_of(client, "drafter.huong-an", plan_id))
        return "plan.returned" in kinds

    await eventually(returned_told)
    r = await client.get("/api/notifications/inbox", headers=drafter)
    note = next(n for n in r.json()["items"] if n["event_type"] == "plan.returned")
    assert note["title"] == "Kế hoạch bị trả lại để chỉnh sửa: " + TITLE
    assert "Ý kiến: Cần lượng hóa rõ hơn" in note["body"]
    assert "Nhiệm vụ HA-01: Nêu rõ tuyến đường" in note["body"]
    assert ("plan.returned", note["title"]) in await inbox_of(client, "head.huong-an", plan_id)

    # The drafter revises and resubmits; the city approves version 2.
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{task['id']}",
        json={"job": task["job"] + " trên các tuyến Lý Nam Đế, Tản Đà và Kim Long"},
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    assert (await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)).status_code == 200
    item2 = await queue_item(client, city, plan_id)
    assert item2["plan_version"] == 2
    assert (await decide(client, city, item2)).status_code == 200

    async def approved_told() -> Any:
        return "plan.approved" in dict(await inbox_of(client, "drafter.huong-an", plan_id))

    await eventually(approved_told)
    drafter_inbox = await inbox_of(client, "drafter.huong-an", plan_id)
    assert [kind for kind, _ in drafter_inbox] == ["plan.approved", "plan.returned"]
    # The city approvers were asked twice (versions 1 and 2): two entries each, no more.
    approver_kinds = [k for k, _ in await inbox_of(client, "approver2.hue", plan_id)]
    assert approver_kinds == ["approval.step_assigned", "approval.step_assigned"]

    async def mailed() -> Any:
        return [m for m in sink.messages() if m["Subject"].startswith("Kế hoạch bị trả lại")]

    returned_mails = await eventually(mailed)
    assert sorted(m["To"] for m in returned_mails) == [
        "drafter.huong-an@example.gov.vn",
        "head.huong-an@example.gov.vn",
    ]
    assert "Nhiệm vụ HA-01: Nêu rõ tuyến đường" in returned_mails[0].get_content()

    # Unread counts are exact (the seeded programs told the drafter too); reading one and then
    # all brings them down.
    page = (await client.get("/api/notifications/inbox", headers=drafter)).json()
    unread = sum(1 for n in page["items"] if n["read_at"] is None)
    assert page["unread"] == unread >= 2
    first = page["items"][0]
    r = await client.post(f"/api/notifications/{first['id']}/read", headers=head)
    assert r.status_code == 404  # not the head's
    r = await client.post(f"/api/notifications/{first['id']}/read", headers=drafter)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    r = await client.get("/api/notifications/unread-count", headers=drafter)
    assert r.json() == {"unread": unread - 1}
    r = await client.post("/api/notifications/read-all", headers=drafter)
    assert r.json() == {"marked": unread - 1}


async def test_preferences_turn_email_off_but_never_hide_what_is_critical(
    app_client: httpx.AsyncClient, smtp: tuple[MailSink, int]
) -> None:
    client, (sink, _) = app_client, smtp
    drafter = await token(client, "drafter.huong-an")
    r = await client.put(
        "/api/notifications/preferences/*",
        json={"inapp": False, "email": False, "digest": False},
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    r = await client.put("/api/notifications/preferences/nonsense", json={}, headers=drafter)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.kind"
    r = await client.get("/api/notifications/preferences", headers=drafter)
    assert [p["kind"] for p in r.json()] == ["*"]
    # Announcements have a rule of their own: by e-mail, in the digest, whatever "*" says.
    r = await client.put(
        "/api/notifications/preferences/notification.announced",
        json={"inapp": True, "email": True, "digest": True},
        headers=drafter,
    )
    assert r.status_code == 200 and r.json()["email"] is True, r.text
    r = await client.delete(
        "/api/notifications/preferences/notification.announced", headers=drafter
    )
    assert r.status_code == 204, r.text
    r = await client.get("/api/notifications/preferences/kinds", headers=drafter)
    assert {k["kind"] for k in r.json() if k["critical"]} == {
        "approval.step_reminded",
        "approval.step_overdue",
        "approval.step_escalated",
        "results.report_overdue",
        "results.task_overdue",
        "results.task_escalated",
        "plan.revision_request_overdue",
        "plan.revision_request_escalated",
    }
    plan_id = await fix_and_get_approved(client, drafter)
    assert await inbox_of(client, "drafter.huong-an", plan_id) == []
    assert not [m for m in story_mails(sink) if m["To"].startswith("drafter.huong-an")]
    # The head kept the defaults: told in the app and by e-mail.
    assert "plan.approved" in dict(await inbox_of(client, "head.huong-an", plan_id))


async def fix_and_get_approved(client: httpx.AsyncClient, drafter: dict[str, str]) -> str:
    head = await token(client, "head.huong-an")
    city = await token(client, "approver.hue")
    plan_id = await create_draft(client, drafter, TITLE)
    await fix(client, drafter, plan_id)
    assert (await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)).status_code == 200
    assert (await decide(client, head, await queue_item(client, head, plan_id))).status_code == 200
    assert (await decide(client, city, await queue_item(client, city, plan_id))).status_code == 200

    async def head_told() -> Any:
        return "plan.approved" in dict(await inbox_of(client, "head.huong-an", plan_id))

    await eventually(head_told)
    return plan_id


async def test_a_city_announcement_reaches_its_wards_and_no_other_city(
    app_client: httpx.AsyncClient,
) -> None:
    client = app_client

    async def directory_known() -> Any:
        # The seeded programs' news reached the ward: the users read model is filled.
        r = await client.get(
            "/api/notifications/inbox", headers=await token(client, "head.vinh-loc")
        )
        return r.json()["items"]

    await eventually(directory_known)
    r = await client.post(
        "/api/notifications/announcements",
        json={"title": "Hội nghị quán triệt", "body": "Kính mời dự", "unit": "vn.hue"},
        headers=await token(client, "drafter.hue"),
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/notifications/announcements",
        json={"title": "x", "body": "y", "unit": "vn.hue"},
        headers=await token(client, "head.huong-an"),
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/notifications/announcements",
        json={"title": "Hội nghị quán triệt Nghị quyết", "body": "Kính mời toàn thể cán bộ dự."},
        headers=await token(client, "head.hue"),
    )
    assert r.status_code == 202, r.text
    announcement = r.json()["id"]

    async def done() -> Any:
        r = await client.get(
            f"/api/notifications/announcements/{announcement}",
            headers=await token(client, "head.hue"),
        )
        return r.json() if r.json()["state"] == "done" else None

    finished = await eventually(done)
    assert finished["recipients"] >= 10  # every demo user of Huế and its wards

    async def titles(who: str) -> list[str]:
        r = await client.get("/api/notifications/inbox", headers=await token(client, who))
        return [
            n["title"] for n in r.json()["items"] if n["event_type"] == "notification.announced"
        ]

    for who in ("drafter.huong-an", "head.vinh-loc", "approver.hue"):
        assert await titles(who) == ["Hội nghị quán triệt Nghị quyết"]
    for who in ("approver.ha-noi", "head.vn"):
        assert await titles(who) == []
    r = await client.get(
        f"/api/notifications/announcements/{announcement}",
        headers=await token(client, "drafter.ha-noi"),
    )
    assert r.status_code == 404
