"""Webhooks only promise what is delivered, in embedded mode: the API lists the event types a
subscription may choose, refuses any other with a 422 problem that names ``event_types`` and
lists the choices, and a receiver subscribed to every listed type gets a signed call for each of
them, end to end (events published on the in-process bus, an announcement made through the API).
Events the service receives only for its read models never reach a webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cascade_notifications.api.routes.webhooks import DELIVERABLE_EVENT_TYPES
from cascade_shared.envelope import Envelope
from cascade_shared.events import (
    CATALOGUE,
    AnnouncementPublished,
    DelegationChanged,
    EvaluationPublished,
    PlanApproved,
    PlanDecided,
    PlanRevisionRequested,
    ReportDue,
    ReportRef,
    StepAssigned,
    StepCarriedOver,
    StepDeadline,
    StepEscalated,
    TaskOverdue,
    UnitChanged,
)

from tests.channels import SECRET, Receiver, webhook_receiver
from tests.story import eventually, token

WARD = "vn.hue.huong-an"
PLAN = {
    "plan_id": "plan-webhook-types",
    "version": 1,
    "unit": WARD,
    "unit_level": "ward",
    "title": "Kế hoạch thử các loại sự kiện",
    "drafter": "drafter.huong-an",
}
STEP = {
    "case_id": "case-webhook-types",
    "plan_id": PLAN["plan_id"],
    "plan_version": 1,
    "plan_title": PLAN["title"],
    "plan_unit": WARD,
    "step_no": 1,
    "unit": WARD,
    "role": "head",
    "due_at": "2026-04-20T09:00:00+07:00",
}
REPORT = {
    "report_id": "report-webhook-types",
    "unit": WARD,
    "unit_level": "ward",
    "period": "2026-03",
    "version": 1,
    "due_on": "2026-04-20",
    "submitted_by": "head.huong-an",
    "decided_by": "approver.hue",
}
TASK = {
    "task_id": "task-webhook-types",
    "task_code": "1.1",
    "job": "Tuyên truyền Nghị quyết",
    "plan_id": PLAN["plan_id"],
    "plan_title": PLAN["title"],
    "unit": WARD,
    "deadline": "2026-03-31",
    "days_overdue": 12,
    "escalated_to_unit": "vn.hue",
}
SAMPLES: dict[type, dict[str, Any]] = {
    PlanApproved: {**PLAN, "decided_by": "approver.hue"},
    PlanDecided: {**PLAN, "decided_by": "approver.hue", "comment": "Bổ sung chỉ tiêu"},
    StepAssigned: {k: v for k, v in STEP.items() if k != "due_at"},
    StepDeadline: STEP,
    StepCarriedOver: {
        **{k: v for k, v in STEP.items() if k != "due_at"},
        "approved_in_version": 1,
        "approved_by": "head.huong-an",
        "returned_at_step": 2,
    },
    StepEscalated: {**STEP, "escalated_to_unit": "vn.hue"},
    ReportRef: REPORT,
    ReportDue: {k: REPORT[k] for k in ("unit", "unit_level", "period", "due_on")},
    TaskOverdue: TASK,
    PlanRevisionRequested: {
        **PLAN,
        "request_id": "request-webhook-types",
        "parent_plan_id": "plan-of-hue",
        "parent_title": "Chương trình hành động của Thành ủy Huế",
        "parent_unit": "vn.hue",
        "parent_version": 2,
        "from_version": 1,
        "changes": [{"task_id": "t1", "code": "H-1.1", "kind": "removed"}],
        "due_on": "2026-12-29",
        "escalated_to_unit": "vn.hue",
    },
    EvaluationPublished: {
        "evaluation_id": "evaluation-webhook-types",
        "unit": WARD,
        "period": "2026-03",
        "score": 87.5,
        "formula_version": "2026.1",
        "published_by": "head.hue",
    },
}


def sample(event_type: str) -> dict[str, Any]:
    """A valid payload of ``event_type`` about the ward (every bus-borne deliverable type must
    have one here: a type made deliverable is proven delivered)."""
    model = CATALOGUE[event_type].payload
    shape = next((c for c in model.__mro__ if c in SAMPLES), None)  # e.g. PlanReturned: PlanDecided
    assert shape is not None, f"add a sample payload for {model.__name__} ({event_type})"
    return model.model_validate(SAMPLES[shape]).model_dump(mode="json")


@pytest.fixture
def hook() -> Iterator[tuple[Receiver, str]]:
    """A receiver that accepts each call the first time (this test is about what is called)."""
    with webhook_receiver(SECRET, failures=0) as endpoint:
        yield endpoint


@pytest.fixture
async def app_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded system, its delivery sender polling often."""
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    monkeypatch.setenv("CASCADE_NOTIFICATIONS_POLL_INTERVAL", "0.1")
    monkeypatch.setenv("CASCADE_NOTIFICATIONS_RETRY_BASE_SECONDS", "0.05")
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


