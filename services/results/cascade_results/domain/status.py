"""The four statuses of a task, computed as the Government Office's task tracking does: never
typed by anyone, always derived from the task's deadline and what its reports say."""

from __future__ import annotations

from datetime import date
from typing import Literal

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
