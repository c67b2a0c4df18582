"""Reporting periods and the policy that says who reports on which, when it is due and locks.

A period is named the way the reports name it: ``2026-03`` (tháng 3/2026), ``2026-Q1``
(quý I/2026) or ``2026`` (năm 2026). The policy is versioned data: which kinds of period each
level reports on, the day of the following month a report falls due, how many days after that
the period locks, and the formula that scores a unit.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

PeriodKind = Literal["month", "quarter", "year"]
Level = Literal["central", "city", "ward"]
PeriodState = Literal["not_open", "open", "locked"]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: PeriodKind
    key: str

    @property
    def label_vi(self) -> str:
        if self.kind == "month":
            return f"tháng {self.start.month}/{self.start.year}"
        if self.kind == "quarter":
            return f"quý {ROMAN[(self.start.month - 1) // 3 + 1]}/{self.start.year}"
        return f"năm {self.start.year}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years a period may fall in (a term's plans run within them)."""


def parse_period(key: str) -> Period:
    """The period named ``key``; ValueError says what a period looks like."""
    match = re.match(r"^(\d{4})", key)
    if match and not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise ValueError(f"a period falls in a year from {FIRST_YEAR} to {LAST_YEAR}")
    if m := _MONTH.match(key):
        year, month = int(m[1]), int(m[2])
        return Period(date(year, month, 1), _month_end(year, month), "month", key)
    if m := _QUARTER.match(key):
        year, q = int(m[1]), int(m[2])
        first = 3 * (q - 1) + 1
        return Period(date(year, first, 1), _month_end(year, first + 2), "quarter", key)
    if m := _YEAR.match(key):
        year = int(m[1])
        return Period(date(year, 1, 1), date(year, 12, 31), "year", key)
    raise ValueError("a period is a month (2026-03), a quarter (2026-Q1) or a year (2026)")


def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "month":
        return parse_period(f"{day.year:04d}-{day.month:02d}")
    if kind == "quarter":
        return parse_period(f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"{day.year:04d}")


def previous(period: Period) -> Period:
    return period_of(period.kind, period.start - timedelta(days=1))


def periods_between(kind: PeriodKind, first: date, last: date) -> list[Period]:
    """Every period of ``kind`` from the one holding ``first`` to the one holding ``last``."""
    out: list[Period] = []
    period = period_of(kind, first)
    while period.start <= last:
        out.append(period)
        period = period_of(kind, period.end + timedelta(days=1))
    return out


@dataclass(frozen=True)
class Formula:
    """How a unit's score is made: each term's weight (they add up to 1)."""

    version: str
    weights: dict[str, float]


@dataclass(frozen=True)
class ReportingPolicy:
    version: str
    cadence: dict[str, tuple[PeriodKind, ...]]
    """Per level, the kinds of period its units report on."""
    due_day: int = 20
    """A report is due on this day of the month after its period ends."""
    lock_after_days: int = 10
    """A period locks this many days after its report was due."""
    remind_days_before: int = 3
    escalate_after_days: int = 7
    """A task still overdue this many days after its deadline is told to the unit above."""
    formula: Formula = field(default_factory=lambda: Formula("default", dict(DEFAULT_WEIGHTS)))

    def kinds_for(self, level: str) -> tuple[PeriodKind, ...]:
        return self.cadence.get(level, ())

    def due_on(self, period: Period) -> date:
        after = period.end + timedelta(days=1)
        last = calendar.monthrange(after.year, after.month)[1]
        return date(after.year, after.month, min(self.due_day, last))

    def locks_on(self, period: Period) -> date:
        return self.due_on(period) + timedelta(days=self.lock_after_days)

    def state(self, period: Period, today: date) -> PeriodState:
        """Reports are written from the period's first day until it locks."""
        if today < period.start:
            return "not_open"
        if today > self.locks_on(period):
            return "locked"
        return "open"

    def reports_on(self, level: str, period: Period) -> bool:
        return period.kind in self.kinds_for(level)


DEFAULT_WEIGHTS: dict[str, float] = {
    "tasks_on_time": 0.4,
    "no_overdue": 0.2,
    "indicators": 0.3,
    "reports_on_time": 0.1,
}


def policy_from_dict(data: dict[str, Any]) -> ReportingPolicy:
    """Read a policy document; ValueError names what is wrong."""
    try:
        cadence = {level: tuple(kinds) for level, kinds in dict(data.get("cadence", {})).items()}
        for level, kinds in cadence.items():
            if level not in ("central", "city", "ward"):
                raise ValueError(f"cadence: unknown level {level!r}")
            for kind in kinds:
                if kind not in ("month", "quarter", "year"):
                    raise ValueError(f"cadence.{level}: unknown period kind {kind!r}")
        formula = dict(data.get("formula", {}))
        weights = {k: float(v) for k, v in dict(formula.get("weights", DEFAULT_WEIGHTS)).items()}
        unknown = set(weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"formula.weights: unknown terms {sorted(unknown)}")
        if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1) > 1e-6:
            raise ValueError("formula.weights: weights are non-negative and add up to 1")
        policy = ReportingPolicy(
            version=str(data["version"]),
            cadence=cadence,
            due_day=int(data.get("due_day", 20)),
            lock_after_days=int(data.get("lock_after_days", 10)),
            remind_days_before=int(data.get("remind_days_before", 3)),
            escalate_after_days=int(data.get("escalate_after_days", 7)),
            formula=Formula(str(formula.get("version", data["version"])), weights),
        )
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]}: required") from exc
    except (TypeError, AttributeError) as exc:
        raise ValueError(f"malformed policy: {exc}") from exc
    if not 1 <= policy.due_day <= 28:
        raise ValueError("due_day: a day of the month from 1 to 28")
    if policy.lock_after_days < 0 or policy.remind_days_before < 0:
        raise ValueError("lock_after_days and remind_days_before are not negative")
    return policy
