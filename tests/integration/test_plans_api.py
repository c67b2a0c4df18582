"""The plans service through its API (embedded mode): starting from the parent, the rules at
submission, return and resubmission as a new version with a diff, withdrawal, coverage,
import and export, the directory, and who may do what."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from tests.story import (
    FIX,
    create_draft,
    decide,
    eventually,
    fix,
    hue_program,
    queue_item,
    token,
)

WARD = "vn.hue.huong-an"


async def status_of(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> str:
    return (await client.get(f"/api/plans/{plan_id}", headers=who)).json()["status"]


async def test_start_from_parent_links_groups_and_placeholders_warn_of_copying(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    parent_id, groups = await hue_program(client, drafter)
    parent = (await client.get(f"/api/plans/{parent_id}", headers=drafter)).json()
    r = await client.post(
        "/api/plans/from-parent",
        headers=drafter,
        json={"parent_plan_id": parent_id, "title": "Kế hoạch phường"},
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    assert [g["code"] for g in plan["task_groups"]] == groups
    parent_group_ids = {g["id"] for g in parent["task_groups"]}
    assert all(g["parent_task_group_id"] in parent_group_ids for g in plan["task_groups"])
    assert len(plan["tasks"]) == len(parent["tasks"])
    parent_task_ids = {t["id"] for t in parent["tasks"]}
    assert all(t["parent_task_id"] in parent_task_ids for t in plan["tasks"])
    assert all(t["lead_unit"] == WARD for t in plan["tasks"])

    r = await client.post(f"/api/plans/{plan['id']}/check", headers=drafter)
    copies = [w for w in r.json()["warnings"] if w["code"] == "mechanical-copy"]
    assert len(copies) == len(parent["tasks"])  # word for word: every placeholder is a copy
    r = await client.post(f"/api/plans/{plan['id']}/submit", headers=drafter)
    assert r.status_code == 422
    assert {e["element"] for e in r.json()["errors"] if "element" in e} >= {"person", "product"}


async def test_warnings_must_be_acknowledged_before_submission(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    parent_id, _ = await hue_program(client, drafter)
    parent = (await client.get(f"/api/plans/{parent_id}", headers=drafter)).json()
    plan_id = await create_draft(client, drafter, "Kế hoạch có nhiệm vụ sao chép")
    await fix(client, drafter, plan_id)
    copied = parent["tasks"][0]
    # A task linked to a parent task, copying its job word for word, with no measurable product.
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        headers=drafter,
        json={
            **FIX,
            "code": "HA-02",
            "task_group": copied["task_group"],
            "job": copied["job"],
            "product_quantity": None,
            "product_unit": None,
            "product_description": "Báo cáo kết quả",
            "parent_task_id": copied["id"],
        },
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"].endswith("/warnings")
    assert [w["field"] for w in body["warnings"]] == ["tasks.HA-02.job"]
    r = await client.post(
        f"/api/plans/{plan_id}/submit", headers=drafter, json={"acknowledge_warnings": True}
    )
    assert r.status_code == 200, r.text


async def test_returned_plan_is_resubmitted_as_version_2_with_a_diff(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch bị trả lại")
    await fix(client, drafter, plan_id)
    assert (await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)).status_code == 200
    item = await queue_item(client, head, plan_id)
    r = await decide(client, head, item, "return")
    assert r.status_code == 422  # a return needs a comment
    r = await decide(client, head, item, "return", "Bổ sung tiến độ theo quý")
    assert r.status_code == 200, r.text

    async def returned() -> bool:
        return await status_of(client, drafter, plan_id) == "returned"

    await eventually(returned)
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task_id = plan["tasks"][0]["id"]
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{task_id}",
        headers=drafter,
        json={
            "deadline": "2026-12-31",
            "milestones": [
                {"period": "2026-Q2", "description": "6 điểm"},
                {"period": "2026-Q4", "description": "12 điểm"},
            ],
        },
    )
    assert r.status_code == 200
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        headers=drafter,
        json={
            **FIX,
            "code": "HA-02",
            "task_group": plan["tasks"][0]["task_group"],
            "job": "Lắp 20 camera giám sát đổ rác tại các tổ dân phố",
        },
    )
    assert r.status_code == 201
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = (await client.get(f"/api/plans/{plan_id}/versions", headers=drafter)).json()
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "returned"), (2, None)]
    assert versions[0]["content_hash"] != versions[1]["content_hash"]

    r = await client.get(
        f"/api/plans/{plan_id}/diff", params={"from_version": 1, "to_version": 2}, headers=drafter
    )
    d = r.json()
    assert [t["code"] for t in d["tasks"]["added"]] == ["HA-02"]
    [changed] = d["tasks"]["changed"]
    assert changed["key"] == "HA-01"
    assert changed["fields"]["deadline"] == {"from": "2026-09-30", "to": "2026-12-31"}
    assert "milestones" in changed["fields"]
    # The new version opens a new case, waiting on the ward head again.
    item = await queue_item(client, head, plan_id)
    assert item["plan_version"] == 2


async def test_withdraw_closes_the_case_and_the_plan_comes_back(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch rút lại")
    await fix(client, drafter, plan_id)
    await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    item = await queue_item(client, head, plan_id)
    r = await client.post(f"/api/plans/{plan_id}/withdraw", headers=drafter)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"

    async def case_closed() -> bool:
        r = await client.get(f"/api/approvals/cases/{item['case_id']}", headers=head)
        return r.json()["status"] == "withdrawn"

    await eventually(case_closed)
    r = await decide(client, head, item)
    assert r.status_code == 409
    assert (await client.post(f"/api/plans/{plan_id}/withdraw", headers=drafter)).status_code == 409
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200 and r.json()["version"] == 2


async def test_coverage_of_the_city_program_shows_every_ward(client: httpx.AsyncClient) -> None:
    drafter = await token(client, "drafter.huong-an")
    city = await token(client, "approver.hue")
    parent_id, groups = await hue_program(client, drafter)
    plan_id = await create_draft(client, drafter, "Kế hoạch phường Hương An")
    await fix(client, drafter, plan_id)
    await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    other = await token(client, "drafter.phu-xuan")
    await create_draft(client, other, "Kế hoạch phường Phú Xuân")

    r = await client.get(f"/api/plans/{parent_id}/coverage", headers=city)
    assert r.status_code == 200, r.text
    report = r.json()
    units = {u["unit"]: u for u in report["units"]}
    wards = {
        u["code"]
        for u in (
            await client.get("/api/directory/units", params={"under": "vn.hue"}, headers=city)
        ).json()
        if u["parent"] == "vn.hue"
    }
    assert set(units) == wards
    assert units[WARD]["status"] == "submitted"
    assert units[WARD]["covered_groups"] == groups[:1]
    assert set(units[WARD]["not_applicable_groups"]) == set(groups[1:])
    assert units["vn.hue.phu-xuan"]["status"] == "draft"
    assert all(
        u["status"] == "none" for c, u in units.items() if c not in (WARD, "vn.hue.phu-xuan")
    )
    # A ward sees the program but not the city's view over its siblings.
    assert (
        await client.get(f"/api/plans/{parent_id}/coverage", headers=drafter)
    ).status_code == 403


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADERS = [
    "Mã nhiệm vụ",
    "Nhóm nhiệm vụ",
    "Nội dung nhiệm vụ",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Người chịu trách nhiệm",
    "Ngày bắt đầu",
    "Thời hạn hoàn thành",
    "Mốc tiến độ",
    "Sản phẩm",
    "Số lượng",
    "Đơn vị tính",
    "Nhiệm vụ cấp trên",
]


async def test_xlsx_import_is_all_or_nothing_and_export_round_trips(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch nhập từ Excel")
    group = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()["task_groups"][0]
    good = [
        group["code"],
        "Trồng 500 cây xanh dọc tuyến đường Lý Nam Đế",
        WARD,
        "",
        "Trưởng phòng Kinh tế",
        "01/03/2026",
        "30/11/2026",
        "2026-Q3: 250 cây",
        "cây xanh được trồng",
        500,
        "cây",
        "",
    ]
    bad = [
        group["code"],
        "Sửa 3 nhà văn hóa",
        WARD,
        "",
        "Trưởng phòng Văn hóa",
        "không rõ",
        "2026-12-31",
        "2026-Q4: xong",
        "nhà văn hóa",
        3,
        "nhà",
        "",
    ]
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("nhiem-vu.xlsx", _xlsx([HEADERS, ["HA-10", *good], ["HA-11", *bad]]))},
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["row"] == 3 and e["column"] == "Ngày bắt đầu" for e in errors), errors
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert [t["code"] for t in plan["tasks"]] == ["HA-01"]  # nothing half-imported

    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("nhiem-vu.xlsx", _xlsx([HEADERS, ["HA-10", *good]]))},
    )
    assert r.status_code == 200, r.text
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    imported = next(t for t in plan["tasks"] if t["code"] == "HA-10")
    assert imported["start"] == "2026-03-01" and imported["product_quantity"] == 500

    r = await client.get(f"/api/plans/{plan_id}/export", params={"format": "xlsx"}, headers=drafter)
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content))["Nhiệm vụ"]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["HA-01", "HA-10"]
    r = await client.get(f"/api/plans/{plan_id}/export", params={"format": "docx"}, headers=drafter)
    assert r.status_code == 409  # only an approved plan is printed


async def test_directory_search_ignores_diacritics_and_admins_change_it(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    r = await client.get("/api/directory/units", params={"q": "phuong huong an"}, headers=drafter)
    assert [u["name"] for u in r.json()] == ["Phường Hương An"]
    admin = await token(client, "admin")
    r = await client.put(
        "/api/directory/users/drafter2.huong-an",
        headers=admin,
        json={
            "username": "drafter2.huong-an",
            "name": "Lê Thị Hoa",
            "unit": WARD,
            "roles": ["drafter"],
            "email": "hoa@example.gov.vn",
            "language": "vi",
        },
    )
    assert r.status_code == 200, r.text
    assert (
        await client.post("/api/auth/dev-token", json={"username": "drafter2.huong-an"})
    ).status_code == 200
    r = await client.put(
        "/api/directory/users/x",
        headers=drafter,
        json={"username": "x", "name": "X", "unit": WARD, "roles": ["admin"]},
    )
    assert r.status_code == 403
    r = await client.put(
        "/api/directory/units/vn.hue.moi",
        headers=admin,
        json={"code": "vn.hue.moi", "name": "Phường Mới", "level": "ward"},
    )
    assert r.status_code == 200
    r = await client.put(
        "/api/directory/units/vn.nowhere.x",
        headers=admin,
        json={"code": "vn.nowhere.x", "name": "X", "level": "ward"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"


ROLE_CASES = [
    # (user, what, expected status) against a draft of Hương An
    ("drafter.huong-an", "read", 200),
    ("drafter.huong-an", "edit", 201),
    ("head.huong-an", "read", 200),
    ("head.huong-an", "edit", 403),
    ("drafter.phu-xuan", "read", 403),  # sibling ward
    ("drafter.phu-xuan", "edit", 403),
    ("approver.hue", "read", 200),  # parent unit
    ("approver.hue", "edit", 403),
    ("drafter.hue", "edit", 403),  # a drafter of the parent unit edits only the city's plans
    ("approver.vn", "read", 200),  # central sees the whole country
    ("auditor.hue", "read", 200),
]


@pytest.mark.parametrize(("username", "action", "expected"), ROLE_CASES)
async def test_who_may_read_and_edit_a_ward_draft(
    client: httpx.AsyncClient, username: str, action: str, expected: int
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch thử quyền")
    who = await token(client, username)
    if action == "read":
        r = await client.get(f"/api/plans/{plan_id}", headers=who)
    else:
        r = await client.post(
            f"/api/plans/{plan_id}/tasks",
            headers=who,
            json={"code": f"X-{username}", "job": "Một việc cụ thể"},
        )
    assert r.status_code == expected, r.text


async def test_the_plan_says_what_the_caller_may_do_with_it_now(client: httpx.AsyncClient) -> None:
    """The portal asks the plan what may be done with it instead of knowing the rules."""
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch (việc được phép)")

    async def allowed(who: dict[str, str]) -> dict[str, bool]:
        r = await client.get(f"/api/plans/{plan_id}", headers=who)
        assert r.status_code == 200, r.text
        return dict(r.json()["allowed"])

    draft = await allowed(drafter)
    assert draft["edit"] and draft["submit"] and not draft["withdraw"] and not draft["revise"]
    head = await token(client, "head.huong-an")  # reads the plan, drafts nothing
    assert not any((await allowed(head)).values())
    await fix(client, drafter, plan_id)
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    submitted = await allowed(drafter)
    assert submitted["withdraw"] and not submitted["edit"] and not submitted["submit"]
