"""Screens rendered from API answers, without a server: the approver's queue keeps the API's
deadline order and marks overdue steps; the coverage table and the plan's findings sit where
they belong; units, people and steps read by name, days and periods as officials write them;
everything the APIs send is escaped."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import httpx
import jwt
from cascade_plans.domain.plan import allowed_actions
from cascade_portal.i18n import translator
from cascade_portal.main import build_app
from cascade_portal.names import Names
from cascade_portal.plan_screens import task_form
from cascade_portal.problems import sort_findings
from cascade_portal.settings import PortalSettings
from cascade_portal.web import User, templates
from fastapi import Request
from fastapi.responses import JSONResponse

APPROVER = User("approver.hue", "Lãnh đạo Thành ủy Huế", "vn.hue", ("approver",), 0)
UNITS = {
    "vn.hue": {"code": "vn.hue", "name": "Thành phố Huế", "level": "city", "parent": "vn"},
    "vn.hue.huong-an": {
        "code": "vn.hue.huong-an",
        "name": "Phường Hương An",
        "level": "ward",
        "parent": "vn.hue",
    },
}
PEOPLE = {
    "drafter.huong-an": {
        "username": "drafter.huong-an",
        "name": "Nguyễn Thị Lan",
        "unit": "vn.hue.huong-an",
        "roles": ["drafter"],
    },
    "head.huong-an": {
        "username": "head.huong-an",
        "name": "Trần Văn Bình",
        "unit": "vn.hue.huong-an",
        "roles": ["head"],
    },
}
CODES = re.compile(
    r"vn\.[a-z0-9.-]+|\b(?:drafter|head|approver|auditor)\.[a-z-]+|ward-head-signoff|"
    r"city-decision|\d{4}-\d{2}-\d{2}|\d{4}-[QH]\d"
)


def names_for(lang: str = "vi") -> Names:
    return Names(lang, UNITS, PEOPLE)


def render(name: str, user: User = APPROVER, lang: str = "vi", **context: Any) -> str:
    frame = {"t": translator(lang), "lang": lang, "user": user, "unread": 3, "prefix": "/portal"}
    frame.update(path="/portal/x", here="/portal/x", flash=None, names=names_for(lang))
    if "plan" in context and "forms" not in context:
        plan = context["plan"]
        forms = {t["id"]: task_form(t, frame["names"], plan["unit"]) for t in plan["tasks"]}
        context["forms"] = {**forms, "new": task_form({}, frame["names"], plan["unit"])}
    return templates.get_template(name).render(**frame, **context)


def visible(page: str) -> str:
    """What a reader sees: the text of the body, without tags, attributes or scripts."""
    body = page[page.index("<body") : page.index("</body>")]
    body = re.sub(r"<(script|svg|datalist|textarea)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def item(plan: str, due: str, overdue: bool) -> dict[str, Any]:
    return {
        "case_id": f"case-{plan}",
        "plan_id": plan,
        "plan_version": 1,
        "plan_unit": "vn.hue.huong-an",
        "plan_title": f"Kế hoạch {plan} <b>",
        "content_hash": "0" * 64,
        "step_no": 2,
        "step_name": "city-decision",
        "unit": "vn.hue",
        "role": "approver",
        "due_at": due,
        "overdue": overdue,
        "on_behalf_of": None,
    }


def test_the_queue_keeps_the_deadline_order_and_marks_overdue_steps() -> None:
    queue = {
        "items": [
            item("a", "2026-11-01T08:00:00Z", True),
            item("b", "2026-12-01T08:00:00Z", False),
        ],
        "total": 2,
        "overdue": 1,
        "by_unit": {},
    }
    html = render("queue.html", queue=queue, only_overdue=False)
    assert html.index("/portal/plans/a#decide") < html.index("/portal/plans/b#decide")
    rows = html.split('<tr class="')[1:]
    assert rows[0].startswith("overdue") and "Quá hạn" in rows[0]
    assert not rows[1].startswith("overdue") and "Quá hạn" not in rows[1]
    assert "15:00 01/11/2026" in rows[0]  # on Vietnam's clock
    text = visible(html)
    assert "Phường Hương An" in text and "2. Thành phố phê duyệt" in text
    assert CODES.findall(text) == []
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<html lang="vi">' in html and 'class="skip" href="#main"' in html
    assert 'id="bell-count" aria-live="polite">3<' in html


def test_the_plan_shows_each_finding_beside_its_field_and_in_english() -> None:
    plan = {
        "id": "p1",
        "title": "Kế hoạch",
        "status": "draft",
        "version": 1,
        "unit": "vn.hue.huong-an",
        "term_start": 2026,
        "term_end": 2031,
        "drafter": "drafter.huong-an",
        "task_groups": [{"code": "TG01", "title": "Môi trường", "not_applicable_reason": None}],
        "indicators": [],
        "tasks": [{"id": "t1", "code": "HA-01", "task_group": "TG01", "job": "Chỉnh trang"}],
    }
    errors = [
        {"field": "tasks.HA-01.person", "task": "HA-01", "element": "person", "reason": "x"},
        {"code": "coverage", "field": "task_groups.TG01", "reason": "y", "subject": "TG01"},
    ]
    drafter = User("drafter.huong-an", "Cán bộ", "vn.hue.huong-an", ("drafter",), 0)
    html = render(
        "plan.html",
        user=drafter,
        lang="en",
        plan=plan,
        groups={},
        editable=True,
        findings=sort_findings(errors, [], "en"),
        refused=True,
        problem=None,
        problem_task=None,
        task_comments={},
        general_comments=[],
        item=None,
        changes=None,
    )
    person = html.index('id="responsible_person-t1"')
    message = html.index('id="msg-person-t1"')
    assert person < message < html.index('id="lead_unit-t1"')
    assert 'aria-describedby="msg-person-t1"' in html
    assert "Person not clear: x" in html
    group = html.index('id="group-TG01"')
    assert group < html.index("Not covered: y", group) < html.index('id="tasks"')
    assert "The plan was not submitted" in html
    # ... and listed at the top, by task, each linking to its field
    top = html.index('id="error-list"')
    assert top < html.index('href="#task-t1">Task HA-01</a>') < group
    assert top < html.index('href="#responsible_person-t1"') < group
    assert top < html.index('href="#group-TG01"') < group


def test_times_read_on_vietnams_clock() -> None:
    from cascade_portal.web import local_time

    assert local_time("2026-11-23T17:30:00Z") == "00:30 24/11/2026"
    assert local_time("2026-11-23T17:30:00+00:00", False) == "24/11/2026"
    assert local_time("2026-11-23T10:00:00") == "17:00 23/11/2026"  # naive: UTC
    assert local_time(None) == "" and local_time("soon") == "soon"


def test_the_drafter_may_withdraw_a_submitted_plan_and_others_may_not() -> None:
    plan = {
        "id": "p2",
        "title": "Kế hoạch",
        "status": "submitted",
        "version": 1,
        "unit": "vn.hue.huong-an",
        "term_start": 2026,
        "term_end": 2031,
        "drafter": "drafter.huong-an",
        "task_groups": [],
        "indicators": [],
        "tasks": [],
    }
    context = dict(
        plan=plan,
        groups={},
        editable=False,
        findings=None,
        refused=False,
        problem=None,
        problem_task=None,
        task_comments={},
        general_comments=[],
        item=None,
        changes=None,
    )
    drafter = User("drafter.huong-an", "Cán bộ", "vn.hue.huong-an", ("drafter",), 0)
    sibling = User("drafter.phu-xuan", "Cán bộ", "vn.hue.phu-xuan", ("drafter",), 0)
    assert "/portal/plans/p2/withdraw" in render("plan.html", user=drafter, **context)
    assert "/withdraw" not in render("plan.html", user=sibling, **context)
    assert "/withdraw" not in render("plan.html", user=APPROVER, **context)


# -- served through ASGI, against a stand-in of the plans, approvals, directory and audit APIs ---
WARD = "vn.hue.huong-an"
DRAFTER = User("drafter.huong-an", "Nguyễn Thị Lan", WARD, ("drafter",), 0)
AUDITOR = User("auditor.hue", "Ủy ban Kiểm tra Thành ủy Huế", "vn.hue", ("auditor",), 0)


def a_task(**changes: Any) -> dict[str, Any]:
    task = {
        "id": "t1",
        "code": "HA-01",
        "task_group": "TG01",
        "job": "Ra quân xóa 12 điểm tập kết rác tự phát",
        "lead_unit": WARD,
        "cooperating_units": ["vn.hue"],
        "responsible_person": "Phó Chủ tịch UBND phường",
        "start": "2026-03-01",
        "deadline": "2026-09-30",
        "milestones": [{"period": "2026-Q2", "description": "xóa 6 điểm"}],
        "product_description": "điểm tập kết rác được xóa bỏ",
        "product_quantity": 12.0,
        "product_unit": "điểm",
    }
    task.update(changes)
    return task


class FakeApis:
    """The APIs the plan and audit screens call, recording what they are sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.status = "draft"
        self.comments: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        self.app = app = build_app(PortalSettings())

        def plan() -> dict[str, Any]:
            return {
                "id": "p1",
                "title": "Kế hoạch của Đảng ủy phường Hương An",
                "status": self.status,
                "version": 1,
                "unit": WARD,
                "term_start": 2026,
                "term_end": 2031,
                "drafter": "drafter.huong-an",
                "task_groups": [{"code": "TG01", "title": "Môi trường"}],
                "indicators": [],
                "tasks": [a_task()],
                # as the plans API tells its drafters (the screens here are the drafter's)
                "allowed": allowed_actions(self.status, None, drafts_here=True),
            }

        @app.get("/api/plans/{plan_id}")
        async def get_plan(plan_id: str) -> Any:
            return plan()

        @app.post("/api/plans/{plan_id}/check")
        async def check(plan_id: str) -> Any:
            return {"errors": [], "warnings": []}

        @app.patch("/api/plans/{plan_id}/tasks/{task_id}")
        async def patch_task(plan_id: str, task_id: str, request: Request) -> Any:
            body = await request.json()
            self.sent.append(("PATCH", body))
            if any(m["period"].count("-") != 1 for m in body.get("milestones", [])):
                return JSONResponse({"errors": []}, status_code=422)
            return a_task()

        @app.get("/api/plans/{plan_id}/diff")
        async def plan_diff(plan_id: str) -> Any:
            return {"plan": {}, "task_groups": {}, "indicators": {}, "tasks": {}}

        @app.get("/api/plans/{plan_id}/revision-requests")
        async def revision_requests(plan_id: str) -> Any:
            return []

        @app.get("/api/approvals/plans/{plan_id}/comments")
        async def comments(plan_id: str) -> Any:
            return self.comments

        @app.get("/api/approvals/cases")
        async def cases(plan_id: str) -> Any:
            self.sent.append(("GET cases", plan_id))
            step = {"unit": "vn.hue", "decided_by": "approver.hue", "decisions": []}
            return [{"id": "c1", "steps": [step]}]

        @app.get("/api/directory/units")
        async def units() -> Any:
            return list(UNITS.values())

        @app.get("/api/directory/users")
        async def users(unit: str) -> Any:
            return [p for p in PEOPLE.values() if p["unit"].startswith(unit)]

        @app.get("/api/audit/records")
        async def records(request: Request) -> Any:
            self.sent.append(("GET records", dict(request.query_params)))
            return {"items": self.records, "next_cursor": None}


