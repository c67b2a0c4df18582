"""The results loop in embedded mode: one process, SQLite files, the in-process bus."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl

from tests.results_story import approved_ward_plan, month_of, run_results_story, tracked_tasks
from tests.story import WARD, catalogued_events, eventually, token


async def test_results_story_embedded(client: httpx.AsyncClient) -> None:
    await run_results_story(client, datetime.now(UTC).date())


async def test_report_xlsx_round_trip_all_or_nothing_and_printable(
    client: httpx.AsyncClient,
) -> None:
    await approved_ward_plan(client)
    drafter = await token(client, "drafter.huong-an")

    async def tracked() -> list[Any]:
        return await tracked_tasks(client, drafter, WARD)

    [task] = await eventually(tracked)
    period = month_of(datetime.now(UTC).date())
    r = await client.post(
        "/api/results/reports", json={"unit": WARD, "period": period}, headers=drafter
    )
    report = r.json()
    r = await client.get(f"/api/results/reports/{report['id']}/xlsx", headers=drafter)
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = book["Nhiệm vụ"]
    assert ws.cell(1, 1).value.startswith("Báo cáo kết quả thực hiện tháng")
    assert ws.cell(4, 1).value == task["code"]

    def upload(book: openpyxl.Workbook) -> Any:
        out = io.BytesIO()
        book.save(out)
        files = {"file": ("bao-cao.xlsx", out.getvalue(), "application/octet-stream")}
        return client.post(
            f"/api/results/reports/{report['id']}/import", files=files, headers=drafter
        )

    # A bad cell refuses the whole file, naming the sheet, row and column.
    ws.cell(4, 4, "Đã hoàn thành")
    ws.cell(4, 5, "nhiều")
    r = await upload(book)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "Nhiệm vụ.row 4.percent", "reason": "a number"}]
    # A done task without its product is refused by the report's own rules.
    ws.cell(4, 5, 100)
    r = await upload(book)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == f"tasks.{task['code']}.product"
    r = await client.get(f"/api/results/reports/{report['id']}", headers=drafter)
    assert r.json()["tasks"][0]["state"] == "not_started"  # nothing was imported

    ws.cell(4, 6, 12)
    ws.cell(4, 9, "Đã xóa toàn bộ 12 điểm")
    ws.cell(4, 11, "15/09/2026")
    r = await upload(book)
    assert r.status_code == 200, r.text
    line = r.json()["tasks"][0]
    assert (line["state"], line["percent"], line["product_quantity"]) == ("done", 100, 12)
    assert line["completed_on"] == "2026-09-15"

    r = await client.get(f"/api/results/reports/{report['id']}/print", headers=drafter)
    assert r.status_code == 200 and "Báo cáo kết quả thực hiện" in r.text
    assert "Đã xóa toàn bộ 12 điểm" in r.text and "12 điểm" in r.text


async def test_bad_input_and_who_may_do_what(client: httpx.AsyncClient) -> None:
    await approved_ward_plan(client)
    drafter = await token(client, "drafter.huong-an")
    head = await token(client, "head.huong-an")
    city_drafter = await token(client, "drafter.hue")
    other_city = await token(client, "approver.da-nang")

    async def tracked() -> list[Any]:
        return await tracked_tasks(client, drafter, WARD)

    await eventually(tracked)
    url = "/api/results/reports"
    for period, status in (("2026-13", 422), ("2099-01", 422), ("2026-Q1", 422), ("2020-01", 409)):
        r = await client.post(url, json={"unit": WARD, "period": period}, headers=drafter)
        assert r.status_code == status, (period, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(url, json={"unit": "vn.hue", "period": "2026-Q4"}, headers=drafter)
    assert r.status_code == 403  # a ward does not report for its city
    r = await client.post(url, json={"unit": WARD, "period": "2026-11"}, headers=city_drafter)
    assert r.status_code == 403  # nor the city for its ward
    period = month_of(datetime.now(UTC).date())
    report = (await client.post(url, json={"unit": WARD, "period": period}, headers=drafter)).json()
    lines = f"{url}/{report['id']}/lines"
    for body, field in (
        ({"tasks": [{"task_code": "HA-01", "state": "paused"}]}, "body.tasks.0.state"),
        ({"tasks": [{"task_code": "HA-01", "percent": "half"}]}, "body.tasks.0.percent"),
        ({"indicators": [{"indicator_code": "X", "actual": "many"}]}, "body.indicators.0.actual"),
        ({"tasks": [{"task_code": "NO-SUCH"}]}, "tasks.0.task_id"),
        ({"tasks": [{"task_code": "HA-01", "narrative": "x" * 5000}]}, "body.tasks.0.narrative"),
    ):
        r = await client.put(lines, json=body, headers=drafter)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
    r = await client.get(f"/api/results/reports/{report['id']}", headers=other_city)
    assert r.status_code == 403
    r = await client.post(f"{url}/{report['id']}/sign-off", headers=head)
    assert r.status_code == 200, r.text
    r = await client.post(f"{url}/{report['id']}/sign-off", headers=head)
    assert r.status_code == 409  # signed off once
    files = {"file": ("x.exe", b"MZ....", "application/x-msdownload")}
    r = await client.post("/api/results/evidence", files=files, headers=drafter)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    files = {"file": ("bien-ban.pdf", b"%PDF-1.4 bien ban", "application/pdf")}
    r = await client.post("/api/results/evidence", files=files, headers=drafter)
    assert r.status_code == 201, r.text
    assert len(r.json()["sha256"]) == 64 and r.json()["size"] == 17
    r = await client.get(f"/api/results/evidence/{r.json()['id']}", headers=other_city)
    assert r.status_code == 403


async def test_the_demo_history_shows_something_real_at_first_sight(tmp_path: Path) -> None:
    """make run seeds four Huế wards' plans and their reports since July: the city's dashboard
    has reports on time and late, overdue tasks, and indicators rolled up against target."""
    from cascade_embedded.main import build_app
    from cascade_shared.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        relay_poll_interval=0.5,
        jwt_secret="embedded-test-secret-of-at-least-32-bytes",
        demo_history=True,
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cascade") as client:
            approver = await token(client, "approver.hue")

            async def board() -> Any:
                r = await client.get(
                    "/api/results/dashboard",
                    params={"unit": "vn.hue", "period": "2026-10", "as_of": "2026-11-29"},
                    headers=approver,
                )
                assert r.status_code == 200, r.text
                body = r.json()
                seeded = [u for u in body["units"] if u["report"] is not None]
                return body if len(body["units"]) == 4 and len(seeded) == 3 else None

            body = await eventually(board)
            reports = {u["unit"]: u["report"] for u in body["units"]}
            assert reports["vn.hue.phu-xuan"]["status"] == "accepted"
            assert reports["vn.hue.huong-an"]["status"] == "submitted"
            assert reports["vn.hue.phong-phu"]["late"] is True
            assert reports["vn.hue.vinh-loc"] is None
            scores = [u["score"] for u in body["units"]]
            assert len(set(scores)) == 4 and [u["rank"] for u in body["units"]] != []
            for row in body["units"]:  # the dashboard counts what the explanation lists
                r = await client.get(
                    f"/api/results/units/{row['unit']}/evaluation",
                    params={"period": "2026-10"},
                    headers=approver,
                )
                assert r.json()["score"] == row["score"], row["unit"]
            best = min(body["units"], key=lambda u: u["rank"])
            assert best["unit"] == "vn.hue.phu-xuan"
            assert body["overdue"] and body["counts"]["completed_late"] >= 1
            ct02 = next(i for i in body["indicators"] if i["code"] == "HUE-CT02")
            # Phú Xuân 0, Hương An 0, Phong Phú 6 (October), Vinh Lộc 6 (July: August was returned).
            assert ct02["rolled_up"] == 12 and ct02["met"] is False

            r = await client.get(
                "/api/results/dashboard.csv",
                params={"unit": "vn.hue", "period": "2026-10", "as_of": "2026-11-29"},
                headers=approver,
            )
            assert r.status_code == 200 and r.text.startswith("\ufeffĐơn vị,")
            assert "Phường Phú Xuân" in r.text and "Đã tiếp nhận" in r.text
            r = await client.get(
                "/api/results/reports",
                params={"unit": "vn.hue", "period": "2026-09"},
                headers=approver,
            )
            assert {row["period_label"] for row in r.json()} == {"tháng 9/2026"}
            drafter = await token(client, "drafter.huong-an")
            r = await client.get("/api/results/periods", params={"unit": WARD}, headers=drafter)
            periods = {p["period"]: p for p in r.json()}
            assert periods["2026-09"]["report"]["late"] is True
            assert periods["2026-07"]["report"]["status"] == "accepted"


async def test_a_completion_date_is_kept_and_an_emptied_value_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await approved_ward_plan(client)
    drafter = await token(client, "drafter.huong-an")

    async def tracked() -> list[Any]:
        return await tracked_tasks(client, drafter, WARD)

    [task] = await eventually(tracked)
    period = month_of(datetime.now(UTC).date())
    url = "/api/results/reports"
    report = (await client.post(url, json={"unit": WARD, "period": period}, headers=drafter)).json()
    lines = f"{url}/{report['id']}/lines"
    done = {"task_id": task["id"], "state": "done", "percent": 100, "product_quantity": 12}
    r = await client.put(
        lines, json={"tasks": [{**done, "completed_on": "2026-09-15"}]}, headers=drafter
    )
    assert r.status_code == 200, r.text
    assert r.json()["tasks"][0]["completed_on"] == "2026-09-15"
    for name in ("percent", "state"):
        r = await client.put(
            lines, json={"tasks": [{"task_id": task["id"], name: None}]}, headers=drafter
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == f"tasks.{task['code']}.{name}"
    r = await client.put(
        lines, json={"tasks": [{"task_id": task["id"], "narrative": None}]}, headers=drafter
    )
    assert r.status_code == 200, r.text
    assert r.json()["tasks"][0]["narrative"] == "" and r.json()["tasks"][0]["percent"] == 100


async def test_every_event_of_the_story_matches_its_catalogue_model(
    client: httpx.AsyncClient,
) -> None:
    """The audit holds every event the services emitted during the results story: each
    payload reads as its catalogue's model, with nothing required missing and nothing
    undescribed."""
    await run_results_story(client, datetime.now(UTC).date())
    auditor = await token(client, "auditor.vn")

    async def last_one_recorded() -> bool:
        r = await client.get(
            "/api/audit/records",
            params={"event_type": "results.evaluation_published"},
            headers=auditor,
        )
        return bool(r.json()["items"])

    await eventually(last_one_recorded)
    seen = await catalogued_events(client, auditor)
    for kind in (
        "plan.approved",
        "results.report_submitted",
        "results.report_accepted",
        "results.report_reopened",
        "results.evaluation_published",
    ):
        assert seen.get(kind), kind
