"""The rules a plan must pass beside "5 clear": it covers its parent's task groups, it does not
copy its parent mechanically, and its indicators make sense."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from cascade_plans.domain.plan import TaskContent

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a plan: an error blocks submission, a warning must be acknowledged."""

    code: str
    severity: Severity
    field: str
    reason: str
    subject: str

    def as_error(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "reason": self.reason,
            "subject": self.subject,
        }


# -- coverage of the parent plan's task groups -----------------------------------------------------
@dataclass(frozen=True)
class GroupCoverage:
    parent_group: str  # code of the parent plan's task group
    child_groups: tuple[str, ...]  # codes of the child's groups linked to it
    task_count: int  # tasks in those child groups
    not_applicable_reason: str | None = None


def check_coverage(parent_groups: list[str], coverage: dict[str, GroupCoverage]) -> list[Finding]:
    """Every task group of the parent plan is covered by at least one task of the child plan, or
    marked not applicable with a reason."""
    findings = []
    for code in parent_groups:
        c = coverage.get(code)
        if c is not None and (c.not_applicable_reason or "").strip():
            continue
        if c is None or c.task_count == 0:
            findings.append(
                Finding(
                    "coverage",
                    "error",
                    f"task_groups.{code}",
                    f"task group {code} of the parent plan has no task here; add one or mark it "
                    "not applicable with a reason",
                    code,
                )
            )
    return findings


# -- mechanical copying (sao chép máy móc) ---------------------------------------------------------
COPY_SIMILARITY = 90.0
_NUMBER = re.compile(r"\d")


def _fold(text: str) -> str:
    """Lower case without diacritics, so "Phường" and "phuong" compare equal."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()


def fold(text: str) -> str:
    return _fold(text)


def similarity(a: str, b: str) -> float:
    return float(fuzz.token_sort_ratio(_fold(a), _fold(b)))


def check_mechanical_copy(task: TaskContent, parent_job: str | None) -> list[Finding]:
    """A task whose job is (nearly) the parent task's word for word, adding no number and no
    measurable product of its own, is mechanical copying, which the leadership forbids."""
    if not parent_job or not task.job.strip():
        return []
    score = similarity(task.job, parent_job)
    if score < COPY_SIMILARITY:
        return []
    parent_words = set(_fold(parent_job).split())
    added = [w for w in _fold(task.job).split() if w not in parent_words]
    measurable = task.product_quantity is not None and bool((task.product_unit or "").strip())
    if any(_NUMBER.search(w) for w in added) or measurable:
        return []
    return [
        Finding(
            "mechanical-copy",
            "warning",
            f"tasks.{task.code}.job",
            f"the job repeats the parent task ({score:.0f}% alike) and adds nothing local or "
            "measurable: name local places, quantities and a measurable product",
            task.code,
        )
    ]


# -- indicators --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorContent:
    code: str
    name: str
    unit: str
    target: float | None
    year: int | None
    baseline: float | None = None
    comparator: str = ">="


def check_indicator(ind: IndicatorContent, term_start: int, term_end: int) -> list[Finding]:
    out = []

    def bad(field: str, reason: str) -> None:
        out.append(
            Finding("indicator", "error", f"indicators.{ind.code}.{field}", reason, ind.code)
        )

    if not ind.name.strip():
        bad("name", "name the indicator")
    if not ind.unit.strip():
        bad("unit", "give the unit of measure (%, km, điểm, ...)")
    if ind.target is None:
        bad("target", "give a numeric target")
    if ind.year is None or not term_start <= ind.year <= term_end:
        bad("year", f"the target year must fall inside the term {term_start}-{term_end}")
    if (
        ind.unit.strip() == "%"
        and ind.target is not None
        and not 0 <= ind.target <= 100
        and "tăng" not in _fold(ind.name)
        and "tang" not in _fold(ind.name)
    ):
        bad("target", "a percentage target lies between 0 and 100")
    if (
        ind.baseline is not None
        and ind.target is not None
        and ind.comparator == ">="
        and ind.target < ind.baseline
    ):
        bad("target", "a target to reach or exceed is below its baseline")
    return out
