"""How a decision moves a case: the next step, or the case's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Decision = Literal["approve", "return", "reject"]
StepStatus = Literal["waiting", "active", "approved", "returned", "rejected", "cancelled"]
DECISION_TO_STATUS: dict[str, StepStatus] = {
    "approve": "approved",
    "return": "returned",
    "reject": "rejected",
}


@dataclass(frozen=True)
class Outcome:
    """After a decision: either the next step to activate, or the case's final outcome."""

    next_step: int | None
    case_outcome: Literal["approved", "returned", "rejected"] | None


def after_decision(step_no: int, step_count: int, decision: Decision) -> Outcome:
    if decision == "approve":
        if step_no < step_count:
            return Outcome(next_step=step_no + 1, case_outcome=None)
        return Outcome(next_step=None, case_outcome="approved")
    return Outcome(next_step=None, case_outcome="returned" if decision == "return" else "rejected")


def comment_required(decision: Decision) -> bool:
    """A return needs comments for the drafter; a rejection needs its reason."""
    return decision in ("return", "reject")


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` working days (Saturdays and Sundays skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
