"""The notifications service's rules for the results service's events: who is told of reports,
overdue tasks and evaluations, which notices cannot be muted, and what the messages say in
Vietnamese and English."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cascade_notifications.api.routes.preferences import KINDS
from cascade_notifications.domain.preferences import ChannelRule, channels_for
from cascade_notifications.domain.recipients import (
    CRITICAL_KINDS,
    RESULT_EVENTS,
    Person,
    addressees,
    needs_children,
    parent_unit,
    units_concerned,
)
from cascade_notifications.domain.templates import format_number, format_period, render_kind
from cascade_notifications.domain.webhooks import subscribed
from cascade_notifications.handlers import HANDLERS
from cascade_shared.chassis.registry import subscriptions
from cascade_shared.events import CATALOGUE
from jinja2 import PackageLoader

NOW = datetime(2026, 4, 21, 9, 0, tzinfo=UTC)
WARD = "vn.hue.huong-an"
PEOPLE = [
    Person("drafter.huong-an", WARD, ("drafter",)),
    Person("head.huong-an", WARD, ("head",), "en"),
    Person("auditor.huong-an", WARD, ("auditor",)),
    Person("approver.hue", "vn.hue", ("approver",)),
    Person("approver2.hue", "vn.hue", ("approver",), "en"),
    Person("head.hue", "vn.hue", ("head",)),
    Person("deputy.hue", "vn.hue", ("drafter",)),
    Person("drafter.phu-xuan", "vn.hue.phu-xuan", ("drafter",)),
    Person("head.phu-xuan", "vn.hue.phu-xuan", ("head",)),
    Person("head.vn", "vn", ("head", "approver")),
]

REPORT: dict[str, Any] = {
    "report_id": "r-1",
    "unit": WARD,
    "unit_level": "ward",
    "period": "2026-03",
    "version": 2,
    "due_on": "2026-04-20",
    "late": False,
    "submitted_by": "head.huong-an",
}
DUE: dict[str, Any] = {
    "unit": WARD,
    "unit_level": "ward",
    "period": "2026-03",
    "due_on": "2026-04-20",
}
TASK: dict[str, Any] = {
    "task_id": "t-1",
    "task_code": "HA-03",
    "job": "Chỉnh trang 12 tuyến đường kiệt",
    "plan_id": "plan-1",
    "plan_title": "Kế hoạch thực hiện Nghị quyết của phường Hương An",
    "unit": WARD,
    "lead_unit": WARD,
    "deadline": "2026-03-31",
    "days_overdue": 9,
    "escalated_to_unit": "vn.hue",
}
EVALUATION: dict[str, Any] = {
    "evaluation_id": "e-1",
    "unit": WARD,
    "period": "2026-Q1",
    "score": 87.5,
    "formula_version": "2026-1",
    "published_by": "approver.hue",
}


def told(event_type: str, payload: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    chosen = addressees(event_type, payload, PEOPLE, now=NOW)
    assert len(chosen) == len({a.person.username for a in chosen})  # each person once
    return {a.person.username: (a.kind, a.critical) for a in chosen}


def test_the_unit_above_is_the_code_without_its_last_segment() -> None:
    assert parent_unit("vn.hue.huong-an") == "vn.hue"
    assert parent_unit("vn.hue") == "vn"
    assert parent_unit("vn") is None
    assert parent_unit("") is None


def test_a_report_sent_up_goes_to_the_approvers_and_heads_of_the_unit_above() -> None:
    got = told("results.report_submitted", REPORT)
    assert got == {
        "approver.hue": ("results.report_submitted", False),
        "approver2.hue": ("results.report_submitted", False),
        "head.hue": ("results.report_submitted", False),
    }
    assert units_concerned("results.report_submitted", REPORT) == {"vn.hue"}
    city = told("results.report_submitted", {**REPORT, "unit": "vn.hue", "unit_level": "city"})
    assert city == {"head.vn": ("results.report_submitted", False)}
    # The top unit has nobody above it to send to.
    assert told("results.report_submitted", {**REPORT, "unit": "vn"}) == {}
    assert units_concerned("results.report_submitted", {**REPORT, "unit": "vn"}) == set()


@pytest.mark.parametrize(
    "event_type",
    [
        "results.report_accepted",
        "results.report_returned",
        "results.report_reopened",
        "results.report_due_soon",
    ],
)
def test_decisions_and_reminders_go_to_the_units_drafters_and_heads(event_type: str) -> None:
    payload = DUE if event_type == "results.report_due_soon" else REPORT
    assert told(event_type, payload) == {
        "drafter.huong-an": (event_type, False),
        "head.huong-an": (event_type, False),
    }
    assert units_concerned(event_type, payload) == {WARD}
    assert not needs_children(event_type, payload)


def test_an_overdue_report_goes_to_the_same_people_and_cannot_be_muted() -> None:
    assert told("results.report_overdue", DUE) == {
        "drafter.huong-an": ("results.report_overdue", True),
        "head.huong-an": ("results.report_overdue", True),
    }


def test_an_overdue_task_goes_to_the_units_heads_and_its_escalation_to_the_heads_above() -> None:
    assert told("results.task_overdue", TASK) == {"head.huong-an": ("results.task_overdue", True)}
    assert told("results.task_escalated", TASK) == {"head.hue": ("results.task_escalated", True)}
    assert units_concerned("results.task_escalated", TASK) == {"vn.hue"}
    # Without an explicit target, the escalation goes to the unit directly above.
    fallback = {**TASK, "escalated_to_unit": None}
    assert told("results.task_escalated", fallback) == {
        "head.hue": ("results.task_escalated", True)
    }


def test_a_published_evaluation_goes_to_the_units_heads_and_drafters() -> None:
    assert told("results.evaluation_published", EVALUATION) == {
        "head.huong-an": ("results.evaluation_published", False),
        "drafter.huong-an": ("results.evaluation_published", False),
    }


def test_nobody_in_a_sibling_ward_or_without_the_role_is_told() -> None:
    payloads = {"results.report_submitted": REPORT, "results.report_due_soon": DUE}
    payloads |= {"results.report_overdue": DUE, "results.evaluation_published": EVALUATION}
    for event_type in RESULT_EVENTS:
        payload = payloads.get(event_type, TASK if "task" in event_type else REPORT)
        got = told(event_type, payload)
        assert got, event_type
        assert not {"drafter.phu-xuan", "head.phu-xuan", "auditor.huong-an"} & set(got)


def test_overdue_notices_are_critical_and_reach_the_inbox_of_someone_who_muted_everything() -> None:
    critical = {"results.report_overdue", "results.task_overdue", "results.task_escalated"}
    assert {k for k in RESULT_EVENTS if k in CRITICAL_KINDS} == critical
    muted = {"*": ChannelRule(inapp=False, email=False, digest=True)}
    for kind in critical:
        channels = channels_for(kind, True, muted, has_email=True)
        assert channels.inapp and not channels.email_in_digest
    quiet = channels_for("results.report_due_soon", False, muted, has_email=True)
    assert not quiet.inapp and not quiet.email


def test_every_results_event_is_handled_listed_for_preferences_and_open_to_webhooks() -> None:
    for event_type in RESULT_EVENTS:
        assert CATALOGUE[event_type].producer == "results"
        assert event_type in subscriptions()["notifications"]
        assert event_type in HANDLERS
        assert event_type in KINDS
        # A city's subscription hears of its wards' results, only of the types it chose.
        assert subscribed("vn.hue", [event_type], event_type, WARD)
        assert subscribed("vn.hue", [], event_type, WARD)
        assert not subscribed("vn.hue", ["plan.approved"], event_type, WARD)
        assert not subscribed("vn.hue.phu-xuan", [event_type], event_type, WARD)
    assert set(RESULT_EVENTS) == {t for t in CATALOGUE if t.startswith("results.")}


def test_every_kind_has_a_vietnamese_and_an_english_template() -> None:
    templates = set(PackageLoader("cascade_notifications", "templates").list_templates())
    for kind in KINDS:
        if kind != "*":
            assert {f"vi/{kind}.j2", f"en/{kind}.j2"} <= templates, kind


def test_periods_and_scores_are_written_the_official_way() -> None:
    assert format_period("2026-03", "vi") == "tháng 3/2026"
    assert format_period("2026-12", "vi") == "tháng 12/2026"
    assert format_period("2026-Q1", "vi") == "quý I/2026"
    assert format_period("2026-Q4", "vi") == "quý IV/2026"
    assert format_period("2026", "vi") == "năm 2026"
    assert format_period("2026-03", "en") == "March 2026"
    assert format_period("2026-Q2", "en") == "Q2 2026"
    assert format_period("2026", "en") == "2026"
    assert format_period("next spring", "vi") == "next spring"
    assert format_number(87.5, "vi") == "87,5"
    assert format_number(87.5, "en") == "87.5"
    assert format_number(90.0, "vi") == "90"
    assert format_number(0.8333, "vi") == "0,83"


NAMED = {"unit_name": "Phường Hương An", "escalated_to_unit_name": "Thành phố Huế"}


def test_report_messages_name_the_period_the_unit_and_the_decision() -> None:
    vi = render_kind("results.report_submitted", {**REPORT, **NAMED, "late": True}, "vi")
    assert vi.title == (
        "Báo cáo kết quả thực hiện tháng 3/2026 của Phường Hương An chờ xem xét, tiếp nhận"
    )
    assert "hạn gửi ngày 20/04/2026" in vi.body and "gửi chậm" in vi.body
    assert "phiên bản 2" in vi.body
    en = render_kind("results.report_submitted", {**REPORT, **NAMED}, "en")
    assert en.title == "Progress report for March 2026 from Phường Hương An awaits review"
    assert "late" not in en.body

    accepted = render_kind(
        "results.report_accepted", {**REPORT, **NAMED, "comment": "Số liệu đầy đủ"}, "vi"
    )
    assert accepted.title == (
        "Báo cáo kết quả thực hiện tháng 3/2026 của Phường Hương An đã được tiếp nhận"
    )
    assert "Ý kiến: Số liệu đầy đủ" in accepted.body

    returned = {
        **REPORT,
        **NAMED,
        "period": "2026-Q1",
        "comment": "Bổ sung minh chứng",
        "comments": [
            {"task_code": "HA-03", "text": "Nêu rõ số tuyến đã hoàn thành"},
            {"indicator_code": "CT-01", "text": "Thiếu giá trị thực hiện"},
        ],
    }
    vi = render_kind("results.report_returned", returned, "vi")
    assert vi.title == (
        "Báo cáo kết quả thực hiện quý I/2026 của Phường Hương An bị trả lại để bổ sung, chỉnh sửa"
    )
    assert "Ý kiến: Bổ sung minh chứng" in vi.body
    assert "- Nhiệm vụ HA-03: Nêu rõ số tuyến đã hoàn thành" in vi.body
    assert "- Chỉ tiêu CT-01: Thiếu giá trị thực hiện" in vi.body
    en = render_kind("results.report_returned", returned, "en")
    assert en.title == "Progress report for Q1 2026 from Phường Hương An returned for revision"
    assert "Comments: Bổ sung minh chứng" in en.body and "- Task HA-03:" in en.body

    reopened = {**REPORT, **NAMED, "period": "2026", "reason": "Điều chỉnh số liệu chỉ tiêu"}
    vi = render_kind("results.report_reopened", reopened, "vi")
    assert vi.title == "Mở lại báo cáo kết quả thực hiện năm 2026 của Phường Hương An để điều chỉnh"
    assert "Lý do: Điều chỉnh số liệu chỉ tiêu" in vi.body
    en = render_kind("results.report_reopened", reopened, "en")
    assert "Reason: Điều chỉnh số liệu chỉ tiêu" in en.body and "for 2026 from" in en.title


def test_deadline_messages_give_the_due_date_dd_mm_yyyy() -> None:
    soon = render_kind("results.report_due_soon", {**DUE, **NAMED}, "vi")
    assert soon.title == "Nhắc việc: sắp đến hạn gửi báo cáo kết quả thực hiện tháng 3/2026"
    assert "Phường Hương An" in soon.body and "ngày 20/04/2026" in soon.body
    overdue = render_kind("results.report_overdue", {**DUE, **NAMED}, "vi")
    assert overdue.title == "Quá hạn gửi báo cáo kết quả thực hiện tháng 3/2026 của Phường Hương An"
    assert "đã quá hạn ngày 20/04/2026" in overdue.body
    en = render_kind("results.report_overdue", {**DUE, **NAMED}, "en")
    assert en.title == "Overdue progress report for March 2026 from Phường Hương An"
    assert "2026-04-20" in en.body


def test_task_messages_name_the_task_the_plan_and_how_late_it_is() -> None:
    vi = render_kind("results.task_overdue", {**TASK, **NAMED}, "vi")
    assert vi.title == "Nhiệm vụ quá hạn: HA-03 - Chỉnh trang 12 tuyến đường kiệt"
    assert '"Kế hoạch thực hiện Nghị quyết của phường Hương An"' in vi.body
    assert "ngày 31/03/2026" in vi.body and "quá hạn 9 ngày" in vi.body
    assert "Đơn vị chủ trì" not in vi.body  # the lead is the unit itself
    other_lead = {**TASK, **NAMED, "lead_unit": "vn.hue.phu-xuan"}
    assert (
        "Đơn vị chủ trì: vn.hue.phu-xuan."
        in render_kind("results.task_overdue", other_lead, "vi").body
    )
    esc = render_kind("results.task_escalated", {**TASK, **NAMED}, "vi")
    assert esc.title == "Đôn đốc: nhiệm vụ HA-03 của Phường Hương An quá hạn"
    assert "trực tiếp chỉ đạo, kiểm tra, đôn đốc" in esc.body
    en = render_kind("results.task_escalated", {**TASK, **NAMED}, "en")
    assert en.title == "Escalation: task HA-03 of Phường Hương An is overdue"
    assert "2026-03-31" in en.body and "9 days overdue" in en.body


def test_the_evaluation_message_gives_the_score_and_the_formula() -> None:
    vi = render_kind("results.evaluation_published", {**EVALUATION, **NAMED}, "vi")
    assert vi.title == "Công bố kết quả đánh giá quý I/2026 của Phường Hương An"
    assert "87,5 điểm" in vi.body and "2026-1" in vi.body
    en = render_kind("results.evaluation_published", {**EVALUATION, **NAMED}, "en")
    assert en.title == "Evaluation for Q1 2026 of Phường Hương An published"
    assert "87.5" in en.body


def test_a_unit_without_a_known_name_is_shown_by_its_code() -> None:
    msg = render_kind("results.report_accepted", REPORT, "vi")
    assert msg.title.endswith(f"của {WARD} đã được tiếp nhận")
