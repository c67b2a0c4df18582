"""The next term (kế thừa): a ward starts its next term's plan from this term's plan in force;
the task groups and the unfinished task come along, linked to where they came from; the
finished task stays behind; the new plan is checked by the same rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.results_story import month_of, tracked_tasks
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

SECOND = {
    **FIX,
    "code": "HA-02",
    "job": "Lắp đặt 20 camera giám sát an ninh trật tự tại các tổ dân phố của phường Hương An",
    "product_description": "camera giám sát được lắp đặt",
    "product_quantity": 20,
    "product_unit": "camera",
}


async def ward_plan_with_two_tasks(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """Hương An's plan under Huế's program, in force, with HA-01 (linked to a task of Huế's
    program) and HA-02 in the first task group: the plan id and the task ids by code."""
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    approver = await token(client, "approver.hue")
    parent_id, groups = await hue_program(client, drafter)
    parent = (await client.get(f"/api/plans/{parent_id}", headers=drafter)).json()
    parent_task = next(t for t in parent["tasks"] if t["task_group"] == groups[0])
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
    ids: dict[str, str] = {}
    for task in (
        {**FIX, "code": "HA-01", "parent_task_id": parent_task["id"]},
        SECOND,
    ):
        r = await client.post(
            f"/api/plans/{plan_id}/tasks",
            json={**task, "lead_unit": WARD, "task_group": groups[0]},
            headers=drafter,
        )
        assert r.status_code == 201, r.text
        ids[task["code"]] = r.json()["id"]
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
        r = await decide(client, who, await queue_item(client, who, plan_id))
        assert r.status_code == 200, r.text

    async def approved() -> bool:
        r = await client.get(f"/api/plans/{plan_id}", headers=drafter)
        return bool(r.json()["status"] == "approved")

    await eventually(approved)
    return plan_id, ids


async def report_done(client: httpx.AsyncClient, task_id: str) -> None:
    """The ward reports the month with ``task_id`` done; the head signs off, the city accepts."""
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    approver = await token(client, "approver.hue")

    async def tracked() -> list[dict[str, Any]]:
        rows = await tracked_tasks(client, drafter, WARD)
        return rows if any(t["id"] == task_id for t in rows) else []

    await eventually(tracked)
    r = await client.post(
        "/api/results/reports",
        json={"unit": WARD, "period": month_of(date.today())},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    report = r.json()
    r = await client.put(
        f"/api/results/reports/{report['id']}/lines",
        json={
            "tasks": [{"task_id": task_id, "state": "done", "percent": 100, "product_quantity": 12}]
        },
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/results/reports/{report['id']}/sign-off", headers=head)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/results/reports/{report['id']}/decision",
        json={"decision": "accept"},
        headers=approver,
    )
    assert r.status_code == 200, r.text


NEXT = {"title": "Kế hoạch nhiệm kỳ 2032-2036 của phường", "term_start": 2032, "term_end": 2036}


async def test_the_next_term_takes_on_what_is_not_finished(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id, ids = await ward_plan_with_two_tasks(client)
    source = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    await report_done(client, ids["HA-01"])
    statuses = {t["code"]: t["status"] for t in await tracked_tasks(client, drafter, WARD)}
    assert statuses["HA-01"].startswith("completed") and statuses["HA-02"] == "overdue"

    url = f"/api/plans/{plan_id}/next-term"
    # Only the drafters of the plan's own unit.
    for username in ("drafter.phu-xuan", "head.huong-an", "approver.hue"):
        r = await client.post(url, json=NEXT, headers=await token(client, username))
        assert r.status_code == 403, (username, r.text)
    # The next term starts after this one ends, and ends no earlier than it starts.
    r = await client.post(url, json={**NEXT, "term_start": source["term_end"]}, headers=drafter)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "term_start"
    r = await client.post(url, json={**NEXT, "term_end": 2031}, headers=drafter)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "term_end"
    r = await client.post(url, json={**NEXT, "title": ""}, headers=drafter)
    assert r.status_code == 422, r.text

    r = await client.post(url, json=NEXT, headers=drafter)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["status"] == "draft" and new["version"] == 1 and new["in_force_version"] is None
    assert new["previous_plan_id"] == plan_id and new["parent_plan_id"] is None
    assert (new["term_start"], new["term_end"], new["unit"]) == (2032, 2036, WARD)
    assert [g["code"] for g in new["task_groups"]] == [g["code"] for g in source["task_groups"]]
    assert all(g["parent_task_group_id"] is None for g in new["task_groups"])  # no parent now
    [carried] = new["tasks"]  # HA-01 is finished: it stays behind
    assert carried["code"] == "HA-02" and carried["carried_from_task_id"] == ids["HA-02"]
    assert carried["id"] != ids["HA-02"]
    kept = {k: v for k, v in SECOND.items() if k != "code"}
    assert {k: carried[k] for k in kept} == {**kept, "lead_unit": WARD}
    assert carried["task_group"] == source["task_groups"][0]["code"]

    # One plan continues a term; under a program, one plan per unit and program.
    r = await client.post(url, json=NEXT, headers=drafter)
    assert r.status_code == 409 and r.json()["existing_plan_id"] == new["id"], r.text
    r = await client.post(
        url, json={**NEXT, "parent_plan_id": source["parent_plan_id"]}, headers=drafter
    )
    assert r.status_code == 409 and r.json()["existing_plan_id"] == plan_id, r.text

    # A plan not in force has no next term yet.
    r = await client.post(f"/api/plans/{new['id']}/next-term", json=NEXT, headers=drafter)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "plan_id", r.text

    # The event says where the plan came from.
    auditor = await token(client, "auditor.hue")

    async def created() -> Any:
        r = await client.get(f"/api/audit/plans/{new['id']}/events", headers=auditor)
        assert r.status_code == 200, r.text
        return next((e for e in r.json() if e["event_type"] == "plan.created"), None)

    event = await eventually(created)
    assert event["payload"]["previous_plan_id"] == plan_id, event

    # The carried plan is checked by the same rules: its deadline, milestone and start,
    # in the term before, are outside the new term.
    r = await client.post(f"/api/plans/{new['id']}/check", headers=drafter)
    assert r.status_code == 200, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "tasks.HA-02.timeline", error
    assert "2032" in str(error), error
    r = await client.post(
        f"/api/plans/{new['id']}/submit", json={"acknowledge_warnings": True}, headers=drafter
    )
    assert r.status_code == 422, r.text
    refused = {e["field"] for e in r.json()["errors"]}
    assert any(f.startswith("tasks.HA-02.") for f in refused), refused
    # Fixed into the new term, it goes.
    in_term = {
        "start": "2032-01-01",
        "deadline": "2032-12-31",
        "milestones": [{"period": "2032-Q2", "description": "lắp 10 camera"}],
    }
    r = await client.patch(
        f"/api/plans/{new['id']}/tasks/{carried['id']}", json=in_term, headers=drafter
    )
    assert r.status_code == 200 and r.json()["carried_from_task_id"] == ids["HA-02"]
    r = await client.post(
        f"/api/plans/{new['id']}/submit", json={"acknowledge_warnings": True}, headers=drafter
    )
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/plans/{new['id']}/versions/1", headers=drafter)
    assert r.status_code == 200, r.text
    assert r.json()["content"]["tasks"][0]["carried_from_task_id"] == ids["HA-02"]


async def _next_city_program(client: httpx.AsyncClient) -> tuple[str, dict[str, Any], Any]:
    """Huế carries its program into the next term, moves the tasks' dates into it, and head and
    central approve it: the new program (in force) and the old one."""
    city = await token(client, "drafter.hue")
    old_id, _ = await hue_program(client, city)
    old = (await client.get(f"/api/plans/{old_id}", headers=city)).json()
    start, end = old["term_end"] + 1, old["term_end"] + 5
    r = await client.post(
        f"/api/plans/{old_id}/next-term",
        json={
            "title": f"Chương trình hành động nhiệm kỳ {start}-{end}",
            "term_start": start,
            "term_end": end,
        },
        headers=city,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    for task in new["tasks"]:
        r = await client.patch(
            f"/api/plans/{new['id']}/tasks/{task['id']}",
            json={
                "start": f"{start}-01-01",
                "deadline": f"{start}-12-31",
                "milestones": [{"period": f"{start}-Q2", "description": "nửa chặng đường"}],
            },
            headers=city,
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/plans/{new['id']}/submit", json={"acknowledge_warnings": True}, headers=city
    )
    assert r.status_code == 200, r.text
    for who in ("head.hue", "approver.vn"):
        headers = await token(client, who)
        r = await decide(client, headers, await queue_item(client, headers, new["id"]))
        assert r.status_code == 200, r.text

    async def in_force() -> Any:
        r = await client.get(f"/api/plans/{new['id']}", headers=city)
        return r.json() if r.json()["status"] == "approved" else None

    return new["id"], await eventually(in_force), old


async def test_the_next_term_follows_the_next_terms_program_by_code(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id, ids = await ward_plan_with_two_tasks(client)
    source = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    program_id, program, old_program = await _next_city_program(client)
    old_codes = {t["id"]: t["code"] for t in old_program["tasks"]}
    linked_code = old_codes[
        next(t["parent_task_id"] for t in source["tasks"] if t["code"] == "HA-01")
    ]

    r = await client.post(
        f"/api/plans/{plan_id}/next-term",
        json={
            "title": "Kế hoạch nhiệm kỳ sau của phường",
            "term_start": program["term_start"],
            "term_end": program["term_end"],
            "parent_plan_id": program_id,
        },
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["parent_plan_id"] == program_id and new["previous_plan_id"] == plan_id
    # Groups and the linked task follow the new program's of the same code; nothing finished
    # yet (results tracks nothing done), so both tasks come along.
    new_groups = {g["code"]: g["id"] for g in program["task_groups"]}
    assert {g["code"]: g["parent_task_group_id"] for g in new["task_groups"]} == {
        g["code"]: new_groups[g["code"]] for g in source["task_groups"]
    }
    tasks = {t["code"]: t for t in new["tasks"]}
    assert set(tasks) == {"HA-01", "HA-02"}
    new_program_task = next(t for t in program["tasks"] if t["code"] == linked_code)
    assert tasks["HA-01"]["parent_task_id"] == new_program_task["id"]
    assert tasks["HA-01"]["carried_from_task_id"] == ids["HA-01"]
    assert tasks["HA-02"]["parent_task_id"] is None
    # The new program covers its groups through the carried ones: only dates are at fault.
    r = await client.post(f"/api/plans/{new['id']}/check", headers=drafter)
    assert r.status_code == 200, r.text
    assert {e["field"] for e in r.json()["errors"]} == {
        "tasks.HA-01.timeline",
        "tasks.HA-02.timeline",
    }, r.json()["errors"]
    # The ward now has a plan under the new program: a second one is refused.
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Một kế hoạch khác", "parent_plan_id": program_id},
        headers=drafter,
    )
    assert r.status_code == 409 and r.json()["existing_plan_id"] == new["id"], r.text