def cookie(user: User) -> dict[str, str]:
    claims = {
        "sub": user.username,
        "name": user.name,
        "unit": user.unit,
        "roles": list(user.roles),
        "exp": int(time.time()) + 3600,
    }
    secret = "the-portal-reads-claims-it-never-checks-them"
    return {"cascade_session": jwt.encode(claims, secret, "HS256")}


async def get_and_post(
    apis: FakeApis, user: User, path: str, data: dict[str, str] | None = None
) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=apis.app), base_url="http://portal", cookies=cookie(user)
    ) as client:
        if data is None:
            return await client.get(path)
        return await client.post(path, data=data)


def task_fields(**typed: str) -> dict[str, str]:
    fields = {
        "task_group": "TG01",
        "job": "Ra quân xóa 12 điểm tập kết rác tự phát",
        "responsible_person": "Phó Chủ tịch UBND phường",
        "lead_unit": "Phường Hương An",
        "cooperating_units": "Thành phố Huế",
        "start": "01/03/2026",
        "deadline": "30/09/2026",
        "milestones": "Quý II/2026: xóa 6 điểm",
        "product_description": "điểm tập kết rác được xóa bỏ",
        "product_quantity": "12",
        "product_unit": "điểm",
    }
    fields.update(typed)
    return fields


