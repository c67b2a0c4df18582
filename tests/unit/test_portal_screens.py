"""Screens rendered from API answers, without a server: the approver's queue keeps the API's
deadline order and marks overdue steps; the coverage table and the plan's findings sit where
they belong; everything the APIs send is escaped."""

from __future__ import annotations

from typing import Any

from cascade_portal.i18n import translator
from cascade_portal.problems import sort_findings
from cascade_portal.web import User, templates

APPROVER = User("approver.hue", "Lãnh đạo", "vn.hue", ("approver",), 0)


def render(name: str, user: User = APPROVER, lang: str = "vi", **context: Any) -> str:
    frame = {"t": translator(lang), "lang": lang, "user": user, "unread": 3, "prefix": "/portal"}
    frame.update(path="/portal/x", here="/portal/x", flash=None)
    return templates.get_template(name).render(**frame, **context)


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
    assert "01/11/2026 15:00" in rows[0]  # on Vietnam's clock
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
    assert group < html.index("Not covered: y") < html.index('id="tasks"')
    assert "The plan was not submitted" in html


def test_times_read_on_vietnams_clock() -> None:
    from cascade_portal.web import local_time

    assert local_time("2026-11-23T17:30:00Z") == "24/11/2026 00:30"
    assert local_time("2026-11-23T17:30:00+00:00", False) == "24/11/2026"
    assert local_time("2026-11-23T10:00:00") == "23/11/2026 17:00"  # naive: UTC
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
