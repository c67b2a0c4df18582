"""How decisions move a case: who may decide a step, when a step is done, what comes next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Decision = Literal["approve", "return", "reject"]
StepStatus = Literal[
    "waiting", "active", "approved", "returned", "rejected", "cancelled", "carried_over"
]
CaseStatus = Literal["open", "approved", "returned", "rejected", "withdrawn", "superseded"]
DECISION_TO_STATUS: dict[str, Literal["approved", "returned", "rejected"]] = {
    "approve": "approved",
    "return": "returned",
    "reject": "rejected",
}


@dataclass(frozen=True)
class Outcome:
    """After a decision: the step is still collecting approvals, or the next step to activate,
    or the case's final outcome."""

    step_done: bool
    next_step: int | None
    case_outcome: Literal["approved", "returned", "rejected"] | None


def after_decision(
    step_no: int,
    step_count: int,
    decision: Decision,
    approvals: int = 1,
    required: int = 1,
) -> Outcome:
    """``approvals`` counts the step's approvals including this one. A return or a rejection by
    any one approver decides the step at once; approvals decide it when they reach ``required``."""
    if decision != "approve":
        outcome: Literal["returned", "rejected"] = (
            "returned" if decision == "return" else "rejected"
        )
        return Outcome(step_done=True, next_step=None, case_outcome=outcome)
    if approvals < required:
        return Outcome(step_done=False, next_step=None, case_outcome=None)
    if step_no < step_count:
        return Outcome(step_done=True, next_step=step_no + 1, case_outcome=None)
    return Outcome(step_done=True, next_step=None, case_outcome="approved")


@dataclass(frozen=True)
class CaseGroup:
    """A task group of the version under decision, and whether an approver has approved it
    already (in a partial decision on an earlier version): such a group is frozen."""

    id: str
    code: str
    title: str = ""
    approved_in_version: int | None = None


@dataclass(frozen=True)
class GroupSplit:
    """Which task groups stand approved after a decision and which go back to the drafter."""

    approved: tuple[CaseGroup, ...]
    returned: tuple[CaseGroup, ...]

    @property
    def partial(self) -> bool:
        return bool(self.approved) and bool(self.returned)


def partial_problem(
    decision: Decision,
    step_no: int,
    step_partial: bool,
    groups: Sequence[CaseGroup],
    approved_groups: Sequence[str] | None,
) -> tuple[str, str] | None:
    """Why a decision's ``approved_groups`` cannot stand, as (field, reason), or None.

    Only a return names the groups it approves (an approval approves them all), only on a step
    the routing policy lets decide in part, only groups of the version under decision, and at
    least one group must go back (otherwise the plan is simply approved)."""
    if approved_groups is None:
        return None
    if decision != "return":
        return (
            "approved_groups",
            "only a return approves some task groups and returns the others",
        )
    if not step_partial:
        return (
            "approved_groups",
            f"step {step_no} decides the plan as a whole under the routing policy",
        )
    known = {g.id for g in groups}
    unknown = [g for g in approved_groups if g not in known]
    if unknown:
        return ("approved_groups", f"the version under decision has no task group {unknown[0]}")
    if known and known <= set(approved_groups):
        return (
            "approved_groups",
            "every task group would stand approved: approve the plan instead",
        )
    return None


def split_groups(
    decision: Decision, groups: Sequence[CaseGroup], approved_groups: Sequence[str] | None
) -> GroupSplit:
    """The task groups a decision approves and returns. An approval approves every group; a
    return without ``approved_groups`` returns the groups under review and leaves those frozen
    by an earlier partial decision approved; a return with ``approved_groups`` approves exactly
    those (a frozen group left out goes back too). A rejection settles no group."""
    if decision == "approve":
        return GroupSplit(tuple(groups), ())
    if decision == "reject":
        return GroupSplit((), ())
    if approved_groups is None:
        chosen = {g.id for g in groups if g.approved_in_version is not None}
    else:
        chosen = set(approved_groups)
    return GroupSplit(
        tuple(g for g in groups if g.id in chosen),
        tuple(g for g in groups if g.id not in chosen),
    )


def comment_kind(decision: Decision) -> Literal["open", "remark"]:
    """A comment made while approving is a remark (noted, nothing to answer); one made while
    returning or rejecting is open until the drafters answer it."""
    return "remark" if decision == "approve" else "open"


def comment_required(decision: Decision) -> bool:
    """A return needs comments for the drafter; a rejection needs its reason."""
    return decision in ("return", "reject")


def first_step(
    resubmission: str, previous_outcome: str | None, returned_at_step: int | None, step_count: int
) -> int:
    """Where a new case starts: at step 1, or - when the policy says so and the previous version
    was returned - at the step that returned it (the steps before it carry over)."""
    if (
        resubmission == "from_returning_step"
        and previous_outcome == "returned"
        and returned_at_step is not None
    ):
        return min(max(returned_at_step, 1), step_count)
    return 1


@dataclass(frozen=True)
class Mandate:
    """On what ground a user decides a step: their own role, or a delegation from an absent
    approver of the step's unit."""

    acting_for: str
    on_behalf_of: str | None


@dataclass(frozen=True)
class ActiveDelegation:
    delegator: str
    delegator_roles: Sequence[str]
    unit: str


def mandate_for(
    username: str,
    user_unit: str,
    user_roles: Sequence[str],
    step_unit: str,
    step_role: str,
    delegations: Sequence[ActiveDelegation],
    already_decided_for: Sequence[str] = (),
) -> Mandate | None:
    """Whether ``username`` may decide a step of ``step_role`` in ``step_unit``, and for whom.

    Their own role comes first; otherwise an active delegation to them from a holder of the
    role in that unit who has not decided this step yet."""
    if user_unit == step_unit and step_role in user_roles and username not in already_decided_for:
        return Mandate(acting_for=username, on_behalf_of=None)
    for d in delegations:
        if (
            d.unit == step_unit
            and step_role in d.delegator_roles
            and d.delegator not in already_decided_for
        ):
            return Mandate(acting_for=d.delegator, on_behalf_of=d.delegator)
    return None


def delegation_problem(
    delegator_unit: str,
    delegate_unit: str | None,
    delegator: str,
    delegate: str,
    starts_at: datetime,
    ends_at: datetime,
) -> tuple[str, str] | None:
    """Why a delegation is not allowed, as (field, reason), or None."""
    if delegate == delegator:
        return ("delegate", "you cannot delegate to yourself")
    if delegate_unit is None:
        return ("delegate", f"no active user {delegate} is known")
    if delegate_unit != delegator_unit:
        return ("delegate", f"{delegate} is not a colleague of your unit {delegator_unit}")
    if ends_at <= starts_at:
        return ("ends_at", "the period must end after it starts")
    return None


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` working days (Saturdays and Sundays skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def subtract_working_days(end: datetime, days: int) -> datetime:
    current = end
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


DeadlineStage = Literal["remind", "overdue", "escalate"]


def deadline_stages(
    now: datetime,
    due_at: datetime,
    remind_days_before: int,
    escalate_days_after: int,
    reminded: bool,
    overdue: bool,
    escalated: bool,
) -> list[DeadlineStage]:
    """Which deadline notices an active step has coming now, each at most once, in order."""
    stages: list[DeadlineStage] = []
    if not reminded and not overdue and subtract_working_days(due_at, remind_days_before) <= now:
        if now < due_at:
            stages.append("remind")
    if due_at <= now:
        if not overdue:
            stages.append("overdue")
        if not escalated and add_working_days(due_at, escalate_days_after) <= now:
            stages.append("escalate")
    return stages
