"""Partial decisions, the rules alone: which groups a decision approves and returns, what it may
not do, how plans freezes and thaws groups, how the drafter's notice and the audit trail tell
it, and that the shipped policy lets the city and central decide in part."""

from __future__ import annotations

import pytest
from cascade_approvals.domain.case import CaseGroup, partial_problem, split_groups
from cascade_approvals.domain.policy import StepRule, load_policy, steps_for
from cascade_approvals.service import POLICY_FILE
from cascade_notifications.domain.templates import render_kind
from cascade_plans.domain.plan import frozen_after_case
from cascade_portal.trail import sentence

from tests.unit.test_portal_names import names

GROUPS = (
    CaseGroup("g1", "I", "Xây dựng Đảng", approved_in_version=1),
    CaseGroup("g2", "II", "Phát triển kinh tế"),
    CaseGroup("g3", "III", "Văn hóa - xã hội"),
)


def test_a_partial_return_approves_exactly_the_groups_named() -> None:
    split = split_groups("return", GROUPS, ["g2"])
    assert [g.id for g in split.approved] == ["g2"]
    # g1 was frozen by an earlier decision; left out, it goes back too.
    assert [g.id for g in split.returned] == ["g1", "g3"]
    assert split.partial


def test_a_plain_return_keeps_what_was_approved_before() -> None:
    split = split_groups("return", GROUPS, None)
    assert [g.id for g in split.approved] == ["g1"]
    assert [g.id for g in split.returned] == ["g2", "g3"]


def test_approval_and_rejection_settle_the_plan_as_a_whole() -> None:
    assert [g.id for g in split_groups("approve", GROUPS, None).approved] == ["g1", "g2", "g3"]
    rejected = split_groups("reject", GROUPS, None)
    assert rejected.approved == () and rejected.returned == () and not rejected.partial


@pytest.mark.parametrize(
    ("decision", "partial", "approved", "reason"),
    [
        ("approve", True, ["g2"], "only a return"),
        ("reject", True, ["g2"], "only a return"),
        ("return", False, ["g2"], "decides the plan as a whole"),
        ("return", True, ["g9"], "no task group g9"),
        ("return", True, ["g1", "g2", "g3"], "approve the plan instead"),
    ],
)
def test_what_a_partial_decision_may_not_do(
    decision: str, partial: bool, approved: list[str], reason: str
) -> None:
    problem = partial_problem(decision, 2, partial, GROUPS, approved)  # type: ignore[arg-type]
    assert problem is not None
    assert problem[0] == "approved_groups" and reason in problem[1]


def test_no_groups_named_is_a_decision_on_the_whole_plan() -> None:
    assert partial_problem("approve", 2, False, GROUPS, None) is None
    assert partial_problem("return", 2, True, GROUPS, ["g2"]) is None
    assert partial_problem("return", 2, True, GROUPS, []) is None  # every group goes back


def test_plans_freezes_the_approved_groups_and_thaws_the_returned() -> None:
    now = {"g1": 1, "g2": None, "g3": None}
    after = frozen_after_case("returned", 2, now, ["g1", "g2"], ["g3"])
    assert after == {"g1": 1, "g2": 2, "g3": None}  # g1 keeps the version it was approved in
    assert frozen_after_case("returned", 3, after, ["g2"], ["g1", "g3"]) == {
        "g1": None,
        "g2": 2,
        "g3": None,
    }
    assert frozen_after_case("withdrawn", 3, after) == after
    for outcome in ("approved", "rejected"):
        assert frozen_after_case(outcome, 3, after) == {"g1": None, "g2": None, "g3": None}


def test_the_shipped_policy_lets_the_deciding_levels_decide_in_part() -> None:
    policy = load_policy(POLICY_FILE)
    ward = steps_for(policy, "ward", "vn.hue.huong-an", {"key_project_budget": 600})
    assert [(s.name, s.partial) for s in ward] == [
        ("ward-head-signoff", False),
        ("city-decision", True),
        ("central-review-of-large-budgets", True),
    ]
    assert StepRule(unit="own", role="head").partial is False


PARTIAL = {
    "title": "Kế hoạch phường Hương An",
    "version": 1,
    "approved_groups": [{"id": "g1", "code": "I", "title": "Xây dựng Đảng"}],
    "returned_groups": [{"id": "g2", "code": "II", "title": "Phát triển kinh tế"}],
    "comments": [],
}


def test_the_drafter_is_told_which_groups_stand_and_which_came_back() -> None:
    vi = render_kind("plan.returned", PARTIAL, "vi")
    assert "một phần" in vi.title
    assert "I. Xây dựng Đảng" in vi.body and "II. Phát triển kinh tế" in vi.body
    en = render_kind("plan.returned", PARTIAL, "en")
    assert "in part" in en.title and "II. Phát triển kinh tế" in en.body
    whole = render_kind("plan.returned", {**PARTIAL, "approved_groups": []}, "vi")
    assert "một phần" not in whole.title and "Xây dựng Đảng" not in whole.body


def test_the_audit_trail_tells_a_partial_decision() -> None:
    record = {
        "event_type": "approval.step_decided",
        "actor": "head.huong-an",
        "payload": {
            **PARTIAL,
            "plan_title": PARTIAL["title"],
            "decision": "returned",
            "step_no": 2,
            "unit": "vn.hue",
            "role": "approver",
        },
    }
    said = sentence(record, names("vi"))
    assert "phê duyệt một phần: đã phê duyệt nhóm I; trả lại nhóm II" in said
    whole = sentence({**record, "payload": {**record["payload"], "approved_groups": []}}, names())
    assert "một phần" not in whole
