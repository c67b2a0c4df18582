"""One plan per unit and program: a plan in force is revised, never duplicated; the version in
force stays in force until the revision is approved; a rejected or discarded revision leaves it
as it was, with the same ids the units below link to."""

from __future__ import annotations

from typing import Any

import httpx

from tests.story import decide, eventually, hue_program, queue_item, token


async def _plan(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/plans/{plan_id}", headers=who)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _submit(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> None:
    r = await client.post(
        f"/api/plans/{plan_id}/submit", json={"acknowledge_warnings": True}, headers=who
    )
    assert r.status_code == 200, r.text


async def _status(
    client: httpx.AsyncClient, who: dict[str, str], plan_id: str, status: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        plan = await _plan(client, who, plan_id)
        return plan if plan["status"] == status else None

    return dict(await eventually(probe))


async def test_a_plan_in_force_is_revised_not_duplicated(client: httpx.AsyncClient) -> None:
    city = await token(client, "drafter.hue")
    program, _ = await hue_program(client, city)
    central = (await _plan(client, city, program))["parent_plan_id"]
    before = await _plan(client, city, program)
    assert (before["status"], before["in_force_version"]) == ("approved", 1)

    # A second plan of Huế under the central program is refused, naming the one to revise.
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Chương trình thứ hai", "parent_plan_id": central},
        headers=city,
    )
    assert r.status_code == 409, r.text
    assert r.json()["existing_plan_id"] == program
    assert "revise" in r.json()["detail"]

    r = await client.post(
        f"/api/plans/{program}/revise", json={"reason": "Điều chỉnh tiến độ"}, headers=city
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["version"], r.json()["in_force_version"]) == (
        "draft",
        2,
        1,
    )
    again = await client.post(f"/api/plans/{program}/revise", headers=city)
    assert again.status_code == 409 and "already under way" in again.json()["detail"]

    task = before["tasks"][0]
    changed_job = task["job"] + ", hoàn thành trước quý IV"
    r = await client.patch(
        f"/api/plans/{program}/tasks/{task['id']}", json={"job": changed_job}, headers=city
    )
    assert r.status_code == 200, r.text

    # Meanwhile a ward starts its plan from the version in force, linked to its ids.
    ward = await token(client, "drafter.phong-phu")
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Kế hoạch phường Phong Phú", "parent_plan_id": program},
        headers=ward,
    )
    assert r.status_code == 201, r.text
    ward_tasks = r.json()["tasks"]
    assert {t["parent_task_id"] for t in ward_tasks} == {t["id"] for t in before["tasks"]}
    assert next(t for t in ward_tasks if t["parent_task_id"] == task["id"])["job"] == task["job"]

    await _submit(client, city, program)
    head = await token(client, "head.hue")
    assert (await decide(client, head, await queue_item(client, head, program))).status_code == 200
    assert (await _plan(client, await token(client, "drafter.phu-xuan"), program))["tasks"][0][
        "job"
    ] == task["job"]  # still the version in force while central decides
    central_approver = await token(client, "approver.vn")
    item = await queue_item(client, central_approver, program)
    assert (await decide(client, central_approver, item)).status_code == 200

    after = await _status(client, city, program, "approved")
    assert (after["version"], after["in_force_version"]) == (2, 2)
    seen = await _plan(client, await token(client, "drafter.phu-xuan"), program)
    assert seen["tasks"][0]["job"] == changed_job
    assert [t["id"] for t in seen["tasks"]] == [t["id"] for t in before["tasks"]]
    versions = (await client.get(f"/api/plans/{program}/versions", headers=city)).json()
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "approved"), (2, "approved")]
    trail = (
        await client.get(
            "/api/audit/records",
            params={"subject_id": program},
            headers=await token(client, "auditor.hue"),
        )
    ).json()
    assert "plan.revision_started" in {r["event_type"] for r in trail["items"]}


async def test_a_discarded_or_rejected_revision_leaves_the_version_in_force(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    program, _ = await hue_program(client, city)
    before = await _plan(client, city, program)

    # Discarded: deleted and added tasks come back as they were, with their ids.
    assert (await client.post(f"/api/plans/{program}/revise", headers=city)).status_code == 200
    gone = before["tasks"][-1]
    r = await client.delete(f"/api/plans/{program}/tasks/{gone['id']}", headers=city)
    assert r.status_code == 204, r.text
    r = await client.post(
        f"/api/plans/{program}/tasks",
        json={"code": "NEW-1", "job": "Nhiệm vụ bổ sung của thành phố"},
        headers=city,
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/plans/{program}/discard-revision", headers=city)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["version"], r.json()["in_force_version"]) == (
        "approved",
        1,
        1,
    )
    restored = await _plan(client, city, program)
    assert restored["tasks"] == before["tasks"]
    assert restored["task_groups"] == before["task_groups"]
    assert restored["indicators"] == before["indicators"]
    r = await client.post(f"/api/plans/{program}/discard-revision", headers=city)
    assert r.status_code == 409  # nothing to discard

    # Rejected by the city's head: the revision is refused, the version in force stays.
    assert (await client.post(f"/api/plans/{program}/revise", headers=city)).status_code == 200
    r = await client.patch(
        f"/api/plans/{program}/tasks/{before['tasks'][0]['id']}",
        json={"job": "Một nội dung không được chấp thuận của thành phố"},
        headers=city,
    )
    assert r.status_code == 200, r.text
    await _submit(client, city, program)
    r = await client.post(f"/api/plans/{program}/discard-revision", headers=city)
    assert r.status_code == 409 and "withdraw it first" in r.json()["detail"]
    head = await token(client, "head.hue")
    item = await queue_item(client, head, program)
    r = await decide(client, head, item, "reject", "Không điều chỉnh trong năm nay")
    assert r.status_code == 200, r.text
    after = await _status(client, city, program, "approved")
    assert (after["version"], after["in_force_version"]) == (2, 1)
    assert after["tasks"] == before["tasks"]
    versions = (await client.get(f"/api/plans/{program}/versions", headers=city)).json()
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "approved"), (2, "rejected")]
    r = await client.post(f"/api/plans/{program}/revise", headers=city)
    assert r.status_code == 200 and r.json()["version"] == 3, r.text


async def test_only_the_units_drafters_revise_or_discard(client: httpx.AsyncClient) -> None:
    city = await token(client, "drafter.hue")
    program, _ = await hue_program(client, city)
    for username in ("head.hue", "approver.hue", "drafter.da-nang", "drafter.huong-an"):
        who = await token(client, username)
        r = await client.post(f"/api/plans/{program}/revise", headers=who)
        assert r.status_code == 403, (username, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert (await client.post(f"/api/plans/{program}/revise", headers=city)).status_code == 200
    for username in ("head.hue", "drafter.da-nang", "approver.vn"):
        who = await token(client, username)
        r = await client.post(f"/api/plans/{program}/discard-revision", headers=who)
        assert r.status_code == 403, (username, r.text)
    r = await client.post(f"/api/plans/{program}/revise", json={"reason": "x" * 2001}, headers=city)
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("reason"), r.text

    # A draft that was never approved is edited as it is, not revised.
    ward = await token(client, "drafter.vinh-loc")
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Kế hoạch phường Vĩnh Lộc", "parent_plan_id": program},
        headers=ward,
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/plans/{r.json()['id']}/revise", headers=ward)
    assert r.status_code == 409 and "not in force" in r.json()["detail"]
