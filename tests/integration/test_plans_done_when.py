"""The plans issue's "done when", walked through the embedded API with the seeded demo programs:
a drafter of Hương An starts a plan from Huế's program, is refused with one error per task and
missing element, fixes the tasks, imports more from an XLSX file, submits version 1; the ward head
signs off, the city approver returns it with a comment; the drafter changes a task and resubmits
version 2; the diff names the change field by field; the coverage of Huế's program shows every
ward's state. And a sibling ward and the city approver cannot touch the ward's plan."""

from __future__ import annotations

import io
from typing import Any

import httpx
from cascade_plans.io.tables import INDICATOR_HEADERS, INDICATORS_SHEET, TASK_HEADERS, TASKS_SHEET
from openpyxl import Workbook, load_workbook

from tests.story import decide, eventually, hue_program, queue_item, token

WARD = "vn.hue.huong-an"
HUE_WARDS = {
    "vn.hue.huong-an",
    "vn.hue.phu-xuan",
    "vn.hue.phong-phu",
    "vn.hue.phong-quang",
    "vn.hue.vinh-loc",
}
PROBLEM = "application/problem+json"
ELEMENTS_A_PLACEHOLDER_LACKS = ("person", "timeline", "product")

# The ward makes four of the program's tasks its own, local and measurable (by parent task code).
LOCAL: dict[str, dict[str, Any]] = {
    "H-1.1": {
        "job": "Ra quân xử lý dứt điểm 12 điểm tập kết rác thải gây ô nhiễm ven sông Hương và "
        "các tổ dân phố của phường Hương An",
        "responsible_person": "Ông Nguyễn Đình Tuấn, Chủ tịch UBND phường",
        "cooperating_units": ["vn.hue.huong-an.cong-an", "vn.hue.huong-an.to-dan-pho"],
        "start": "2026-03-01",
        "deadline": "2026-09-30",
        "milestones": [{"period": "2026-Q2", "description": "xử lý 6 điểm"}],
        "product_description": "Điểm tập kết rác thải gây ô nhiễm được xóa bỏ",
        "product_quantity": 12,
        "product_unit": "điểm",
    },
    "H-2.1": {
        "job": "Vận động xây mới 5 căn nhà Đại đoàn kết cho hộ nghèo của phường Hương An",
        "responsible_person": "Chủ tịch Ủy ban MTTQ Việt Nam phường Hương An",
        "start": "2026-04-01",
        "deadline": "2026-12-31",
        "milestones": [
            {"period": "2026-Q3", "description": "khởi công 5 căn"},
            {"period": "2026-Q4", "description": "bàn giao 5 căn"},
        ],
        "product_description": "Nhà Đại đoàn kết bàn giao cho hộ nghèo",
        "product_quantity": 5,
        "product_unit": "căn nhà",
    },
    "H-4.1": {
        "job": "100% đảng viên của Đảng bộ phường Hương An đăng ký cam kết nêu gương, tự soi, "
        "tự sửa; chi bộ kiểm điểm cuối năm",
        "responsible_person": "Bí thư Đảng ủy phường Hương An",
        "start": "2026-03-01",
        "deadline": "2026-12-31",
        "milestones": [{"period": "2026-04", "description": "hoàn thành đăng ký cam kết"}],
        "product_description": "Bản cam kết nêu gương của đảng viên",
        "product_quantity": 100,
        "product_unit": "% đảng viên",
    },
    "H-5.1": {
        "job": "Trung tâm Phục vụ hành chính công phường Hương An giải quyết đúng hạn 99% hồ sơ, "
        "niêm yết công khai hồ sơ trễ hẹn và lý do",
        "responsible_person": "Phó Chủ tịch UBND phường phụ trách cải cách hành chính",
        "start": "2026-03-01",
        "deadline": "2026-12-31",
        "milestones": [{"period": "2026-Q2", "description": "đạt 97%"}],
        "product_description": "Hồ sơ thủ tục hành chính giải quyết đúng hạn",
        "product_quantity": 99,
        "product_unit": "%",
    },
}
# Groups of the program the ward leaves to the city, with the reason.
NOT_APPLICABLE = {
    "TG06": "Việc hướng dẫn, thẩm định kế hoạch của phường, xã do Văn phòng Thành ủy thực hiện",
    "TG07": "Giao ban, đánh giá hằng quý do Thường trực Thành ủy chủ trì",
}


def task_row(**cells: Any) -> list[Any]:
    return [cells.get(key, "") for key in TASK_HEADERS]


