"""A ward reads the plans in force above it (the programs it concretizes), never a draft of the
city above: that stays with the city and the units it answers to."""

from __future__ import annotations

import httpx

from tests.story import token


async def test_a_ward_sees_the_city_program_in_force_but_not_the_citys_draft(
    client: httpx.AsyncClient,
) -> None:
    city = await token(client, "drafter.hue")
    r = await client.get("/api/plans", params={"unit": "vn", "status": "approved"}, headers=city)
    assert r.status_code == 200, r.text
    central_program = r.json()["items"][0]["id"]
    r = await client.post(
        "/api/plans/from-parent",
        json={"title": "Dự thảo kế hoạch mới của thành phố", "parent_plan_id": central_program},
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
    assert r.status_code == 200, r.text
    listed = r.json()["items"]
    assert listed and all(p["status"] == "approved" for p in listed)
    assert draft not in {p["id"] for p in listed}
    r = await client.get(f"/api/plans/{listed[0]['id']}", headers=ward)
    assert r.status_code == 200  # the program in force is the ward's to read

    # The city itself, and central above it, read the draft.
    for who in ("head.hue", "approver.vn"):
        r = await client.get(f"/api/plans/{draft}", headers=await token(client, who))
        assert r.status_code == 200, (who, r.text)
    r = await client.get("/api/plans", params={"unit": "vn.hue"}, headers=city)
    assert draft in {p["id"] for p in r.json()["items"]}
