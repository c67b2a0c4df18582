"""Revisions that cascade: when a plan in force is revised, which tasks of it changed in a way
the units below must follow, and which of the plans below are asked to revise. Plain values,
no HTTP and no SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

WATCHED_FIELDS: tuple[str, ...] = (
    "job",
    "product_description",
    "product_quantity",
    "product_unit",
    "deadline",
    "lead_unit",
)
"""What a unit below concretizes of a parent task: its job, its product, its deadline and who
leads it. A change elsewhere (a milestone's note, the order of tasks) asks nothing of them."""


@dataclass(frozen=True)
class ParentTaskChange:
    """One task of the parent plan that changed (field by field) or was removed."""

    task_id: str
    code: str
    kind: Literal["changed", "removed"]
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "code": self.code,
            "kind": self.kind,
            "fields": self.fields,
        }


def parent_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, ParentTaskChange]:
    """The tasks of ``old`` (the version that was in force) that ``new`` (the revision now
    approved) changed in a watched field or removed, by task id."""
    after = {t["id"]: t for t in new.get("tasks", []) if t.get("id")}
    out: dict[str, ParentTaskChange] = {}
    for task in old.get("tasks", []):
        tid = task.get("id")
        if not tid:
            continue
        now = after.get(tid)
        if now is None:
            out[tid] = ParentTaskChange(tid, task.get("code", ""), "removed")
            continue
        fields = {
            f: {"from": task.get(f), "to": now.get(f)}
            for f in WATCHED_FIELDS
            if task.get(f) != now.get(f)
        }
        if fields:
            out[tid] = ParentTaskChange(tid, now.get("code", ""), "changed", fields)
    return out


def affecting(
    links: Iterable[str | None], changes: dict[str, ParentTaskChange]
) -> list[ParentTaskChange]:
    """The parent changes a child plan must follow: those of the parent tasks its tasks link to,
    in the parent's order. Empty when the child links only to unchanged tasks."""
    linked = {link for link in links if link}
    return [c for tid, c in changes.items() if tid in linked]


@dataclass(frozen=True)
class RevisionTerms:
    """How long a plan below has to follow its parent's revision (calendar days), from the
    routing policy in force."""

    days: int
    remind_days_before: int
    escalate_days_after: int


def request_due(approved_on: date, days: int) -> date:
    """The day the child's revision is due: ``days`` after the parent's revision was approved."""
    return approved_on + timedelta(days=days)


RequestStatus = Literal["open", "closed"]
ChaseStage = Literal["remind", "overdue", "escalate"]


def chase_stages(
    today: date,
    due: date,
    remind_days_before: int,
    escalate_days_after: int,
    *,
    reminded: bool,
    overdue: bool,
    escalated: bool,
) -> list[ChaseStage]:
    """The notices an open request needs today: a reminder within ``remind_days_before`` of
    its date (unless it is already late), the overdue notice the day after it, the escalation
    ``escalate_days_after`` later. Each is sent once; a request found late straight away gets
    the overdue notice, not a reminder."""
    out: list[ChaseStage] = []
    if today > due:
        if not overdue:
            out.append("overdue")
        if not escalated and today > due + timedelta(days=escalate_days_after):
            out.append("escalate")
    elif not reminded and not overdue and today >= due - timedelta(days=remind_days_before):
        out.append("remind")
    return out


def closes_request(request_status: str, child_outcome: str) -> bool:
    """An open request closes when the child's next revision is approved."""
    return request_status == "open" and child_outcome == "approved"