async def test_the_drafters_task_reads_as_officials_write_it() -> None:
    apis = FakeApis()
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1")
    assert r.status_code == 200
    page = r.text
    assert 'name="start" value="01/03/2026"' in page
    assert 'name="deadline" value="30/09/2026"' in page
    assert 'name="lead_unit" value="Phường Hương An"' in page
    assert 'name="cooperating_units" value="Thành phố Huế"' in page
    assert ">Quý II/2026: xóa 6 điểm</textarea>" in page
    text = visible(page)
    assert "Trình phê duyệt" in text and "Trình duyệt" not in text
    assert "Đơn vị Phường Hương An" in " ".join(text.split())
    assert "Người soạn Nguyễn Thị Lan" in " ".join(text.split())
    assert "Nguyễn Thị Lan · Phường Hương An" in text  # who is signed in, and where
    assert CODES.findall(text) == []


async def test_a_task_typed_the_officials_way_is_kept_the_apis_way() -> None:
    apis = FakeApis()
    typed = task_fields(
        start="1/4/2026",
        deadline="30/11/2026",
        milestones="6 tháng đầu năm 2026: 100 cây\nTháng 11/2026: 200 cây\n\nNăm 2026: nghiệm thu",
    )
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/tasks/t1", typed)
    assert r.status_code == 303
    _, body = apis.sent[-1]
    assert body["start"] == "2026-04-01" and body["deadline"] == "2026-11-30"
    assert body["lead_unit"] == WARD and body["cooperating_units"] == ["vn.hue"]
    assert body["milestones"] == [
        {"period": "2026-Q2", "description": "100 cây"},
        {"period": "2026-11", "description": "200 cây"},
        {"period": "2026-Q4", "description": "nghiệm thu"},
    ]
    # A unit the directory does not know stays as written (a lead unit may be any office).
    typed = task_fields(lead_unit="Sở Xây dựng thành phố Huế", milestones="2026-Q3: as stored")
    await get_and_post(apis, DRAFTER, "/portal/plans/p1/tasks/t1", typed)
    _, body = apis.sent[-1]
    assert body["lead_unit"] == "Sở Xây dựng thành phố Huế"
    assert body["milestones"] == [{"period": "2026-Q3", "description": "as stored"}]


