"""A plan exported as XLSX and imported into a fresh plan under the same program is the same
plan: its task groups (titles, links, not-applicable reasons), tasks (kinds, budgets, units,
milestones, parent tasks) and indicators, in order; a file with a required cell left empty
imports nothing."""

from __future__ import annotations

import io
from typing import Any

import httpx
import openpyxl
from cascade_plans.io.tables import GROUPS_SHEET, INDICATORS_SHEET, TASK_HEADERS, TASKS_SHEET

from tests.story import hue_program, token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def province_drafter(client: httpx.AsyncClient, short: str) -> dict[str, str]:
    """A new unit ``vn.<short>`` under the centre, beside Huế, with its drafter: it has no
    plan under the central program yet (a unit has one plan per program)."""
    admin = await token(client, "admin")
    code = f"vn.{short}"
    r = await client.put(
        f"/api/directory/units/{code}",
        json={"code": code, "name": f"Tỉnh thử {short}", "level": "city"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = await client.put(
        f"/api/directory/users/drafter.{short}",
        json={
            "username": f"drafter.{short}",
            "name": f"Cán bộ {short}",
            "unit": code,
            "roles": ["drafter"],
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    return await token(client, f"drafter.{short}")


def content(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What must be equal: every item of the plan, in order, without its id."""
    return {
        key: [{k: v for k, v in item.items() if k != "id"} for item in plan[key]]
        for key in ("task_groups", "tasks", "indicators")
    }


async def test_an_exported_plan_imports_into_a_fresh_plan_as_the_same_plan(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    hue_id, _ = await hue_program(client, city)
    hue = (await client.get(f"/api/plans/{hue_id}", headers=city)).json()
    # What the export carries beyond the seeded program: every kind, budgets, a reason.
    assert hue["parent_plan_id"] and hue["tasks"] and hue["indicators"]

    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "xlsx"}, headers=city)
    assert r.status_code == 200, r.text
    workbook = openpyxl.load_workbook(io.BytesIO(r.content))
    # Make the copy richer than the seed: kinds, budgets and a group not applicable.
    tasks = workbook[TASKS_SHEET]
    column = {h: n for n, h in enumerate(TASK_HEADERS.values(), start=1)}
    kinds = ["Nhiệm vụ", "Đề án", "Dự án", "Dự án, công trình trọng điểm"]
    for row in range(2, tasks.max_row + 1):
        tasks.cell(row=row, column=column[TASK_HEADERS["kind"]], value=kinds[row % 4])
        tasks.cell(row=row, column=column[TASK_HEADERS["budget"]], value=row * 12.5)
    tasks.cell(row=2, column=column[TASK_HEADERS["job"]], value="Thu gom; phân loại rác: 100%")
    workbook[GROUPS_SHEET].cell(row=3, column=4, value="Do cấp trung ương thực hiện")
    out = io.BytesIO()
    workbook.save(out)

    drafter = await province_drafter(client, "thu-nhap-lai")
    r = await client.post(
        "/api/plans",
        json={"title": "Kế hoạch nhập lại từ tệp xuất", "parent_plan_id": hue["parent_plan_id"]},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", out.getvalue(), XLSX)},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "tasks": len(hue["tasks"]),
        "indicators": len(hue["indicators"]),
        "task_groups": len(hue["task_groups"]),
    }
    copy = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert [t["kind"] for t in copy["tasks"]][:4] == [
        "project",
        "key_project",
        "task",
        "scheme",
    ]
    assert copy["tasks"][0]["job"] == "Thu gom; phân loại rác: 100%"
    assert copy["task_groups"][1]["not_applicable_reason"] == "Do cấp trung ương thực hiện"

    # Export the copy, import it into a second fresh plan: the two are the same plan.
    r = await client.get(f"/api/plans/{plan_id}/export", params={"format": "xlsx"}, headers=drafter)
    assert r.status_code == 200, r.text
    exported = r.content
    r = await client.post(
        "/api/plans",
        json={"title": "Kế hoạch nhập lần hai", "term_start": 2026, "term_end": 2031},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    root_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{root_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", exported, XLSX)},
    )
    # A root plan has no parent: the links to the program's groups and tasks are row errors.
    assert r.status_code == 422, r.text
    columns = {e["column"] for e in r.json()["errors"]}
    assert columns == {"Nhóm cấp trên", "Nhiệm vụ cấp trên"}
    root = (await client.get(f"/api/plans/{root_id}", headers=drafter)).json()
    assert root["task_groups"] == root["tasks"] == root["indicators"] == []  # nothing imported

    # Importing a plan's own export into it again changes nothing.
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", exported, XLSX)},
    )
    assert r.status_code == 200, r.text
    again = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert content(again) == content(copy)

    # And the copy is Huế's program, but for what the workbook changed.
    expected = content(hue)
    for n, task in enumerate(expected["tasks"]):
        task["kind"] = ["project", "key_project", "task", "scheme"][n % 4]
        task["budget"] = (n + 2) * 12.5
    expected["tasks"][0]["job"] = "Thu gom; phân loại rác: 100%"
    expected["task_groups"][1]["not_applicable_reason"] = "Do cấp trung ương thực hiện"
    assert content(copy) == expected


async def test_required_cells_left_empty_are_row_errors_and_nothing_is_imported(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    hue_id, _ = await hue_program(client, city)
    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "xlsx"}, headers=city)
    workbook = openpyxl.load_workbook(io.BytesIO(r.content))
    workbook[TASKS_SHEET].cell(row=3, column=3).value = None  # Nội dung nhiệm vụ
    workbook[INDICATORS_SHEET].cell(row=2, column=5).value = None  # Mục tiêu
    workbook[GROUPS_SHEET].cell(row=2, column=2).value = " "  # Tên nhóm
    workbook[TASKS_SHEET].cell(row=4, column=column_of("kind"), value="Chương trình")
    out = io.BytesIO()
    workbook.save(out)
    drafter = await province_drafter(client, "thu-nhap-loi")
    hue = (await client.get(f"/api/plans/{hue_id}", headers=city)).json()
    r = await client.post(
        "/api/plans",
        json={"title": "Kế hoạch nhập có lỗi", "parent_plan_id": hue["parent_plan_id"]},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach.xlsx", out.getvalue(), XLSX)},
    )
    assert r.status_code == 422, r.text
    found = {(e["sheet"], e["row"], e["column"]) for e in r.json()["errors"]}
    assert found == {
        (TASKS_SHEET, 3, "Nội dung nhiệm vụ"),
        (TASKS_SHEET, 4, "Loại nhiệm vụ"),
        (INDICATORS_SHEET, 2, "Mục tiêu"),
        (GROUPS_SHEET, 2, "Tên nhóm"),
    }
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert plan["task_groups"] == plan["tasks"] == plan["indicators"] == []


def column_of(key: str) -> int:
    return list(TASK_HEADERS).index(key) + 1


async def test_a_file_without_the_kind_column_keeps_the_kind_of_a_task_it_updates(
    client: httpx.AsyncClient,
) -> None:
    drafter = await province_drafter(client, "thu-nhap-cu")
    r = await client.post(
        "/api/plans",
        json={"title": "Kế hoạch cập nhật bằng tệp cũ", "term_start": 2026, "term_end": 2031},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        json={"code": "T1", "job": "Đề án chuyển đổi số", "kind": "scheme", "budget": 3.5},
        headers=drafter,
    )
    assert r.status_code == 201, r.text
    old_layout = "Mã nhiệm vụ,Nội dung nhiệm vụ\r\nT1,Đề án chuyển đổi số giai đoạn 2026-2030\r\n"
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("cu.csv", old_layout.encode("utf-8-sig"), "text/csv")},
    )
    assert r.status_code == 200, r.text
    [task] = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()["tasks"]
    assert task["job"] == "Đề án chuyển đổi số giai đoạn 2026-2030"
    assert (task["kind"], task["budget"]) == ("scheme", 3.5)
