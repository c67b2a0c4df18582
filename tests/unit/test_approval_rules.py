from datetime import UTC, datetime
from pathlib import Path

import cascade_approvals
import pytest
from cascade_approvals.domain.case import (
    ActiveDelegation,
    Mandate,
    add_working_days,
    after_decision,
    comment_required,
    deadline_stages,
    delegation_problem,
    first_step,
    mandate_for,
)
from cascade_approvals.domain.policy import Policy, load_policy, required_approvals, steps_for
from pydantic import ValidationError

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


# -- policy as data -------------------------------------------------------------------------
def _policy(**ward: object) -> Policy:
    return Policy.model_validate(
        {
            "version": "t",
            "chains": {
                "ward": {
                    "steps": [
                        {"unit": "own", "role": "head"},
                        {"unit": "parent", "role": "approver", "mode": "all"},
                        {
                            "unit": "central",
                            "role": "approver",
                            "mode": "k_of_n",
                            "k": 2,
                            "when": [{"fact": "total_budget", "op": ">", "value": 500}],
                        },
                    ],
                    **ward,
                }
            },
        }
    )


def test_a_conditional_step_applies_only_when_the_plan_meets_it() -> None:
    policy = _policy()
    small = steps_for(policy, "ward", "vn.hue.huong-an", {"total_budget": 120})
    large = steps_for(policy, "ward", "vn.hue.huong-an", {"total_budget": 800})
    assert [s.unit for s in small] == ["vn.hue.huong-an", "vn.hue"]
    assert [(s.step_no, s.unit, s.mode, s.k) for s in large][-1] == (3, "vn", "k_of_n", 2)


def test_the_shipped_policy_sends_large_budgets_to_central() -> None:
    small = steps_for(POLICY, "ward", "vn.hue.huong-an", {"key_project_budget": 10})
    large = steps_for(POLICY, "ward", "vn.hue.huong-an", {"key_project_budget": 501})
    assert len(small) == 2 and len(large) == 3 and large[-1].unit == "vn"


def test_k_of_n_needs_k_and_only_k_of_n_takes_k() -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate(
            {
                "version": "x",
                "chains": {"ward": [{"unit": "own", "role": "head", "mode": "k_of_n"}]},
            }
        )
    with pytest.raises(ValidationError):
        Policy.model_validate(
            {"version": "x", "chains": {"ward": [{"unit": "own", "role": "head", "k": 2}]}}
        )


def test_unknown_policy_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate(
            {"version": "x", "chains": {"ward": [{"unit": "own", "role": "head", "x": 1}]}}
        )


def test_required_approvals_by_mode() -> None:
    assert required_approvals("any", None, 5) == 1
    assert required_approvals("all", None, 3) == 3
    assert required_approvals("all", None, 0) == 1
    assert required_approvals("k_of_n", 2, 5) == 2


# -- decisions ------------------------------------------------------------------------------
def test_a_step_in_all_mode_waits_for_every_approval() -> None:
    assert after_decision(2, 2, "approve", approvals=1, required=2).step_done is False
    done = after_decision(2, 2, "approve", approvals=2, required=2)
    assert done.step_done and done.case_outcome == "approved"


def test_one_return_decides_a_step_that_collects_approvals() -> None:
    out = after_decision(1, 3, "return", approvals=0, required=3)
    assert out.step_done and out.case_outcome == "returned" and out.next_step is None


def test_resubmission_resumes_at_the_returning_step_only_when_the_policy_says_so() -> None:
    assert first_step("from_returning_step", "returned", 2, 2) == 2
    assert first_step("from_start", "returned", 2, 2) == 1
    assert first_step("from_returning_step", "withdrawn", None, 2) == 1
    assert first_step("from_returning_step", "returned", 3, 2) == 2  # policy got shorter


def test_own_role_comes_first_then_a_delegation() -> None:
    boss = ActiveDelegation("approver.hue", ["approver"], "vn.hue")
    own = mandate_for("approver2.hue", "vn.hue", ["approver"], "vn.hue", "approver", [boss])
    assert own == Mandate("approver2.hue", None)
    stand_in = mandate_for("clerk.hue", "vn.hue", ["drafter"], "vn.hue", "approver", [boss])
    assert stand_in == Mandate("approver.hue", "approver.hue")


def test_no_mandate_for_another_unit_or_role_or_a_second_vote() -> None:
    boss = ActiveDelegation("approver.hue", ["approver"], "vn.hue")
    assert mandate_for("x", "vn.da-nang", ["approver"], "vn.hue", "approver", []) is None
    assert mandate_for("x", "vn.hue", ["head"], "vn.hue", "approver", []) is None
    assert mandate_for("x", "vn.hue", ["drafter"], "vn.hue", "head", [boss]) is None
    assert (
        mandate_for("clerk", "vn.hue", [], "vn.hue", "approver", [boss], ["approver.hue"]) is None
    )
    assert mandate_for("a", "vn.hue", ["approver"], "vn.hue", "approver", [], ["a"]) is None


def test_delegation_rules() -> None:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    t1 = datetime(2026, 3, 9, tzinfo=UTC)
    assert delegation_problem("vn.hue", "vn.hue", "a", "b", t0, t1) is None
    assert delegation_problem("vn.hue", "vn.hue", "a", "a", t0, t1) == (
        "delegate",
        "you cannot delegate to yourself",
    )
    assert delegation_problem("vn.hue", "vn.da-nang", "a", "b", t0, t1)[0] == "delegate"  # type: ignore[index]
    assert delegation_problem("vn.hue", None, "a", "b", t0, t1)[0] == "delegate"  # type: ignore[index]
    assert delegation_problem("vn.hue", "vn.hue", "a", "b", t1, t0)[0] == "ends_at"  # type: ignore[index]


# -- deadlines ------------------------------------------------------------------------------
DUE = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday


def _stages(now: datetime, **done: bool) -> list[str]:
    flags = {"reminded": False, "overdue": False, "escalated": False, **done}
    return list(deadline_stages(now, DUE, 1, 2, **flags))


def test_a_reminder_comes_a_working_day_before_the_deadline_once() -> None:
    assert _stages(datetime(2026, 3, 9, 9, 0, tzinfo=UTC)) == []
    assert _stages(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) == ["remind"]
    assert _stages(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), reminded=True) == []


def test_overdue_at_the_deadline_and_escalation_after_the_grace_days() -> None:
    assert _stages(datetime(2026, 3, 11, 9, 0, tzinfo=UTC), reminded=True) == ["overdue"]
    friday = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    assert _stages(friday, reminded=True, overdue=True) == ["escalate"]
    assert _stages(friday, reminded=True, overdue=True, escalated=True) == []
    # a scheduler that was down the whole time catches up: overdue and escalated at once
    assert _stages(friday) == ["overdue", "escalate"]
