"""A ward reads the plans in force above it (the programs it concretizes), never a draft of the
city above: that stays with the city and the units it answers to. While the city revises its
program, the ward goes on reading the version in force."""

from __future__ import annotations

import httpx

from tests.story import hue_program, token


async def test_a_ward_reads_the_city_program_in_force_not_the_citys_revision(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    program, _ = await hue_program(client, city)
    before = (await client.get(f"/api/plans/{program}", headers=city)).json()
    r = await client.post(
        f"/api/plans/{program}/revise", json={"reason": "Bổ sung chỉ tiêu"}, headers=city
    )
    assert r.status_code == 200, r.text
    task = before["tasks"][0]
    r = await client.patch(
        f"/api/plans/{program}/tasks/{task['id']}",
        json={"job": task["job"] + " (dự thảo sửa đổi)"},
        headers=city,
    )
    assert r.status_code == 200, r.text

    ward = await token(client, "drafter.huong-an")
    seen = (await client.get(f"/api/plans/{program}", headers=ward)).json()
    assert (seen["status"], seen["version"], seen["in_force_version"]) == ("approved", 1, 1)
    assert seen["tasks"] == before["tasks"]  # the version in force, not the draft
    r = await client.get(f"/api/plans/{program}/versions", headers=ward)
    assert r.status_code == 200
    r = await client.get("/api/plans", params={"unit": "vn.hue"}, headers=ward)
    assert r.status_code == 200, r.text
    assert program in {p["id"] for p in r.json()["items"]}

    # The city itself, and central above it, read the revision.
    for who in ("drafter.hue", "head.hue", "approver.vn"):
        r = await client.get(f"/api/plans/{program}", headers=await token(client, who))
        assert r.status_code == 200, (who, r.text)
        got = r.json()
        assert (got["status"], got["version"], got["in_force_version"]) == ("draft", 2, 1)
        assert got["tasks"][0]["job"].endswith("(dự thảo sửa đổi)")


async def test_a_citys_draft_stays_with_the_city(client: httpx.AsyncClient) -> None:
    city = await token(client, "drafter.hue")
    r = await client.post(
        "/api/plans",
        json={
            "title": "Dự thảo kế hoạch chuyên đề của Thành ủy",
            "term_start": 2026,
            "term_end": 2030,
        },
        headers=city,
    )
    assert r.status_code == 201, r.text
    draft = r.json()["id"]
    ward = await token(client, "drafter.huong-an")
    for path in (f"/api/plans/{draft}", f"/api/plans/{draft}/versions"):
        r = await client.get(path, headers=ward)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.get("/api/plans", params={"unit": "vn.hue"}, headers=ward)
    listed = r.json()["items"]
    assert listed and all(p["in_force_version"] for p in listed)
    assert draft not in {p["id"] for p in listed}
    for who in ("head.hue", "approver.vn"):
        r = await client.get(f"/api/plans/{draft}", headers=await token(client, who))
        assert r.status_code == 200, (who, r.text)
