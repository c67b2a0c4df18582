"""The approval chain through the API (embedded mode): return with comments on tasks and
resubmit, delegation, bound decisions, repeats, wrong users, policy versions, figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.story import (
    WARD,
    create_draft,
    decide,
    eventually,
    fixed_and_submitted,
    queue_item,
    token,
)


async def _submitted_plan(
    client: httpx.AsyncClient, title: str, ward: str = "huong-an"
) -> tuple[str, dict[str, str]]:
    """A plan of the ward under Huế's program, submitted (a ward has one plan per program)."""
    drafter = await token(client, f"drafter.{ward}")
    plan_id = await create_draft(client, drafter, title)
    await fixed_and_submitted(client, drafter, plan_id)
    return plan_id, drafter


async def _plan_status(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> str:
    r = await client.get(f"/api/plans/{plan_id}", headers=who)
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def _status_is(
    client: httpx.AsyncClient, who: dict[str, str], plan_id: str, wanted: str
) -> None:
    async def probe() -> bool:
        return await _plan_status(client, who, plan_id) == wanted

    await eventually(probe)


async def test_returned_with_task_comments_then_resubmitted_resumes_at_the_city(
    client: httpx.AsyncClient,
) -> None:
    plan_id, drafter = await _submitted_plan(client, "Kế hoạch phường Hương An (trả lại)")
    head = await token(client, "head.huong-an")
    city = await token(client, "approver.hue")
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task = plan["tasks"][0]

    r = await decide(client, head, await queue_item(client, head, plan_id))
    assert r.status_code == 200, r.text
    item = await queue_item(client, city, plan_id)
    assert item["step_no"] == 2 and len(item["content_hash"]) == 64

    # A return needs a comment; this one points at the task.
    bare = await decide(client, city, item, "return")
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "comment"
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/2/decision",
        json={
            "decision": "return",
            "comment": "Cần lượng hóa rõ hơn",
            "comments": [
                {
                    "task_id": task["id"],
                    "task_code": task["code"],
                    "text": "Nêu rõ tuyến đường nào được chỉnh trang",
                }
            ],
            "content_hash": item["content_hash"],
        },
        headers=city,
    )
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "returned" and case["returned_at_step"] == 2
    await _status_is(client, drafter, plan_id, "returned")

    # The drafter finds the comment on the task and answers it.
    r = await client.get(
        f"/api/approvals/plans/{plan_id}/comments", params={"status": "open"}, headers=drafter
    )
    assert r.status_code == 200, r.text
    on_task = [c for c in r.json() if c["task_id"] == task["id"]]
    assert [c["text"] for c in on_task] == ["Nêu rõ tuyến đường nào được chỉnh trang"]
    other = await token(client, "drafter.phu-xuan")
    r = await client.post(
        f"/api/approvals/comments/{on_task[0]['id']}/resolve", json={}, headers=other
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/approvals/comments/{on_task[0]['id']}/resolve",
        json={"resolution": "Đã nêu 3 tuyến đường"},
        headers=drafter,
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text

    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{task['id']}",
        json={"job": task["job"] + " trên các tuyến Lý Nam Đế, Tản Đà và Kim Long"},
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2

    # Version 2 resumes at the step that returned it: the ward head's sign-off carries over.
    item2 = await queue_item(client, city, plan_id)
    assert item2["plan_version"] == 2 and item2["step_no"] == 2
    case2 = (await client.get(f"/api/approvals/cases/{item2['case_id']}", headers=city)).json()
    assert [s["status"] for s in case2["steps"]] == ["carried_over", "active"]
    # The ward head is told why they are not asked again: their approval of version 1 stands.
    ward_head = await token(client, "head.huong-an")

    async def carried_over() -> list[Any]:
        r = await client.get("/api/notifications/inbox", headers=ward_head)
        return [
            n
            for n in r.json()["items"]
            if n["plan_id"] == plan_id and n["event_type"] == "approval.step_carried_over"
        ]

    [notice] = await eventually(carried_over)
    assert "giữ nguyên" in notice["title"] and "bước 2" in notice["body"]
    auditor = await token(client, "auditor.hue")
    r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
    [record] = [e for e in r.json() if e["event_type"] == "approval.step_carried_over"]
    assert record["payload"]["approved_by"] == "head.huong-an"
    assert record["payload"]["approved_in_version"] == 1

    # The approver asks what changed since their last decision.
    r = await client.get(f"/api/approvals/plans/{plan_id}/changes-since-my-decision", headers=city)
    assert r.status_code == 200, r.text
    changes = r.json()
    assert changes["last_decided_version"] == 1 and changes["current_version"] == 2
    changed = changes["diff"]["tasks"]["changed"]
    assert [c["key"] for c in changed] == [task["code"]]
    assert set(changed[0]["fields"]) == {"job"}

    # A decision bound to version 1's hash is refused; the comment thread carried over.
    stale = await client.post(
        f"/api/approvals/cases/{item2['case_id']}/steps/2/decision",
        json={"decision": "approve", "content_hash": item["content_hash"]},
        headers=city,
    )
    assert stale.status_code == 409, stale.text
    old_case = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/2/decision",
        json={"decision": "approve"},
        headers=city,
    )
    assert old_case.status_code == 409
    r = await client.post(
        f"/api/approvals/cases/{item2['case_id']}/steps/2/decision",
        json={"decision": "approve", "content_hash": item2["content_hash"]},
        headers=city,
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    await _status_is(client, drafter, plan_id, "approved")
    thread = (await client.get(f"/api/approvals/plans/{plan_id}/comments", headers=city)).json()
    assert {c["status"] for c in thread if c["task_id"]} == {"resolved"}

    history = (
        await client.get(f"/api/approvals/cases/{item2['case_id']}/history", headers=city)
    ).json()
    assert history["steps"][1]["hours_in_step"] is not None
    figures = (await client.get("/api/approvals/figures", headers=city)).json()
    assert figures["decided_steps"] >= 2 and figures["median_hours_to_decision"] is not None


async def test_a_delegate_decides_on_behalf_of_an_absent_approver(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "approver.hue")
    stand_in = await token(client, "drafter.hue")  # a colleague of the city, not an approver
    outsider = await token(client, "approver.da-nang")
    ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()

    r = await client.post(
        "/api/approvals/delegations",
        json={"delegate": "approver.da-nang", "ends_at": ends},
        headers=city,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "delegate", r.text
    r = await client.post(
        "/api/approvals/delegations",
        json={"delegate": "head.hue", "ends_at": ends},
        headers=stand_in,
    )
    assert r.status_code == 403, r.text  # only those who decide delegate

    async def granted() -> Any:
        # The directory reaches approvals as events; right after start it may still be coming.
        r = await client.post(
            "/api/approvals/delegations",
            json={"delegate": "drafter.hue", "ends_at": ends, "reason": "Công tác nước ngoài"},
            headers=city,
        )
        assert r.status_code in (201, 422), r.text
        return r.json() if r.status_code == 201 else None

    delegation = await eventually(granted)

    plan_id, drafter = await _submitted_plan(client, "Kế hoạch phường Hương An (ủy quyền)")
    head = await token(client, "head.huong-an")
    r = await decide(client, head, await queue_item(client, head, plan_id))
    assert r.status_code == 200, r.text

    item = await queue_item(client, stand_in, plan_id)
    assert item["on_behalf_of"] == "approver.hue"
    assert (await decide(client, outsider, item)).status_code == 403
    r = await decide(client, stand_in, item)
    assert r.status_code == 200, r.text
    step = r.json()["steps"][1]
    assert step["decided_by"] == "drafter.hue" and step["on_behalf_of"] == "approver.hue"
    assert step["decisions"][0]["on_behalf_of"] == "approver.hue"
    await _status_is(client, drafter, plan_id, "approved")

    # Revoked: the stand-in's queue no longer shows the city's steps.
    r = await client.delete(f"/api/approvals/delegations/{delegation['id']}", headers=stand_in)
    assert r.status_code == 403
    r = await client.delete(f"/api/approvals/delegations/{delegation['id']}", headers=city)
    assert r.status_code == 200 and r.json()["revoked_at"], r.text
    other_plan, _ = await _submitted_plan(client, "Kế hoạch phường Phú Xuân", "phu-xuan")
    other_head = await token(client, "head.phu-xuan")
    r = await decide(client, other_head, await queue_item(client, other_head, other_plan))
    await queue_item(client, city, other_plan)
    q = (await client.get("/api/approvals/queue", headers=stand_in)).json()
    assert all(i["plan_id"] != other_plan for i in q["items"])


async def test_every_other_role_and_unit_is_refused_and_a_retry_returns_the_first_answer(
    client: httpx.AsyncClient,
) -> None:
    plan_id, _ = await _submitted_plan(client, "Kế hoạch phường Hương An (quyền)")
    head = await token(client, "head.huong-an")
    item = await queue_item(client, head, plan_id)
    for username in (
        "drafter.huong-an",
        "head.phu-xuan",
        "approver.hue",
        "head.hue",
        "auditor.hue",
        "approver.vn",
        "admin",
        "approver.da-nang",
    ):
        r = await decide(client, await token(client, username), item)
        assert r.status_code == 403, (username, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")

    outsider = await token(client, "drafter.da-nang")
    r = await client.get(f"/api/approvals/cases/{item['case_id']}", headers=outsider)
    assert r.status_code == 403

    url = f"/api/approvals/cases/{item['case_id']}/steps/1/decision"
    key = {"Idempotency-Key": "sign-off-2026-03-02-001"}
    first = await client.post(url, json={"decision": "approve"}, headers={**head, **key})
    again = await client.post(url, json={"decision": "approve"}, headers={**head, **key})
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert len(first.json()["steps"][0]["decisions"]) == 1
    reused = await client.post(
        url, json={"decision": "reject", "comment": "x"}, headers={**head, **key}
    )
    assert reused.status_code == 422
    twice = await client.post(url, json={"decision": "approve"}, headers=head)
    assert twice.status_code == 409, twice.text
    assert twice.json()["case"]["steps"][0]["status"] == "approved"


async def test_a_policy_change_applies_to_new_cases_only(client: httpx.AsyncClient) -> None:
    admin = await token(client, "admin")
    city_admin = await token(client, "approver.hue")
    open_plan, _ = await _submitted_plan(client, "Kế hoạch phường Hương An (chính sách cũ)")
    head = await token(client, "head.huong-an")
    old_item = await queue_item(client, head, open_plan)

    policy = (await client.get("/api/approvals/policy", headers=admin)).json()
    assert policy["version"] == "2026.2"
    new = {
        **policy,
        "version": "2026.3",
        "chains": {
            **policy["chains"],
            "ward": {
                "resubmission": "from_start",
                "steps": [
                    {"name": "ward-head-signoff", "unit": "own", "role": "head"},
                    {"name": "city-decision", "unit": "parent", "role": "approver", "mode": "all"},
                ],
            },
        },
    }
    assert (
        await client.put("/api/approvals/policy", json=new, headers=city_admin)
    ).status_code == 403
    bad = {**new, "version": "2026.4", "chains": {"ward": {"steps": [{"unit": "up"}]}}}
    r = await client.put("/api/approvals/policy", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"], r.text
    r = await client.put("/api/approvals/policy", json=new, headers=admin)
    assert r.status_code == 200, r.text
    r = await client.put("/api/approvals/policy", json=new, headers=admin)
    assert r.status_code == 409
    versions = (await client.get("/api/approvals/policy/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == ["2026.3", "2026.2"]

    new_plan, drafter = await _submitted_plan(client, "Kế hoạch phường Phú Xuân", "phu-xuan")
    new_head = await token(client, "head.phu-xuan")
    new_item = await queue_item(client, new_head, new_plan)
    cases: dict[str, Any] = {}
    for item, who in ((old_item, head), (new_item, new_head)):
        r = await client.get(f"/api/approvals/cases/{item['case_id']}", headers=who)
        cases[item["plan_id"]] = r.json()
    assert cases[open_plan]["policy_version"] == "2026.2"
    assert cases[new_plan]["policy_version"] == "2026.3"
    assert cases[new_plan]["steps"][1]["mode"] == "all"

    # "all": both of Huế's approvers must approve before the plan is in force.
    assert (await decide(client, new_head, new_item)).status_code == 200
    first_approver = await token(client, "approver.hue")
    second_approver = await token(client, "approver2.hue")
    item = await queue_item(client, first_approver, new_plan)
    r = await decide(client, first_approver, item)
    assert r.status_code == 200 and r.json()["status"] == "open", r.text
    step = r.json()["steps"][1]
    assert (step["approvals"], step["required_approvals"], step["status"]) == (1, 2, "active")
    q = (await client.get("/api/approvals/queue", headers=first_approver)).json()
    assert all(i["plan_id"] != new_plan for i in q["items"])
    r = await decide(client, second_approver, await queue_item(client, second_approver, new_plan))
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    await _status_is(client, drafter, new_plan, "approved")
    assert cases[new_plan]["plan_unit"] == "vn.hue.phu-xuan"


async def test_a_ward_plan_with_large_key_projects_also_goes_to_central(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch phường Hương An (dự án lớn)")
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{plan['tasks'][0]['id']}",
        json={"kind": "key_project", "budget": 820},
        headers=drafter,
    )
    assert r.status_code == 200 and r.json()["kind"] == "key_project", r.text
    version = await fixed_and_submitted(client, drafter, plan_id)
    assert version["content"]["tasks"][0]["budget"] == 820
    head = await token(client, "head.huong-an")
    item = await queue_item(client, head, plan_id)
    case = (await client.get(f"/api/approvals/cases/{item['case_id']}", headers=head)).json()
    assert case["facts"]["key_project_budget"] == 820
    assert [(s["unit"], s["role"]) for s in case["steps"]] == [
        (WARD, "head"),
        ("vn.hue", "approver"),
        ("vn", "approver"),
    ]


async def test_what_an_approver_says_while_approving_is_a_remark(
    client: httpx.AsyncClient,
) -> None:
    plan_id, drafter = await _submitted_plan(client, "Kế hoạch phường Vinh Lộc", "vinh-loc")
    head = await token(client, "head.vinh-loc")
    item = await queue_item(client, head, plan_id)
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/1/decision",
        json={
            "decision": "approve",
            "comment": "Đồng ý; lưu ý bảo đảm tiến độ quý II",
            "comments": [{"task_code": "HA-01", "text": "Nên nêu thêm địa điểm"}],
        },
        headers=head,
    )
    assert r.status_code == 200, r.text
    city = await token(client, "approver.hue")
    item = await queue_item(client, city, plan_id)
    r = await decide(client, city, item, "return", "Cần lượng hóa rõ hơn")
    assert r.status_code == 200, r.text

    r = await client.get(f"/api/approvals/plans/{plan_id}/comments", headers=drafter)
    assert r.status_code == 200, r.text
    by_text = {c["text"]: c for c in r.json()}
    assert by_text["Đồng ý; lưu ý bảo đảm tiến độ quý II"]["status"] == "remark"
    assert by_text["Nên nêu thêm địa điểm"]["status"] == "remark"
    assert by_text["Cần lượng hóa rõ hơn"]["status"] == "open"
    # Authors and deciders come with their names from the directory, for readers elsewhere
    # (the ward's drafter does not see the city's people in their own directory).
    assert by_text["Cần lượng hóa rõ hơn"]["author_name"] == "Lãnh đạo Thành ủy Huế"
    case = (await client.get(f"/api/approvals/cases/{item['case_id']}", headers=drafter)).json()
    assert case["steps"][1]["decided_by_name"] == "Lãnh đạo Thành ủy Huế"
    assert case["steps"][1]["decisions"][0]["decided_by_name"] == "Lãnh đạo Thành ủy Huế"
    remarks = await client.get(
        f"/api/approvals/plans/{plan_id}/comments", params={"status": "remark"}, headers=drafter
    )
    assert len(remarks.json()) == 2
    remark = by_text["Nên nêu thêm địa điểm"]
    r = await client.post(
        f"/api/approvals/comments/{remark['id']}/resolve", json={}, headers=drafter
    )
    assert r.status_code == 409 and "remark" in r.json()["detail"], r.text
    r = await client.post(
        f"/api/approvals/comments/{by_text['Cần lượng hóa rõ hơn']['id']}/resolve",
        json={"resolution": "Đã lượng hóa"},
        headers=drafter,
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
