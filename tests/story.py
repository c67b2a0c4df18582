"""The skeleton's story, told through the HTTP API; the same in every mode."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

WARD = "vn.hue.huong-an"
EXPECTED_TRAIL = [
    "plan.created",
    "plan.submitted",
    "approval.case_opened",
    "approval.step_assigned",
    "approval.step_decided",
    "approval.step_assigned",
    "approval.step_decided",
    "approval.case_completed",
    "plan.approved",
]


async def token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/api/auth/dev-token", json={"username": username})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def eventually(
    probe: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.05
) -> Any:
    """Poll until ``probe`` returns something truthy (events travel asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s")
        await asyncio.sleep(interval)


def incomplete_task() -> dict[str, Any]:
    return {"code": "HA-01", "task_group": None, "job": "Chỉnh trang"}


async def hue_program(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, list[str]]:
    """Huế's program in force, and the codes of its task groups."""
    r = await client.get(
        "/api/plans", params={"unit": "vn.hue", "status": "approved"}, headers=headers
    )
    assert r.status_code == 200, r.text
    program = r.json()["items"][0]
    detail = (await client.get(f"/api/plans/{program['id']}", headers=headers)).json()
    return program["id"], [g["code"] for g in detail["task_groups"]]


async def create_draft(client: httpx.AsyncClient, drafter: dict[str, str], title: str) -> str:
    """A draft started from Huế's program (its task groups, linked), with one task that is not
    yet "5 clear" in the first group."""
    parent_id, groups = await hue_program(client, drafter)
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": title, "parent_plan_id": parent_id, "placeholder_tasks": False},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        json={**incomplete_task(), "task_group": groups[0]},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    return plan_id


FIX = {
    "job": "Ra quân tổng vệ sinh môi trường, xóa 12 điểm tập kết rác tự phát trên địa bàn phường",
    "lead_unit": WARD,
    "cooperating_units": [],
    "responsible_person": "Phó Chủ tịch UBND phường phụ trách đô thị",
    "start": "2026-03-01",
    "deadline": "2026-09-30",
    "milestones": [{"period": "2026-Q2", "description": "xóa 6 điểm"}],
    "product_description": "điểm tập kết rác tự phát được xóa bỏ",
    "product_quantity": 12,
    "product_unit": "điểm",
}


def trees_task(group: str) -> dict[str, Any]:
    """Hương An's second "5 clear" task, in ``group``: planting trees along its alleys."""
    return {
        **FIX,
        "code": "HA-02",
        "task_group": group,
        "lead_unit": WARD,
        "job": "Trồng mới 300 cây xanh trên các tuyến kiệt, hẻm của phường Hương An",
        "product_description": "cây xanh được trồng mới",
        "product_quantity": 300,
        "product_unit": "cây",
    }


NOT_APPLICABLE = "Nội dung do cấp thành phố trực tiếp thực hiện trên địa bàn phường"


async def fix(client: httpx.AsyncClient, drafter: dict[str, str], plan_id: str) -> None:
    """Make the draft's task "5 clear" and mark the parent's other task groups not applicable."""
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task_id = plan["tasks"][0]["id"]
    local = {**FIX, "lead_unit": plan["unit"]}
    r = await client.patch(f"/api/plans/{plan_id}/tasks/{task_id}", json=local, headers=drafter)
    assert r.status_code == 200, r.text
    used = {t["task_group"] for t in plan["tasks"]}
    for group in plan["task_groups"]:
        if group["code"] not in used:
            r = await client.patch(
                f"/api/plans/{plan_id}/task-groups/{group['code']}",
                json={"not_applicable_reason": NOT_APPLICABLE},
                headers=drafter,
            )
            assert r.status_code == 200, r.text


async def fixed_and_submitted(
    client: httpx.AsyncClient, drafter: dict[str, str], plan_id: str
) -> dict[str, Any]:
    await fix(client, drafter, plan_id)
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    return r.json()


async def queue_item(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> Any:
    async def probe() -> Any:
        r = await client.get("/api/approvals/queue", headers=who)
        assert r.status_code == 200, r.text
        return next((i for i in r.json()["items"] if i["plan_id"] == plan_id), None)

    return await eventually(probe)


async def decide(
    client: httpx.AsyncClient,
    who: dict[str, str],
    item: dict[str, Any],
    decision: str = "approve",
    comment: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision",
        json={"decision": decision, "comment": comment},
        headers=who,
    )


@dataclass
class StoryResult:
    plan_id: str
    trail: list[dict[str, Any]]


WARDS = ("huong-an", "phu-xuan", "phong-phu", "phong-quang", "vinh-loc")
"""The Huế wards with a drafter and a head in the demo directory: a ward has one plan per
program, so a test that starts several plans starts them in different wards."""


async def fresh_ward(client: httpx.AsyncClient, short: str) -> str:
    """A new Huế ward ``vn.hue.<short>`` with its drafter and head, registered by the central
    admin, for tests that tell more stories than the demo has wards: ``short``, for
    :func:`run_story`."""
    admin = await token(client, "admin")
    code = f"vn.hue.{short}"
    r = await client.put(
        f"/api/directory/units/{code}",
        json={"code": code, "name": f"Phường thử {short}", "level": "ward"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    for role in ("drafter", "head"):
        username = f"{role}.{short}"
        r = await client.put(
            f"/api/directory/users/{username}",
            json={"username": username, "name": f"Cán bộ {short}", "unit": code, "roles": [role]},
            headers=admin,
        )
        assert r.status_code == 200, r.text
    return short


async def run_story(client: httpx.AsyncClient, ward: str = "huong-an") -> StoryResult:
    """A ward drafter drafts and submits; ward head and city approve; everyone is told."""
    drafter = await token(client, f"drafter.{ward}")
    head = await token(client, f"head.{ward}")
    approver = await token(client, "approver.hue")
    auditor = await token(client, "auditor.hue")

    plan_id = await create_draft(client, drafter, "Kế hoạch thực hiện Nghị quyết của phường")

    # Refused: the task is not "5 clear", and the error names the task and each missing element.
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    missing = {(e["task"], e["element"]) for e in problem["errors"] if "task" in e}
    assert missing == {
        ("HA-01", el) for el in ("job", "person", "responsibility", "timeline", "product")
    }
    _, groups = await hue_program(client, drafter)
    uncovered = {e["subject"] for e in problem["errors"] if e.get("code") == "coverage"}
    assert uncovered == set(groups[1:])

    version = await fixed_and_submitted(client, drafter, plan_id)
    assert version["version"] == 1 and len(version["content_hash"]) == 64

    # The ward head signs off first; the city approver cannot decide before.
    item = await queue_item(client, head, plan_id)
    assert item["step_no"] == 1 and item["unit"] == f"vn.hue.{ward}"
    wrong = await decide(client, approver, item)
    assert wrong.status_code == 403, wrong.text
    r = await decide(client, head, item)
    assert r.status_code == 200, r.text
    again = await decide(client, head, item)
    assert again.status_code in (403, 409), again.text

    item = await queue_item(client, approver, plan_id)
    assert item["step_no"] == 2 and item["unit"] == "vn.hue"
    r = await decide(client, approver, item)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"

    async def approved() -> bool:
        r = await client.get(f"/api/plans/{plan_id}", headers=drafter)
        return r.json()["status"] == "approved"

    await eventually(approved)

    async def told() -> Any:
        r = await client.get("/api/notifications/inbox", headers=drafter)
        assert r.status_code == 200, r.text
        return [
            n
            for n in r.json()["items"]
            if n["plan_id"] == plan_id and n["event_type"] == "plan.approved"
        ]

    notes = await eventually(told)
    assert len(notes) == 1
    assert "phê duyệt" in notes[0]["title"]

    async def trail() -> Any:
        r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
        assert r.status_code == 200, r.text
        rows = r.json()
        return rows if len(rows) >= len(EXPECTED_TRAIL) else None

    rows = await eventually(trail)
    assert [row["event_type"] for row in rows] == EXPECTED_TRAIL
    r = await client.get("/api/audit/verify", headers=auditor)
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    return StoryResult(plan_id=plan_id, trail=rows)


async def cases_of(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> list[Any]:
    r = await client.get("/api/approvals/cases", params={"plan_id": plan_id}, headers=who)
    assert r.status_code == 200, r.text
    return list(r.json())


async def audit_types(
    client: httpx.AsyncClient, auditor: dict[str, str], plan_id: str
) -> list[str]:
    r = await client.get(f"/api/audit/plans/{plan_id}/events", headers=auditor)
    assert r.status_code == 200, r.text
    return [row["event_type"] for row in r.json()]


async def catalogued_events(client: httpx.AsyncClient, auditor: dict[str, str]) -> dict[str, int]:
    """Every event the audit holds, each checked against the catalogue: the version it names,
    its producer, a payload that reads as its model and carries no field the model does not
    describe. Returns how many of each type."""
    from cascade_shared.events import CATALOGUE

    seen: dict[str, int] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/api/audit/records", params=params, headers=auditor)
        assert r.status_code == 200, r.text
        page = r.json()
        for record in page["items"]:
            spec = CATALOGUE[record["event_type"]]
            assert record["event_version"] == spec.version, record
            assert record["producer"] == spec.producer, record
            undescribed = set(record["payload"]) - set(spec.payload.model_fields)
            assert not undescribed, (record["event_type"], undescribed)
            spec.payload.model_validate(record["payload"])
            seen[record["event_type"]] = seen.get(record["event_type"], 0) + 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    return seen
