"""What a plan holds, as plain values, and the rules a plan must pass before it is submitted."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
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
    """The code of one directory entry (a unit or an outside body), never a list or a name."""
    cooperating_units: tuple[str, ...] = ()
    """Codes of directory entries, each once, without the lead unit."""
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

# -- one directory entry per field ("1 xuyên suốt") ----------------------------------------------
UNIT_CODE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")
"""A directory entry's code: a path such as ``vn.hue.so-y-te``."""
_SEVERAL = re.compile(r"[,;/&+\r\n]|\s(?:và|va|and)\s", re.IGNORECASE)
"""What separates several units written in one field: ',' ';' '/' '&' '+', a line break, "và"."""


def names_several_units(text: str) -> bool:
    """Whether ``text`` lists several units ("Sở Y tế, Sở Tài chính", "A và B", "A; B") rather
    than naming one. A directory code never does."""
    return bool(_SEVERAL.search(text.strip()))


def unit_problem(text: str, directory: Mapping[str, Any] | None = None) -> str | None:
    """Why ``text`` is not exactly one directory entry given by its code, or None when it is.
    Without ``directory`` only the form is checked (one code, not a list)."""
    value = text.strip()
    if not UNIT_CODE.match(value):
        what = "looks like several units" if names_several_units(value) else "is not a code"
        return (
            "name exactly one unit, by its directory code (such as vn.hue.so-y-te): "
            f"{value!r} {what}"
        )
    if directory is not None and value not in directory:
        return f"{value} is not in the directory: register the unit or body there first"
    return None


# -- periods of milestones ------------------------------------------------------------------------
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|H([12])|(0[1-9]|1[0-2])))?$")


def period_bounds(period: str) -> tuple[date, date] | None:
    """The first and last day of a milestone's period: a month (``2026-03``), a quarter
    (``2026-Q2``), a half year (``2026-H1``) or a year (``2026``). None when it is none of them."""
    m = _PERIOD.match((period or "").strip())
    if m is None:
        return None
    year = int(m[1])
    if m[2]:
        first, last = 3 * int(m[2]) - 2, 3 * int(m[2])
    elif m[3]:
        first, last = 6 * int(m[3]) - 5, 6 * int(m[3])
    elif m[4]:
        first = last = int(m[4])
    else:
        first, last = 1, 12
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def _day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _responsibility(task: TaskContent, directory: Mapping[str, Any] | None) -> str | None:
    lead = (task.lead_unit or "").strip()
    if not lead:
        return "name exactly one lead unit"
    problem = unit_problem(lead, directory)
    if problem is not None:
        return f"lead unit: {problem}"
    if lead in task.cooperating_units:
        return "the lead unit cannot also be a cooperating unit"
    seen: set[str] = set()
    for unit in task.cooperating_units:
        problem = unit_problem(unit, directory)
        if problem is not None:
            return f"cooperating unit: {problem}"
        if unit in seen:
            return f"the cooperating unit {unit} is listed twice"
        seen.add(unit)
    return None


def _timeline(task: TaskContent, term: tuple[int, int] | None) -> str | None:
    if task.start is None or task.deadline is None:
        return "give both a start date and a deadline"
    if task.deadline < task.start:
        return "the deadline is before the start"
    if term is not None:
        first, last = term
        if task.start.year < first or task.deadline.year > last:
            return (
                f"the start and the deadline fall within the plan's term {first}-{last} "
                f"(here {_day(task.start)} - {_day(task.deadline)})"
            )
    if not task.milestones:
        return "give at least one milestone by month or quarter"
    for m in task.milestones:
        bounds = period_bounds(m.period)
        if bounds is None:
            return (
                f"the milestone period {m.period!r} is not a month (2026-03), a quarter "
                "(2026-Q2), a half year (2026-H1) or a year (2026)"
            )
        if bounds[1] < task.start:
            return f"the milestone {m.period} ends before the task starts ({_day(task.start)})"
        if bounds[0] > task.deadline:
            return f"the milestone {m.period} begins after the deadline ({_day(task.deadline)})"
    return None


def _product(task: TaskContent) -> str | None:
    if not (task.product_description or "").strip():
        return "describe the product: a quantity with its unit, or a named document"
    if task.product_quantity is not None:
        if not task.product_quantity > 0:  # also NaN
            return "a product quantity is a positive number"
        if not (task.product_unit or "").strip():
            return "a product quantity needs its unit"
    return None


