from datetime import date

from cascade_plans.domain.plan import (
    Milestone,
    TaskContent,
    check_five_clear,
    check_plan,
    content_hash,
    level_of,
    status_after_case,
)

COMPLETE = TaskContent(
    code="T1",
    job="Xóa 12 điểm tập kết rác tự phát",
    lead_unit="vn.hue.huong-an",
    responsible_person="Phó Chủ tịch UBND phường",
    start=date(2026, 3, 1),
    deadline=date(2026, 9, 30),
    milestones=(Milestone("2026-Q2", "6 điểm"),),
    product_description="điểm tập kết rác được xóa",
    product_quantity=12,
    product_unit="điểm",
)


def elements(task: TaskContent) -> list[str]:
    return [v.element for v in check_five_clear(task)]


def test_a_complete_task_is_five_clear() -> None:
    assert check_five_clear(COMPLETE) == []


def test_an_empty_task_misses_all_five_elements_once_each() -> None:
    assert elements(TaskContent(code="T9")) == [
        "job",
        "person",
        "responsibility",
        "timeline",
        "product",
    ]


def test_vague_job_is_not_clear() -> None:
    assert elements(COMPLETE.__class__(**{**COMPLETE.__dict__, "job": "Thực hiện"})) == ["job"]


def test_lead_unit_cannot_also_cooperate() -> None:
    task = TaskContent(**{**COMPLETE.__dict__, "cooperating_units": ("vn.hue.huong-an",)})
    assert elements(task) == ["responsibility"]


def test_deadline_before_start_and_missing_milestones() -> None:
    inverted = TaskContent(**{**COMPLETE.__dict__, "deadline": date(2026, 1, 1)})
    assert elements(inverted) == ["timeline"]
    no_milestone = TaskContent(**{**COMPLETE.__dict__, "milestones": ()})
    assert elements(no_milestone) == ["timeline"]


def test_quantity_without_unit_is_not_measurable() -> None:
    task = TaskContent(**{**COMPLETE.__dict__, "product_unit": None})
    assert elements(task) == ["product"]


def test_named_document_is_a_clear_product() -> None:
    task = TaskContent(
        **{
            **COMPLETE.__dict__,
            "product_quantity": None,
            "product_unit": None,
            "product_description": "Đề án chuyển đổi số của phường",
        }
    )
    assert elements(task) == []


def test_errors_name_each_task_and_element() -> None:
    errors = [v.as_error() for v in check_plan([COMPLETE, TaskContent(code="T2", job="a b c d")])]
    assert {e["task"] for e in errors} == {"T2"}
    assert errors[0]["field"] == "tasks.T2.person"
    assert errors[0]["element_vi"] == "rõ người"


def test_content_hash_is_stable_and_order_insensitive_for_keys() -> None:
    assert content_hash({"a": 1, "b": "ư"}) == content_hash({"b": "ư", "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_stale_case_outcomes_change_nothing() -> None:
    assert status_after_case("submitted", 2, 2, "approved") == "approved"
    assert status_after_case("submitted", 2, 1, "approved") == "submitted"
    assert status_after_case("approved", 1, 1, "returned") == "approved"


def test_level_follows_the_unit_path() -> None:
    assert [level_of(u) for u in ("vn", "vn.hue", "vn.hue.huong-an")] == ["central", "city", "ward"]
