"""The results story, told through the HTTP API; the same in every mode: a ward's plan is
approved, its tasks are tracked, the ward reports on the month, the head signs off, the city
accepts, and the statuses, the roll-up up to central and the explained score follow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from tests.story import (
    FIX,
    NOT_APPLICABLE,
    WARD,
    decide,
    eventually,
    hue_program,
    queue_item,
    token,
)


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


async def tracked_tasks(
    client: httpx.AsyncClient, who: dict[str, str], unit: str, **params: Any
) -> list[dict[str, Any]]:
    r = await client.get("/api/results/tasks", params={"unit": unit, **params}, headers=who)
    assert r.status_code == 200, r.text
    return list(r.json())


async def inbox_types(client: httpx.AsyncClient, who: dict[str, str]) -> list[str]:
    r = await client.get("/api/notifications/inbox", headers=who)
    assert r.status_code == 200, r.text
    return [n["event_type"] for n in r.json()["items"]]


async def approved_ward_plan(
    client: httpx.AsyncClient, ward: str = WARD, parent_task_index: int = 0
) -> str:
    """A ward plan whose one task concretizes a task of Huế's program (the first of its first
    task group, or the one at ``parent_task_index`` there), approved by the ward head and the
    city: the plan id."""
    short = ward.rsplit(".", 1)[1]
    drafter = await token(client, f"drafter.{short}")
    head = await token(client, f"head.{short}")
    approver = await token(client, "approver.hue")
    parent_id, groups = await hue_program(client, drafter)
    parent = (await client.get(f"/api/plans/{parent_id}", headers=drafter)).json()
    parent_task = [t for t in parent["tasks"] if t["task_group"] == groups[0]][parent_task_index]
    r = await client.post(
        "/api/plans/from-parent",
        json={
            "title": "Kế hoạch thực hiện Nghị quyết của phường",
            "parent_plan_id": parent_id,
            "placeholder_tasks": False,
        },
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        json={
            **FIX,
            "lead_unit": ward,
            "code": "HA-01",
            "task_group": groups[0],
            "parent_task_id": parent_task["id"],
        },
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    for group in groups[1:]:
        r = await client.patch(
            f"/api/plans/{plan_id}/task-groups/{group}",
            json={"not_applicable_reason": NOT_APPLICABLE},
            headers=drafter,
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/plans/{plan_id}/submit", json={"acknowledge_warnings": True}, headers=drafter
    )
    assert r.status_code == 200, r.text
    for who in (head, approver):
        item = await queue_item(client, who, plan_id)
        r = await decide(client, who, item)
        assert r.status_code == 200, r.text

    async def approved() -> bool:
        r = await client.get(f"/api/plans/{plan_id}", headers=drafter)
        return bool(r.json()["status"] == "approved")

    await eventually(approved)
    return plan_id


@dataclass
class ResultsStory:
    plan_id: str
    report_id: str
    task: dict[str, Any]
    period: str


async def run_results_story(client: httpx.AsyncClient, today: date) -> ResultsStory:
    plan_id = await approved_ward_plan(client)
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    sibling = await token(client, "drafter.phu-xuan")
    approver = await token(client, "approver.hue")
    central = await token(client, "approver.vn")

    # The approved plan's tasks are tracked by themselves.
    async def tracked() -> list[dict[str, Any]]:
        return await tracked_tasks(client, drafter, WARD)

    tasks = await eventually(tracked)
    assert len(tasks) == 1
    task = tasks[0]
    assert task["plan_id"] == plan_id and task["parent_task_id"]
    assert task["deadline"] == "2026-09-30" and task["product_unit"] == "điểm"
    assert task["percent"] is None

    # The ward drafter opens the month's report; the same Idempotency-Key gives the same one.
    period = month_of(today)
    key = {"Idempotency-Key": f"report-{plan_id}"}
    r = await client.post(
        "/api/results/reports", json={"unit": WARD, "period": period}, headers={**drafter, **key}
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "draft" and report["version"] == 1
    assert [line["task_code"] for line in report["tasks"]] == [task["code"]]
    again = await client.post(
        "/api/results/reports", json={"unit": WARD, "period": period}, headers={**drafter, **key}
    )
    assert again.status_code == 200 and again.json()["id"] == report["id"]

    # A sibling ward cannot open, read or write it.
    r = await client.post(
        "/api/results/reports", json={"unit": WARD, "period": period}, headers=sibling
    )
    assert r.status_code == 403, r.text
    r = await client.get(f"/api/results/reports/{report['id']}", headers=sibling)
    assert r.status_code == 403, r.text

    # Bad lines are refused whole, naming the field; nothing is stored.
    lines_url = f"/api/results/reports/{report['id']}/lines"
    r = await client.put(
        lines_url, json={"tasks": [{"task_id": task["id"], "percent": 150}]}, headers=drafter
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert any("percent" in e["field"] for e in r.json()["errors"])
    r = await client.put(
        lines_url,
        json={"tasks": [{"task_id": task["id"], "state": "done", "percent": 100}]},
        headers=drafter,
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == f"tasks.{task['code']}.product"
    r = await client.get(f"/api/results/reports/{report['id']}", headers=drafter)
    assert r.json()["tasks"][0]["state"] == "not_started"

    r = await client.put(
        lines_url,
        json={"tasks": [{"task_id": task["id"], "milestones_reached": ["2026-Q4"]}]},
        headers=drafter,
    )
    assert r.status_code == 422, r.text  # the task has no milestone in the fourth quarter
    assert r.json()["errors"][0]["field"] == f"tasks.{task['code']}.milestones_reached"
    r = await client.put(
        lines_url,
        json={
            "tasks": [
                {
                    "task_id": task["id"],
                    "milestones_reached": ["2026-Q2"],
                    "state": "in_progress",
                    "percent": 40,
                    "product_quantity": 5,
                    "narrative": "Đã xóa 5/12 điểm tập kết rác tự phát",
                    "evidence": [{"kind": "link", "url": "https://huong-an.example/bien-ban"}],
                }
            ]
        },
        headers=drafter,
    )
    assert r.status_code == 200, r.text

    # Only the ward's head signs off; then the city, not the ward, decides.
    sign = f"/api/results/reports/{report['id']}/sign-off"
    assert (await client.post(sign, headers=drafter)).status_code == 403
    r = await client.post(sign, headers=head)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted" and r.json()["late"] is False
    decision = f"/api/results/reports/{report['id']}/decision"
    r = await client.post(decision, json={"decision": "accept"}, headers=drafter)
    assert r.status_code == 403, r.text
    r = await client.post(decision, json={"decision": "accept"}, headers=head)
    assert r.status_code == 403, r.text
    r = await client.post(decision, json={"decision": "accept"}, headers=approver)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    # The ward reads who signed and who decided by name (results keeps the directory's people;
    # the ward's own directory does not list the city's officials).
    city = (await client.get("/api/directory/users", headers=approver)).json()
    name_of = {u["username"]: u["name"] for u in city}
    seen = (await client.get(f"/api/results/reports/{report['id']}", headers=drafter)).json()
    assert seen["decided_by_name"] == name_of["approver.hue"]
    assert seen["submitted_by_name"] == name_of["head.huong-an"]
    r = await client.put(lines_url, json={"tasks": []}, headers=drafter)
    assert r.status_code == 409, r.text

    # The task's status is computed: its deadline has passed undone, so it is overdue.
    [task] = await tracked_tasks(client, drafter, WARD)
    assert task["percent"] == 40 and task["status"] == "overdue" and task["days_overdue"] > 0
    [early] = await tracked_tasks(client, drafter, WARD, as_of="2026-09-01")
    assert early["status"] == "in_progress"
    # Its milestone (the second quarter) was reported reached only now: reached late.
    [milestone] = task["milestones"]
    assert (milestone["period"], milestone["due"]) == ("2026-Q2", "2026-06-30")
    assert milestone["status"] == "completed_late" and milestone["reached_on"] == today.isoformat()

    # The roll-up: the city task it concretizes, and the central task above, include it.
    r = await client.get(f"/api/results/tasks/{task['parent_task_id']}", headers=approver)
    assert r.status_code == 200, r.text
    city_task = r.json()
    ward_child = next(c for c in city_task["children"] if c["id"] == task["id"])
    assert ward_child["rolled_percent"] == 40
    assert city_task["rolled_percent"] == 40
    r = await client.get(f"/api/results/tasks/{task['parent_task_id']}", headers=drafter)
    assert r.status_code == 403  # a ward does not read the city's tracking
    if city_task["parent_task_id"]:
        r = await client.get(f"/api/results/tasks/{city_task['parent_task_id']}", headers=central)
        assert r.status_code == 200, r.text
        top = r.json()
        hue = next(c for c in top["children"] if c["id"] == city_task["id"])
        assert hue["rolled_percent"] == 40
        parts = [c["rolled_percent"] or 0 for c in top["children"]]
        assert top["rolled_percent"] == round(sum(parts) / len(parts), 2)

    # The city's dashboard shows the ward, its report and its score; the explanation traces
    # every term to its records.
    r = await client.get(
        "/api/results/dashboard", params={"unit": "vn.hue", "period": period}, headers=approver
    )
    assert r.status_code == 200, r.text
    board = r.json()
    row = next(u for u in board["units"] if u["unit"] == WARD)
    assert row["report"]["status"] == "accepted" and row["counts"]["overdue"] == 1
    assert row["unit_name"] != WARD
    assert any(t["id"] == task["id"] for t in board["overdue"])
    r = await client.get(
        f"/api/results/units/{WARD}/evaluation", params={"period": period}, headers=drafter
    )
    assert r.status_code == 200, r.text
    explained = r.json()
    terms = {t["name"]: t for t in explained["terms"]}
    assert set(terms) == {"tasks_on_time", "no_overdue", "indicators", "reports_on_time"}
    assert (
        terms["no_overdue"]["value"] == 0 and terms["no_overdue"]["sources"][0]["id"] == task["id"]
    )
    assert terms["no_overdue"]["sources"][0]["job"] == task["job"]
    assert explained["score"] == round(sum(t["points"] for t in explained["terms"]), 2)

    # A correction: the city reopens the locked-or-accepted period, a new version; the old one
    # stays, and the roll-up follows the new figure at every level.
    reopen = f"/api/results/units/{WARD}/periods/{period}/reopen"
    r = await client.post(reopen, json={"reason": "Số liệu sai"}, headers=drafter)
    assert r.status_code == 403, r.text
    r = await client.post(reopen, json={"reason": "Bổ sung kết quả cuối tháng"}, headers=approver)
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert v2["version"] == 2 and v2["tasks"][0]["percent"] == 40
    r = await client.put(
        f"/api/results/reports/{v2['id']}/lines",
        json={"tasks": [{"task_id": task["id"], "percent": 80, "product_quantity": 10}]},
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    assert (
        await client.post(f"/api/results/reports/{v2['id']}/sign-off", headers=head)
    ).status_code == 200
    r = await client.get(f"/api/results/tasks/{task['parent_task_id']}", headers=approver)
    assert r.json()["rolled_percent"] == 80
    r = await client.get(f"/api/results/reports/{report['id']}/versions", headers=approver)
    assert [v["version"] for v in r.json()] == [1, 2]
    r = await client.get(f"/api/results/reports/{report['id']}", headers=approver)
    assert r.json()["tasks"][0]["percent"] == 40  # the first version is unchanged

    # The city publishes the ward's evaluation.
    r = await client.post(
        f"/api/results/units/{WARD}/evaluation/publish", json={"period": period}, headers=drafter
    )
    assert r.status_code == 403, r.text
    r = await client.post(
        f"/api/results/units/{WARD}/evaluation/publish", json={"period": period}, headers=approver
    )
    assert r.status_code == 201, r.text
    return ResultsStory(plan_id, report["id"], task, period)
