"""The next term (kế thừa): which tasks a plan hands on, and how they are linked."""

from __future__ import annotations

from cascade_plans.domain.terms import (
    carried_groups,
    carried_parent_task,
    carried_tasks,
    finished_task_ids,
    term_problem,
)

ROWS = [
    {"id": "t1", "plan_id": "p", "status": "completed_on_time"},
    {"id": "t2", "plan_id": "p", "status": "completed_late"},
    {"id": "t3", "plan_id": "p", "status": "overdue"},
    {"id": "t4", "plan_id": "p", "status": "in_progress"},
    {"id": "t5", "plan_id": "other", "status": "completed_on_time"},
]


def test_finished_is_completed_on_time_or_late_in_this_plan() -> None:
    assert finished_task_ids(ROWS, "p") == {"t1", "t2"}
    assert finished_task_ids([], "p") == set()


def test_the_next_term_starts_after_this_one_ends() -> None:
    assert term_problem(2031, 2032, 2036) is None
    assert term_problem(2031, 2032, 2032) is None
    assert term_problem(2031, 2031, 2036)[0] == "term_start"  # type: ignore[index]
    assert term_problem(2031, 2026, 2031)[0] == "term_start"  # type: ignore[index]
    assert term_problem(2031, 2033, 2032)[0] == "term_end"  # type: ignore[index]


def test_a_parent_link_follows_the_code_into_the_new_program_or_goes() -> None:
    old = {"old-a": "A-1", "old-b": "B-1"}
    new = {"A-1": "new-a"}
    assert carried_parent_task("old-a", old, new) == "new-a"
    assert carried_parent_task("old-b", old, new) is None  # the new program has no B-1
    assert carried_parent_task("gone", old, new) is None  # not a task of the old program
    assert carried_parent_task(None, old, new) is None
    assert carried_parent_task("old-a", old, {}) is None  # no program above now


def test_unfinished_tasks_come_along_unchanged_and_linked() -> None:
    tasks = [
        {"id": "t1", "code": "X-1", "deadline": "2027-06-30", "parent_task_id": "old-a"},
        {"id": "t3", "code": "X-3", "deadline": "2028-06-30", "parent_task_id": "old-a"},
        {"id": "t4", "code": "X-4", "deadline": "2031-06-30", "parent_task_id": None},
        {"id": "t6", "code": "X-6", "deadline": None, "parent_task_id": "old-b"},
    ]
    carried = carried_tasks(tasks, {"t1"}, {"old-a": "A-1", "old-b": "B-1"}, {"A-1": "new-a"})
    assert [t["code"] for t in carried] == ["X-3", "X-4", "X-6"]
    assert [t["carried_from_task_id"] for t in carried] == ["t3", "t4", "t6"]
    assert [t["parent_task_id"] for t in carried] == ["new-a", None, None]
    assert all("id" not in t for t in carried)
    assert carried[0]["deadline"] == "2028-06-30"  # not moved: the rules flag it
    assert tasks[1]["parent_task_id"] == "old-a"  # the source is not changed


def test_task_groups_all_come_along_linked_by_code() -> None:
    groups = [
        {"id": "g1", "code": "I", "title": "Một", "parent_task_group_id": "old"},
        {"id": "g2", "code": "II", "title": "Hai", "not_applicable_reason": "Không áp dụng"},
    ]
    assert carried_groups(groups, {"I": "new-I"}) == [
        {
            "code": "I",
            "title": "Một",
            "not_applicable_reason": None,
            "parent_task_group_id": "new-I",
        },
        {
            "code": "II",
            "title": "Hai",
            "not_applicable_reason": "Không áp dụng",
            "parent_task_group_id": None,
        },
    ]
