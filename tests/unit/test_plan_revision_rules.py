"""The revision rules alone: one plan per unit and program, the version in force beside a
revision, which parent changes a plan below must follow, and when a late request is chased."""

from __future__ import annotations

from datetime import date

from cascade_plans.domain.plan import (
    blocks_new_plan,
    can_discard_revision,
    can_revise,
    in_force_after_case,
    is_revision,
    status_after_case,
)
from cascade_plans.domain.revision import affecting, chase_stages, parent_changes

TASK = {
    "id": "t1",
    "code": "H-1.1",
    "job": "Chỉnh trang đô thị",
    "deadline": "2026-09-30",
    "lead_unit": "vn.hue.so-xay-dung",
    "product_description": "tuyến phố",
    "product_quantity": 10,
    "product_unit": "tuyến",
    "responsible_person": "Phó Chủ tịch",
    "milestones": [{"period": "2026-Q2", "description": "5 tuyến"}],
}


def test_one_plan_per_unit_and_program_counts_every_live_plan() -> None:
    for status in ("draft", "submitted", "returned", "approved", "withdrawn"):
        assert blocks_new_plan(status, None)
    assert not blocks_new_plan("rejected", None)  # a rejected plan makes room for a new one


def test_a_revision_starts_only_from_a_plan_in_force_and_leaves_it_in_force() -> None:
    assert can_revise("approved", 1)
    assert not can_revise("draft", None)  # never approved: edited as it is
    assert not can_revise("draft", 1)  # a revision is already under way
    assert is_revision("draft", 1) and is_revision("submitted", 1)
    assert not is_revision("approved", 1) and not is_revision("draft", None)
    assert can_discard_revision("returned", 1) and not can_discard_revision("submitted", 1)
    assert not can_discard_revision("draft", None)


def test_the_case_outcome_of_a_revision() -> None:
    # Approved: the revision is in force. Rejected: the plan stays approved, the old version.
    assert status_after_case("submitted", 2, 2, "approved", 1) == "approved"
    assert in_force_after_case(1, 2, "approved") == 2
    assert status_after_case("submitted", 2, 2, "rejected", 1) == "approved"
    assert in_force_after_case(1, 2, "rejected") == 1
    assert status_after_case("submitted", 2, 2, "returned", 1) == "returned"
    assert status_after_case("submitted", 1, 1, "rejected", None) == "rejected"
    assert status_after_case("submitted", 3, 2, "approved", 1) == "submitted"  # stale


def test_only_what_the_units_below_concretize_asks_them_to_follow() -> None:
    other = {**TASK, "id": "t2", "code": "H-1.2"}
    gone = {**TASK, "id": "t3", "code": "H-1.3"}
    old = {"tasks": [TASK, other, gone]}
    new = {
        "tasks": [
            {**TASK, "deadline": "2026-10-31", "responsible_person": "Chủ tịch"},
            {**other, "responsible_person": "Chủ tịch", "milestones": []},
        ]
    }
    changes = parent_changes(old, new)
    assert set(changes) == {"t1", "t3"}  # t2 changed only who answers for it and a milestone
    assert changes["t1"].kind == "changed"
    assert changes["t1"].fields == {"deadline": {"from": "2026-09-30", "to": "2026-10-31"}}
    assert changes["t3"].kind == "removed" and changes["t3"].code == "H-1.3"
    for name, value in (
        ("job", "Nội dung khác"),
        ("product_quantity", 12),
        ("product_unit", "km"),
        ("product_description", "vỉa hè"),
        ("lead_unit", "vn.hue.so-giao-thong"),
    ):
        assert set(parent_changes(old, {"tasks": [{**TASK, name: value}, other, gone]})) == {
            "t1"
        }, name

    assert [c.task_id for c in affecting({"t1", None, "t9"}, changes)] == ["t1"]
    assert affecting({"t2"}, changes) == []  # linked only to an unchanged task: not disturbed
    assert affecting(set(), changes) == []


def test_a_late_request_is_reminded_then_overdue_then_escalated() -> None:
    due = date(2026, 12, 31)

    def stages(day: date, **done: bool) -> list[str]:
        flags = {"reminded": False, "overdue": False, "escalated": False, **done}
        return list(chase_stages(day, due, 5, 5, **flags))

    assert stages(date(2026, 12, 1)) == []
    assert stages(date(2026, 12, 26)) == ["remind"]
    assert stages(date(2026, 12, 31)) == ["remind"]
    assert stages(date(2026, 12, 31), reminded=True) == []
    assert stages(date(2027, 1, 1), reminded=True) == ["overdue"]
    assert stages(date(2027, 1, 1)) == ["overdue"]  # found late: no reminder any more
    assert stages(date(2027, 1, 5), reminded=True, overdue=True) == []
    assert stages(date(2027, 1, 6), reminded=True, overdue=True) == ["escalate"]
    assert stages(date(2027, 2, 1)) == ["overdue", "escalate"]
    assert stages(date(2027, 2, 1), overdue=True, escalated=True) == []
