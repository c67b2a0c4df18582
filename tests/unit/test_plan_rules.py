from cascade_plans.domain.diff import diff_versions
from cascade_plans.domain.plan import TaskContent
from cascade_plans.domain.rules import (
    GroupCoverage,
    IndicatorContent,
    check_coverage,
    check_indicator,
    check_mechanical_copy,
    fold,
)

PARENT_JOB = "Tập trung giải quyết dứt điểm tình trạng rác thải tự phát, chỉnh trang đô thị"


def test_coverage_needs_a_task_or_a_reason_for_every_parent_group() -> None:
    coverage = {
        "TG01": GroupCoverage("TG01", ("A",), task_count=2),
        "TG02": GroupCoverage("TG02", ("B",), task_count=0),
        "TG03": GroupCoverage("TG03", (), 0, not_applicable_reason="Phường không có biển"),
        "TG04": GroupCoverage("TG04", (), 0, not_applicable_reason="  "),
    }
    findings = check_coverage(["TG01", "TG02", "TG03", "TG04", "TG05"], coverage)
    assert [f.subject for f in findings] == ["TG02", "TG04", "TG05"]
    assert all(f.severity == "error" for f in findings)


def test_word_for_word_copy_is_flagged() -> None:
    task = TaskContent(code="T1", job=PARENT_JOB)
    [finding] = check_mechanical_copy(task, PARENT_JOB)
    assert finding.code == "mechanical-copy" and finding.severity == "warning"
    assert finding.field == "tasks.T1.job"


def test_copy_with_case_and_diacritics_changes_is_still_a_copy() -> None:
    task = TaskContent(code="T1", job=fold(PARENT_JOB).upper())
    assert check_mechanical_copy(task, PARENT_JOB)


def test_local_quantities_or_a_measurable_product_make_it_local() -> None:
    with_numbers = TaskContent(code="T1", job=PARENT_JOB + " tại 12 điểm")
    assert check_mechanical_copy(with_numbers, PARENT_JOB) == []
    measurable = TaskContent(code="T1", job=PARENT_JOB, product_quantity=12, product_unit="điểm")
    assert check_mechanical_copy(measurable, PARENT_JOB) == []
    rewritten = TaskContent(code="T1", job="Xóa các điểm rác ven sông Hương ở tổ dân phố 5")
    assert check_mechanical_copy(rewritten, PARENT_JOB) == []
    assert check_mechanical_copy(TaskContent(code="T1", job=PARENT_JOB), None) == []


def test_indicator_sanity() -> None:
    ok = IndicatorContent("CT01", "Tốc độ tăng trưởng GRDP", "%", 11.0, 2030, 8.0)
    assert check_indicator(ok, 2026, 2031) == []
    bad = IndicatorContent("CT02", "Tỷ lệ hộ dùng nước sạch", "", None, 2035)
    fields = {f.field for f in check_indicator(bad, 2026, 2031)}
    assert fields == {"indicators.CT02.unit", "indicators.CT02.target", "indicators.CT02.year"}
    over = IndicatorContent("CT03", "Tỷ lệ hộ dùng nước sạch", "%", 140.0, 2030)
    assert [f.field for f in check_indicator(over, 2026, 2031)] == ["indicators.CT03.target"]
    below = IndicatorContent("CT04", "Số km đường", "km", 5.0, 2030, baseline=10.0)
    assert [f.reason for f in check_indicator(below, 2026, 2031)] == [
        "a target to reach or exceed is below its baseline"
    ]


def test_diff_names_added_removed_and_changed_fields() -> None:
    v1 = {
        "title": "KH",
        "tasks": [
            {"id": "a", "code": "T1", "job": "x", "deadline": "2026-06-30"},
            {"id": "b", "code": "T2", "job": "y"},
        ],
        "indicators": [{"id": "i", "code": "CT01", "target": 10}],
        "task_groups": [],
    }
    v2 = {
        "title": "KH mới",
        "tasks": [
            {"id": "a", "code": "T1", "job": "x", "deadline": "2026-09-30"},
            {"id": "c", "code": "T3", "job": "z"},
        ],
        "indicators": [{"id": "i", "code": "CT01", "target": 12}],
        "task_groups": [],
    }
    d = diff_versions(v1, v2)
    assert d["plan"] == {"title": {"from": "KH", "to": "KH mới"}}
    assert [t["code"] for t in d["tasks"]["added"]] == ["T3"]
    assert [t["code"] for t in d["tasks"]["removed"]] == ["T2"]
    assert d["tasks"]["changed"] == [
        {"key": "T1", "fields": {"deadline": {"from": "2026-06-30", "to": "2026-09-30"}}}
    ]
    assert d["indicators"]["changed"][0]["fields"]["target"] == {"from": 10, "to": 12}


def test_an_unanswered_comment_is_an_error_beside_its_task_quoting_it() -> None:
    from cascade_plans.domain.rules import QUOTE_CHARS, check_unanswered_comment

    on_task = check_unanswered_comment("c-1", "HA-01", "Nêu rõ tuyến đường nào", 2).as_error()
    assert on_task["severity"] == "error" and on_task["code"] == "unanswered-comment"
    assert on_task["field"] == "tasks.HA-01.comment" and on_task["subject"] == "c-1"
    assert "“Nêu rõ tuyến đường nào”" in on_task["reason_vi"]
    assert "phiên bản 2" in on_task["reason_vi"]
    general = check_unanswered_comment("c-2", None, "x" * 1000, 1).as_error()
    assert general["field"] == "comments.c-2"
    quoted = general["reason"].split("“", 1)[1].split("”", 1)[0]
    assert len(quoted) == QUOTE_CHARS and quoted.endswith("…")
