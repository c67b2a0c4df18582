from datetime import UTC, datetime
from pathlib import Path

import cascade_approvals
import pytest
from cascade_approvals.domain.case import add_working_days, after_decision, comment_required
from cascade_approvals.domain.policy import load_policy, steps_for

POLICY = load_policy(Path(cascade_approvals.__file__).parent / "policy.json")


def test_ward_plan_goes_to_ward_head_then_city_approver() -> None:
    steps = steps_for(POLICY, "ward", "vn.hue.huong-an")
    assert [(s.step_no, s.unit, s.role) for s in steps] == [
        (1, "vn.hue.huong-an", "head"),
        (2, "vn.hue", "approver"),
    ]


def test_city_program_goes_to_central() -> None:
    steps = steps_for(POLICY, "city", "vn.hue")
    assert steps[-1].unit == "vn" and steps[-1].role == "approver"


def test_central_has_no_parent() -> None:
    from cascade_approvals.domain.policy import resolve_unit

    with pytest.raises(ValueError):
        resolve_unit("parent", "vn")


def test_decisions_move_the_case() -> None:
    assert after_decision(1, 2, "approve").next_step == 2
    assert after_decision(2, 2, "approve").case_outcome == "approved"
    assert after_decision(1, 2, "return").case_outcome == "returned"
    assert after_decision(1, 2, "reject").case_outcome == "rejected"
    assert comment_required("return") and comment_required("reject")
    assert not comment_required("approve")


def test_deadlines_count_working_days() -> None:
    friday = datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert add_working_days(friday, 1).weekday() == 0  # Monday
    assert (add_working_days(friday, 5) - friday).days == 7
