"""The plan rules without holes through the embedded API (issue 14): a lead unit is one entry
of the directory, refused at once otherwise with the field named; bodies stay out of the units
below; a blank not-applicable reason is refused when it is set; the term and the milestones are
checked; copying is found against every task of the parent's and the grandparent's versions in
force, and the acknowledged warnings are kept in the submitted version."""

from __future__ import annotations

from typing import Any

import httpx

from tests.story import FIX, create_draft, fix, hue_program, token

WARD = "vn.hue.huong-an"
PROBLEM = "application/problem+json"


def refused(r: httpx.Response, field: str, words: str = "") -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    [error] = [e for e in body["errors"] if e["field"] == field]
    assert words in error["reason"], error
    return body


async def test_a_lead_unit_is_one_directory_entry_refused_at_create_and_patch(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch có đơn vị chủ trì")
    url = f"/api/plans/{plan_id}/tasks"
    task = {**FIX, "code": "HA-05"}

    several = {**task, "lead_unit": "vn.hue.huong-an, vn.hue.huong-an.cong-an"}
    refused(await client.post(url, headers=drafter, json=several), "body.lead_unit", "several")
    with_and = {**task, "lead_unit": "UBND phường và Công an phường"}
    refused(await client.post(url, headers=drafter, json=with_and), "body.lead_unit", "several")
    by_name = {**task, "lead_unit": "Phường Hương An"}
    refused(await client.post(url, headers=drafter, json=by_name), "body.lead_unit", "code")
    unknown = {**task, "lead_unit": "vn.hue.so-khong-co"}
    refused(await client.post(url, headers=drafter, json=unknown), "lead_unit", "directory")
    partner = {**task, "cooperating_units": ["vn.hue.huong-an.cong-an", "vn.hue.khong-co"]}
    refused(await client.post(url, headers=drafter, json=partner), "cooperating_units.1")
    again = {**task, "cooperating_units": [WARD]}
    refused(await client.post(url, headers=drafter, json=again), "body", "cooperating unit")
    zero = {**task, "product_quantity": 0}
    refused(await client.post(url, headers=drafter, json=zero), "body.product_quantity")

    body_led = {**task, "lead_unit": "vn.hue.huong-an.cong-an", "cooperating_units": [WARD]}
    r = await client.post(url, headers=drafter, json=body_led)
    assert r.status_code == 201, r.text
    task_id = r.json()["id"]
    patch = f"/api/plans/{plan_id}/tasks/{task_id}"
    refused(
        await client.patch(patch, headers=drafter, json={"lead_unit": "Sở Y tế; Sở Tài chính"}),
        "body.lead_unit",
        "several",
    )
    refused(
        await client.patch(patch, headers=drafter, json={"lead_unit": WARD}),
        "lead_unit",
        "cannot also be a cooperating unit",
    )
    refused(
        await client.patch(
            patch, headers=drafter, json={"cooperating_units": ["vn.hue.huong-an.cong-an"]}
        ),
        "cooperating_units",
        "cannot also be a cooperating unit",
    )
    r = await client.patch(
        patch, headers=drafter, json={"lead_unit": WARD, "cooperating_units": ["vn.hue"]}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["lead_unit"], r.json()["cooperating_units"]) == (WARD, ["vn.hue"])


async def test_a_blank_not_applicable_reason_is_refused_when_it_is_set(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch có nhóm không áp dụng")
    _, groups = await hue_program(client, drafter)
    url = f"/api/plans/{plan_id}/task-groups/{groups[-1]}"
    for blank in ("", "   "):
        r = await client.patch(url, headers=drafter, json={"not_applicable_reason": blank})
        refused(r, "body.not_applicable_reason", "reason why")
    r = await client.patch(url, headers=drafter, json={"not_applicable_reason": "Cấp thành phố"})
    assert r.status_code == 200 and r.json()["not_applicable_reason"] == "Cấp thành phố"
    r = await client.patch(url, headers=drafter, json={"not_applicable_reason": None})
    assert r.status_code == 200 and r.json()["not_applicable_reason"] is None


async def test_the_term_and_the_milestones_are_checked_at_submission(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch có tiến độ sai")
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    task_id = plan["tasks"][0]["id"]
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{task_id}",
        headers=drafter,
        json={**{k: v for k, v in FIX.items() if k != "lead_unit"}, "deadline": "2032-06-30"},
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/check", headers=drafter)
    [timeline] = [e for e in r.json()["errors"] if e.get("element") == "timeline"]
    assert "term 2026-2031" in timeline["reason"]
    r = await client.patch(
        f"/api/plans/{plan_id}/tasks/{task_id}",
        headers=drafter,
        json={"deadline": "2026-09-30", "milestones": [{"period": "2026-Q4", "description": "x"}]},
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/plans/{plan_id}/check", headers=drafter)
    [timeline] = [e for e in r.json()["errors"] if e.get("element") == "timeline"]
    assert "2026-Q4 begins after the deadline" in timeline["reason"]


async def test_bodies_are_directory_entries_but_never_units_below(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    units = (
        await client.get("/api/directory/units", params={"under": "vn.hue"}, headers=drafter)
    ).json()
    assert {u["kind"] for u in units} == {"unit"}
    below = {u["code"] for u in units if u["parent"] == "vn.hue"}
    assert below == {
        "vn.hue.huong-an",
        "vn.hue.phu-xuan",
        "vn.hue.phong-phu",
        "vn.hue.phong-quang",
        "vn.hue.vinh-loc",
    }
    bodies = (
        await client.get(
            "/api/directory/units", params={"under": "vn.hue", "kind": "body"}, headers=drafter
        )
    ).json()
    by_code = {b["code"]: b for b in bodies}
    assert by_code["vn.hue.so-y-te"] == {
        "code": "vn.hue.so-y-te",
        "name": "Sở Y tế thành phố Huế",
        "level": "city",
        "parent": "vn.hue",
        "kind": "body",
    }
    assert by_code["vn.hue.huong-an.cong-an"]["level"] == "ward"
    every = await client.get(
        "/api/directory/units", params={"kind": "all", "q": "so y te hue"}, headers=drafter
    )
    assert [u["code"] for u in every.json()] == ["vn.hue.so-y-te"]

    admin = await token(client, "admin")
    entry = {"code": "vn.hue.so-giao-duc", "name": "Sở Giáo dục thành phố Huế", "level": "city"}
    url = "/api/directory/units/vn.hue.so-giao-duc"
    r = await client.put(url, headers=admin, json={**entry, "level": "ward", "kind": "body"})
    refused(r, "level", "city")
    r = await client.put(url, headers=admin, json={**entry, "kind": "body"})
    assert r.status_code == 200 and r.json()["kind"] == "body"
    r = await client.put(
        "/api/directory/units/vn.hue.so-giao-duc.phong-1",
        headers=admin,
        json={"code": "vn.hue.so-giao-duc.phong-1", "name": "Phòng 1", "level": "city"},
    )
    refused(r, "code", "outside body")
    r = await client.put(
        "/api/directory/users/staff.so-giao-duc",
        headers=admin,
        json={
            "username": "staff.so-giao-duc",
            "name": "Cán bộ Sở",
            "unit": "vn.hue.so-giao-duc",
            "roles": ["drafter"],
        },
    )
    refused(r, "unit", "outside body")
    r = await client.put(
        f"/api/directory/units/{WARD}",
        headers=admin,
        json={"code": WARD, "name": "Phường Hương An", "level": "ward", "kind": "body"},
    )
    refused(r, "kind", "has users")
    # a task may be led by the new body as soon as it is registered
    plan_id = await create_draft(client, drafter, "Kế hoạch do Sở chủ trì")
    r = await client.post(
        f"/api/plans/{plan_id}/tasks",
        headers=drafter,
        json={**FIX, "code": "HA-06", "lead_unit": "vn.hue.so-giao-duc"},
    )
    assert r.status_code == 201, r.text


async def test_copying_is_found_in_the_versions_in_force_above_and_its_acknowledgement_kept(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    city = await token(client, "drafter.hue")
    hue_id, _ = await hue_program(client, drafter)
    hue = (await client.get(f"/api/plans/{hue_id}", headers=drafter)).json()
    h11 = next(t for t in hue["tasks"] if t["code"] == "H-1.1")
    central = (
        await client.get("/api/plans", params={"unit": "vn", "status": "approved"}, headers=city)
    ).json()["items"][0]
    tw = (await client.get(f"/api/plans/{central['id']}", headers=city)).json()
    tw42 = next(t for t in tw["tasks"] if t["code"] == "TW-4.2")

    plan_id = await create_draft(client, drafter, "Kế hoạch có nhiệm vụ sao chép")
    await fix(client, drafter, plan_id)
    # The city revises its program: its working copy now says something else for H-1.1.
    r = await client.post(f"/api/plans/{hue_id}/revise", headers=city)
    assert r.status_code == 200, r.text
    draft_job = "Nội dung dự thảo sửa đổi của nhiệm vụ H-1.1 về thu gom, phân loại rác tại nguồn"
    r = await client.patch(
        f"/api/plans/{hue_id}/tasks/{h11['id']}", headers=city, json={"job": draft_job}
    )
    assert r.status_code == 200, r.text

    copies = {
        "HA-20": h11["job"],  # the version in force, not linked
        "HA-21": tw42["job"],  # the grandparent's
        "HA-22": draft_job,  # only in the city's draft: nothing in force to copy
    }
    group = hue["tasks"][0]["task_group"]
    for code, job in copies.items():
        r = await client.post(
            f"/api/plans/{plan_id}/tasks",
            headers=drafter,
            json={
                **FIX,
                "code": code,
                "task_group": group,
                "job": job,
                "product_quantity": None,
                "product_unit": None,
                "product_description": "Báo cáo kết quả",
            },
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"/api/plans/{plan_id}/check", headers=drafter)
    assert r.status_code == 200, r.text
    warnings = {w["subject"]: w for w in r.json()["warnings"]}
    assert set(warnings) == {"HA-20", "HA-21"}
    assert (warnings["HA-20"]["parent_task"], warnings["HA-20"]["parent_plan"]) == (
        "H-1.1",
        hue_id,
    )
    assert (warnings["HA-21"]["parent_task"], warnings["HA-21"]["parent_plan"]) == (
        "TW-4.2",
        central["id"],
    )
    assert warnings["HA-20"]["missing"] == ["local subject", "measurable local product"]

    r = await client.post(f"/api/plans/{plan_id}/submit", headers=drafter)
    assert r.status_code == 422 and r.json()["type"].endswith("/warnings"), r.text
    r = await client.post(
        f"/api/plans/{plan_id}/submit", headers=drafter, json={"acknowledge_warnings": True}
    )
    assert r.status_code == 200, r.text
    version = r.json()
    kept = version["content"]["acknowledged_warnings"]
    assert {(w["field"], w["parent_task"]) for w in kept} == {
        ("tasks.HA-20.job", "H-1.1"),
        ("tasks.HA-21.job", "TW-4.2"),
    }
    stored = await client.get(
        f"/api/plans/{plan_id}/versions/{version['version']}", headers=drafter
    )
    assert stored.json()["content"]["acknowledged_warnings"] == kept
