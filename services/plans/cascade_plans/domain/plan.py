"""What a plan holds, as plain values, and the rules a plan must pass before it is submitted."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Element = Literal["job", "person", "responsibility", "timeline", "product"]

ELEMENT_NAMES_VI: dict[str, str] = {
    "job": "rõ việc",
    "person": "rõ người",
    "responsibility": "rõ trách nhiệm",
    "timeline": "rõ thời gian",
    "product": "rõ sản phẩm",
}


@dataclass(frozen=True)
class Milestone:
    period: str
    description: str = ""


@dataclass(frozen=True)
class TaskContent:
    code: str
    job: str = ""
    task_group: str | None = None
    lead_unit: str | None = None
    cooperating_units: tuple[str, ...] = ()
    responsible_person: str | None = None
    start: date | None = None
    deadline: date | None = None
    milestones: tuple[Milestone, ...] = ()
    product_description: str | None = None
    product_quantity: float | None = None
    product_unit: str | None = None
    parent_task: str | None = None


@dataclass(frozen=True)
class Violation:
    """One missing element of one task: the error names both."""

    task: str
    element: Element
    reason: str

    def as_error(self) -> dict[str, str]:
        return {
            "field": f"tasks.{self.task}.{self.element}",
            "task": self.task,
            "element": self.element,
            "element_vi": ELEMENT_NAMES_VI[self.element],
            "reason": self.reason,
        }


MIN_JOB_WORDS = 3


def check_five_clear(task: TaskContent) -> list[Violation]:
    """The "5 clear" rule (5 rõ): clear job, person, responsibility, timeline and product."""
    out: list[Violation] = []

    def miss(element: Element, reason: str) -> None:
        out.append(Violation(task.code, element, reason))

    if len(task.job.split()) < MIN_JOB_WORDS:
        miss("job", f"describe the job concretely (at least {MIN_JOB_WORDS} words)")
    if not (task.responsible_person or "").strip():
        miss("person", "name the responsible official")
    if not (task.lead_unit or "").strip():
        miss("responsibility", "name exactly one lead unit")
    elif task.lead_unit in task.cooperating_units:
        miss("responsibility", "the lead unit cannot also be a cooperating unit")
    if task.start is None or task.deadline is None:
        miss("timeline", "give both a start date and a deadline")
    elif task.deadline < task.start:
        miss("timeline", "the deadline is before the start")
    elif not task.milestones:
        miss("timeline", "give at least one milestone by month or quarter")
    has_measure = task.product_quantity is not None and bool((task.product_unit or "").strip())
    if not (task.product_description or "").strip():
        miss("product", "describe the product: a quantity with its unit, or a named document")
    elif not has_measure and task.product_quantity is not None:
        miss("product", "a product quantity needs its unit")
    return out


def check_plan(tasks: list[TaskContent]) -> list[Violation]:
    """Every violation of every task, in task order."""
    violations: list[Violation] = []
    for task in tasks:
        violations.extend(check_five_clear(task))
    return violations


@dataclass
class PlanContent:
    """A plan version's content: what is hashed, frozen on submission and diffed."""

    title: str
    unit: str
    resolution: str
    term_start: int
    term_end: int
    parent_plan_id: str | None
    task_groups: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def in_force(content: dict[str, Any]) -> dict[str, Any]:
    """What ``plan.approved`` carries of the approved version's content, so results can track
    its tasks and indicators without calling back."""
    return {
        "term_start": content.get("term_start"),
        "term_end": content.get("term_end"),
        "tasks": content.get("tasks", []),
        "indicators": content.get("indicators", []),
    }


def plan_facts(content: dict[str, Any]) -> dict[str, float]:
    """What the approval routing may look at: counts, and the total budget of the tasks that
    name one (billion VND)."""
    tasks = content.get("tasks", [])
    return {
        "task_count": float(len(tasks)),
        "indicator_count": float(len(content.get("indicators", []))),
        "task_group_count": float(len(content.get("task_groups", []))),
        "total_budget": float(sum(t.get("budget") or 0 for t in tasks)),
        "key_project_budget": float(
            sum(t.get("budget") or 0 for t in tasks if t.get("kind") == "key_project")
        ),
    }


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a version's content."""
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- lifecycle ------------------------------------------------------------------------------------
PlanStatus = Literal["draft", "submitted", "returned", "approved", "rejected", "withdrawn"]
# A withdrawn plan goes back to its drafter like a returned one; resubmitting makes a new version.
EDITABLE: frozenset[str] = frozenset({"draft", "returned", "withdrawn"})
NEW_VERSION_ON_SUBMIT: frozenset[str] = frozenset({"returned", "withdrawn"})
OUTCOME_TO_STATUS: dict[str, PlanStatus] = {
    "approved": "approved",
    "returned": "returned",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
}


def can_submit(status: str) -> bool:
    return status in EDITABLE


def can_edit(status: str) -> bool:
    return status in EDITABLE


def can_withdraw(status: str) -> bool:
    """The submitter may withdraw before the final decision."""
    return status == "submitted"


def status_after_case(current: str, plan_version: int, case_version: int, outcome: str) -> str:
    """The plan's status once a case on ``case_version`` ends with ``outcome``.

    A decision about a version other than the plan's current submitted one is stale (it arrived
    late or twice) and changes nothing.
    """
    if current != "submitted" or plan_version != case_version:
        return current
    return OUTCOME_TO_STATUS[outcome]


def level_of(unit: str) -> Literal["central", "city", "ward"]:
    depth = unit.count(".")
    return "central" if depth == 0 else "city" if depth == 1 else "ward"
