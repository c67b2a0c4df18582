"""Partial decisions (embedded mode): the city approves one task group of a ward's plan and
returns another; the approved group freezes for the drafter (API and import), the resubmission
is decided on what was returned, and the plan is in force once everything is approved. Wrong
steps, wrong groups and wrong users are refused."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.story import (
    FIX,
    create_draft,
    decide,
    eventually,
    fixed_and_submitted,
    queue_item,
    token,
    trees_task,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _plan(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> Any:
    r = await client.get(f"/api/plans/{plan_id}", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def _two_group_plan(client: httpx.AsyncClient) -> tuple[str, dict[str, str], list[Any]]:
    """A Hương An plan with a task in each of the program's first two groups (the rest not
    applicable), submitted and signed off by the ward head: it waits on Huế's decision."""
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch phường Hương An (từng phần)")
    groups = (await _plan(client, drafter, plan_id))["task_groups"]
    second = trees_task(groups[1]["code"])
    r = await client.post(f"/api/plans/{plan_id}/tasks", json=second, headers=drafter)
    assert r.status_code == 201, r.text
    await fixed_and_submitted(client, drafter, plan_id)
    head = await token(client, "head.huong-an")
    item = await queue_item(client, head, plan_id)
    assert item["partial"] is False
    ids = [g["id"] for g in groups]
    # The ward head's sign-off decides the plan as a whole under the policy.
    r = await client.post(
        f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision",
        json={"decision": "return", "comment": "x", "approved_groups": ids[:1]},
        headers=head,
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "approved_groups"
    assert "as a whole" in r.json()["errors"][0]["reason"]
    r = await decide(client, head, item)
    assert r.status_code == 200, r.text
    return plan_id, drafter, groups


def _decision(item: dict[str, Any]) -> str:
    return f"/api/approvals/cases/{item['case_id']}/steps/{item['step_no']}/decision"


def _with_job(xlsx: bytes, code: str, job: str) -> bytes:
    """The export with one task's job rewritten."""
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book["Nhiệm vụ"]
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if any(c.value == "Mã nhiệm vụ" for c in row))
    columns = {c.value: c.column - 1 for c in rows[header]}
    for row in rows[header + 1 :]:
        if row[columns["Mã nhiệm vụ"]].value == code:
            row[columns["Nội dung nhiệm vụ"]].value = job
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_city_approves_one_group_and_returns_another(
    client: httpx.AsyncClient,
) -> None:
    plan_id, drafter, groups = await _two_group_plan(client)
    city = await token(client, "approver.hue")
    item = await queue_item(client, city, plan_id)
    assert item["step_no"] == 2 and item["partial"] is True
    ids = [g["id"] for g in groups]
    kept, sent_back = ids[0], ids[1]
    approved = [i for i in ids if i != sent_back]
    comment = {"task_code": "HA-02", "text": "Nêu rõ các tuyến kiệt, hẻm được trồng cây"}

    # Refused, naming approved_groups: with an approval, every group, an unknown group.
    for body, reason in (
        ({"decision": "approve", "approved_groups": approved}, "only a return"),
        ({"decision": "return", "approved_groups": ids}, "approve the plan instead"),
        ({"decision": "return", "approved_groups": ["no-such-group"]}, "no task group"),
    ):
        r = await client.post(_decision(item), json={"comments": [comment], **body}, headers=city)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "approved_groups"
        assert reason in r.json()["errors"][0]["reason"]
    # Only Huế's approvers decide it: a drafter, another city's approver.
    for who in ("drafter.hue", "approver.da-nang"):
        r = await client.post(
            _decision(item),
            json={"decision": "return", "comments": [comment], "approved_groups": approved},
            headers=await token(client, who),
        )
        assert r.status_code == 403, (who, r.text)

    r = await client.post(
        _decision(item),
        json={"decision": "return", "comments": [comment], "approved_groups": approved},
        headers=city,
    )
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "returned" and case["returned_at_step"] == 2

    async def returned() -> Any:
        plan = await _plan(client, drafter, plan_id)
        return plan if plan["status"] == "returned" else None

    plan = await eventually(returned)
    by_id = {g["id"]: g for g in plan["task_groups"]}
    assert by_id[kept]["approved_in_version"] == 1
    assert by_id[kept]["approved_by"] == "approver.hue"
    assert by_id[sent_back]["approved_in_version"] is None
    tasks = {t["code"]: t for t in plan["tasks"]}
    frozen_task, open_task = tasks["HA-01"], tasks["HA-02"]
    g0, g1 = groups[0]["code"], groups[1]["code"]

    # The approved group and its tasks stay as approved.
    refused = [
        await client.patch(
            f"/api/plans/{plan_id}/tasks/{frozen_task['id']}",
            json={"job": "Một nội dung khác hẳn cho nhiệm vụ đã duyệt"},
            headers=drafter,
        ),
        await client.delete(f"/api/plans/{plan_id}/tasks/{frozen_task['id']}", headers=drafter),
        await client.patch(
            f"/api/plans/{plan_id}/tasks/{open_task['id']}",
            json={"task_group": g0},
            headers=drafter,
        ),
        await client.post(
            f"/api/plans/{plan_id}/tasks",
            json={**FIX, "code": "HA-03", "task_group": g0, "lead_unit": "vn.hue.huong-an"},
            headers=drafter,
        ),
        await client.patch(
            f"/api/plans/{plan_id}/task-groups/{g0}", json={"title": "Đổi tên"}, headers=drafter
        ),
    ]
    for r in refused:
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["task_group"] == g0 and r.json()["errors"][0]["field"]
    # An export imported as it is changes nothing; one that rewrites the approved task is
    # refused whole.
    export = await client.get(
        f"/api/plans/{plan_id}/export", params={"format": "xlsx"}, headers=drafter
    )
    assert export.status_code == 200
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", export.content, XLSX)},
    )
    assert r.status_code == 200, r.text
    changed = _with_job(export.content, "HA-01", "Nội dung đã bị sửa trong tệp Excel")
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", changed, XLSX)},
    )
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["field"].endswith(g0)
    after = await _plan(client, drafter, plan_id)
    assert {t["code"]: t["job"] for t in after["tasks"]}["HA-01"] == frozen_task["job"]

    # The returned group is revised and the plan resubmitted.
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{open_task['id']}",
        json={"job": "Trồng mới 300 cây xanh trên 12 tuyến kiệt, hẻm của phường Hương An"},
        headers=drafter,
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text

    # The city decides version 2 on what it returned: the case knows the frozen groups.
    item = await queue_item(client, city, plan_id)
    assert item["plan_version"] == 2 and item["step_no"] == 2
    case = (await client.get(f"/api/approvals/cases/{item['case_id']}", headers=city)).json()
    frozen = {g["code"]: g["approved_in_version"] for g in case["task_groups"]}
    assert frozen[g0] == 1 and frozen[g1] is None
    r = await decide(client, city, item)
    assert r.status_code == 200, r.text

    async def in_force() -> Any:
        plan = await _plan(client, drafter, plan_id)
        return plan if plan["status"] == "approved" else None

    plan = await eventually(in_force)
    assert plan["in_force_version"] == 2
    assert all(g["approved_in_version"] is None for g in plan["task_groups"])

    # The drafter was told which groups stand and which came back.
    async def told() -> Any:
        r = await client.get("/api/notifications/inbox", headers=drafter)
        return next(
            (
                n
                for n in r.json()["items"]
                if n["plan_id"] == plan_id and n["event_type"] == "plan.returned"
            ),
            None,
        )

    notice = await eventually(told)
    assert "một phần" in notice["title"]
    assert groups[0]["title"] in notice["body"] and groups[1]["title"] in notice["body"]


