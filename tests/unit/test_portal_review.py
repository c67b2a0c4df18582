"""What reviewers need, served through ASGI against a stand-in of the APIs: the decision form
chooses nothing and asks to confirm an approval or a rejection before anything is sent
(keeping what was typed); the approver reads who signed the steps before theirs; a plan prints
marked as a draft until it is approved; the audit search picks a plan by title and numbers its
rows without gaps; a chart downloads as a file to paste into a report."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from cascade_portal.chart import coverage_svg, standalone
from cascade_portal.i18n import translator
from cascade_portal.names import Names
from cascade_portal.plan_screens import signed_steps
from cascade_portal.web import User
from fastapi import Request

from tests.unit.test_portal_chart import REPORT
from tests.unit.test_portal_screens import (
    AUDITOR,
    CODES,
    DRAFTER,
    PEOPLE,
    UNITS,
    FakeApis,
    get_and_post,
    visible,
)

APPROVER = User("approver.hue", "Lãnh đạo Thành ủy Huế", "vn.hue", ("approver",), 0)
STEP_1 = {
    "step_no": 1,
    "name": "ward-head-signoff",
    "unit": "vn.hue.huong-an",
    "role": "head",
    "status": "approved",
    "decided_by": "head.huong-an",
    "on_behalf_of": None,
    "decided_at": "2026-03-03T07:05:00Z",
    "decisions": [
        {
            "decision": "approved",
            "decided_by": "head.huong-an",
            "on_behalf_of": None,
            "decided_at": "2026-03-03T07:05:00Z",
        }
    ],
}
STEP_2 = {**STEP_1, "step_no": 2, "name": "city-decision", "unit": "vn.hue", "role": "approver"}
STEP_2.update(status="active", decided_by=None, decided_at=None, decisions=[])


class ReviewApis(FakeApis):
    """The stand-in, with the approver's queue, the plan's case, the decision and the plans
    list."""

    def __init__(self) -> None:
        super().__init__()
        self.status = "submitted"
        app = self.app

        @app.get("/api/approvals/queue")
        async def queue() -> Any:
            item = {
                "case_id": "c1",
                "plan_id": "p1",
                "plan_version": 1,
                "plan_unit": "vn.hue.huong-an",
                "plan_title": "Kế hoạch",
                "content_hash": "0" * 64,
                "step_no": 2,
                "step_name": "city-decision",
                "unit": "vn.hue",
                "role": "approver",
                "due_at": None,
                "overdue": False,
                "on_behalf_of": None,
                "partial": False,
            }
            return {"items": [item], "total": 1, "overdue": 0, "by_unit": {}}

        @app.post("/api/approvals/cases/{case_id}/steps/{step_no}/decision")
        async def decision(case_id: str, step_no: int, request: Request) -> Any:
            self.sent.append(("POST decision", await request.json()))
            return {"status": "approved"}

        @app.get("/api/plans")
        async def plans(unit: str, subtree: bool = False) -> Any:
            self.sent.append(("GET plans", {"unit": unit, "subtree": subtree}))
            return {
                "items": [
                    {
                        "id": "p1",
                        "title": "Kế hoạch của Đảng ủy phường Hương An",
                        "unit": "vn.hue.huong-an",
                        "term_start": 2026,
                        "term_end": 2031,
                    }
                ],
                "total": 1,
            }

        # The case of the version under decision: the ward head signed step 1.
        for route in list(app.router.routes):
            if getattr(route, "path", "") == "/api/approvals/cases":
                app.router.routes.remove(route)

        @app.get("/api/approvals/cases")
        async def cases(plan_id: str) -> Any:
            return [{"id": "c1", "steps": [STEP_1, STEP_2]}]

    def decisions(self) -> list[Any]:
        return [body for kind, body in self.sent if kind == "POST decision"]


def decision_form(**fields: str) -> dict[str, str]:
    return {"case_id": "c1", "step_no": "2", "content_hash": "0" * 64, **fields}


async def test_nothing_is_chosen_and_approving_is_confirmed_before_it_is_sent() -> None:
    apis = ReviewApis()
    r = await get_and_post(apis, APPROVER, "/portal/plans/p1")
    assert r.status_code == 200
    form = r.text[
        r.text.index('id="decision"') : r.text.index("</form>", r.text.index('id="decision"'))
    ]
    assert " checked" not in form  # no decision chosen for the approver
    assert 'id="decision-confirm"' in form
    text = " ".join(visible(r.text).split())
    # who signed the step before, how and when
    assert (
        "1. Lãnh đạo phường, xã ký trình Trần Văn Bình · phê duyệt · lúc 14:05 03/03/2026" in text
    )
    assert CODES.findall(text) == []

    r = await get_and_post(apis, APPROVER, "/portal/plans/p1/decision", decision_form())
    assert r.status_code == 422 and apis.decisions() == []
    assert "Chọn một quyết định" in visible(r.text)

    typed = decision_form(decision="approve", comment="Đồng ý", **{"task_comment.t1": "Ghi rõ"})
    r = await get_and_post(apis, APPROVER, "/portal/plans/p1/decision", typed)
    assert r.status_code == 422 and apis.decisions() == []  # asked back, nothing sent
    page = r.text
    assert "Quyết định chưa được gửi" in visible(page)
    assert 'value="approve" id="decision-approve" checked' in page
    assert ">Đồng ý</textarea>" in page and ">Ghi rõ</textarea>" in page
    assert 'id="decision-confirm" aria-invalid="true"' in page

    r = await get_and_post(apis, APPROVER, "/portal/plans/p1/decision", {**typed, "confirm": "on"})
    assert r.status_code == 303
    (body,) = apis.decisions()
    assert body["decision"] == "approve" and body["comment"] == "Đồng ý"
    assert body["comments"] == [{"text": "Ghi rõ", "task_id": "t1", "task_code": None}]


async def test_returning_needs_no_confirmation_and_rejecting_does() -> None:
    apis = ReviewApis()
    r = await get_and_post(
        apis, APPROVER, "/portal/plans/p1/decision", decision_form(decision="reject", comment="x")
    )
    assert r.status_code == 422 and apis.decisions() == []
    assert "TỪ CHỐI" in visible(r.text)
    r = await get_and_post(
        apis, APPROVER, "/portal/plans/p1/decision", decision_form(decision="return", comment="x")
    )
    assert r.status_code == 303 and apis.decisions()[0]["decision"] == "return"


def test_signed_steps_name_who_signed_and_skip_the_steps_nobody_signed() -> None:
    names = Names("en", UNITS, PEOPLE)
    skipped = {**STEP_1, "step_no": 1, "decided_by": None, "decisions": []}
    item = {"case_id": "c1", "step_no": 2}
    assert signed_steps([{"id": "c1", "steps": [skipped, STEP_2]}], item, names) == []
    (step,) = signed_steps(
        [{"id": "c0", "steps": []}, {"id": "c1", "steps": [STEP_1]}], item, names
    )
    assert step["label"] == "Ward head signs off"
    assert step["decisions"][0]["who"] == "Trần Văn Bình"
    assert step["decisions"][0]["how"] == "approved"


async def test_a_plan_prints_marked_as_a_draft_until_it_is_approved() -> None:
    apis = ReviewApis()
    apis.status = "draft"
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/print")
    assert r.status_code == 200
    text = " ".join(visible(r.text).split())
    assert "BẢN DỰ THẢO" in text and "Phường Hương An" in text
    assert "01/03/2026 → 30/09/2026" in text and "Thành phố Huế" in text  # cooperating, named
    assert CODES.findall(text) == []
    apis.status = "approved"
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/print")
    assert "BẢN DỰ THẢO" not in r.text


async def test_the_audit_search_picks_a_plan_by_title_and_numbers_rows_without_gaps() -> None:
    apis = ReviewApis()
    record = {
        "event_type": "plan.submitted",
        "actor": "drafter.huong-an",
        "org_unit": "vn.hue.huong-an",
        "plan_id": "p1",
        "occurred_at": "2026-03-02T01:00:00Z",
        "payload": {"plan_id": "p1", "version": 1},
    }
    apis.records = [{**record, "seq": seq} for seq in (7, 12, 40)]
    r = await get_and_post(apis, AUDITOR, "/portal/audit?search=1&plan_id=p1&n=101")
    assert ("GET plans", {"unit": "vn.hue", "subtree": True}) in apis.sent
    page = r.text
    assert (
        '<option value="p1" selected>Kế hoạch của Đảng ủy phường Hương An · Phường Hương An' in page
    )
    numbers = [int(cell.split("<")[0]) for cell in page.split('class="num row-no">')[1:]]
    assert numbers == [101, 102, 103]  # the rows' numbers, not the trail's sequence
    assert page.count('class="plan-link" href="/portal/plans/p1">Kế hoạch của Đảng ủy') == 3
    assert CODES.findall(" ".join(visible(page).split())) == []


def test_a_chart_downloads_as_a_sized_svg_on_white() -> None:
    svg = standalone(coverage_svg(REPORT, translator("vi")))
    declaration, drawing = svg.split("\n", 1)
    assert declaration.startswith("<?xml")
    root = ElementTree.fromstring(drawing)
    ns = "{http://www.w3.org/2000/svg}"
    assert [child.tag for child in root][:3] == [f"{ns}title", f"{ns}desc", f"{ns}rect"]
    assert root[2].get("fill") == "#fff"
    _, _, width, height = root.get("viewBox", "").split()
    assert root.get("width") == f"{float(width) * 2:g}"
    assert root.get("height") == f"{float(height) * 2:g}"
    assert "Arial" in (root.get("font-family") or "")


def test_the_tasks_table_saves_with_the_importers_own_columns() -> None:
    """The table is saved through the plans API's import: its CSV carries the template's
    headers, so a renamed column fails here, not in front of a drafter."""
    from cascade_plans.io.tables import TASK_HEADERS, parse_tables
    from cascade_portal.grid import COLUMNS, to_csv

    assert all(TASK_HEADERS[field] == header for field, header, _ in COLUMNS)
    row = {field: "" for field, _, _ in COLUMNS}
    row.update(code="HA-09", job="Trồng 50 cây xanh", deadline="30/09/2026", milestones="")
    parsed = parse_tables(to_csv([row]), "bang-nhiem-vu.csv")
    assert parsed.errors == []
    assert [t["code"] for t in parsed.tasks] == ["HA-09"]


def test_the_tasks_table_sends_figures_as_the_drafter_meant_them() -> None:
    """A quantity typed "1.000" in the Vietnamese table is imported as one thousand, "0,5" as
    one half; one that is not a figure reaches the import as typed, which refuses it in its
    cell."""
    from cascade_plans.io.tables import parse_tables
    from cascade_portal.grid import COLUMNS, to_csv

    def row(code: str, quantity: str) -> dict[str, str]:
        typed = {field: "" for field, _, _ in COLUMNS}
        typed.update(code=code, job="Trồng cây xanh", deadline="30/09/2026")
        return typed | {"product_quantity": quantity}

    parsed = parse_tables(to_csv([row("A", "1.000"), row("B", "0,5")], "vi"), "t.csv")
    assert parsed.errors == []
    assert [t["product_quantity"] for t in parsed.tasks] == [1000.0, 0.5]
    parsed = parse_tables(to_csv([row("A", "1,000"), row("B", "0.5")], "en"), "t.csv")
    assert [t["product_quantity"] for t in parsed.tasks] == [1000.0, 0.5]
    parsed = parse_tables(to_csv([row("A", "mười")], "vi"), "t.csv")
    assert [e.column for e in parsed.errors] == ["Số lượng"]


def test_a_step_carried_over_shows_who_approved_it_in_the_earlier_version() -> None:
    """Version 2 was resubmitted after the city returned it: the policy resumed at the city's
    step, so the ward head did not sign again; the approver sees who signed in version 1."""
    names = Names("vi", UNITS, PEOPLE)
    returned = {**STEP_2, "status": "returned", "decided_by": "approver.hue", "decisions": []}
    version_1 = {"id": "c0", "plan_version": 1, "steps": [STEP_1, returned]}
    carried = {**STEP_1, "status": "carried_over", "decided_by": None, "decisions": []}
    version_2 = {"id": "c1", "plan_version": 2, "steps": [carried, STEP_2]}
    (step,) = signed_steps([version_1, version_2], {"case_id": "c1", "step_no": 2}, names)
    (signed,) = step["decisions"]
    assert (signed["who"], signed["in_version"]) == ("Trần Văn Bình", 1)
    # A step carried over that nobody approved earlier (a policy that skips it) shows nothing.
    assert signed_steps([version_2], {"case_id": "c1", "step_no": 2}, names) == []