async def test_the_listed_types_are_the_only_ones_accepted(app_client: httpx.AsyncClient) -> None:
    client = app_client
    head = await token(client, "head.hue")
    r = await client.get("/api/notifications/webhooks/event-types", headers=head)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [t["type"] for t in listed] == list(DELIVERABLE_EVENT_TYPES)
    assert all(t["description"] == CATALOGUE[t["type"]].description for t in listed)
    r = await client.get("/api/notifications/webhooks/event-types")
    assert r.status_code == 401

    # In the catalogue but never delivered (not bound, or read models only), or unknown: refused.
    for refused in (
        ["plan.submitted"],
        ["plan.approved", "approval.case_completed"],
        ["directory.user_changed"],
        ["approval.delegation_granted"],
        ["audit.checkpoint_sealed"],
        ["no.such_event"],
    ):
        r = await client.post(
            "/api/notifications/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "unit": "vn.hue", "event_types": refused},
            headers=head,
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["errors"][0]["field"] == "body.event_types"
        assert problem["errors"][0]["reason"].endswith(refused[-1])
        assert problem["deliverable_event_types"] == list(DELIVERABLE_EVENT_TYPES)
        assert "results.report_accepted" in problem["detail"]
    r = await client.get("/api/notifications/webhooks", headers=head)
    assert r.json() == []  # nothing refused was kept

    # The schema a client reads says the same.
    schema = (await client.get("/openapi.json")).json()
    items = schema["components"]["schemas"]["SubscriptionIn"]["properties"]["event_types"]
    assert items["items"]["enum"] == list(DELIVERABLE_EVENT_TYPES)


async def test_a_receiver_gets_a_call_for_every_listed_type_and_none_for_read_models(
    app_client: httpx.AsyncClient, hook: tuple[Receiver, str]
) -> None:
    client, (receiver, url) = app_client, hook
    app = client._transport.app  # type: ignore[attr-defined]  # the embedded app
    head = await token(client, "head.hue")
    r = await client.post(
        "/api/notifications/webhooks",
        json={
            "url": url,
            "unit": "vn.hue",
            "secret": SECRET,
            "event_types": list(DELIVERABLE_EVENT_TYPES),
        },
        headers=head,
    )
    assert r.status_code == 201, r.text
    assert r.json()["event_types"] == list(DELIVERABLE_EVENT_TYPES)
    r = await client.post(
        "/api/notifications/webhooks",
        json={"url": "http://127.0.0.1:9/every", "unit": "vn.hue", "event_types": []},
        headers=head,
    )
    assert r.status_code == 201, r.text
    every = r.json()["id"]

    published: dict[str, str] = {}  # event id -> type
    for event_type in DELIVERABLE_EVENT_TYPES:
        if CATALOGUE[event_type].producer == "notifications":
            continue
        envelope = Envelope(
            type=event_type,
            producer=CATALOGUE[event_type].producer,
            actor="approver.hue",
            org_unit=WARD,
            subject_id=event_type,
            payload=sample(event_type),
        )
        assert await app.state.bus.publish([envelope]) == [None], event_type
        published[str(envelope.id)] = event_type
    # Read models only: received and applied, but no system is called.
    quiet = [
        Envelope(
            type="directory.unit_changed",
            producer="plans",
            org_unit="vn.hue",
            payload=UnitChanged(
                code="vn.hue.webhook-types", name="Phường Thử", level="ward", parent="vn.hue"
            ).model_dump(mode="json"),
        ),
        Envelope(
            type="approval.delegation_granted",
            producer="approvals",
            org_unit=WARD,
            payload=DelegationChanged(
                delegation_id="delegation-webhook-types",
                unit=WARD,
                delegator="head.huong-an",
                delegate="drafter.huong-an",
                starts_at="2026-04-01T00:00:00+07:00",  # type: ignore[arg-type]
                ends_at="2026-04-30T00:00:00+07:00",  # type: ignore[arg-type]
            ).model_dump(mode="json"),
        ),
    ]
    assert await app.state.bus.publish(quiet) == [None, None]

    # An announcement to the city, through the API: notification.announced, recorded here.
    r = await client.post(
        "/api/notifications/announcements",
        json={"title": "Thông báo thử", "body": "Nội dung thông báo thử.", "unit": "vn.hue"},
        headers=head,
    )
    assert r.status_code == 202, r.text
    announcement = r.json()["id"]

    def received() -> dict[str, str]:
        got = {}
        for call in receiver.events():
            if call["id"] in published:
                got[call["id"]] = call["type"]
            elif call["payload"].get("announcement_id") == announcement:
                got[call["id"]] = call["type"]
        return got

    async def all_called() -> Any:
        return len(received()) == len(published) + 1

    await eventually(all_called)
    assert sorted(received().values()) == sorted(DELIVERABLE_EVENT_TYPES)
    assert receiver.bad_signatures == 0
    assert all(len(calls) == 1 for calls in receiver.accepted.values())

    # The subscription to "every" type heard of the same types, and of nothing it cannot have.
    r = await client.get(f"/api/notifications/webhooks/{every}/deliveries", headers=head)
    assert r.status_code == 200, r.text
    calls = r.json()
    assert {c["event_type"] for c in calls} <= set(DELIVERABLE_EVENT_TYPES)
    assert {c["event_id"] for c in calls} >= set(published)
    assert not {c["event_id"] for c in calls} & {str(e.id) for e in quiet}


def test_every_sample_is_a_deliverable_bus_type() -> None:
    # The samples cover the payloads of every deliverable type the bus brings (and no more).
    bus_borne = {
        next((c for c in CATALOGUE[t].payload.__mro__ if c in SAMPLES), CATALOGUE[t].payload)
        for t in DELIVERABLE_EVENT_TYPES
        if CATALOGUE[t].producer != "notifications"
    }
    assert bus_borne == set(SAMPLES)
    assert CATALOGUE["notification.announced"].payload is AnnouncementPublished
