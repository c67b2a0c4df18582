"""The four statuses of a task, computed as the Government Office's task tracking does: never
typed by anyone, always derived from the task's deadline and what its reports say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

TaskStatus = Literal["completed_on_time", "completed_late", "in_progress", "overdue"]

STATUS_LABELS_VI: dict[str, str] = {
    "completed_on_time": "Hoàn thành đúng hạn",
    "completed_late": "Hoàn thành quá hạn",
    "in_progress": "Chưa hoàn thành, trong hạn",
    "overdue": "Quá hạn",
}
STATUSES: tuple[TaskStatus, ...] = ("completed_on_time", "completed_late", "in_progress", "overdue")


def task_status(deadline: date | None, completed_on: date | None, as_of: date) -> TaskStatus:
    """The status of a task as of ``as_of``: completion after ``as_of`` has not happened yet."""
    if completed_on is not None and completed_on <= as_of:
        if deadline is None or completed_on <= deadline:
            return "completed_on_time"
        return "completed_late"
    if deadline is not None and as_of > deadline:
        return "overdue"
    return "in_progress"


def days_overdue(deadline: date | None, completed_on: date | None, as_of: date) -> int:
    """How late the task is as of ``as_of`` (0 when it is not overdue)."""
    if deadline is None or task_status(deadline, completed_on, as_of) != "overdue":
        return 0
    return (as_of - deadline).days


def milestone_statuses(
    milestones: Sequence[Mapping[str, Any]],
    reached: Mapping[str, str],
    as_of: date,
    period_end: Any,
) -> list[dict[str, Any]]:
    """Each milestone of a task with its status, the same four as a task's: its deadline is the
    end of its period (``2026-Q2`` is due on 30/06/2026), and it is complete on the day a report
    that counts first said it was reached (``reached``: period -> ISO date)."""
    out = []
    for m in milestones:
        period = str(m.get("period", ""))
        try:
            due = period_end(period)
        except ValueError:
            due = None
        reached_on = date.fromisoformat(reached[period]) if period in reached else None
        status = task_status(due, reached_on, as_of)
        out.append(
            {
                "period": period,
                "description": m.get("description", ""),
                "due": due,
                "reached_on": reached_on,
                "status": status,
                "status_vi": STATUS_LABELS_VI[status],
            }
        )
    return out
