"""A progress report: what each line may say, and the steps it goes through.

draft --(head signs off)--> submitted --(level above)--> accepted
                                      \\--> returned --(edited, signed off again)--> submitted
A locked period is changed only by a reopening, which starts a new version of the report in
draft; the versions before it stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

ReportStatus = Literal["draft", "submitted", "accepted", "returned"]
ProgressState = Literal["not_started", "in_progress", "done", "blocked"]
PROGRESS_STATES: tuple[ProgressState, ...] = ("not_started", "in_progress", "done", "blocked")
EDITABLE: frozenset[str] = frozenset({"draft", "returned"})
COUNTED: frozenset[str] = frozenset({"submitted", "accepted"})
"""Reports whose figures count for statuses, roll-ups and scores."""

STATUS_VI: dict[str, str] = {
    "draft": "Đang soạn",
    "submitted": "Đã gửi, chờ tiếp nhận",
    "accepted": "Đã tiếp nhận",
    "returned": "Bị trả lại",
}
MAX_NARRATIVE = 4000
MAX_DOCUMENT = 500


@dataclass(frozen=True)
class TaskLine:
    """What a unit says of one task in one report."""

    task_code: str
    state: ProgressState = "not_started"
    percent: float = 0.0
    product_quantity: float | None = None
    product_document: str | None = None
    narrative: str = ""
    blocked_reason: str | None = None
    completed_on: date | None = None
    milestones_reached: tuple[str, ...] = ()


def check_task_line(
    line: TaskLine, *, product_unit: str | None, milestones: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """The rules of one task line; each error names ``tasks.<code>.<field>``."""
    errors: list[dict[str, str]] = []

    def fail(name: str, reason: str) -> None:
        errors.append({"field": f"tasks.{line.task_code}.{name}", "reason": reason})

    if line.state not in PROGRESS_STATES:
        fail("state", f"one of {', '.join(PROGRESS_STATES)}")
    if not 0 <= line.percent <= 100:
        fail("percent", "a percentage from 0 to 100")
    if line.product_quantity is not None and line.product_quantity < 0:
        fail("product_quantity", "the product delivered so far is not negative")
    if line.state == "done":
        if line.percent != 100:
            fail("percent", "a task that is done is 100% done")
        has_document = bool((line.product_document or "").strip())
        if line.product_quantity in (None, 0) and not has_document:
            what = f"the quantity delivered ({product_unit})" if product_unit else "the document"
            fail("product", f"a task that is done names its product: {what}")
    if line.state == "not_started" and line.percent > 0:
        fail("percent", "a task not started is 0% done")
    if line.state == "blocked" and not (line.blocked_reason or "").strip():
        fail("blocked_reason", "say what blocks the task")
    if line.completed_on is not None and line.state != "done":
        fail("completed_on", "only a task that is done has a completion date")
    unknown = [p for p in line.milestones_reached if p not in milestones]
    if unknown:
        fail(
            "milestones_reached",
            f"not milestones of this task: {', '.join(unknown)} "
            f"(its milestones: {', '.join(milestones) or 'none'})",
        )
    if len(line.narrative) > MAX_NARRATIVE:
        fail("narrative", f"at most {MAX_NARRATIVE} characters")
    if len(line.product_document or "") > MAX_DOCUMENT:
        fail("product_document", f"at most {MAX_DOCUMENT} characters")
    return errors


def check_actual(code: str, actual: Any) -> list[dict[str, str]]:
    """An indicator's actual value is a number (or not given yet)."""
    if actual is None:
        return []
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return [{"field": f"indicators.{code}.actual", "reason": "a number"}]
    if actual != actual or actual in (float("inf"), float("-inf")):
        return [{"field": f"indicators.{code}.actual", "reason": "a finite number"}]
    return []


def may_edit(status: str) -> bool:
    return status in EDITABLE


def next_status(status: str, action: Literal["sign_off", "accept", "return"]) -> ReportStatus:
    """The status after ``action``; ValueError says why the action does not apply now."""
    if action == "sign_off":
        if status not in EDITABLE:
            raise ValueError(f"a {status} report cannot be signed off")
        return "submitted"
    if status != "submitted":
        raise ValueError(f"only a submitted report is accepted or returned, this one is {status}")
    return "accepted" if action == "accept" else "returned"


def is_late(submitted_on: date, due_on: date) -> bool:
    return submitted_on > due_on
