"""The skeleton story in embedded mode: one process, SQLite files, the in-process bus."""

from __future__ import annotations

import httpx

from tests.results_story import approved_ward_plan
from tests.revision_story import revise_city_program
from tests.story import catalogued_events, create_draft, eventually, fix, run_story, token


async def test_skeleton_story_from_ward_draft_to_city_approval(client: httpx.AsyncClient) -> None:
    result = await run_story(client)
    assert result.trail[0]["actor"] == "drafter.huong-an"


async def test_a_sibling_ward_cannot_see_the_plan_and_a_city_approver_cannot_draft(
    client: httpx.AsyncClient,
) -> None:
    result = await run_story(client)
    sibling = await token(client, "drafter.phu-xuan")
    r = await client.get(f"/api/plans/{result.plan_id}", headers=sibling)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    approver = await token(client, "approver.hue")
    r = await client.post("/api/plans", json={"title": "Không được phép"}, headers=approver)
    assert r.status_code == 403
    r = await client.get("/api/plans/" + result.plan_id)
    assert r.status_code == 401


async def test_bad_input_gets_problem_json_naming_the_field(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    r = await client.post(
        "/api/plans", content=b"{not json", headers={**drafter, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        "/api/plans", json={"title": "x", "tasks": [{"code": ""}]}, headers=drafter
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"body.title", "body.tasks.0.code"} <= fields
    r = await client.get("/api/plans/does-not-exist", headers=drafter)
    assert r.status_code == 404 and r.json()["title"] == "Not found"
    r = await client.get("/api/plans", headers={"Authorization": "Bearer forged.token.here"})
    assert r.status_code == 401 and r.json()["status"] == 401
    # Nothing was created by the refused requests.
    r = await client.get("/api/plans", headers=drafter)
    assert r.json()["total"] == 0


async def test_the_correlation_id_follows_a_request_into_every_event(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    auditor = await token(client, "auditor.hue")
    plan_id = await create_draft(client, drafter, "Kế hoạch có mã tương quan")
    await fix(client, drafter, plan_id)
    r = await client.post(
        f"/api/plans/{plan_id}/submit", headers={**drafter, "X-Correlation-ID": "trace-huong-an-1"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["X-Correlation-ID"] == "trace-huong-an-1"

    async def trail() -> dict[str, str]:
        r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
        assert r.status_code == 200, r.text
        rows = {x["event_type"]: x["correlation_id"] for x in r.json()}
        return rows if "approval.step_assigned" in rows else {}

    rows = await eventually(trail)
    # The approvals service's events carry the trace of the request that caused them.
    assert rows["plan.submitted"] == "trace-huong-an-1"
    assert rows["approval.case_opened"] == "trace-huong-an-1"
    assert rows["approval.step_assigned"] == "trace-huong-an-1"


async def test_every_event_of_the_plan_and_revision_stories_matches_its_catalogue(
    client: httpx.AsyncClient,
) -> None:
    """The audit holds every event of a plan's approval and of a parent's revision that asks
    the plans below to follow: each as the catalogue describes it, and nothing undescribed."""
    await run_story(client, "phu-xuan")
    await approved_ward_plan(client, "vn.hue.huong-an", 0)
    await revise_city_program(client, {"deadline": "2026-10-31"})
    auditor = await token(client, "auditor.vn")

    async def requested() -> dict[str, int] | None:
        seen = await catalogued_events(client, auditor)
        return seen if seen.get("plan.revision_requested") else None

    seen = await eventually(requested)
    for kind in (
        "directory.unit_changed",
        "directory.user_changed",
        "plan.created",
        "plan.submitted",
        "approval.case_opened",
        "approval.step_assigned",
        "approval.step_decided",
        "approval.case_completed",
        "plan.approved",
        "plan.revision_started",
    ):
        assert seen.get(kind), kind