async def test_a_plain_return_keeps_the_groups_approved_before(
    client: httpx.AsyncClient,
) -> None:
    plan_id, drafter, groups = await _two_group_plan(client)
    city = await token(client, "approver.hue")
    item = await queue_item(client, city, plan_id)
    ids = [g["id"] for g in groups]
    r = await client.post(
        _decision(item),
        json={"decision": "return", "comment": "Làm rõ nhóm 2", "approved_groups": ids[:1]},
        headers=city,
    )
    assert r.status_code == 200, r.text

    async def returned() -> Any:
        plan = await _plan(client, drafter, plan_id)
        return plan if plan["status"] == "returned" else None

    await eventually(returned)
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    item = await queue_item(client, city, plan_id)
    r = await decide(client, city, item, "return", "Vẫn chưa rõ")
    assert r.status_code == 200, r.text
    audit = await token(client, "auditor.vn")

    async def recorded() -> Any:
        r = await client.get(
            "/api/audit/records",
            params={"plan_id": plan_id, "event_type": "approval.step_decided"},
            headers=audit,
        )
        items = [i for i in r.json()["items"] if i["payload"]["step_no"] == 2]
        return items if len(items) == 2 else None

    decided = sorted(await eventually(recorded), key=lambda i: i["payload"]["plan_version"])
    # Version 1: the first group approved, the rest returned; version 2, returned as a whole:
    # the first group stays approved, only the groups under review go back.
    first, second = (d["payload"] for d in decided)
    assert [g["id"] for g in first["approved_groups"]] == ids[:1]
    assert [g["id"] for g in first["returned_groups"]] == ids[1:]
    assert [g["id"] for g in second["approved_groups"]] == ids[:1]
    assert [g["id"] for g in second["returned_groups"]] == ids[1:]
    plan = await eventually(returned)
    assert {g["id"]: g["approved_in_version"] for g in plan["task_groups"]}[ids[0]] == 1
