"""Problem details and plan findings, in the user's language and next to their fields."""

from __future__ import annotations

from cascade_portal.problems import problem_view, sort_findings

FIVE_CLEAR = [
    {
        "field": "tasks.HA-01.person",
        "task": "HA-01",
        "element": "person",
        "element_vi": "rõ người",
        "reason": "name the responsible official",
    },
    {
        "field": "tasks.HA-01.timeline",
        "task": "HA-01",
        "element": "timeline",
        "element_vi": "rõ thời gian",
        "reason": "give both a start date and a deadline",
    },
    {
        "code": "coverage",
        "severity": "error",
        "field": "task_groups.TG02",
        "reason": "task group TG02 of the parent plan has no task here; add one or mark it "
        "not applicable with a reason",
        "subject": "TG02",
    },
    {
        "code": "indicator",
        "severity": "error",
        "field": "indicators.CT01.target",
        "reason": "the target is out of range",
        "subject": "CT01",
    },
    {"field": "tasks", "reason": "the plan has no tasks"},
]
COPY = [
    {
        "code": "mechanical-copy",
        "severity": "warning",
        "field": "tasks.H-1.1.job",
        "reason": "the job repeats the parent task (97% alike) and adds nothing local or "
        "measurable: name local places, quantities and a measurable product",
        "subject": "H-1.1",
    }
]


def test_findings_go_next_to_the_fields_they_concern() -> None:
    f = sort_findings(FIVE_CLEAR, COPY, "vi")
    assert (f.errors, f.warnings) == (5, 1)
    assert [m.text for m in f.tasks["HA-01"]["person"]] == [
        "Chưa rõ người: ghi rõ cán bộ chịu trách nhiệm"
    ]
    assert f.tasks["HA-01"]["timeline"][0].text.startswith("Chưa rõ thời gian: ghi cả ngày")
    assert f.task_count("HA-01") == 2
    # a task code with a dot keeps it; the copy warning sits by the job, as a warning
    [copy] = f.tasks["H-1.1"]["job"]
    assert copy.severity == "warning" and "97% giống" in copy.text
    assert f.groups["TG02"][0].text.startswith("Chưa bao phủ: nhóm TG02")
    assert f.indicators["CT01"][0].text == "Chỉ tiêu chưa hợp lệ: the target is out of range"
    assert [m.text for m in f.general] == ["kế hoạch chưa có nhiệm vụ nào"]


def test_findings_in_english_keep_the_api_reason() -> None:
    f = sort_findings(FIVE_CLEAR, COPY, "en")
    assert f.tasks["HA-01"]["person"][0].text == "Person not clear: name the responsible official"
    assert f.tasks["H-1.1"]["job"][0].text.startswith("Mechanical copy: the job repeats")
    assert f.of_task("nothing") == {}


def test_a_problem_is_titled_in_the_users_language_with_each_field_named() -> None:
    body = {
        "type": "https://cascade.example/problems/validation",
        "title": "Invalid request",
        "status": 422,
        "detail": "ends_at: must be after starts_at",
        "errors": [
            {"field": "body.deadline", "reason": "a comment is required"},
            {"field": "delegate", "reason": "not a colleague of your unit"},
            {"field": "body.something_else", "reason": "raw reason"},
        ],
    }
    view = problem_view(422, body, "vi")
    assert view.title == "Dữ liệu chưa hợp lệ."
    assert view.detail == ""  # the lines say it in Vietnamese; the English summary is not shown
    assert problem_view(422, body, "en").detail == "ends_at: must be after starts_at"
    assert problem_view(409, {"detail": "a submitted plan"}, "vi").detail == "a submitted plan"
    assert [m.text for m in view.messages] == [
        "Thời hạn: cần ghi ý kiến",
        "Đồng nghiệp nhận ủy quyền: not a colleague of your unit",
        "body.something_else: raw reason",
    ]
    assert problem_view(403, {"detail": "outside your unit"}, "en").title == (
        "You are not allowed to see or do this."
    )
    assert problem_view(502, "not json", "vi").title == "Dịch vụ tạm thời không phản hồi."
    five = problem_view(422, {"errors": FIVE_CLEAR[:1]}, "en")
    assert five.messages[0].text == "Person not clear: name the responsible official"


def test_numbers_read_as_officials_write_them() -> None:
    from cascade_portal.web import number, templates

    # A form field holds a figure as its language writes it, every digit kept, read back as is.
    assert [number(v) for v in (12.0, 12.5, None, "", 3)] == ["12", "12,5", "", "", "3"]
    assert [number(v, "en") for v in (12.0, 12.5, 1000.0)] == ["12", "12.5", "1000"]
    html = templates.from_string("{{ task.product_quantity | num }}").render(task={})
    assert html == ""


def test_a_generic_job_warning_sits_by_the_job_in_both_languages() -> None:
    from cascade_plans.domain.plan import TaskContent
    from cascade_plans.domain.rules import check_generic_job

    [warning] = [
        f.as_error() for f in check_generic_job(TaskContent("HA-02", "Tuyên truyền nghị quyết"))
    ]
    vi = sort_findings([], [warning], "vi")
    [message] = vi.tasks["HA-02"]["job"]
    assert message.severity == "warning" and vi.warnings == 1
    assert message.text.startswith("Việc chung chung: nhiệm vụ chỉ nêu hoạt động chung chung")
    assert "đối tượng, địa bàn" in message.text
    en = sort_findings([], [warning], "en")
    assert en.tasks["HA-02"]["job"][0].text.startswith("Generic job: the job names only")
    # the reason without its Vietnamese (an older API) is translated by the catalogue
    bare = {k: v for k, v in warning.items() if k != "reason_vi"}
    assert sort_findings([], [bare], "vi").tasks["HA-02"]["job"][0].text == message.text
