"""Evaluation by results: a unit's score for a period, from the data it chained up, with every
term traced to the records it came from ("explain my score")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cascade_results.domain.periods import Formula

TERM_LABELS_VI = {
    "tasks_on_time": "Tỷ lệ nhiệm vụ đến hạn hoàn thành đúng hạn",
    "no_overdue": "Không để nhiệm vụ quá hạn",
    "indicators": "Mức đạt chỉ tiêu so với mục tiêu",
    "reports_on_time": "Báo cáo đúng hạn",
}


@dataclass(frozen=True)
class TaskFact:
    task_id: str
    code: str
    status: str
    due: bool
    """Whether the task's deadline falls on or before the period's end."""
    job: str = ""


@dataclass(frozen=True)
class IndicatorFact:
    indicator_id: str
    code: str
    attainment: float | None
    name: str = ""


@dataclass(frozen=True)
class ReportFact:
    report_id: str | None
    period: str
    submitted: bool
    late: bool


@dataclass
class Term:
    name: str
    label_vi: str
    weight: float
    value: float
    """From 0 to 1."""
    points: float
    """weight x value x 100: this term's share of the score."""
    numerator: float
    denominator: float
    note: str
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Evaluation:
    formula_version: str
    score: float
    terms: list[Term]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _term(
    name: str, weight: float, num: float, den: float, note: str, sources: list[dict[str, Any]]
) -> Term:
    value = num / den if den else 1.0
    return Term(
        name=name,
        label_vi=TERM_LABELS_VI[name],
        weight=weight,
        value=round(value, 4),
        points=round(weight * value * 100, 2),
        numerator=num,
        denominator=den,
        note=note if den else "không có dữ liệu phải tính trong kỳ: tính đủ điểm",
        sources=sources,
    )


@dataclass(frozen=True)
class Tally:
    """The counts a score is made of: what ``evaluate`` counts from the records, or a database
    counts for many units at once; either way the same arithmetic makes the score."""

    tasks: int
    due: int
    due_on_time: int
    overdue: int
    measured: int
    attainment_sum: float
    reports: int
    reports_on_time: int


def _terms(formula: Formula, t: Tally) -> list[Term]:
    w = formula.weights
    return [
        _term(
            "tasks_on_time",
            w.get("tasks_on_time", 0.0),
            t.due_on_time,
            t.due,
            f"{t.due_on_time}/{t.due} nhiệm vụ đến hạn hoàn thành đúng hạn",
            [],
        ),
        _term(
            "no_overdue",
            w.get("no_overdue", 0.0),
            t.tasks - t.overdue,
            t.tasks,
            f"{t.overdue}/{t.tasks} nhiệm vụ quá hạn",
            [],
        ),
        _term(
            "indicators",
            w.get("indicators", 0.0),
            round(t.attainment_sum, 4),
            t.measured,
            f"bình quân mức đạt của {t.measured} chỉ tiêu có số liệu",
            [],
        ),
        _term(
            "reports_on_time",
            w.get("reports_on_time", 0.0),
            t.reports_on_time,
            t.reports,
            f"{t.reports_on_time}/{t.reports} báo cáo gửi đúng hạn",
            [],
        ),
    ]


def _task_source(t: TaskFact) -> dict[str, Any]:
    return {"kind": "task", "id": t.task_id, "code": t.code, "job": t.job, "status": t.status}


def score(formula: Formula, tally: Tally) -> float:
    """The score from 0 to 100 of a tally: the weighted sum of its four terms."""
    return round(sum(t.points for t in _terms(formula, tally)), 2)


def evaluate(
    formula: Formula,
    tasks: list[TaskFact],
    indicators: list[IndicatorFact],
    reports: list[ReportFact],
) -> Evaluation:
    """The score from 0 to 100: the weighted sum of the terms, each from 0 to 1.

    - tasks_on_time: of the tasks due by the period's end, the share completed on time;
    - no_overdue: 1 minus the share of all tasks that are overdue;
    - indicators: the mean attainment of the indicators that have an actual value;
    - reports_on_time: of the reports due so far in the year, the share sent on time.
    Every term names the records it came from. The same data always gives the same score."""
    due = [t for t in tasks if t.due]
    on_time = [t for t in due if t.status == "completed_on_time"]
    overdue = [t for t in tasks if t.status == "overdue"]
    measured = [i for i in indicators if i.attainment is not None]
    sent_on_time = [r for r in reports if r.submitted and not r.late]
    tally = Tally(
        tasks=len(tasks),
        due=len(due),
        due_on_time=len(on_time),
        overdue=len(overdue),
        measured=len(measured),
        attainment_sum=sum(i.attainment or 0.0 for i in measured),
        reports=len(reports),
        reports_on_time=len(sent_on_time),
    )
    terms = _terms(formula, tally)
    sources: list[list[dict[str, Any]]] = [
        [_task_source(t) for t in due],
        [_task_source(t) for t in overdue],
        [
            {
                "kind": "indicator",
                "id": i.indicator_id,
                "code": i.code,
                "name": i.name,
                "attainment": i.attainment,
            }
            for i in measured
        ],
        [
            {
                "kind": "report",
                "id": r.report_id,
                "period": r.period,
                "submitted": r.submitted,
                "late": r.late,
            }
            for r in reports
        ],
    ]
    for term, found in zip(terms, sources, strict=True):
        term.sources = found
    return Evaluation(formula_version=formula.version, score=score(formula, tally), terms=terms)
