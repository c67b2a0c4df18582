"""The results rules alone: periods and the policy, the four statuses, report lines, roll-up and
the score, with no HTTP and no database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from cascade_results.domain.evaluation import IndicatorFact, ReportFact, TaskFact, evaluate
from cascade_results.domain.periods import (
    Formula,
    parse_period,
    period_of,
    periods_between,
    policy_from_dict,
    previous,
)
from cascade_results.domain.report import TaskLine, check_actual, check_task_line, next_status
from cascade_results.domain.rollup import attainment, combine_progress, met, rollup_values
from cascade_results.domain.status import days_overdue, task_status

POLICY_FILE = Path(__file__).parents[2] / "services/results/cascade_results/policy.json"
POLICY = policy_from_dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))


def test_periods_are_named_as_the_reports_name_them() -> None:
    march = parse_period("2026-03")
    assert (march.start, march.end, march.label_vi) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        "tháng 3/2026",
    )
    q2 = parse_period("2026-Q2")
    assert (q2.start, q2.end, q2.label_vi) == (date(2026, 4, 1), date(2026, 6, 30), "quý II/2026")
    assert parse_period("2026").label_vi == "năm 2026"
    assert period_of("quarter", date(2026, 11, 29)).key == "2026-Q4"
    assert previous(parse_period("2026-01")).key == "2025-12"
    assert [p.key for p in periods_between("quarter", date(2026, 2, 1), date(2026, 7, 1))] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    for bad in ("2026-13", "2026-Q5", "26", "2026-3", "tháng 3"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_the_default_policy_wards_monthly_due_the_20th_locked_ten_days_later() -> None:
    assert POLICY.kinds_for("ward") == ("month", "year")
    assert POLICY.kinds_for("city") == ("quarter", "year")
    march = parse_period("2026-03")
    assert POLICY.due_on(march) == date(2026, 4, 20)
    assert POLICY.locks_on(march) == date(2026, 4, 30)
    assert POLICY.state(march, date(2026, 2, 28)) == "not_open"
    assert POLICY.state(march, date(2026, 3, 1)) == "open"
    assert POLICY.state(march, date(2026, 4, 30)) == "open"
    assert POLICY.state(march, date(2026, 5, 1)) == "locked"
    assert POLICY.due_on(parse_period("2026")) == date(2027, 1, 20)
    assert not POLICY.reports_on("city", march)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"cadence": {}}, "version"),
        ({"version": "x", "cadence": {"province": ["month"]}}, "unknown level"),
        ({"version": "x", "cadence": {"ward": ["week"]}}, "unknown period kind"),
        ({"version": "x", "formula": {"weights": {"tasks_on_time": 0.5}}}, "add up to 1"),
        ({"version": "x", "formula": {"weights": {"luck": 1}}}, "unknown terms"),
        ({"version": "x", "due_day": 31}, "due_day"),
    ],
)
def test_a_bad_policy_is_refused_naming_what_is_wrong(
    body: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        policy_from_dict(body)


@pytest.mark.parametrize(
    ("deadline", "completed", "as_of", "status"),
    [
        (date(2026, 6, 30), date(2026, 6, 1), date(2026, 7, 1), "completed_on_time"),
        (date(2026, 6, 30), date(2026, 6, 30), date(2026, 7, 1), "completed_on_time"),
        (date(2026, 6, 30), date(2026, 7, 2), date(2026, 8, 1), "completed_late"),
        (date(2026, 6, 30), None, date(2026, 6, 30), "in_progress"),
        (date(2026, 6, 30), None, date(2026, 7, 1), "overdue"),
        # Completion after the as-of date has not happened yet.
        (date(2026, 6, 30), date(2026, 7, 2), date(2026, 7, 1), "overdue"),
        (None, None, date(2030, 1, 1), "in_progress"),
    ],
)
def test_the_four_statuses(
    deadline: date | None, completed: date | None, as_of: date, status: str
) -> None:
    assert task_status(deadline, completed, as_of) == status


def test_days_overdue_counts_only_for_an_overdue_task() -> None:
    assert days_overdue(date(2026, 9, 30), None, date(2026, 11, 29)) == 60
    assert days_overdue(date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 29)) == 0


def _errors(**kwargs: object) -> set[str]:
    line = TaskLine(task_code="HA-01", **kwargs)  # type: ignore[arg-type]
    return {e["field"] for e in check_task_line(line, product_unit="điểm")}


def test_report_lines_that_make_sense() -> None:
    assert _errors(state="in_progress", percent=40, product_quantity=5) == set()
    assert _errors(state="done", percent=100, product_quantity=12) == set()
    assert _errors(state="done", percent=100, product_document="Quyết định số 12/QĐ-UBND") == set()
    assert _errors(state="in_progress", percent=140) == {"tasks.HA-01.percent"}
    assert _errors(state="in_progress", percent=-1) == {"tasks.HA-01.percent"}
    assert _errors(state="done", percent=100) == {"tasks.HA-01.product"}
    assert _errors(state="done", percent=90, product_quantity=3) == {"tasks.HA-01.percent"}
    assert _errors(state="blocked", percent=10, blocked_reason=" ") == {
        "tasks.HA-01.blocked_reason"
    }
    assert _errors(state="not_started", percent=5) == {"tasks.HA-01.percent"}
    assert _errors(state="in_progress", completed_on=date(2026, 1, 1)) == {
        "tasks.HA-01.completed_on"
    }
    assert _errors(state="in_progress", product_quantity=-2) == {"tasks.HA-01.product_quantity"}
    assert check_actual("CT01", "nhiều") == [
        {"field": "indicators.CT01.actual", "reason": "a number"}
    ]
    assert check_actual("CT01", 7.5) == [] and check_actual("CT01", None) == []


def test_the_steps_of_a_report() -> None:
    assert next_status("draft", "sign_off") == "submitted"
    assert next_status("returned", "sign_off") == "submitted"
    assert next_status("submitted", "accept") == "accepted"
    assert next_status("submitted", "return") == "returned"
    for status, action in (("accepted", "sign_off"), ("draft", "accept"), ("accepted", "return")):
        with pytest.raises(ValueError):
            next_status(status, action)  # type: ignore[arg-type]


def test_progress_rolls_up_with_weights_and_the_units_own_report() -> None:
    assert combine_progress(None, [(40, 1), (80, 1)]) == 60
    assert combine_progress(None, [(40, 1), (None, 1)]) == 20  # silence counts as nothing done
    assert combine_progress(None, [(40, 3), (80, 1)]) == 50
    assert combine_progress(70, [(40, 1), (80, 1)]) == round((70 + 40 + 80) / 3, 2)
    assert combine_progress(55, []) == 55
    assert combine_progress(None, []) is None
    assert combine_progress(None, [(100, 0)]) is None


def test_indicators_roll_up_by_their_own_rule() -> None:
    values = [(10.0, 1.0), (20.0, 3.0)]
    assert rollup_values("sum", values) == 30
    assert rollup_values("mean", values) == 15
    assert rollup_values("weighted_mean", values) == 17.5
    assert rollup_values("min", values) == 10 and rollup_values("max", values) == 20
    assert rollup_values("none", values) is None and rollup_values("sum", []) is None


def test_attainment_follows_the_direction_of_the_indicator() -> None:
    # GRDP growth: higher is better, from a baseline of 8% to a target of 11%.
    assert attainment(9.5, 11, 8, ">=") == 0.5
    assert attainment(12, 11, 8, ">=") == 1
    assert attainment(7, 11, 8, ">=") == 0
    # Late files: lower is better, from 3% down to 0.5%.
    assert attainment(1.75, 0.5, 3, "<=") == 0.5
    assert attainment(None, 0.5, 3, "<=") is None
    assert attainment(50, 100, None, ">=") == 0.5
    assert met(0.4, 0.5, "<=") is True and met(10, 11, ">=") is False


def test_the_score_is_the_weighted_sum_of_terms_that_name_their_sources() -> None:
    formula = Formula(
        "2026-1",
        {"tasks_on_time": 0.4, "no_overdue": 0.2, "indicators": 0.3, "reports_on_time": 0.1},
    )
    tasks = [
        TaskFact("t1", "HA-01", "completed_on_time", True),
        TaskFact("t2", "HA-02", "overdue", True),
        TaskFact("t3", "HA-03", "in_progress", False),
    ]
    indicators = [IndicatorFact("i1", "CT01", 0.5), IndicatorFact("i2", "CT02", None)]
    reports = [ReportFact("r1", "2026-01", True, False), ReportFact(None, "2026-02", False, False)]
    result = evaluate(formula, tasks, indicators, reports)
    terms = {t.name: t for t in result.terms}
    assert terms["tasks_on_time"].value == 0.5 and terms["tasks_on_time"].points == 20
    assert terms["no_overdue"].value == round(2 / 3, 4)
    assert [s["id"] for s in terms["no_overdue"].sources] == ["t2"]
    assert terms["indicators"].value == 0.5 and len(terms["indicators"].sources) == 1
    assert terms["reports_on_time"].value == 0.5
    assert result.score == round(20 + 0.2 * 2 / 3 * 100 + 15 + 5, 2)
    assert evaluate(formula, tasks, indicators, reports) == result  # same data, same score
    empty = evaluate(formula, [], [], [])
    assert empty.score == 100 and all(t.denominator == 0 for t in empty.terms)


def test_milestones_have_the_same_four_statuses_due_at_the_end_of_their_period() -> None:
    from cascade_results.domain.status import milestone_statuses

    milestones = [
        {"period": "2026-Q2", "description": "xóa 6 điểm"},
        {"period": "2026-09", "description": "xóa đủ 12 điểm"},
        {"period": "2026-Q4", "description": "nghiệm thu"},
    ]
    reached = {"2026-Q2": "2026-06-20", "2026-09": "2026-10-05"}
    rows = milestone_statuses(milestones, reached, date(2026, 11, 1), lambda p: parse_period(p).end)
    assert [(r["due"], r["status"]) for r in rows] == [
        (date(2026, 6, 30), "completed_on_time"),
        (date(2026, 9, 30), "completed_late"),
        (date(2026, 12, 31), "in_progress"),
    ]
    later = milestone_statuses(milestones, {}, date(2027, 1, 1), lambda p: parse_period(p).end)
    assert {r["status"] for r in later} == {"overdue"}
    line = TaskLine(
        task_code="HA-01", state="in_progress", percent=50, milestones_reached=("2027-Q1",)
    )
    [error] = check_task_line(line, product_unit="điểm", milestones=("2026-Q2",))
    assert error["field"] == "tasks.HA-01.milestones_reached"


def test_reports_are_owed_from_the_first_whole_period_after_approval() -> None:
    from cascade_results.standing import report_periods

    owed = report_periods(
        POLICY, "ward", parse_period("2026-10"), date(2026, 6, 15), date(2026, 11, 29)
    )
    assert [p.key for p in owed] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    # November is not due before 20 December; the year's report not before January.
    assert [
        p.key
        for p in report_periods(
            POLICY, "ward", parse_period("2026"), date(2026, 6, 15), date(2026, 12, 5)
        )
    ] == ["2026-07", "2026-08", "2026-09", "2026-10"]