def check_five_clear(
    task: TaskContent,
    *,
    term: tuple[int, int] | None = None,
    directory: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """The "5 clear" rule (5 rõ): clear job, person, responsibility, timeline and product.

    - responsibility ("1 xuyên suốt"): exactly one lead unit, given by the code of a directory
      entry (a unit, or an outside body such as a department); never a list ("A, B", "A và B")
      and never among the cooperating units, which are directory codes too, each once. With
      ``directory`` (codes of the entries that exist) an unknown code is refused as well.
    - timeline: start and deadline, the deadline not before the start, both within the plan's
      ``term`` (its first and last year) when given, at least one milestone, and each
      milestone's period (2026-03, 2026-Q2, 2026-H1, 2026) overlapping start..deadline.
    - product: described; a quantity is positive and has its unit.

    At most one violation per element, with the first reason found."""
    out: list[Violation] = []

    def miss(element: Element, reason: str | None) -> None:
        if reason is not None:
            out.append(Violation(task.code, element, reason))

    if len(task.job.split()) < MIN_JOB_WORDS:
        miss("job", f"describe the job concretely (at least {MIN_JOB_WORDS} words)")
    if not (task.responsible_person or "").strip():
        miss("person", "name the responsible official")
    miss("responsibility", _responsibility(task, directory))
    miss("timeline", _timeline(task, term))
    miss("product", _product(task))
    return out


def check_plan(
    tasks: list[TaskContent],
    *,
    term: tuple[int, int] | None = None,
    directory: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Every violation of every task, in task order (``term`` and ``directory`` as for
    :func:`check_five_clear`)."""
    violations: list[Violation] = []
    for task in tasks:
        violations.extend(check_five_clear(task, term=term, directory=directory))
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


def status_after_case(
    current: PlanStatus,
    plan_version: int,
    case_version: int,
    outcome: str,
    in_force_version: int | None = None,
) -> PlanStatus:
    """The plan's status once a case on ``case_version`` ends with ``outcome``.

    A decision about a version other than the plan's current submitted one is stale (it arrived
    late or twice) and changes nothing. A rejected *revision* leaves the plan as it was: the
    version in force stays approved (its working copy is restored by the caller).
    """
    if current != "submitted" or plan_version != case_version:
        return current
    if outcome == "rejected" and in_force_version is not None:
        return "approved"
    return OUTCOME_TO_STATUS[outcome]


def frozen_after_case(
    outcome: str,
    case_version: int,
    frozen: Mapping[str, int | None],
    approved: Iterable[str] = (),
    returned: Iterable[str] = (),
) -> dict[str, int | None]:
    """Each task group's ``approved_in_version`` once a case ends (``frozen``: group id -> its
    value now). A return freezes the groups it approves (keeping the version they were first
    approved in) and thaws those it returns; any other outcome decides the plan as a whole, so
    no group stays frozen (a withdrawal leaves them as they were)."""
    if outcome == "withdrawn":
        return dict(frozen)
    if outcome != "returned":
        return {g: None for g in frozen}
    after = dict(frozen)
    for g in approved:
        after[g] = frozen.get(g) or case_version
    for g in returned:
        after[g] = None
    return after


# -- revisions: one plan in force per unit and parent program ------------------------------------
def is_revision(status: str, in_force_version: int | None) -> bool:
    """A plan in force whose working copy is being changed (drafted, decided or returned)."""
    return in_force_version is not None and status != "approved"


def can_revise(status: str, in_force_version: int | None) -> bool:
    """Only a plan in force with no revision under way starts one."""
    return status == "approved" and in_force_version is not None


def can_discard_revision(status: str, in_force_version: int | None) -> bool:
    """The drafters may drop a revision that is back with them; a submitted one is withdrawn
    first."""
    return in_force_version is not None and status in EDITABLE


def allowed_actions(
    status: str, in_force_version: int | None, drafts_here: bool
) -> dict[str, bool]:
    """What a caller may do with the plan now (``drafts_here``: a drafter of its own unit; no
    one else changes a plan): the API tells it with the plan, so no screen guesses the rules."""
    return {
        "edit": drafts_here and can_edit(status),
        "submit": drafts_here and can_submit(status),
        "withdraw": drafts_here and can_withdraw(status),
        "revise": drafts_here and can_revise(status, in_force_version),
        "discard_revision": drafts_here and can_discard_revision(status, in_force_version),
    }


def in_force_after_case(
    in_force_version: int | None, case_version: int, outcome: str
) -> int | None:
    """The version in force once a case ends: an approval puts its version in force, anything
    else keeps the one already in force."""
    return case_version if outcome == "approved" else in_force_version


LIVE_STATUSES: frozenset[str] = frozenset(
    {"draft", "submitted", "returned", "approved", "withdrawn"}
)
"""A plan in one of these counts against "one plan per unit and parent program"; a rejected plan
does not (the unit starts a new one)."""


def blocks_new_plan(status: str, in_force_version: int | None) -> bool:
    return status in LIVE_STATUSES or in_force_version is not None


def level_of(unit: str) -> Literal["central", "city", "ward"]:
    depth = unit.count(".")
    return "central" if depth == 0 else "city" if depth == 1 else "ward"
