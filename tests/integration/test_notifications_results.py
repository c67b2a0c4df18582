"""Notifications of the results service's events in embedded mode: a ``results.*`` event
published on the running app's in-process bus reaches exactly the right inboxes, once each,
with the Vietnamese title naming the period and the unit, and queues a call for a webhook
subscribed to that type."""

from __future__ import annotations

from typing import Any

import httpx
from cascade_notifications.models import Recipient, UnitView
from cascade_shared.envelope import Envelope
from cascade_shared.events import ReportAccepted

from tests.story import eventually, token

WARD = "vn.hue.huong-an"
PEOPLE = ("drafter.huong-an", "head.huong-an", "drafter.phu-xuan", "approver.hue", "head.hue")
TITLE = "Báo cáo kết quả thực hiện tháng 3/2026 của Phường Hương An đã được tiếp nhận"


async def results_inbox(client: httpx.AsyncClient, who: str) -> list[dict[str, Any]]:
    r = await client.get("/api/notifications/inbox", headers=await token(client, who))
    assert r.status_code == 200, r.text
    # The reports' notices only: the results chaser may tell the city's head at any moment of
    # the overdue tasks of Huế's own program (tracked since the seed put it in force).
    return [n for n in r.json()["items"] if n["event_type"].startswith("results.report_")]


async def test_a_report_decision_reaches_the_wards_drafter_and_head_once_and_nobody_else(
    client: httpx.AsyncClient,
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]  # the embedded app
    runtime = app.state.runtimes["notifications"]

    async def directory_known() -> bool:  # the demo directory has reached the read model
        async with runtime.sessionmaker() as session:
            users = [await session.get(Recipient, u) for u in PEOPLE]
            unit = await session.get(UnitView, WARD)
        return all(users) and unit is not None and unit.name == "Phường Hương An"

    await eventually(directory_known)  # so the people left out below were there to pick

    # A city system subscribes to report decisions only.
    r = await client.post(
        "/api/notifications/webhooks",
        json={
            "url": "http://127.0.0.1:9/hook",
            "unit": "vn.hue",
            "event_types": ["results.report_accepted"],
        },
        headers=await token(client, "head.hue"),
    )
    assert r.status_code == 201, r.text
    subscription = r.json()["id"]

    report = ReportAccepted(
        report_id="report-huong-an-2026-03",
        unit=WARD,
        unit_level="ward",
        period="2026-03",
        version=1,
        due_on="2026-04-20",  # type: ignore[arg-type]
        submitted_by="head.huong-an",
        decided_by="approver.hue",
        comment="Số liệu đầy đủ, đúng thời hạn",
    )
    envelope = Envelope(
        type="results.report_accepted",
        producer="results",
        actor="approver.hue",
        org_unit=WARD,
        subject_id=report.report_id,
        payload=report.model_dump(mode="json"),
    )
    assert await app.state.bus.publish([envelope]) == [None]  # handled when it returns
    assert await app.state.bus.publish([envelope]) == [None]  # a redelivery changes nothing

    for who in ("drafter.huong-an", "head.huong-an"):
        [message] = await results_inbox(client, who)
        assert message["event_type"] == message["kind"] == "results.report_accepted"
        assert message["title"] == TITLE
        assert "Ý kiến: Số liệu đầy đủ, đúng thời hạn" in message["body"]
        assert message["critical"] is False and message["read_at"] is None
    # A sibling ward's drafter, and the city that decided, are not told of the decision.
    for who in ("drafter.phu-xuan", "approver.hue", "head.hue"):
        assert await results_inbox(client, who) == [], who

    r = await client.get(
        f"/api/notifications/webhooks/{subscription}/deliveries",
        headers=await token(client, "head.hue"),
    )
    assert r.status_code == 200, r.text
    calls = r.json()
    assert [c["event_type"] for c in calls] == ["results.report_accepted"]
    assert calls[0]["event_id"] == str(envelope.id)
