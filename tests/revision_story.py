"""The revision story's steps, through the HTTP API in every mode: a parent plan in force is
revised and approved; the plans below are asked to follow."""

from __future__ import annotations

from typing import Any

import httpx

from tests.story import decide, eventually, hue_program, queue_item, token


async def approve_by(client: httpx.AsyncClient, plan_id: str, *deciders: str) -> None:
    for username in deciders:
        who = await token(client, username)
        r = await decide(client, who, await queue_item(client, who, plan_id))
        assert r.status_code == 200, r.text


async def in_force(client: httpx.AsyncClient, who: dict[str, str], plan_id: str, v: int) -> None:
    async def probe() -> bool:
        plan = (await client.get(f"/api/plans/{plan_id}", headers=who)).json()
        return bool(plan["status"] == "approved" and plan["in_force_version"] == v)

    await eventually(probe)


async def revision_requests(
    client: httpx.AsyncClient, who: dict[str, str], plan_id: str
) -> list[dict[str, Any]]:
    r = await client.get(f"/api/plans/{plan_id}/revision-requests", headers=who)
    assert r.status_code == 200, r.text
    return list(r.json())


async def revise_city_program(
    client: httpx.AsyncClient, change: dict[str, Any], task_index: int = 0, *, approve: bool = True
) -> tuple[str, dict[str, Any]]:
    """Huế revises its program, changing one task of its first group, and (unless ``approve``
    is false: the revision is left submitted) its head and central approve."""
    city = await token(client, "drafter.hue")
    program, groups = await hue_program(client, city)
    plan = (await client.get(f"/api/plans/{program}", headers=city)).json()
    task = [t for t in plan["tasks"] if t["task_group"] == groups[0]][task_index]
    r = await client.post(f"/api/plans/{program}/revise", headers=city)
    assert r.status_code == 200, r.text
    r = await client.patch(f"/api/plans/{program}/tasks/{task['id']}", json=change, headers=city)
    assert r.status_code == 200, r.text
    # A task of another group changes too, in a field the units below do not concretize.
    other = next(t for t in plan["tasks"] if t["task_group"] != groups[0])
    r = await client.patch(
        f"/api/plans/{program}/tasks/{other['id']}",
        json={"responsible_person": "Phó Chủ tịch UBND thành phố phụ trách văn hóa"},
        headers=city,
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/plans/{program}/submit", json={"acknowledge_warnings": True}, headers=city
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    if approve:
        await approve_by(client, program, "head.hue", "approver.vn")
        await in_force(client, city, program, version)
    return program, task
