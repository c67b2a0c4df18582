"""A plan's indicators as a table (the portal's indicators grid saves through these): a CSV file
headed as the indicators sheet imports indicators, figures read the Vietnamese way in a
';'-separated file, all or nothing; an indicator is deleted by the plan's drafters only."""

from __future__ import annotations

import httpx
from cascade_plans.io.tables import INDICATOR_HEADERS

from tests.story import create_draft, token

HEADER = ";".join(INDICATOR_HEADERS.values())


def csv_of(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig")


async def test_indicators_import_from_their_own_csv_and_only_drafters_delete_them(
    client: httpx.AsyncClient,
) -> None:
    drafter = await token(client, "drafter.huong-an")
    plan_id = await create_draft(client, drafter, "Kế hoạch của phường Hương An")

    # The column order is the sheet's: code, name, unit, baseline, target, year, comparison.
    refused = csv_of("CT01;Số cây xanh;cây;0;1.000;2026;≥", "CT02;Tỷ lệ hộ nghèo;%;3,5;1,5;2026;≈")
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("chi-tieu.csv", refused, "text/csv")},
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("Chỉ tiêu", 3, "So sánh")
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert [i["code"] for i in plan["indicators"]] == []  # nothing was imported

    good = csv_of("CT01;Số cây xanh;cây;0;1.000;2026;≥", "CT02;Tỷ lệ hộ nghèo;%;3,5;1,5;2026;≤")
    r = await client.post(
        f"/api/plans/{plan_id}/import",
        headers=drafter,
        files={"file": ("chi-tieu.csv", good, "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"tasks": 0, "indicators": 2}
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    found = {i["code"]: i for i in plan["indicators"]}
    assert (found["CT01"]["target"], found["CT01"]["comparator"]) == (1000.0, ">=")
    assert (found["CT02"]["baseline"], found["CT02"]["target"]) == (3.5, 1.5)
    gone = found["CT02"]["id"]

    for someone in ("drafter.phu-xuan", "approver.hue", "head.huong-an"):
        r = await client.delete(
            f"/api/plans/{plan_id}/indicators/{gone}", headers=await token(client, someone)
        )
        assert r.status_code == 403, (someone, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.delete(f"/api/plans/{plan_id}/indicators/no-such-one", headers=drafter)
    assert r.status_code == 404, r.text
    r = await client.delete(f"/api/plans/{plan_id}/indicators/{gone}", headers=drafter)
    assert r.status_code == 204, r.text
    plan = (await client.get(f"/api/plans/{plan_id}", headers=drafter)).json()
    assert [i["code"] for i in plan["indicators"]] == ["CT01"]