async def test_a_day_or_period_that_is_not_one_is_refused_naming_the_field() -> None:
    apis = FakeApis()
    typed = task_fields(start="31/04/2026", deadline="09/30/2026", milestones="Quý V/2026: x")
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/tasks/t1", typed)
    assert r.status_code == 422
    assert apis.sent == []  # nothing sent, no day and month swapped
    card = r.text[r.text.index('id="task-t1"') : r.text.index('id="add-task"')]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())
    assert "Ngày bắt đầu: “31/04/2026” không phải là ngày hợp lệ" in text
    assert "Thời hạn: “09/30/2026” không phải là ngày hợp lệ" in text
    assert "Mốc tiến độ: “Quý V/2026” không phải là kỳ hợp lệ" in text
    assert 'name="start" value="31/04/2026"' in card  # what was typed stays
    assert ">Quý V/2026: x</textarea>" in card


async def test_a_comment_from_the_level_above_names_its_unit_not_a_login() -> None:
    apis = FakeApis()
    apis.status = "returned"
    apis.comments = [
        {
            "id": "k1",
            "plan_id": "p1",
            "case_id": "c1",
            "plan_version": 1,
            "task_id": "t1",
            "task_code": "HA-01",
            "text": "Đề nghị nâng lên 15 điểm",
            "author": "approver.hue",
            "on_behalf_of": None,
            "status": "open",
            "created_at": "2026-03-03T07:05:00Z",
            "resolved_by": None,
            "resolved_at": None,
            "resolution": None,
        }
    ]
    r = await get_and_post(apis, DRAFTER, "/portal/plans/p1")
    text = " ".join(visible(r.text).split())
    # who wrote it, on which version, and the day (day first, on Vietnam's clock)
    assert "Ý kiến của Cán bộ Thành phố Huế · phiên bản 1 · ngày 03/03/2026 lúc 14:05" in text
    assert ("GET cases", "p1") in apis.sent  # asked once, because the author was unknown
    assert CODES.findall(text) == []


def test_the_read_only_task_and_the_diff_read_as_officials_write() -> None:
    plan = {
        "id": "p1",
        "title": "Kế hoạch",
        "status": "submitted",
        "version": 2,
        "unit": WARD,
        "term_start": 2026,
        "term_end": 2031,
        "drafter": "drafter.huong-an",
        "task_groups": [],
        "indicators": [],
        "tasks": [a_task()],
    }
    changes = {
        "plan": {},
        "task_groups": {"added": [], "removed": [], "changed": []},
        "indicators": {"added": [], "removed": [], "changed": []},
        "tasks": {
            "added": [],
            "removed": [],
            "changed": [
                {
                    "key": "HA-01",
                    "fields": {
                        "deadline": {"from": "2026-09-30", "to": "2026-12-31"},
                        "milestones": {
                            "from": [{"period": "2026-Q2", "description": "xóa 6 điểm"}],
                            "to": [{"period": "2026-03", "description": "xóa 3 điểm"}],
                        },
                        "lead_unit": {"from": "vn.hue", "to": WARD},
                        "product_quantity": {"from": 12.0, "to": 15.0},
                    },
                }
            ],
        },
    }
    context = dict(
        plan=plan,
        groups={},
        editable=False,
        findings=None,
        refused=False,
        problem=None,
        problem_task=None,
        task_comments={},
        general_comments=[],
        item=None,
        changes=changes,
    )
    text = " ".join(visible(render("plan.html", **context)).split())
    assert "Thời hạn 01/03/2026 → 30/09/2026" in text
    assert "Mốc tiến độ Quý II/2026: xóa 6 điểm" in text
    assert "Thời hạn 30/09/2026 31/12/2026" in text  # the diff: before, after
    assert "Mốc tiến độ Quý II/2026: xóa 6 điểm Tháng 3/2026: xóa 3 điểm" in text
    assert "Đơn vị chủ trì Thành phố Huế Phường Hương An" in text
    assert "Số lượng 12 15" in text
    assert CODES.findall(text) == []
    english = " ".join(visible(render("plan.html", lang="en", **context)).split())
    assert "Milestones Q2 2026: xóa 6 điểm March 2026: xóa 3 điểm" in english
    assert CODES.findall(english) == []