def workbook() -> bytes:
    """More tasks and a local indicator, in the layout officials keep (Vietnamese headers)."""
    wb = Workbook()
    tasks = wb.active
    tasks.title = TASKS_SHEET
    tasks.append(list(TASK_HEADERS.values()))
    tasks.append(
        task_row(
            code="HA-10",
            task_group="TG01",
            job="Chỉnh trang vỉa hè, trồng 200 cây xanh trên tuyến đường Lý Nam Đế đoạn qua phường",
            lead_unit=WARD,
            cooperating_units="vn.hue.huong-an.to-dan-pho; vn.hue.huong-an.mttq",
            responsible_person="Phó Chủ tịch UBND phường phụ trách đô thị",
            start="01/04/2026",
            deadline="30/11/2026",
            milestones="2026-Q3: 100 cây; 2026-11: 200 cây",
            product_description="Cây xanh được trồng",
            product_quantity=200,
            product_unit="cây",
            parent_task_code="H-1.2",
        )
    )
    tasks.append(
        task_row(
            code="HA-11",
            task_group="TG03",
            job="Xây dựng 8 tổ dân phố của phường đạt chuẩn nếp sống văn minh đô thị Huế",
            lead_unit=WARD,
            responsible_person="Công chức Văn hóa - Xã hội phường",
            start="2026-05-01",
            deadline="2027-06-30",
            milestones="quý IV/2026: 4 tổ dân phố; 06/2027: 8 tổ dân phố",
            product_description="Tổ dân phố đạt chuẩn văn minh đô thị",
            product_quantity=8,
            product_unit="tổ dân phố",
            parent_task_code="H-3.2",
        )
    )
    indicators = wb.create_sheet(INDICATORS_SHEET)
    indicators.append(list(INDICATOR_HEADERS.values()))
    name = "Số điểm tập kết rác gây ô nhiễm còn tồn tại trên địa bàn phường"
    indicators.append(["HA-CT01", name, "điểm", 12, 0, 2026, "≤"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def plan_of(client: httpx.AsyncClient, who: dict[str, str], plan_id: str) -> Any:
    r = await client.get(f"/api/plans/{plan_id}", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def coverage_by_unit(
    client: httpx.AsyncClient, who: dict[str, str], program_id: str
) -> dict[str, Any]:
    r = await client.get(f"/api/plans/{program_id}/coverage", headers=who)
    assert r.status_code == 200, r.text
    return {u["unit"]: u for u in r.json()["units"]}


async def test_ward_plan_from_the_city_program_to_a_returned_and_resubmitted_version(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    city = await token(client, "approver.hue")
    program_id, groups = await hue_program(client, drafter)
    program = await plan_of(client, drafter, program_id)
    assert groups == [f"TG0{n}" for n in range(1, 8)]

    # 1. Start from Huế's program: its groups, linked, and one placeholder per program task.
    r = await client.post(
        "/api/plans/from-parent",
        headers=drafter,
        json={
            "parent_plan_id": program_id,
            "title": "Kế hoạch của Đảng ủy phường Hương An thực hiện Nghị quyết Đại hội XIV",
        },
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    plan_id = plan["id"]
    assert (plan["status"], plan["term_start"], plan["term_end"]) == ("draft", 2026, 2031)
    placeholders = {t["code"]: t for t in plan["tasks"]}
    parent_task = {t["code"]: t["id"] for t in program["tasks"]}
    assert {c: t["parent_task_id"] for c, t in placeholders.items()} == parent_task

    # 2. Refused: one error per task and missing element, naming both; copies are flagged.
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    named = {(e["task"], e["element"]) for e in problem["errors"] if "element" in e}
    assert named == {(c, el) for c in placeholders for el in ELEMENTS_A_PLACEHOLDER_LACKS}
    for e in problem["errors"]:
        assert e["field"] == f"tasks.{e['task']}.{e['element']}" and e["element_vi"], e
    assert [e for e in problem["errors"] if "element" not in e] == []  # every group has a task
    assert {w["subject"] for w in problem["warnings"]} == set(placeholders)

    # 3. Fix: four tasks made local and measurable, the others dropped, two groups not applicable.
    for code, task in placeholders.items():
        if code in LOCAL:
            r = await client.patch(
                f"/api/plans/{plan_id}/tasks/{task['id']}", headers=drafter, json=LOCAL[code]
            )
            assert r.status_code == 200, r.text
        else:
            r = await client.delete(f"/api/plans/{plan_id}/tasks/{task['id']}", headers=drafter)
            assert r.status_code == 204, r.text
    for code, reason in NOT_APPLICABLE.items():
        r = await client.patch(
            f"/api/plans/{plan_id}/task-groups/{code}",
            headers=drafter,
            json={"not_applicable_reason": reason},
        )
        assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/check", headers=drafter)
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == []
    # Culture (TG03) is left: its tasks come from the ward's spreadsheet.
    assert [(e["code"], e["subject"]) for e in r.json()["errors"]] == [("coverage", "TG03")]

    # 4. Import more tasks and an indicator from the ward's XLSX.
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("ke-hoach-huong-an.xlsx", workbook())},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"tasks": 2, "indicators": 1}
    plan = await plan_of(client, drafter, plan_id)
    tasks = {t["code"]: t for t in plan["tasks"]}
    assert list(tasks) == [*LOCAL, "HA-10", "HA-11"]
    assert tasks["HA-10"]["parent_task_id"] == parent_task["H-1.2"]
    assert tasks["HA-11"]["milestones"] == [
        {"period": "2026-Q4", "description": "4 tổ dân phố"},
        {"period": "2027-06", "description": "8 tổ dân phố"},
    ]
    assert tasks["HA-10"]["cooperating_units"] == [
        "vn.hue.huong-an.to-dan-pho",
        "vn.hue.huong-an.mttq",
    ]
    [indicator] = plan["indicators"]
    assert (indicator["code"], indicator["comparator"], indicator["target"]) == ("HA-CT01", "<=", 0)

    # 5. Submit: version 1.
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    v1 = r.json()
    assert v1["version"] == 1 and len(v1["content_hash"]) == 64

    # The city sees every ward of Huế: Hương An submitted, the others with no plan yet.
    units = await coverage_by_unit(client, city, program_id)
    assert set(units) == HUE_WARDS
    assert (units[WARD]["status"], units[WARD]["version"]) == ("submitted", 1)
    assert units[WARD]["covered_groups"] == ["TG01", "TG02", "TG03", "TG04", "TG05"]
    assert units[WARD]["not_applicable_groups"] == ["TG06", "TG07"]
    for ward in HUE_WARDS - {WARD}:
        assert (units[ward]["status"], units[ward]["plan_id"]) == ("none", None), ward
        assert units[ward]["covered_groups"] == [] and units[ward]["name"]

    # 6. The ward head signs off (step 1); the city approver returns it with a comment (step 2).
    item = await queue_item(client, head, plan_id)
    assert (item["step_no"], item["plan_version"]) == (1, 1)
    r = await decide(client, head, item)
    assert r.status_code == 200, r.text
    item = await queue_item(client, city, plan_id)
    assert (item["step_no"], item["unit"]) == (2, "vn.hue")
    comment = "Đề nghị bổ sung mốc quý III và nâng số điểm rác xử lý lên 15 điểm"
    r = await decide(client, city, item, "return", comment)
    assert r.status_code == 200, r.text

    async def returned() -> bool:
        return (await plan_of(client, drafter, plan_id))["status"] == "returned"

    await eventually(returned)

    # 7. The drafter changes one task as asked and resubmits: version 2.
    changed = {
        "deadline": "2026-12-31",
        "milestones": [
            {"period": "2026-Q2", "description": "xử lý 6 điểm"},
            {"period": "2026-Q3", "description": "xử lý 12 điểm"},
        ],
        "product_quantity": 15,
    }
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{tasks['H-1.1']['id']}", headers=drafter, json=changed
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 200, r.text
    v2 = r.json()
    assert v2["version"] == 2 and v2["content_hash"] != v1["content_hash"]

    # 8. The diff between versions 1 and 2 names the change, field by field.
    r = await client.get(
        f"/api/plans/{plan_id}/diff", params={"from_version": 1, "to_version": 2}, headers=drafter
    )
    assert r.status_code == 200, r.text
    diff = r.json()
    assert diff["tasks"]["added"] == [] and diff["tasks"]["removed"] == []
    [task_change] = diff["tasks"]["changed"]
    assert task_change["key"] == "H-1.1"
    assert task_change["fields"] == {
        "deadline": {"from": "2026-09-30", "to": "2026-12-31"},
        "milestones": {"from": LOCAL["H-1.1"]["milestones"], "to": changed["milestones"]},
        "product_quantity": {"from": 12, "to": 15},
    }
    for section in ("task_groups", "indicators"):
        assert diff[section] == {"added": [], "removed": [], "changed": []}
    assert diff["plan"] == {}

    # Both versions stay readable, the first with its outcome.
    r = await client.get(f"/api/plans/{plan_id}/versions", headers=city)
    assert [(v["version"], v["outcome"]) for v in r.json()] == [(1, "returned"), (2, None)]
    first = {t["code"]: t for t in r.json()[0]["content"]["tasks"]}
    assert first["H-1.1"]["product_quantity"] == 12
    units = await coverage_by_unit(client, city, program_id)
    assert (units[WARD]["status"], units[WARD]["version"]) == ("submitted", 2)
    assert {units[w]["status"] for w in HUE_WARDS - {WARD}} == {"none"}

    # Version 2 is up for decision again (at whichever step the routing policy resumes it).
    async def waiting_on_v2() -> Any:
        for who in (head, city):
            r = await client.get("/api/approvals/queue", headers=who)
            assert r.status_code == 200, r.text
            for i in r.json()["items"]:
                if i["plan_id"] == plan_id and i["plan_version"] == 2:
                    return i
        return None

    assert (await eventually(waiting_on_v2))["content_hash"] == v2["content_hash"]


async def test_a_sibling_ward_and_the_city_approver_cannot_touch_the_ward_plan(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    sibling = await token(client, "drafter.phu-xuan")
    city = await token(client, "approver.hue")
    program_id, _ = await hue_program(client, drafter)
    r = await client.post(
        "/api/plans/from-parent",
        headers=drafter,
        json={"parent_plan_id": program_id, "title": "Kế hoạch của phường Hương An"},
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    task = r.json()["tasks"][0]
    before = await plan_of(client, drafter, plan_id)
    new_task = {"code": "X-1", "job": "Một việc cụ thể của phường khác"}
    attempts = [
        ("GET", f"/api/plans/{plan_id}", None),
        ("GET", f"/api/plans/{plan_id}/versions", None),
        ("PATCH", f"/api/plans/{plan_id}/tasks/{task['id']}", {"job": "Sửa trái phép nhiệm vụ"}),
        ("DELETE", f"/api/plans/{plan_id}/tasks/{task['id']}", None),
        ("POST", f"/api/plans/{plan_id}/tasks", new_task),
        ("PATCH", f"/api/plans/{plan_id}/task-groups/TG01", {"title": "Đổi tên trái phép"}),
        ("POST", f"/api/plans/{plan_id}/submit", None),
    ]

    async def attempt(who: dict[str, str], method: str, url: str, body: Any) -> int:
        r = await client.request(method, url, headers=who, json=body)
        assert r.headers["content-type"].startswith(PROBLEM) or r.status_code < 400, r.text
        return r.status_code

    for method, url, body in attempts:
        assert await attempt(sibling, method, url, body) == 403, (method, url)
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=sibling,
        files={"file": ("x.xlsx", workbook())},
    )
    assert r.status_code == 403, r.text
    r = await client.get("/api/plans", params={"unit": WARD}, headers=sibling)
    assert r.status_code == 403, r.text

    # The city approver reads the ward's plan but changes nothing in it.
    for method, url, body in attempts:
        expected = 200 if method == "GET" else 403
        assert await attempt(city, method, url, body) == expected, (method, url)
    r = await client.post(
        f"/api/plans/{plan_id}/import", headers=city, files={"file": ("x.xlsx", workbook())}
    )
    assert r.status_code == 403, r.text
    assert await plan_of(client, drafter, plan_id) == before


async def test_the_seeded_programs_cascade_from_central_and_print(
    client: httpx.AsyncClient,
) -> None:
    central = await token(client, "approver.vn")
    r = await client.get("/api/plans", params={"unit": "vn", "status": "approved"}, headers=central)
    [program] = r.json()["items"]
    units = await coverage_by_unit(client, central, program["id"])
    assert set(units) == {"vn.hue", "vn.ha-noi", "vn.da-nang"}
    for unit in units.values():
        assert (unit["status"], unit["version"]) == ("approved", 1), unit
        assert unit["covered_groups"] == ["TG01", "TG02", "TG03", "TG04", "TG05"], unit
    r = await client.get("/api/plans", params={"unit": "vn", "subtree": True}, headers=central)
    assert r.json()["total"] == 4

    # Huế's program in force prints as a document; Hà Nội's exports in the officials' layout.
    city = await token(client, "approver.hue")
    hue_id, _ = await hue_program(client, city)
    r = await client.get(f"/api/plans/{hue_id}/export", params={"format": "docx"}, headers=city)
    assert r.status_code == 200, r.text
    assert r.content[:2] == b"PK" and len(r.content) > 10_000
    ha_noi = await token(client, "drafter.ha-noi")
    r = await client.get(
        "/api/plans", params={"unit": "vn.ha-noi", "status": "approved"}, headers=ha_noi
    )
    [hn] = r.json()["items"]
    r = await client.get(f"/api/plans/{hn['id']}/export", params={"format": "xlsx"}, headers=ha_noi)
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content))[TASKS_SHEET]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 14 and all(row[-1] for row in rows)  # each names its central task
