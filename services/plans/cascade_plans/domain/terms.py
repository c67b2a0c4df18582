"""The next term (kế thừa): what a plan in force hands on to the plan of the term after it.

Plain functions over a frozen version's content (``store.task_dict`` rows) and the results
service's task rows; the route gathers them and writes the new plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FINISHED = frozenset({"completed_on_time", "completed_late"})
"""The results service's computed statuses of a finished task (done, on time or late)."""


def finished_task_ids(rows: Iterable[Mapping[str, Any]], plan_id: str) -> set[str]:
    """The tasks of ``plan_id`` the results service counts as completed (its task rows carry
    the plan's task ids). A task results does not track (yet) is not finished."""
    return {
        str(r["id"]) for r in rows if r.get("plan_id") == plan_id and r.get("status") in FINISHED
    }


def term_problem(source_end: int, term_start: int, term_end: int) -> tuple[str, str] | None:
    """The next term begins after the source's term ends, and ends no earlier than it begins:
    the field at fault and why, or None."""
    if term_start <= source_end:
        return (
            "term_start",
            f"the next term starts after this term ends ({source_end}): from {source_end + 1}",
        )
    if term_end < term_start:
        return ("term_end", "the term ends before it starts")
    return None


def carried_parent_task(
    parent_task_id: str | None,
    old_parent_codes: Mapping[str, str],
    new_parent_ids: Mapping[str, str],
) -> str | None:
    """A carried task's link to the program above: the new program's task with the code of the
    old program's task it followed, or no link (``old_parent_codes``: old parent task id →
    code; ``new_parent_ids``: new parent task code → id)."""
    code = old_parent_codes.get(parent_task_id or "")
    return new_parent_ids.get(code) if code is not None else None


def carried_tasks(
    tasks: Iterable[Mapping[str, Any]],
    finished: set[str],
    old_parent_codes: Mapping[str, str],
    new_parent_ids: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The tasks the next term takes on, in their order: every task not finished, with its
    content unchanged (its deadline and milestones too: the rules tell the drafter which fall
    outside the new term), linked to where it came from (``carried_from_task_id``) and to the
    new program's task of the same code, if any (``parent_task_id``)."""
    out: list[dict[str, Any]] = []
    for task in tasks:
        if task["id"] in finished:
            continue
        out.append(
            {
                **{k: v for k, v in task.items() if k != "id"},
                "carried_from_task_id": task["id"],
                "parent_task_id": carried_parent_task(
                    task.get("parent_task_id"), old_parent_codes, new_parent_ids
                ),
            }
        )
    return out


def carried_groups(
    groups: Iterable[Mapping[str, Any]], new_parent_groups: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The task groups, all of them, linked to the new program's group of the same code (code →
    id), if any; a not-applicable reason stays (the drafter reviews it)."""
    return [
        {
            "code": g["code"],
            "title": g["title"],
            "not_applicable_reason": g.get("not_applicable_reason"),
            "parent_task_group_id": new_parent_groups.get(g["code"]),
        }
        for g in groups
    ]