async def test_the_audit_trail_reads_as_sentences_and_takes_days_day_first() -> None:
    apis = FakeApis()
    apis.records = [
        {
            "seq": 7,
            "event_id": "e7",
            "event_type": "plan.created",
            "event_version": 1,
            "occurred_at": "2026-03-02T01:00:00Z",
            "recorded_at": "2026-03-02T01:00:00Z",
            "producer": "plans",
            "actor": "drafter.huong-an",
            "org_unit": WARD,
            "subject_id": "p1",
            "plan_id": "p1",
            "correlation_id": None,
            "payload": {"plan_id": "p1", "title": "Kế hoạch Hương An", "unit": WARD},
            "prev_hash": "0",
            "hash": "1",
        },
        {
            "seq": 9,
            "event_id": "e9",
            "event_type": "approval.step_decided",
            "event_version": 1,
            "occurred_at": "2026-03-03T07:05:00Z",
            "recorded_at": "2026-03-03T07:05:00Z",
            "producer": "approvals",
            "actor": "head.huong-an",
            "org_unit": WARD,
            "subject_id": "c1",
            "plan_id": "p1",
            "correlation_id": None,
            "payload": {
                "plan_id": "p1",
                "plan_version": 1,
                "step_no": 1,
                "unit": WARD,
                "role": "head",
                "decision": "returned",
                "decided_by": "head.huong-an",
            },
            "prev_hash": "1",
            "hash": "2",
        },
    ]
    auditor = User("auditor.hue", "Kiểm tra", WARD, ("auditor",), 0)
    r = await get_and_post(
        apis, auditor, "/portal/audit?search=1&plan_id=p1&since=01/03/2026&until=03/03/2026"
    )
    assert r.status_code == 200
    _, params = apis.sent[-1]
    assert params["since"] == "2026-03-01T00:00:00+07:00"
    assert params["until"] == "2026-03-04T00:00:00+07:00"  # the whole of the 3rd
    text = " ".join(visible(r.text).split())
    assert "Đ/c Nguyễn Thị Lan lập “Kế hoạch Hương An” lúc 08:00 ngày 02/03/2026" in text
    assert (
        "Đ/c Trần Văn Bình trả lại “Kế hoạch Hương An” (phiên bản 1) ở bước 1 "
        "(Lãnh đạo đơn vị - Phường Hương An) lúc 14:05 ngày 03/03/2026"
    ) in text
    assert CODES.findall(text) == [] and "plan.created" not in text
    assert 'data-event-type="approval.step_decided"' in r.text  # codes stay in attributes
    apis.sent.clear()
    r = await get_and_post(apis, auditor, "/portal/audit?search=1&since=31/02/2026")
    assert r.status_code == 422 and apis.sent == []
    assert "Từ: “31/02/2026” không phải là thời điểm hợp lệ" in visible(r.text)


async def test_a_figure_typed_the_vietnamese_way_is_the_figure_meant() -> None:
    """ "1.000" is one thousand and "0,5" one half, never 1 or 5 saved silently."""
    apis = FakeApis()
    for typed, meant in (("1.000", 1000.0), ("0,5", 0.5), ("1.234,5", 1234.5), ("12", 12.0)):
        fields = task_fields(product_quantity=typed)
        r = await get_and_post(apis, DRAFTER, "/portal/plans/p1/tasks/t1", fields)
        assert r.status_code == 303
        _, body = apis.sent[-1]
        assert body["product_quantity"] == meant, typed
    # What is not a figure goes on as typed, for the API to name the field and the reason.
    await get_and_post(
        apis, DRAFTER, "/portal/plans/p1/tasks/t1", task_fields(product_quantity="1.0.0")
    )
    assert apis.sent[-1][1]["product_quantity"] == "1.0.0"
