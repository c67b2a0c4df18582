"""Revisions that cascade: a parent's approved revision asks exactly the plans below that
concretize a task it changed or removed to revise, names the changes, gives a date, tells their
people, is chased and escalated when late (on the terms of the routing policy), and closes when
their own revision is approved."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from cascade_plans.cascade import chase_revisions
from cascade_plans.models import RevisionPolicy
from cascade_shared.chassis.service import ServiceRuntime

from tests.results_story import approved_ward_plan, inbox_types
from tests.revision_story import approve_by, in_force, revise_city_program, revision_requests
from tests.story import eventually, hue_program, token

HUONG_AN, PHU_XUAN, VINH_LOC = "vn.hue.huong-an", "vn.hue.phu-xuan", "vn.hue.vinh-loc"


def plans_runtime(client: httpx.AsyncClient) -> ServiceRuntime:
    app: Any = client._transport.app  # type: ignore[attr-defined]
    return app.state.runtimes["plans"]  # type: ignore[no-any-return]


async def test_exactly_the_wards_linked_to_a_changed_task_are_asked(
    client: httpx.AsyncClient,
) -> None:
    linked = await approved_ward_plan(client, HUONG_AN, 0)
    also_linked = await approved_ward_plan(client, VINH_LOC, 0)
    elsewhere = await approved_ward_plan(client, PHU_XUAN, 1)
    program, task = await revise_city_program(
        client, {"deadline": "2026-10-31", "job": "Nội dung được điều chỉnh theo kết luận mới"}
    )
    today = datetime.now(UTC).date()

    for ward, plan_id in ((HUONG_AN, linked), (VINH_LOC, also_linked)):
        who = await token(client, f"drafter.{ward.rsplit('.', 1)[1]}")
        (request,) = await revision_requests(client, who, plan_id)
        assert request["status"] == "open" and request["parent_plan_id"] == program
        assert (request["from_version"], request["parent_version"]) == (1, 2)
        assert date.fromisoformat(request["due"]) == today + timedelta(days=30)
        (change,) = request["changes"]
        assert (change["task_id"], change["kind"]) == (task["id"], "changed")
        assert set(change["fields"]) == {"deadline", "job"}
        assert change["fields"]["deadline"] == {"from": task["deadline"], "to": "2026-10-31"}

        async def told(who: dict[str, str] = who) -> bool:
            return "plan.revision_requested" in await inbox_types(client, who)

        await eventually(told)
    phu_xuan = await token(client, "drafter.phu-xuan")
    assert await revision_requests(client, phu_xuan, elsewhere) == []
    assert "plan.revision_requested" not in await inbox_types(client, phu_xuan)

    # The city sees who must follow; a sibling ward may not read another's requests.
    city = await token(client, "approver.hue")
    report = (await client.get(f"/api/plans/{program}/coverage", headers=city)).json()
    due = {u["unit"]: u["revision_due"] for u in report["units"]}
    assert due[HUONG_AN] == due[VINH_LOC] == (today + timedelta(days=30)).isoformat()
    assert due[PHU_XUAN] is None
    r = await client.get(f"/api/plans/{linked}/revision-requests", headers=phu_xuan)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"

    # Hương An follows: its revision approved, its request closes; Vĩnh Lộc's stays open.
    ward = await token(client, "drafter.huong-an")
    assert (await client.post(f"/api/plans/{linked}/revise", headers=ward)).status_code == 200
    plan = (await client.get(f"/api/plans/{linked}", headers=ward)).json()
    r = await client.patch(
        f"/api/plans/{linked}/tasks/{plan['tasks'][0]['id']}",
        json={"deadline": "2026-10-31"},
        headers=ward,
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/plans/{linked}/submit", json={"acknowledge_warnings": True}, headers=ward
    )
    assert r.status_code == 200, r.text
    await approve_by(client, linked, "head.huong-an", "approver.hue")
    await in_force(client, ward, linked, 2)
    (closed,) = await revision_requests(client, ward, linked)
    assert (closed["status"], closed["closed_by_version"]) == ("closed", 2)
    report = (await client.get(f"/api/plans/{program}/coverage", headers=city)).json()
    due = {u["unit"]: u["revision_due"] for u in report["units"]}
    assert due[HUONG_AN] is None and due[VINH_LOC] is not None

    auditor = await token(client, "auditor.hue")

    async def audited() -> bool:
        r = await client.get(
            "/api/audit/records",
            params={"event_type": "plan.revision_requested", "limit": 50},
            headers=auditor,
        )
        return {rec["subject_id"] for rec in r.json()["items"]} == {linked, also_linked}

    await eventually(audited)


async def test_a_late_request_is_reminded_then_chased_then_escalated_once_each(
    client: httpx.AsyncClient,
) -> None:
    plan_id = await approved_ward_plan(client, PHU_XUAN, 1)
    runtime = plans_runtime(client)
    # Central gives the units below 12 days, reminds them 2 days before and escalates 3 days
    # after, in the routing policy; plans takes the terms from its announcement.
    admin = await token(client, "admin")
    policy = (await client.get("/api/approvals/policy", headers=admin)).json()
    terms = {"days": 12, "remind_days_before": 2, "escalate_days_after": 3}
    r = await client.put(
        "/api/approvals/policy",
        json={**policy, "version": "2026.12-revisions", "revisions": terms},
        headers=admin,
    )
    assert r.status_code == 200, r.text

    async def announced() -> bool:
        async with runtime.sessionmaker() as session:
            row = await session.get(RevisionPolicy, "current")
            return row is not None and row.version == "2026.12-revisions"

    await eventually(announced)
    await revise_city_program(client, {"product_quantity": 40}, task_index=1)
    ward = await token(client, "drafter.phu-xuan")
    (request,) = await revision_requests(client, ward, plan_id)
    due = date.fromisoformat(request["due"])
    assert due == datetime.now(UTC).date() + timedelta(days=12)

    def at(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    assert await chase_revisions(runtime, at(due - timedelta(days=3))) == 0
    assert await chase_revisions(runtime, at(due - timedelta(days=2))) == 1  # reminded
    assert await chase_revisions(runtime, at(due - timedelta(days=1))) == 0
    assert await chase_revisions(runtime, at(due + timedelta(days=1))) == 1  # overdue
    assert await chase_revisions(runtime, at(due + timedelta(days=3))) == 0
    assert await chase_revisions(runtime, at(due + timedelta(days=4))) == 1  # escalated
    assert await chase_revisions(runtime, at(due + timedelta(days=30))) == 0
    (chased,) = await revision_requests(client, ward, plan_id)
    assert chased["reminded_at"] and chased["overdue_at"] and chased["escalated_at"]

    head = await token(client, "head.phu-xuan")
    city_head = await token(client, "head.hue")

    async def told() -> bool:
        mine = await inbox_types(client, head)
        above = await inbox_types(client, city_head)
        return (
            "plan.revision_request_due_soon" in mine
            and "plan.revision_request_overdue" in mine
            and "plan.revision_request_escalated" in above
        )

    await eventually(told)
    assert (await inbox_types(client, head)).count("plan.revision_request_overdue") == 1


async def test_a_task_removed_from_the_parent_asks_its_wards_and_a_draft_below_too(
    client: httpx.AsyncClient,
) -> None:
    linked = await approved_ward_plan(client, HUONG_AN, 1)
    drafter = await token(client, "drafter.vinh-loc")
    program, _ = await hue_program(client, drafter)
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Kế hoạch phường Vĩnh Lộc", "parent_plan_id": program},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    draft = r.json()["id"]  # a draft whose placeholders link to every task of the program

    city = await token(client, "drafter.hue")
    plan = (await client.get(f"/api/plans/{program}", headers=city)).json()
    gone = [t for t in plan["tasks"] if t["task_group"] == plan["task_groups"][0]["code"]][1]
    assert (await client.post(f"/api/plans/{program}/revise", headers=city)).status_code == 200
    r = await client.delete(f"/api/plans/{program}/tasks/{gone['id']}", headers=city)
    assert r.status_code == 204, r.text
    r = await client.post(
        f"/api/plans/{program}/submit", json={"acknowledge_warnings": True}, headers=city
    )
    assert r.status_code == 200, r.text
    await approve_by(client, program, "head.hue", "approver.vn")
    await in_force(client, city, program, 2)

    for who, plan_id in ((await token(client, "drafter.huong-an"), linked), (drafter, draft)):
        (request,) = await revision_requests(client, who, plan_id)
        assert [(c["code"], c["kind"]) for c in request["changes"]] == [(gone["code"], "removed")]
