"""What changed between two versions of a plan, field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IGNORED = frozenset({"id"})


@dataclass
class ItemChange:
    key: str
    changes: dict[str, tuple[Any, Any]]


@dataclass
class SectionDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [
                {
                    "key": c.key,
                    "fields": {k: {"from": a, "to": b} for k, (a, b) in c.changes.items()},
                }
                for c in self.changed
            ],
        }


def _key(item: dict[str, Any]) -> str:
    # Tasks, groups and indicators keep their id across versions; the code is the fallback.
    return str(item.get("id") or item.get("code"))


def diff_section(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> SectionDiff:
    before = {_key(i): i for i in old}
    after = {_key(i): i for i in new}
    out = SectionDiff()
    for key, item in after.items():
        if key not in before:
            out.added.append(item)
            continue
        prev = before[key]
        changes = {
            f: (prev.get(f), item.get(f))
            for f in sorted(set(prev) | set(item))
            if f not in IGNORED and prev.get(f) != item.get(f)
        }
        if changes:
            out.changed.append(ItemChange(str(item.get("code") or key), changes))
    out.removed = [item for key, item in before.items() if key not in after]
    return out


def diff_versions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Task groups, indicators and tasks added, removed and changed; plan fields changed."""
    plan_fields = {
        f: {"from": old.get(f), "to": new.get(f)}
        for f in ("title", "resolution", "term_start", "term_end", "parent_plan_id")
        if old.get(f) != new.get(f)
    }
    return {
        "plan": plan_fields,
        "task_groups": diff_section(
            old.get("task_groups", []), new.get("task_groups", [])
        ).as_dict(),
        "indicators": diff_section(old.get("indicators", []), new.get("indicators", [])).as_dict(),
        "tasks": diff_section(old.get("tasks", []), new.get("tasks", [])).as_dict(),
    }
